"""TITE-BOIN with Lin & Yuan (2020)'s effective sample size, against hand calculations and BOIN."""

from dataclasses import replace

import pytest

from cartrial.errors import InputError
from cartrial.escalation import (
    DesignSettings,
    EscalationState,
    PatientOutcome,
    build_design,
    outcomes_from_counts,
    summarise_outcomes,
)
from cartrial.escalation.designs.tite_boin import calculate_effective_sample_size

SETTINGS = DesignSettings(design="tite-boin", n_doses=4, start_dose=1, target=0.3, window_days=28.0)


def state(*pending_days: float) -> EscalationState:
    done = [
        PatientOutcome(dose_level=1, dlt="no", followup_days=28),
        PatientOutcome(dose_level=1, dlt="no", followup_days=28),
        PatientOutcome(dose_level=1, dlt="no", followup_days=28),
        PatientOutcome(dose_level=2, dlt="no", followup_days=28),
        PatientOutcome(dose_level=2, dlt="no", followup_days=28),
        PatientOutcome(dose_level=2, dlt="yes", followup_days=9),
    ]
    waiting = [PatientOutcome(dose_level=2, dlt="pending", followup_days=d) for d in pending_days]
    return EscalationState(patients=(*done, *waiting))


def test_effective_sample_size_by_hand() -> None:
    outcomes = summarise_outcomes(state(14, 7), 4)
    assert calculate_effective_sample_size(outcomes, 2, 28.0) == pytest.approx(3 + 14 / 28 + 7 / 28)


def test_pending_patients_count_by_their_follow_up() -> None:
    design = build_design(SETTINGS)
    # 1 DLT / (3 + 0.5 + 0.25) = 0.267: between 0.2365 and 0.3585 -> stay
    stay = design.decide(summarise_outcomes(state(14, 7), 4))
    assert (stay.action, stay.next_dose) == ("stay", 2)
    assert stay.details["effective_sample_size"] == pytest.approx(3.75)
    # 1 / (3 + 0.75 + 0.75) = 0.222 <= 0.2365 -> escalate (2 of 5 pending: no suspension)
    assert design.decide(summarise_outcomes(state(21, 21), 4)).action == "escalate"
    # 3 of 6 pending is not more than half; 4 of 7 is
    assert design.decide(summarise_outcomes(state(21, 21, 1, 1), 4)).action == "suspend"


@pytest.mark.parametrize("n", range(1, 13))
def test_without_pending_patients_it_is_boin(n: int) -> None:
    boin = build_design(DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3))
    tite = build_design(SETTINGS)
    for y in range(n + 1):
        data = outcomes_from_counts((3, n, 0, 0), (0, y, 0, 0), 2)
        assert tite.decide(data).next_dose == boin.decide(data).next_dose, (n, y)


YUAN = DesignSettings(
    design="tite-boin", n_doses=4, start_dose=1, target=0.3, window_days=28.0, tite_method="yuan2018"
)


def at_dose_2(completed: int, dlts: int, pending_days: tuple[float, ...]) -> EscalationState:
    done = [PatientOutcome(dose_level=2, dlt="yes" if i < dlts else "no") for i in range(completed)]
    waiting = [PatientOutcome(dose_level=2, dlt="pending", followup_days=d) for d in pending_days]
    return EscalationState(patients=(*done, *waiting))


@pytest.mark.parametrize(("stft", "action"), [(2.16, "escalate"), (2.14, "stay")])
def test_yuan_2018_table_1_escalation_boundary(stft: float, action: str) -> None:
    # Yuan et al. 2018, Table 1 (target 0.2): 9 treated, 1 DLT, 4 pending escalate once STFT >= 2.15.
    # By hand: pi = 1.1 / 6, q = pi / (1 - pi) = 0.2245; (1 + q (4 - STFT)) / 9 <= lambda_e = 0.15724
    # <=> STFT >= 4 - 0.41518 / 0.2245 = 2.1502.
    design = build_design(replace(YUAN, target=0.2))
    decision = design.decide(summarise_outcomes(at_dose_2(5, 1, (stft / 4 * 28.0,) * 4), 4))
    assert decision.action == action
    assert decision.details["standardized_followup"] == pytest.approx(stft)


def test_yuan_2018_de_escalates_at_the_target_rate_with_pending_patients() -> None:
    # Table 1 (target 0.2): 15 treated, 3 DLTs: 3/15 = the target allows de-escalation; with 5 pending
    # and no follow-up pi = 3.1 / 11, p~ = (3 + 0.3924 x 5) / 15 = 0.331 >= lambda_d 0.2385.
    design = build_design(replace(YUAN, target=0.2))
    decision = design.decide(summarise_outcomes(at_dose_2(10, 3, (0.0,) * 5), 4))
    assert decision.action == "de-escalate"
    assert decision.details["imputed_rate"] == pytest.approx((3 + 3.1 / 7.9 * 5) / 15)


def test_yuan_2018_never_de_escalates_below_the_target_rate() -> None:
    # 1 DLT of 4 treated (2 pending, no follow-up): p~ = (1 + (1.15 / 3) / (1 - 1.15 / 3) x 2) / 4 = 0.561
    # >= lambda_d, but 1/4 < 0.3: stay. Lin & Yuan's ESS (1 / 2 = 0.5) de-escalates.
    data = summarise_outcomes(at_dose_2(2, 1, (0.0, 0.0)), 4)
    assert build_design(YUAN).decide(data).action == "stay"
    assert build_design(SETTINGS).decide(data).action == "de-escalate"


def test_yuan_2018_certain_de_escalation_passes_the_suspension_rule() -> None:
    # 2 DLTs of 5 treated, 3 pending (more than half): 2/5 = 0.4 >= lambda_d 0.3585 whatever the
    # pending outcomes: de-escalate. Lin & Yuan's stack suspends; so does Yuan's with 1 DLT (1/5).
    data = summarise_outcomes(at_dose_2(2, 2, (5.0, 5.0, 5.0)), 4)
    assert build_design(YUAN).decide(data).action == "de-escalate"
    assert build_design(SETTINGS).decide(data).action == "suspend"
    assert (
        build_design(YUAN).decide(summarise_outcomes(at_dose_2(2, 1, (5.0, 5.0, 5.0)), 4)).action == "suspend"
    )


@pytest.mark.parametrize("n", range(1, 13))
def test_yuan_2018_without_pending_patients_is_boin(n: int) -> None:
    boin = build_design(DesignSettings(design="boin", n_doses=4, start_dose=1, target=0.3))
    tite = build_design(YUAN)
    for y in range(n + 1):
        data = outcomes_from_counts((3, n, 0, 0), (0, y, 0, 0), 2)
        assert tite.decide(data).next_dose == boin.decide(data).next_dose, (n, y)


def test_unknown_tite_method_is_bad_input() -> None:
    with pytest.raises(InputError, match="tite_method"):
        build_design(replace(YUAN, tite_method="yuan2019"))


def test_yuan_2018_suspends_above_half_pending_and_elimination_overrides_the_suspension() -> None:
    design = build_design(YUAN)
    # 3 of 6 pending is not more than half (1 DLT of 6: imputed rate decides); 4 of 7 is.
    assert design.decide(summarise_outcomes(at_dose_2(3, 1, (14.0,) * 3), 4)).action != "suspend"
    assert design.decide(summarise_outcomes(at_dose_2(3, 1, (14.0,) * 4), 4)).action == "suspend"
    # 3/3 completed with DLTs eliminate dose 2 (Pr(p > 0.3) = 0.992); with 6 pending 3/9 < lambda_d, so
    # the core suspends, and elimination turns that into a de-escalation. Lin & Yuan's stack suspends.
    data = summarise_outcomes(at_dose_2(3, 3, (1.0,) * 6), 4)
    decision = design.decide(data)
    assert (decision.action, decision.next_dose, decision.eliminated) == ("de-escalate", 1, (2, 3, 4))
    assert build_design(SETTINGS).decide(data).action == "suspend"

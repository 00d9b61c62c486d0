"""TITE-BOIN with Lin & Yuan (2020)'s effective sample size, against hand calculations and BOIN."""

import pytest

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

"""BF-BOIN simulation: the compiled loop replayed through the pure design stack (patients as STATE.json
records, backfill marked), and trials traced by hand."""

import numpy as np
import pytest

from cartrial.errors import InputError
from cartrial.escalation import (
    DesignSettings,
    EscalationState,
    PatientOutcome,
    build_design,
    select_mtd,
    summarise_outcomes,
)
from cartrial.escalation.backfill_simulation import (
    calculate_sized_binomial_cdf,
    draw_backfill_uniforms,
    simulate_backfill_operating_characteristics,
    simulate_backfill_trials,
)

from .helpers import bf_boin

TRUE = (0.05, 0.10, 0.20, 0.30)


def cohort(dose: int, size: int, dlts: int, backfill: bool = False) -> list[PatientOutcome]:
    return [
        PatientOutcome(dose_level=dose, dlt="yes" if j < dlts else "no", backfill=backfill)
        for j in range(size)
    ]


def replay(
    settings: DesignSettings, true_tox: tuple[float, ...], backfill_size: int, u: np.ndarray
) -> list[tuple[int, list[int], list[int], list[int]]]:
    """Each trial through the pure stack: while the escalation cohort is pending, the suspended
    decision's `backfill_open` gives the backfill dose (the highest), filled up to the cap."""
    design = build_design(settings)
    size = settings.cohort_size
    cdf = calculate_sized_binomial_cdf(true_tox, max(size, backfill_size))
    k = settings.n_doses
    results = []
    for row in u:
        patients: list[PatientOutcome] = []
        dose = settings.start_dose
        for i, (u_escalation, u_backfill) in enumerate(row):
            pending = [PatientOutcome(dose_level=dose, dlt="pending")] * size
            waiting = design.decide(summarise_outcomes(EscalationState(patients=(*patients, *pending)), k))
            assert waiting.action == "suspend"
            open_doses = waiting.details["backfill_open"]
            known = summarise_outcomes(EscalationState(patients=tuple(patients)), k)
            patients += cohort(dose, size, int(np.searchsorted(cdf[size, dose - 1], u_escalation)))
            if open_doses and backfill_size > 0:
                level = max(open_doses)
                m = min(backfill_size, settings.backfill_cap - known.n_at(level))
                patients += cohort(level, m, int(np.searchsorted(cdf[m, level - 1], u_backfill)), True)
            if i == len(row) - 1:
                break
            decision = design.decide(summarise_outcomes(EscalationState(patients=tuple(patients)), k))
            if decision.stop or decision.next_dose is None:
                break
            dose = decision.next_dose
        outcomes = summarise_outcomes(EscalationState(patients=tuple(patients)), k)
        mtd = select_mtd(outcomes, settings).mtd
        escalation = [sum(p.dose_level == d and not p.backfill for p in patients) for d in range(1, k + 1)]
        backfill = [sum(p.dose_level == d and p.backfill for p in patients) for d in range(1, k + 1)]
        results.append((-1 if mtd is None else mtd - 1, escalation, backfill, list(outcomes.dlts)))
    return results


@pytest.mark.parametrize(
    ("settings", "backfill_size", "true_tox"),
    [
        (bf_boin(), 3, TRUE),
        (bf_boin(), 3, (0.3, 0.45, 0.6, 0.7)),
        (bf_boin(start_dose=2, backfill_cap=8, n_earlystop=9, extra_safe=True), 5, (0.15, 0.3, 0.45, 0.6)),
        (bf_boin(target=0.25, cohort_size=2, cutoff_eli=0.9), 2, (0.55, 0.6, 0.7, 0.8)),
    ],
)
def test_compiled_loop_equals_the_pure_design_replayed(
    settings: DesignSettings, backfill_size: int, true_tox: tuple[float, ...]
) -> None:
    u = draw_backfill_uniforms(40, 8, seed=11)
    compiled = simulate_backfill_trials(settings, true_tox, 8, backfill_size, u)
    for t, (selected, escalation, backfill, dlts) in enumerate(replay(settings, true_tox, backfill_size, u)):
        assert compiled.selected[t] == selected, t
        assert list(compiled.escalation_patients[t]) == escalation, t
        assert list(compiled.backfill_patients[t]) == backfill, t
        assert list(compiled.dlts[t]) == dlts, t


def test_no_toxicity_escalates_and_backfills_the_highest_open_dose_to_the_cap() -> None:
    # By hand: dose 1 (no dose below), 2 (backfill 1), 3 (backfill 2), then 7 cohorts at the top dose 4
    # backfill 3 to 12 (cohorts 4-6), then 2 to 12 (7-8), then 1 (9-10): 3+9 = 12 at each of doses 1-3.
    oc = simulate_backfill_operating_characteristics(bf_boin(), (0.0, 0.0, 0.0, 0.0), 10, 3, 5, seed=1)
    assert oc.escalation_patients == (3.0, 3.0, 3.0, 21.0)
    assert oc.backfill_patients == (9.0, 9.0, 9.0, 0.0)
    assert oc.patients == (12.0, 12.0, 12.0, 21.0)
    assert (oc.selection_pct, oc.stop_pct, oc.mean_n, oc.mean_backfill_n) == (
        (0.0, 0.0, 0.0, 100.0),
        0.0,
        57.0,
        27.0,
    )


def test_a_backfill_cohort_only_fills_up_to_the_cap() -> None:
    # Cap 8, backfill size 5: doses 1, 2, 3 each get 8 - 3 = 5 backfill patients, then every dose
    # below 4 is closed and the last two cohorts have no backfill.
    settings = bf_boin(backfill_cap=8)
    oc = simulate_backfill_operating_characteristics(settings, (0.0, 0.0, 0.0, 0.0), 6, 5, 3, seed=1)
    assert oc.escalation_patients == (3.0, 3.0, 3.0, 9.0)
    assert oc.backfill_patients == (5.0, 5.0, 5.0, 0.0)


def test_certain_toxicity_stops_after_the_first_cohort_without_backfill() -> None:
    # 3/3 at dose 1 meets the elimination count at n = 3 (R BOIN, target 0.3): stop, no dose.
    oc = simulate_backfill_operating_characteristics(bf_boin(), (1.0, 1.0, 1.0, 1.0), 10, 3, 4, seed=1)
    assert (oc.stop_pct, oc.mean_n, oc.patients, oc.dlts) == (
        100.0,
        3.0,
        (3.0, 0.0, 0.0, 0.0),
        (3.0, 0.0, 0.0, 0.0),
    )


def test_backfill_size_zero_treats_escalation_cohorts_only() -> None:
    oc = simulate_backfill_operating_characteristics(bf_boin(), TRUE, 10, 0, 2000, seed=6)
    assert oc.backfill_patients == (0.0,) * 4 and oc.mean_backfill_n == 0.0
    assert oc.mean_n == pytest.approx(30.0, abs=0.5)


def test_same_seed_same_result_and_totals_add_up() -> None:
    first = simulate_backfill_operating_characteristics(bf_boin(), TRUE, 10, 3, 3000, seed=6)
    assert first == simulate_backfill_operating_characteristics(bf_boin(), TRUE, 10, 3, 3000, seed=6)
    assert sum(first.selection_pct) + first.stop_pct == pytest.approx(100.0)
    for total, escalation, backfill in zip(
        first.patients, first.escalation_patients, first.backfill_patients, strict=True
    ):
        assert total == pytest.approx(escalation + backfill)
    assert first.mean_n == pytest.approx(sum(first.patients))
    assert first.mean_backfill_n == pytest.approx(sum(first.backfill_patients))
    assert first.backfill_patients[-1] == 0.0  # the top dose is never below the escalation dose


def test_bad_backfill_simulations_are_refused() -> None:
    with pytest.raises(InputError, match="backfill"):
        simulate_backfill_operating_characteristics(bf_boin(backfill=False), TRUE, 10, 3, 10, seed=1)
    with pytest.raises(InputError, match="backfill_size"):
        simulate_backfill_operating_characteristics(bf_boin(), TRUE, 10, -1, 10, seed=1)
    with pytest.raises(InputError, match="max_n"):
        simulate_backfill_operating_characteristics(bf_boin(max_n=30), TRUE, 10, 3, 10, seed=1)
    with pytest.raises(InputError, match=r"true\[2\]"):
        simulate_backfill_operating_characteristics(bf_boin(), (0.1, 0.2, 1.5, 0.4), 10, 3, 10, seed=1)

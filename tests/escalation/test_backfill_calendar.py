"""BF-BOIN in calendar time: the compiled loop replayed arrival by arrival through the pure design
stacks (BF-BOIN and plain BOIN), and a trial traced by hand."""

import math
from dataclasses import replace

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
from cartrial.escalation.backfill_calendar import (
    calculate_arrivals_per_trial,
    simulate_backfill_calendar_operating_characteristics,
    simulate_calendar_trials,
)
from cartrial.escalation.state import DltStatus
from cartrial.escalation.tite_simulation import Accrual

from .helpers import bf_boin

TRUE = (0.05, 0.10, 0.20, 0.30)


class Patient:
    def __init__(
        self, arrival: float, dose: int, u_dlt: float, u_time: float, p: float, window: float, backfill: bool
    ) -> None:
        self.arrival, self.dose, self.backfill = arrival, dose, backfill
        self.tox = u_dlt < p
        self.tox_time = u_time * window
        self.resolved = arrival + (self.tox_time if self.tox else window)
        self.window = window

    def record(self, now: float) -> PatientOutcome:
        status: DltStatus
        if self.tox and self.arrival + self.tox_time <= now:
            status = "yes"
        elif now >= self.arrival + self.window:
            status = "no"
        else:
            status = "pending"
        followup = now - self.arrival if status == "pending" else None
        return PatientOutcome(
            dose_level=self.dose, dlt=status, followup_days=followup, backfill=self.backfill
        )


def replay(
    settings: DesignSettings,
    true_tox: tuple[float, ...],
    n_cohorts: int,
    interval: float,
    accrual: Accrual,
    row: np.ndarray,
    backfill: bool,
) -> tuple[int, list[int], list[int], list[int], int, float]:
    """One trial through the pure stack: at each arrival, the decision on the data of that day."""
    chosen = settings if backfill else replace(settings, backfill=False)
    design = build_design(chosen)
    k, size, window = settings.n_doses, settings.cohort_size, settings.window_days
    patients: list[Patient] = []

    def state(now: float) -> EscalationState:
        return EscalationState(patients=tuple(p.record(now) for p in patients))

    now, dose, filled, cohorts, first = 0.0, settings.start_dose, 0, 0, 0
    end: float | None = None
    for u_dlt, u_time, u_gap in row:
        if end is not None and now >= end:
            break
        gap = -math.log1p(-u_gap) * interval if accrual == "poisson" else interval
        if filled == size:
            decision = design.decide(summarise_outcomes(state(now), k))
            if decision.action == "suspend":
                open_doses = decision.details.get("backfill_open", [])
                if backfill and open_doses:
                    level = max(open_doses)
                    patients.append(Patient(now, level, u_dlt, u_time, true_tox[level - 1], window, True))
                now += gap
                continue
            if decision.stop or decision.next_dose is None:
                end = max(p.resolved for p in patients[first:])
                break
            dose, filled = decision.next_dose, 0
        if filled == 0:
            first, cohorts = len(patients), cohorts + 1
        patients.append(Patient(now, dose, u_dlt, u_time, true_tox[dose - 1], window, False))
        filled += 1
        now += gap
        if filled == size and cohorts == n_cohorts:
            end = max(p.resolved for p in patients[first:])
    assert end is not None
    final = summarise_outcomes(state(end), k)
    mtd = select_mtd(final, chosen).mtd
    escalation = [sum(p.dose == d and not p.backfill for p in patients) for d in range(1, k + 1)]
    backfilled = [sum(p.dose == d and p.backfill for p in patients) for d in range(1, k + 1)]
    return (-1 if mtd is None else mtd - 1, escalation, backfilled, list(final.dlts), sum(final.pending), end)


@pytest.mark.parametrize(
    ("settings", "true_tox", "interval", "accrual"),
    [
        (bf_boin(), TRUE, 5.0, "poisson"),
        (bf_boin(), (0.3, 0.45, 0.6, 0.7), 7.0, "fixed"),
        (
            bf_boin(start_dose=2, backfill_cap=6, n_earlystop=9, extra_safe=True),
            (0.15, 0.3, 0.45, 0.6),
            3.0,
            "poisson",
        ),
        (
            bf_boin(target=0.25, cohort_size=2, cutoff_eli=0.9, window_days=20.0),
            (0.55, 0.6, 0.7, 0.8),
            4.0,
            "fixed",
        ),
    ],
)
def test_compiled_loop_equals_the_pure_designs_replayed(
    settings: DesignSettings, true_tox: tuple[float, ...], interval: float, accrual: Accrual
) -> None:
    n_cohorts = 6
    arrivals = calculate_arrivals_per_trial(
        n_cohorts, settings.cohort_size, settings.window_days, interval, accrual
    )
    u = np.random.default_rng(23).random((25, arrivals, 3))
    for backfill in (True, False):
        compiled = simulate_calendar_trials(settings, true_tox, n_cohorts, interval, accrual, u, backfill)
        assert (compiled.backfill_patients.sum() > 0) == backfill  # the scenarios backfill
        for t in range(u.shape[0]):
            selected, escalation, backfilled, dlts, unevaluated, end = replay(
                settings, true_tox, n_cohorts, interval, accrual, u[t], backfill
            )
            assert compiled.selected[t] == selected, (backfill, t)
            assert list(compiled.escalation_patients[t]) == escalation, (backfill, t)
            assert list(compiled.backfill_patients[t]) == backfilled, (backfill, t)
            assert list(compiled.dlts[t]) == dlts, (backfill, t)
            assert compiled.unevaluated_backfill[t] == unevaluated, (backfill, t)
            assert compiled.duration[t] == end, (backfill, t)


def test_no_toxicity_with_a_patient_a_week_traced_by_hand() -> None:
    # Window 28, a patient every 7 days: cohort i enters on days 42(i-1) + 0, 7, 14 and is complete
    # on day 42(i-1) + 42, when the next arrival starts cohort i + 1; the three arrivals between
    # (days +21, +28, +35) are backfilled to the highest open dose: none under cohort 1 (nothing
    # below dose 1), dose 1 under cohort 2, dose 2 under 3, dose 3 under 4. The trial ends on day
    # 4 x 42 = 168; the last three backfill patients (days 147-161) are still in their window.
    oc = simulate_backfill_calendar_operating_characteristics(bf_boin(), (0.0,) * 4, 4, 7.0, "fixed", 3, 1)
    bf, boin = oc.bf_boin, oc.boin
    assert bf.escalation_patients == (3.0, 3.0, 3.0, 3.0)
    assert bf.backfill_patients == (3.0, 3.0, 3.0, 0.0)
    assert (bf.mean_n, bf.mean_backfill_n, bf.mean_unevaluated_backfill_n) == (21.0, 9.0, 3.0)
    assert (bf.mean_duration_days, boin.mean_duration_days) == (168.0, 168.0)
    assert (bf.selection_pct, bf.stop_pct) == ((0.0, 0.0, 0.0, 100.0), 0.0)
    assert (boin.patients, boin.mean_backfill_n) == ((3.0, 3.0, 3.0, 3.0), 0.0)


def test_the_cap_counts_pending_backfill_patients() -> None:
    # Cap 4: dose 1 holds 3 escalation patients, so one backfill patient there, then it is closed.
    oc = simulate_backfill_calendar_operating_characteristics(
        bf_boin(backfill_cap=4), (0.0,) * 4, 3, 7.0, "fixed", 2, 1
    )
    assert oc.bf_boin.backfill_patients == (1.0, 1.0, 0.0, 0.0)


def test_same_seed_same_result_and_bad_input() -> None:
    first = simulate_backfill_calendar_operating_characteristics(bf_boin(), TRUE, 5, 4.0, "poisson", 300, 9)
    again = simulate_backfill_calendar_operating_characteristics(bf_boin(), TRUE, 5, 4.0, "poisson", 300, 9)
    assert first == again
    assert sum(first.bf_boin.selection_pct) + first.bf_boin.stop_pct == pytest.approx(100.0)
    with pytest.raises(InputError, match="accrual_days"):
        simulate_backfill_calendar_operating_characteristics(bf_boin(), TRUE, 5, 0.0, "fixed", 10, 1)
    with pytest.raises(InputError, match="backfill"):
        simulate_backfill_calendar_operating_characteristics(
            bf_boin(backfill=False), TRUE, 5, 7.0, "fixed", 10, 1
        )
    with pytest.raises(InputError, match="trials"):
        simulate_backfill_calendar_operating_characteristics(bf_boin(), TRUE, 5, 7.0, "fixed", 0, 1)

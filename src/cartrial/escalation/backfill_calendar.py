"""BF-BOIN simulated in calendar time (Zhao, Yuan, Korn & Freidlin 2024), paired with plain BOIN.

As the reference implementation R `bfboin` (`sim.one.trial`, which reproduces the paper's and MD
Anderson's app's simulations) runs a trial: patients arrive one at a time, every `accrual_days`
("fixed") or after exponential gaps of that mean ("poisson", the paper's Poisson process). An
arriving patient

1. joins the escalation cohort at the current dose d while it has fewer than `cohort_size`;
2. otherwise, once every escalation patient's outcome is known (a DLT seen, or the window over),
   is the first patient of the next cohort, at the dose the design gives on the data known that day
   (escalation and backfill patients pooled; pending backfill patients never hold the decision);
3. otherwise (the cohort pending) is backfilled to the highest dose open to backfill on that day's
   data (`BackfillBoin.select_backfill_doses`: below d, cleared, safe, under the cap counting pending
   patients), or turned away when none is open.

A patient has a DLT with the dose's true probability, at a time uniform over the DLT window (as the
TITE simulations here; bfboin's Weibull meets the same two points, Pr(DLT by the window) = p and
Pr(DLT by half of it) = p / 2). The trial ends when the last escalation cohort's outcomes are known,
after `n_cohorts` cohorts or when the design stops; its duration runs from the first patient's entry
to that day. The MTD is R BOIN's select.mtd on the outcomes known then; backfill patients still in
their window are not in it (bfboin), and are counted as `unevaluated_backfill`.

The same arrivals and patients' uniforms are run a second time through plain BOIN (no backfill:
patients arriving while a cohort is pending are turned away; get.oc's rule on the same count table),
so the two designs' durations are compared trial by trial. The random input is three uniforms per
arrival (DLT, DLT time, gap to the next arrival), the TITE simulations' per-patient triple: a patient
turned away uses only the gap. The compiled loop is replayed arrival by arrival through the pure
design stacks (tests/escalation/test_backfill_calendar.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from cartrial.errors import InputError
from cartrial.escalation.backfill_simulation import (
    check_backfill_scenario,
    decide_backfill_kernel,
    select_backfill_dose_kernel,
    tabulate_backfill_counts,
)
from cartrial.escalation.configure import DesignSettings
from cartrial.escalation.simulation import BoinRules, make_boin_rules, select_boin_kernel
from cartrial.escalation.tite_simulation import Accrual, calculate_next_arrival, enrol_kernel

# Arrivals drawn per trial beyond the patients who can be treated: the arrivals while cohorts are
# pending are Poisson with mean (total pending days) / accrual_days, at most n_cohorts windows long;
# this many standard deviations (plus a margin) above that mean is never reached in practice.
_ARRIVAL_SIGMAS = 10.0
_ARRIVAL_MARGIN = 10
# Uniforms drawn per block of trials: bounds memory whatever the accrual rate; the number of trials
# per block follows from the arrivals per trial, so a seed gives the same stream for the same scenario.
_UNIFORMS_PER_BLOCK = 1 << 22


@dataclass(frozen=True, slots=True)
class CalendarTrialResults:
    """Per trial of one design: the selected dose index (-1 if none), per dose the escalation and
    backfill patients treated and the DLTs known at the end, the backfill patients still pending at
    the end, and the duration in days."""

    selected: NDArray[np.int64]
    escalation_patients: NDArray[np.int64]
    backfill_patients: NDArray[np.int64]
    dlts: NDArray[np.int64]
    unevaluated_backfill: NDArray[np.int64]
    duration: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CalendarDesignSummary:
    """One design's operating characteristics: percentages 0-100, means per trial."""

    selection_pct: tuple[float, ...]
    escalation_patients: tuple[float, ...]
    backfill_patients: tuple[float, ...]
    patients: tuple[float, ...]
    dlts: tuple[float, ...]
    stop_pct: float
    mean_n: float
    mean_backfill_n: float
    mean_unevaluated_backfill_n: float
    mean_duration_days: float


@dataclass(frozen=True, slots=True)
class BackfillCalendarOperatingCharacteristics:
    """BF-BOIN's operating characteristics in calendar time and plain BOIN's on the same arrivals."""

    bf_boin: CalendarDesignSummary
    boin: CalendarDesignSummary
    trials: int


def calculate_arrivals_per_trial(
    n_cohorts: int, cohort_size: int, window_days: float, accrual_days: float, accrual: Accrual
) -> int:
    """Arrivals drawn per trial: every escalation patient, and the arrivals while cohorts are
    pending (at most n_cohorts windows): exact for fixed accrual, a Poisson bound otherwise."""
    per_window = window_days / accrual_days
    if accrual == "fixed":
        return n_cohorts * (cohort_size + math.ceil(per_window) + 1)
    mean = n_cohorts * per_window
    return (
        n_cohorts * (cohort_size + 1) + math.ceil(mean + _ARRIVAL_SIGMAS * math.sqrt(mean)) + _ARRIVAL_MARGIN
    )


@numba.njit(cache=True, inline="always")
def _resolved_by(
    arrival: NDArray[np.float64],
    tox: NDArray[np.bool_],
    tox_time: NDArray[np.float64],
    window: float,
    first: int,
    m: int,
) -> float:
    """The day the outcomes of patients first..m-1 are all known (a DLT, or the window's end)."""
    end = 0.0
    for i in range(first, m):
        end = max(end, arrival[i] + (tox_time[i] if tox[i] else window))
    return end


@numba.njit(cache=True)
def _simulate_calendar(
    u: NDArray[np.float64],
    p_true: NDArray[np.float64],
    start: int,
    window: float,
    interval: float,
    poisson: bool,
    cohort_size: int,
    n_cohorts: int,
    backfill: bool,
    cap: int,
    table: NDArray[np.int64],
    rules: BoinRules,
    earlystop: int,
    selected: NDArray[np.int64],
    escalation: NDArray[np.int64],
    backfilled: NDArray[np.int64],
    dlts: NDArray[np.int64],
    unevaluated: NDArray[np.int64],
    duration: NDArray[np.float64],
) -> bool:
    """Every trial (rows of u) of BF-BOIN (`backfill`) or plain BOIN; False if a trial ran out of
    drawn arrivals before its end (not expected: see `calculate_arrivals_per_trial`)."""
    n_trials, n_arrivals, _ = u.shape
    k = p_true.shape[0]
    n_max = n_cohorts * cohort_size + (k * cap if backfill else 0)
    arrival = np.empty(n_max)
    dose = np.empty(n_max, dtype=np.int64)
    tox = np.empty(n_max, dtype=np.bool_)
    tox_time = np.empty(n_max)
    marked = np.empty(n_max, dtype=np.bool_)
    live = np.empty(n_max, dtype=np.int64)  # patients whose outcome is not yet known, in order of entry
    n = np.empty(k, dtype=np.int64)
    y = np.empty(k, dtype=np.int64)
    treated = np.empty(k, dtype=np.int64)
    phat = np.empty(k)
    weight = np.empty(k)
    index = np.empty(k, dtype=np.int64)
    level = np.empty(k, dtype=np.int64)
    complete = True
    for t in range(n_trials):
        now = 0.0
        d = start
        filled = 0
        cohorts = 0
        first = 0
        m = 0
        end = -1.0  # known once the last cohort is full or the design stops
        done = False
        n[:] = 0  # known outcomes, kept up to date at each decision point
        y[:] = 0
        treated[:] = 0
        n_live = 0
        for a in range(n_arrivals):
            if end >= 0.0 and now >= end:
                done = True
                break
            if filled == cohort_size:
                resolved = True
                kept = 0
                for slot in range(n_live):
                    i = live[slot]
                    seen = tox[i] and arrival[i] + tox_time[i] <= now
                    if seen or now >= arrival[i] + window:
                        n[dose[i]] += 1
                        y[dose[i]] += seen
                    else:
                        live[kept] = i
                        kept += 1
                        resolved = resolved and marked[i]
                n_live = kept
                if not resolved:
                    b = select_backfill_dose_kernel(n, y, treated, d, table, cap) if backfill else -1
                    if b < 0:
                        now = calculate_next_arrival(u[t, a, 2], now, interval, poisson)
                        continue
                    marked[m] = True
                    backfilled[t, b] += 1
                    treated[b] += 1
                    live[n_live] = m
                    n_live += 1
                    now = enrol_kernel(
                        u[t, a], m, b, now, p_true, window, interval, poisson, arrival, dose, tox, tox_time
                    )
                    m += 1
                    continue
                nxt = decide_backfill_kernel(n, y, d, table, rules, earlystop, backfill)
                if nxt < 0:
                    end = _resolved_by(arrival, tox, tox_time, window, first, m)
                    done = True
                    break
                d = nxt
                filled = 0
            if filled == 0:
                first = m
                cohorts += 1
            marked[m] = False
            escalation[t, d] += 1
            treated[d] += 1
            live[n_live] = m
            n_live += 1
            filled += 1
            now = enrol_kernel(
                u[t, a], m, d, now, p_true, window, interval, poisson, arrival, dose, tox, tox_time
            )
            m += 1
            if filled == cohort_size and cohorts == n_cohorts:
                # The last cohort: the trial ends when its outcomes are known; arrivals until then
                # may still be backfilled.
                end = _resolved_by(arrival, tox, tox_time, window, first, m)
        if not done and (end < 0.0 or now < end):
            complete = False
        duration[t] = end
        n[:] = 0
        known_dlts = dlts[t]
        for i in range(m):
            seen = tox[i] and arrival[i] + tox_time[i] <= end
            if seen or end >= arrival[i] + window:
                n[dose[i]] += 1
                known_dlts[dose[i]] += seen
            else:
                unevaluated[t] += 1
        selected[t] = select_boin_kernel(n, known_dlts, rules, phat, weight, index, level)
    return complete


def simulate_calendar_trials(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_cohorts: int,
    accrual_days: float,
    accrual: Accrual,
    u: NDArray[np.float64],
    backfill: bool = True,
) -> CalendarTrialResults:
    """One trial per row of `u` (arrivals x 3 uniforms): BF-BOIN, or plain BOIN without `backfill`.

    `settings` are BF-BOIN's (design boin, backfill on); the cap is `backfill_cap`."""
    check_backfill_scenario(settings, true_tox, n_cohorts)
    if not accrual_days > 0:
        raise InputError.single("simulate", "accrual_days", f"must be positive, got {accrual_days}")
    k = settings.n_doses
    cap = settings.backfill_cap
    max_n = n_cohorts * settings.cohort_size + k * cap
    n_trials = u.shape[0]
    results = CalendarTrialResults(
        selected=np.zeros(n_trials, dtype=np.int64),
        escalation_patients=np.zeros((n_trials, k), dtype=np.int64),
        backfill_patients=np.zeros((n_trials, k), dtype=np.int64),
        dlts=np.zeros((n_trials, k), dtype=np.int64),
        unevaluated_backfill=np.zeros(n_trials, dtype=np.int64),
        duration=np.zeros(n_trials),
    )
    complete = _simulate_calendar(
        u,
        np.asarray(true_tox, dtype=np.float64),
        settings.start_dose - 1,
        settings.window_days,
        accrual_days,
        accrual == "poisson",
        settings.cohort_size,
        n_cohorts,
        backfill,
        cap,
        tabulate_backfill_counts(settings, max_n),
        make_boin_rules(settings, max_n),
        settings.n_earlystop,
        results.selected,
        results.escalation_patients,
        results.backfill_patients,
        results.dlts,
        results.unevaluated_backfill,
        results.duration,
    )
    if not complete:
        raise RuntimeError("a simulated trial outran its drawn arrivals; draw more per trial")
    return results


def _summarise(sums: dict[str, NDArray[np.float64]], n_trials: int) -> CalendarDesignSummary:
    def per_trial(values: NDArray[np.float64]) -> tuple[float, ...]:
        return tuple(float(x) for x in values / n_trials)

    escalation, backfill = sums["escalation"], sums["backfill"]
    patients = escalation + backfill
    return CalendarDesignSummary(
        selection_pct=tuple(float(c) for c in 100.0 * sums["selected"][1:] / n_trials),
        escalation_patients=per_trial(escalation),
        backfill_patients=per_trial(backfill),
        patients=per_trial(patients),
        dlts=per_trial(sums["dlts"]),
        stop_pct=float(100.0 * sums["selected"][0] / n_trials),
        mean_n=float(patients.sum() / n_trials),
        mean_backfill_n=float(backfill.sum() / n_trials),
        mean_unevaluated_backfill_n=float(sums["unevaluated"][0] / n_trials),
        mean_duration_days=float(sums["duration"][0] / n_trials),
    )


def simulate_backfill_calendar_operating_characteristics(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_cohorts: int,
    accrual_days: float,
    accrual: Accrual,
    n_trials: int,
    seed: int,
) -> BackfillCalendarOperatingCharacteristics:
    """BF-BOIN in calendar time (`settings`: design boin with backfill; cap `backfill_cap`, DLT
    window `window_days`), and plain BOIN on the same arrivals: per dose % selected, escalation,
    backfill and total patients, DLTs; % stopped, mean n, mean backfill n, mean backfill patients
    unevaluated at the end, mean duration in days."""
    check_backfill_scenario(settings, true_tox, n_cohorts)
    if n_trials < 1:
        raise InputError.single("simulate", "trials", f"must be at least 1, got {n_trials}")
    if not accrual_days > 0:
        raise InputError.single("simulate", "accrual_days", f"must be positive, got {accrual_days}")
    arrivals = calculate_arrivals_per_trial(
        n_cohorts, settings.cohort_size, settings.window_days, accrual_days, accrual
    )
    per_block = max(1, _UNIFORMS_PER_BLOCK // (3 * arrivals))
    k = settings.n_doses
    rng = np.random.default_rng(seed)
    totals = {
        design: {
            "selected": np.zeros(k + 1),
            "escalation": np.zeros(k),
            "backfill": np.zeros(k),
            "dlts": np.zeros(k),
            "unevaluated": np.zeros(1),
            "duration": np.zeros(1),
        }
        for design in ("bf_boin", "boin")
    }
    done = 0
    while done < n_trials:
        block = min(per_block, n_trials - done)
        u = rng.random((block, arrivals, 3))
        for design, sums in totals.items():
            results = simulate_calendar_trials(
                settings, true_tox, n_cohorts, accrual_days, accrual, u, backfill=design == "bf_boin"
            )
            sums["selected"] += np.bincount(results.selected + 1, minlength=k + 1)
            sums["escalation"] += results.escalation_patients.sum(axis=0)
            sums["backfill"] += results.backfill_patients.sum(axis=0)
            sums["dlts"] += results.dlts.sum(axis=0)
            sums["unevaluated"] += results.unevaluated_backfill.sum()
            sums["duration"] += results.duration.sum()
        done += block
    return BackfillCalendarOperatingCharacteristics(
        bf_boin=_summarise(totals["bf_boin"], n_trials),
        boin=_summarise(totals["boin"], n_trials),
        trials=n_trials,
    )

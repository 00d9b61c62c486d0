"""Simulation of TITE-CRM and TITE-BOIN trials in calendar time (patients one at a time), compiled with numba.

As dfcrm's `titesim` (surv = "uniform"): patients arrive every `accrual_days` ("fixed") or after
exponential gaps of that mean ("poisson"); a patient has a DLT with the dose's true probability, at a
time uniform over the DLT window. When the next patient arrives, the design decides on the data as of
that day: DLTs seen so far, completed windows, and pending patients weighted by follow-up / window.
Unlike titesim, our TITE-CRM also suspends accrual (the waiting patient enters when enough pending
outcomes resolve) and has the CRM's safety stop. The trial's duration runs from the first patient's
entry to the end of the last patient's DLT window. Three uniforms per patient (DLT, DLT time, gap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
from numpy.typing import NDArray

from cartrial.errors import InputError
from cartrial.escalation.configure import DesignSettings, build_design, make_crm, validate_settings
from cartrial.escalation.designs.boin import calculate_boin_lambdas
from cartrial.escalation.designs.tite_boin import IMPUTATION_PRIOR_SHARE, IMPUTATION_PRIOR_SIZE
from cartrial.escalation.simulation import (
    TRIALS_PER_BLOCK,
    BoinRules,
    CrmKernelModel,
    OperatingCharacteristics,
    make_boin_rules,
    make_crm_kernel_model,
    select_boin_kernel,
    select_crm_kernel,
)

Accrual = Literal["fixed", "poisson"]


@dataclass(frozen=True, slots=True)
class TiteTrialResults:
    selected: NDArray[np.int64]
    patients: NDArray[np.int64]
    dlts: NDArray[np.int64]
    duration: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TiteOperatingCharacteristics:
    characteristics: OperatingCharacteristics
    mean_duration_days: float


@numba.njit(cache=True, inline="always")
def calculate_next_arrival(gap_uniform: float, now: float, interval: float, poisson: bool) -> float:
    """The next arrival after `now`: `interval` days later, or an exponential gap of that mean."""
    return now + (-math.log1p(-gap_uniform) * interval if poisson else interval)


# Inlined into the loops: as a call per patient TITE-BOIN ran about 5% slower.
@numba.njit(cache=True, inline="always")
def enrol_kernel(
    uniforms: NDArray[np.float64],
    j: int,
    d: int,
    now: float,
    p_true: NDArray[np.float64],
    window: float,
    interval: float,
    poisson: bool,
    arrival: NDArray[np.float64],
    dose: NDArray[np.int64],
    tox: NDArray[np.bool_],
    tox_time: NDArray[np.float64],
) -> float:
    """Patient j enters at `now` on dose d (DLT and its time from the patient's uniforms); returns
    the next patient's arrival."""
    arrival[j] = now
    dose[j] = d
    tox[j] = uniforms[0] < p_true[d]
    tox_time[j] = uniforms[1] * window
    return calculate_next_arrival(uniforms[2], now, interval, poisson)


# Settled grid weights are rescaled to sum 1 only when their sum falls below this (underflow guard);
# every use divides by the sum, so the scale is otherwise free.
_RESCALE_BELOW = 1e-100
# Pending patients multiplied into the grid weights per pass over the grid: three covers the usual
# queue (a 28-day window with a patient a week: those who came 7, 14 and 21 days ago) in one pass,
# fused with the sums; four measured slower (the padding costs more than the rare second pass).
_PENDING_PER_PASS = 3


@numba.njit(cache=True, fastmath=True)
def _fold_outcome(settled: NDArray[np.float64], factor: NDArray[np.float64]) -> None:
    """Multiply a resolved outcome's likelihood (p or 1 - p on the grid) into the settled weights."""
    total = 0.0
    for g in range(settled.shape[0]):
        settled[g] *= factor[g]
        total += settled[g]
    if total < _RESCALE_BELOW:
        scale = 1.0 / total
        for g in range(settled.shape[0]):
            settled[g] *= scale


@numba.njit(cache=True)
def _pending_slot(
    pend_dose: NDArray[np.int64], pend_weight: NDArray[np.float64], n_pending: int, m: int
) -> tuple[int, float]:
    """(dose, weight) of pending patient m, or (0, 0.0), a factor of exactly 1, past the last."""
    if m < n_pending:
        return int(pend_dose[m]), float(pend_weight[m])
    return 0, 0.0


@numba.njit(cache=True, fastmath=True)
def _weighted_moments(
    settled: NDArray[np.float64],
    p_rows: NDArray[np.float64],
    pend_dose: NDArray[np.int64],
    pend_weight: NDArray[np.float64],
    n_pending: int,
    beta: NDArray[np.float64],
    over: NDArray[np.float64],
    work: NDArray[np.float64],
) -> tuple[float, float, float]:
    """(total, first, tail) of the TITE posterior: the settled weights times (1 - w p) of each pending
    patient, three per contiguous pass over the grid (a short group padded with weight 0); the last
    pass also sums."""
    grid = settled.shape[0]
    source = settled
    passes = max((n_pending + _PENDING_PER_PASS - 1) // _PENDING_PER_PASS, 1)
    total = 0.0
    first = 0.0
    tail = 0.0
    for done in range(passes):
        m = done * _PENDING_PER_PASS
        da, wa = _pending_slot(pend_dose, pend_weight, n_pending, m)
        db, wb = _pending_slot(pend_dose, pend_weight, n_pending, m + 1)
        dc, wc = _pending_slot(pend_dose, pend_weight, n_pending, m + 2)
        a, b, c = p_rows[da], p_rows[db], p_rows[dc]
        if done < passes - 1:
            for g in range(grid):
                work[g] = source[g] * (1.0 - wa * a[g]) * (1.0 - wb * b[g]) * (1.0 - wc * c[g])
            source = work
        elif n_pending - m == 1:
            for g in range(grid):
                w = source[g] * (1.0 - wa * a[g])
                total += w
                first += w * beta[g]
                tail += w * over[g]
        elif n_pending - m == 2:
            for g in range(grid):
                w = source[g] * (1.0 - wa * a[g]) * (1.0 - wb * b[g])
                total += w
                first += w * beta[g]
                tail += w * over[g]
        else:
            for g in range(grid):
                w = source[g] * (1.0 - wa * a[g]) * (1.0 - wb * b[g]) * (1.0 - wc * c[g])
                total += w
                first += w * beta[g]
                tail += w * over[g]
    return total, first, tail


def calculate_crm_breakpoints(model: CrmKernelModel) -> NDArray[np.float64]:
    """breakpoints[i - 1] = the least posterior mean of beta at which dfcrm's recommendation
    (`select_crm_kernel`) is dose i or higher (0-based; -inf / +inf when always / never).

    The recommendation is a non-decreasing step function of the posterior mean: every dose's
    p = s^exp(mean) (empiric) or 1 / (1 + exp(-(a + exp(mean) x))) with x < 0 (logistic) falls as
    the mean grows, and the skeleton rises with the dose, so the dose closest to the target moves up.
    Each step is found by bisection down to adjacent floats on the kernel itself, so counting the
    breakpoints at or below a mean gives the kernel's answer without its k powers per decision (the
    posterior mean, a weighted average of the grid's nodes, never leaves the searched range)."""
    lowest = float(model.beta.min()) - 1.0
    highest = float(model.beta.max()) + 1.0
    return np.array([_find_breakpoint(model, i, lowest, highest) for i in range(1, model.labels.shape[0])])


@numba.njit(cache=True)
def _find_breakpoint(model: CrmKernelModel, dose: int, lowest: float, highest: float) -> float:
    """The least mean in [lowest, highest] recommending `dose` or higher, to the last float."""
    if select_crm_kernel(lowest, model) >= dose:
        return -np.inf
    if select_crm_kernel(highest, model) < dose:
        return np.inf
    below, above = lowest, highest  # below recommends less than `dose`, above `dose` or more
    while True:
        middle = below + (above - below) / 2.0
        if not below < middle < above:  # adjacent floats
            return above
        if select_crm_kernel(middle, model) >= dose:
            above = middle
        else:
            below = middle


@numba.njit(cache=True, inline="always")
def _select_by_breakpoints(mean: float, breakpoints: NDArray[np.float64]) -> int:
    """`select_crm_kernel` from `calculate_crm_breakpoints` (a NaN mean gives dose 0, as the kernel)."""
    dose = 0
    for b in breakpoints:
        dose += mean >= b
    return dose


@numba.njit(cache=True)
def _simulate_tite_crm(
    u: NDArray[np.float64],
    p_true: NDArray[np.float64],
    start: int,
    window: float,
    interval: float,
    poisson: bool,
    model: CrmKernelModel,
    p_rows: NDArray[np.float64],
    q_rows: NDArray[np.float64],
    breakpoints: NDArray[np.float64],
    max_fraction: float,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
    duration: NDArray[np.float64],
) -> None:
    """The TITE-CRM stack of `build_design` in calendar time. The grid likelihood factorises per
    patient: the completed outcomes are kept as posterior weights on the grid (p_rows[d] = p or
    q_rows[d] = 1 - p multiplied in once, as each outcome resolves), and each decision multiplies in
    only the pending patients' (1 - w p)."""
    n_trials, n_max, _ = u.shape
    k = p_true.shape[0]
    prior, beta, over = model.prior, model.beta, model.over
    min_n, cutoff = model.safety_min_n, model.safety_cutoff
    grid = beta.shape[0]
    arrival = np.empty(n_max)
    dose = np.empty(n_max, dtype=np.int64)
    tox = np.empty(n_max, dtype=np.bool_)
    tox_time = np.empty(n_max)
    complete = np.empty(k, dtype=np.int64)
    live = np.empty(n_max, dtype=np.int64)  # patients not yet folded in, in order of entry
    pend_dose = np.empty(n_max, dtype=np.int64)
    pend_weight = np.empty(n_max)
    settled = np.empty(grid)
    work = np.empty(grid)
    for t in range(n_trials):
        settled[:] = prior
        complete[:] = 0
        now = 0.0
        d = start
        stopped = False
        enrolled = 0
        n_live = 0
        mean = 0.0
        for j in range(n_max):
            if j > 0:
                while True:
                    n_pending = 0
                    for m in range(n_live):
                        i = live[m]
                        seen_dlt = tox[i] and arrival[i] + tox_time[i] <= now
                        if seen_dlt or now >= arrival[i] + window:
                            complete[dose[i]] += 1
                            _fold_outcome(settled, p_rows[dose[i]] if seen_dlt else q_rows[dose[i]])
                        else:
                            live[n_pending] = i
                            pend_dose[n_pending] = dose[i]
                            pend_weight[n_pending] = min((now - arrival[i]) / window, 1.0)
                            n_pending += 1
                    n_live = n_pending
                    current = dose[j - 1]
                    waiting = 0
                    for m in range(n_pending):
                        waiting += pend_dose[m] == current
                    suspend = waiting > max_fraction * (waiting + complete[current])
                    # While suspended only the safety stop matters, and it needs min_n complete at dose 1.
                    if not suspend or complete[0] >= min_n:
                        total, first, tail = _weighted_moments(
                            settled, p_rows, pend_dose, pend_weight, n_pending, beta, over, work
                        )
                        mean = first / total
                        if complete[0] >= min_n and tail / total > cutoff:
                            stopped = True
                            break
                    if suspend:
                        soonest = 1e300
                        for m in range(n_pending):
                            i = live[m]
                            soonest = min(soonest, arrival[i] + (tox_time[i] if tox[i] else window))
                        now = soonest
                        continue
                    d = min(_select_by_breakpoints(mean, breakpoints), current + 1)
                    break
                if stopped:
                    break
            live[n_live] = j
            n_live += 1
            now = enrol_kernel(
                u[t, j], j, d, now, p_true, window, interval, poisson, arrival, dose, tox, tox_time
            )
            patients[t, d] += 1
            dlts[t, d] += tox[j]
            enrolled = j + 1
        duration[t] = arrival[enrolled - 1] + window
        if stopped:
            selected[t] = -1
            continue
        for m in range(n_live):
            i = live[m]
            complete[dose[i]] += 1
            _fold_outcome(settled, p_rows[dose[i]] if tox[i] else q_rows[dose[i]])
        total, first, tail = _weighted_moments(settled, p_rows, pend_dose, pend_weight, 0, beta, over, work)
        if complete[0] >= min_n and tail / total > cutoff:
            selected[t] = -1
        else:
            selected[t] = _select_by_breakpoints(first / total, breakpoints)


@numba.njit(cache=True)
def _simulate_tite_boin(
    u: NDArray[np.float64],
    p_true: NDArray[np.float64],
    start: int,
    window: float,
    interval: float,
    poisson: bool,
    lambda_e: float,
    lambda_d: float,
    rules: BoinRules,
    cap: int,
    max_fraction: float,
    imputation: bool,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
    duration: NDArray[np.float64],
) -> None:
    """The TITE-BOIN stack of `build_design` in calendar time. Lin & Yuan 2020: effective sample size
    at the current dose, elimination on completed patients, the cap, then the suspension rule. With
    `imputation` (Yuan et al. 2018): the certain de-escalation, the core's own suspension, the
    imputed rate, then elimination (which turns a suspension into a de-escalation) and the cap."""
    n_trials, n_max, _ = u.shape
    k = p_true.shape[0]
    arrival = np.empty(n_max)
    dose = np.empty(n_max, dtype=np.int64)
    tox = np.empty(n_max, dtype=np.bool_)
    tox_time = np.empty(n_max)
    complete = np.empty(k, dtype=np.int64)
    toxic = np.empty(k, dtype=np.int64)
    phat = np.empty(k)
    weight = np.empty(k)
    index = np.empty(k, dtype=np.int64)
    level = np.empty(k, dtype=np.int64)
    elim, extra = rules.elim, rules.extra
    for t in range(n_trials):
        now = 0.0
        d = start
        unsafe = False
        capped = False
        enrolled = 0
        for j in range(n_max):
            if j > 0:
                while True:
                    complete[:] = 0
                    toxic[:] = 0
                    current = dose[j - 1]
                    stft = 0.0
                    waiting = 0
                    soonest = 1e300
                    for i in range(j):
                        seen_dlt = tox[i] and arrival[i] + tox_time[i] <= now
                        if seen_dlt or now >= arrival[i] + window:
                            complete[dose[i]] += 1
                            toxic[dose[i]] += seen_dlt
                        else:
                            if dose[i] == current:
                                waiting += 1
                                stft += min((now - arrival[i]) / window, 1.0)
                            soonest = min(soonest, arrival[i] + (tox_time[i] if tox[i] else window))
                    done = complete[current]
                    y = toxic[current]
                    suspend = waiting > max_fraction * (waiting + done)
                    nxt = current
                    if imputation:
                        observed = y / (done + waiting)
                        if waiting > 0 and observed >= lambda_d:
                            nxt = max(current - 1, 0)
                            suspend = False
                        elif not suspend:
                            rate = observed
                            if waiting > 0:
                                pi = (y + IMPUTATION_PRIOR_SHARE * rules.target) / (
                                    done + IMPUTATION_PRIOR_SIZE
                                )
                                rate = (y + pi / (1.0 - pi) * (waiting - stft)) / (done + waiting)
                            if observed < rules.target:
                                if rate <= lambda_e:
                                    nxt = min(current + 1, k - 1)
                            elif rate >= lambda_d:
                                nxt = max(current - 1, 0)
                    else:
                        ess = done + stft
                        if ess > 0:
                            rate = y / ess
                            if rate <= lambda_e:
                                nxt = min(current + 1, k - 1)
                            elif rate >= lambda_d:
                                nxt = max(current - 1, 0)
                    lowest = k
                    n1 = complete[0]
                    if (
                        rules.extra_safe
                        and n1 >= 3
                        and elim[n1] >= 0
                        and extra[n1] >= 0
                        and toxic[0] >= extra[n1]
                    ):
                        lowest = 0
                    else:
                        for m in range(k):
                            if complete[m] >= 3 and elim[complete[m]] >= 0 and toxic[m] >= elim[complete[m]]:
                                lowest = m
                                break
                    if lowest == 0:
                        unsafe = True
                        break
                    nxt = min(nxt, lowest - 1)
                    if imputation and nxt < current:
                        suspend = False  # an elimination redirects the core's suspension
                    if nxt == current and not (imputation and suspend) and done >= cap:
                        capped = True
                        break
                    if suspend:
                        now = soonest
                        continue
                    d = nxt
                    break
                if unsafe or capped:
                    break
            now = enrol_kernel(
                u[t, j], j, d, now, p_true, window, interval, poisson, arrival, dose, tox, tox_time
            )
            patients[t, d] += 1
            dlts[t, d] += tox[j]
            enrolled = j + 1
        duration[t] = arrival[enrolled - 1] + window
        if unsafe:
            selected[t] = -1
        else:
            selected[t] = select_boin_kernel(patients[t], dlts[t], rules, phat, weight, index, level)


def simulate_tite_trials(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_patients: int,
    accrual_days: float,
    accrual: Accrual,
    u: NDArray[np.float64],
) -> TiteTrialResults:
    """One TITE-CRM or TITE-BOIN trial per u[t] (n_patients x 3 uniforms)."""
    validate_settings(settings)
    if settings.design not in ("tite-crm", "tite-boin"):
        raise InputError.single(
            "simulate", "design", "calendar-time simulation is for tite-crm and tite-boin"
        )
    if len(true_tox) != settings.n_doses:
        raise InputError.single("simulate", "true", f"{len(true_tox)} rates for {settings.n_doses} doses")
    if not accrual_days > 0:
        raise InputError.single("simulate", "accrual_days", f"must be positive, got {accrual_days}")
    n_trials = u.shape[0]
    selected = np.zeros(n_trials, dtype=np.int64)
    patients = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    dlts = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    duration = np.zeros(n_trials)
    if settings.design == "tite-boin":
        assert settings.target is not None  # validate_settings guarantees it
        build_design(settings)  # validates the BOIN settings
        lambda_e, lambda_d = calculate_boin_lambdas(settings.target, settings.p_saf, settings.p_tox)
        _simulate_tite_boin(
            u,
            np.asarray(true_tox, dtype=np.float64),
            settings.start_dose - 1,
            settings.window_days,
            accrual_days,
            accrual == "poisson",
            lambda_e,
            lambda_d,
            make_boin_rules(settings, n_patients),
            settings.n_earlystop,
            settings.max_pending_fraction,
            settings.tite_method == "yuan2018",
            selected,
            patients,
            dlts,
            duration,
        )
        return TiteTrialResults(selected, patients, dlts, duration)
    assert settings.target is not None  # validate_settings guarantees it
    crm = make_crm(settings)
    grid = crm.grid
    model = make_crm_kernel_model(crm)
    _simulate_tite_crm(
        u,
        np.asarray(true_tox, dtype=np.float64),
        settings.start_dose - 1,
        settings.window_days,
        accrual_days,
        accrual == "poisson",
        model,
        np.ascontiguousarray(np.exp(grid.log_p).T),
        np.ascontiguousarray(np.exp(grid.log_q).T),
        calculate_crm_breakpoints(model),
        settings.max_pending_fraction,
        selected,
        patients,
        dlts,
        duration,
    )
    return TiteTrialResults(selected, patients, dlts, duration)


def simulate_tite_operating_characteristics(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_patients: int,
    accrual_days: float,
    accrual: Accrual,
    n_trials: int,
    seed: int,
) -> TiteOperatingCharacteristics:
    """Operating characteristics and mean trial duration (days) of a TITE-CRM or TITE-BOIN."""
    if n_patients < 1 or n_trials < 1:
        raise InputError.single("simulate", "trials" if n_trials < 1 else "max_n", "must be at least 1")
    rng = np.random.default_rng(seed)
    counts = np.zeros(settings.n_doses + 1, dtype=np.int64)
    patient_sum = np.zeros(settings.n_doses)
    dlt_sum = np.zeros(settings.n_doses)
    duration_sum = 0.0
    done = 0
    while done < n_trials:
        block = min(TRIALS_PER_BLOCK, n_trials - done)
        results = simulate_tite_trials(
            settings, true_tox, n_patients, accrual_days, accrual, rng.random((block, n_patients, 3))
        )
        counts += np.bincount(results.selected + 1, minlength=settings.n_doses + 1)
        patient_sum += results.patients.sum(axis=0)
        dlt_sum += results.dlts.sum(axis=0)
        duration_sum += float(results.duration.sum())
        done += block
    oc = OperatingCharacteristics(
        selection_pct=tuple(float(c) for c in 100.0 * counts[1:] / n_trials),
        patients=tuple(float(x) for x in patient_sum / n_trials),
        dlts=tuple(float(x) for x in dlt_sum / n_trials),
        stop_pct=float(100.0 * counts[0] / n_trials),
        mean_n=float(patient_sum.sum() / n_trials),
        trials=n_trials,
    )
    return TiteOperatingCharacteristics(oc, duration_sum / n_trials)

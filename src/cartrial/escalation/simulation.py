"""Operating characteristics by simulation, vectorised across trials (compiled with numba).

The random input of a trial is one uniform per cohort: the cohort's DLT count is the binomial
quantile of that uniform at the cohort's true DLT probability, so the same uniforms can be replayed
through the pure `Design` objects to check the compiled loops (tests/escalation/test_simulation.py).
Interval designs (BOIN, mTPI-2, i3+3) run from their signal table, the same
function their `decide` uses; the loop and the MTD selection follow R BOIN's get.oc and select.mtd.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

from cartrial.errors import InputError
from cartrial.escalation.configure import (
    DesignSettings,
    build_design,
    make_crm,
    make_interval_core,
    select_mtd,
    validate_settings,
)
from cartrial.escalation.designs.crm import CRM_SAFETY_MIN_N, Crm
from cartrial.escalation.designs.interval import tabulate_signals
from cartrial.escalation.designs.threeplusthree import THREE_PLUS_THREE_COHORT
from cartrial.escalation.rules import calculate_elimination_count
from cartrial.escalation.selection import SELECTION_PRIOR, SELECTION_TIE_BREAK
from cartrial.escalation.state import outcomes_from_counts

# The designs with a cohort-by-cohort compiled loop; tite-crm runs in calendar time (tite_simulation).
SIMULATED_DESIGNS = ("3+3", "boin", "mtpi2", "i3+3", "crm")
# CRM grid weights are rescaled to sum 1 when their sum falls below this (far from underflow).
_RESCALE_BELOW = 1e-100
# Trials simulated per block of random numbers: bounds memory, and fixes the stream a seed gives.
TRIALS_PER_BLOCK = 1 << 16


@dataclass(frozen=True, slots=True)
class TrialResults:
    """Per simulated trial: the selected dose index (-1 if none), patients and DLTs per dose."""

    selected: NDArray[np.int64]
    patients: NDArray[np.int64]
    dlts: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics:
    """get.oc's summary: percentages 0-100, means per trial; stopped trials select no dose."""

    selection_pct: tuple[float, ...]
    patients: tuple[float, ...]
    dlts: tuple[float, ...]
    stop_pct: float
    mean_n: float
    trials: int


def draw_cohort_uniforms(n_trials: int, n_cohorts: int, seed: int) -> NDArray[np.float64]:
    """The random input of `n_trials` trials: one uniform per cohort, from numpy's PCG64."""
    return np.random.default_rng(seed).random((n_trials, n_cohorts))


def calculate_binomial_cdf(true_tox: Sequence[float], cohort_size: int) -> NDArray[np.float64]:
    """cdf[d, k] = Pr(at most k DLTs in a cohort at dose d)."""
    k = np.arange(cohort_size + 1)
    return np.asarray([binom.cdf(k, cohort_size, p) for p in true_tox], dtype=np.float64)


@numba.njit(cache=True, inline="always")
def _cohort_dlts(u: float, cdf_row: NDArray[np.float64]) -> int:
    k = 0
    while k < cdf_row.shape[0] - 1 and u > cdf_row[k]:
        k += 1
    return k


@numba.njit(cache=True)
def _pava(x: NDArray[np.float64], w: NDArray[np.float64], m: int, level: NDArray[np.int64]) -> None:
    """In-place weighted PAVA of x[:m], first violation first (R BOIN's `pava`); `level` is scratch."""
    for i in range(m):
        level[i] = i
    while True:
        v = -1
        for i in range(m - 1):
            if x[i + 1] < x[i]:
                v = i
                break
        if v < 0:
            return
        a = level[v]
        b = level[v + 1]
        num = 0.0
        den = 0.0
        for k in range(m):
            if level[k] == a or level[k] == b:
                num += x[k] * w[k]
                den += w[k]
        for k in range(m):
            if level[k] == a or level[k] == b:
                x[k] = num / den
                level[k] = a


class BoinRules(NamedTuple):
    """R BOIN's elimination and select.mtd settings as the compiled loops take them (a named tuple,
    so numba takes it as one argument)."""

    target: float
    elim: NDArray[np.int64]
    """elim[n]: the fewest DLTs among n that eliminate a dose, -1 where none does."""
    extra: NDArray[np.int64]
    """The same at the extra-safe cut-off (cutoff_eli - offset), for the lowest dose."""
    extra_safe: bool
    prior: float
    tie_break: float


def make_boin_rules(settings: DesignSettings, max_n: int) -> BoinRules:
    """The elimination tables up to `max_n` patients at a dose, and select.mtd's constants."""
    assert settings.target is not None  # validate_settings guarantees it
    return BoinRules(
        settings.target,
        calculate_elimination_table(settings.target, settings.cutoff_eli, max_n),
        calculate_elimination_table(settings.target, settings.cutoff_eli - settings.offset, max_n),
        settings.extra_safe,
        SELECTION_PRIOR,
        SELECTION_TIE_BREAK,
    )


# Inlined into the loops: called once per trial with BoinRules, it cost BOIN about 4%.
@numba.njit(cache=True, inline="always")
def select_boin_kernel(
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    rules: BoinRules,
    phat: NDArray[np.float64],
    weight: NDArray[np.float64],
    index: NDArray[np.int64],
    level: NDArray[np.int64],
) -> int:
    """R BOIN select.mtd on one trial's counts; elimination by the precomputed count tables.

    phat, weight, index and level are scratch arrays of the number of doses.
    """
    elim, extra, prior = rules.elim, rules.extra, rules.prior
    tie_break, target = rules.tie_break, rules.target
    ndose = n.shape[0]
    first_elim = ndose
    for i in range(ndose):
        if n[i] >= 3 and elim[n[i]] >= 0 and y[i] >= elim[n[i]]:
            first_elim = i
            break
    if rules.extra_safe and n[0] >= 3 and extra[n[0]] >= 0 and y[0] >= extra[n[0]]:
        first_elim = 0
    if first_elim == 0:
        return -1
    j = 0
    for i in range(first_elim):
        if n[i] > 0:
            a = y[i] + prior
            b = n[i] - y[i] + prior
            t = n[i] + 2 * prior
            phat[j] = a / t
            weight[j] = 1.0 / (a * b / (t * t * (t + 1.0)))
            index[j] = i
            j += 1
    m = j
    if m == 0:
        return -1
    _pava(phat, weight, m, level)
    best = 0
    best_distance = 1e300
    for j in range(m):
        distance = abs(phat[j] + (j + 1) * tie_break - target)
        if distance < best_distance:
            best_distance = distance
            best = j
    return int(index[best])


@numba.njit(cache=True)
def _simulate_interval(
    u: NDArray[np.float64],
    cdf: NDArray[np.float64],
    cohort_size: int,
    start: int,
    signal: NDArray[np.int64],
    rules: BoinRules,
    cap: int,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
) -> None:
    """R BOIN get.oc's loop for every trial (rows of u), with the design's signal table."""
    n_trials, n_cohorts = u.shape
    elim, extra, extra_safe = rules.elim, rules.extra, rules.extra_safe
    ndose = cdf.shape[0]
    eliminated = np.zeros(ndose, dtype=np.bool_)
    phat = np.empty(ndose)
    weight = np.empty(ndose)
    index = np.empty(ndose, dtype=np.int64)
    level = np.empty(ndose, dtype=np.int64)
    for t in range(n_trials):
        n = patients[t]
        y = dlts[t]
        eliminated[:] = False
        d = start
        stopped = False
        for i in range(n_cohorts):
            y[d] += _cohort_dlts(u[t, i], cdf[d])
            n[d] += cohort_size
            if i == n_cohorts - 1:
                break
            nd = n[d]
            if elim[nd] >= 0:
                if y[d] >= elim[nd]:
                    for k in range(d, ndose):
                        eliminated[k] = True
                    if d == 0:
                        stopped = True
                        break
                if extra_safe and d == 0 and extra[nd] >= 0 and y[0] >= extra[nd]:
                    stopped = True
                    break
            s = signal[nd, y[d]]
            blocked_up = d == ndose - 1 or eliminated[d + 1]
            if nd >= cap and (s == 0 or (d == 0 and s < 0) or (blocked_up and s > 0)):
                break
            if s > 0 and not blocked_up:
                d += 1
            elif s < 0 and d > 0:
                d -= 1
        if stopped:
            selected[t] = -1
        else:
            selected[t] = select_boin_kernel(n, y, rules, phat, weight, index, level)


@numba.njit(cache=True)
def _too_toxic(n: int, y: int, accept_two_of_six: bool) -> bool:
    if accept_two_of_six and n == 6 and y == 2:
        return False
    return y >= 2


@numba.njit(cache=True)
def _three_plus_three_mtd(n: NDArray[np.int64], y: NDArray[np.int64], confirm: bool, accept: bool) -> int:
    needed = 6 if confirm else 3
    best = -1
    for k in range(n.shape[0]):
        if _too_toxic(n[k], y[k], accept):
            break
        if n[k] >= needed and (n[k] == 6 or y[k] == 0):
            best = k
    return best


@numba.njit(cache=True)
def _simulate_three_plus_three(
    u: NDArray[np.float64],
    cdf: NDArray[np.float64],
    start: int,
    confirm: bool,
    accept: bool,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
) -> None:
    """The 3+3 rule of `ThreePlusThree.decide`, cohort by cohort, for every trial."""
    n_trials, n_cohorts = u.shape
    ndose = cdf.shape[0]
    for t in range(n_trials):
        n = patients[t]
        y = dlts[t]
        d = start
        for i in range(n_cohorts):
            y[d] += _cohort_dlts(u[t, i], cdf[d])
            n[d] += 3
            ceiling = ndose
            for k in range(ndose):
                if _too_toxic(n[k], y[k], accept):
                    ceiling = k
                    break
            if _too_toxic(n[d], y[d], accept):
                if d == 0:
                    break
                lower = d - 1
                if n[lower] == 0 or (n[lower] < 6 and confirm):
                    d = lower
                    continue
                break
            if n[d] == 3 and y[d] > 0:
                continue
            if y[d] == 2:
                break
            if d + 1 < ceiling:
                d += 1
                continue
            if n[d] == 3 and confirm:
                continue
            break
        selected[t] = _three_plus_three_mtd(n, y, confirm, accept)


class CrmKernelModel(NamedTuple):
    """What the compiled CRM and TITE-CRM loops need of a CRM, computed once per scenario (a named
    tuple, so numba takes it as one argument)."""

    prior: NDArray[np.float64]
    """Quadrature weight times prior density per grid node, normalised to sum 1."""
    beta: NDArray[np.float64]
    over: NDArray[np.float64]
    """1.0 where the lowest dose's p exceeds the target (the safety stop's tail), else 0.0."""
    labels: NDArray[np.float64]
    logistic: bool
    intercept: float
    target: float
    safety_cutoff: float
    safety_min_n: int


def make_crm_kernel_model(crm: Crm) -> CrmKernelModel:
    prior = np.exp(crm.grid.log_weight - crm.grid.log_weight.max())
    return CrmKernelModel(
        prior / prior.sum(),
        crm.grid.beta,
        (np.exp(crm.grid.log_p[:, 0]) > crm.target).astype(np.float64),
        np.asarray(crm.model.dose_labels, dtype=np.float64),
        crm.model.model == "logistic",
        crm.model.intercept,
        crm.target,
        crm.safety_cutoff,
        CRM_SAFETY_MIN_N,
    )


@numba.njit(cache=True)
def select_crm_kernel(mean: float, model: CrmKernelModel) -> int:
    """dfcrm's `mtd` from the curve at the posterior mean of beta (0-based)."""
    labels, logistic, intercept, target = model.labels, model.logistic, model.intercept, model.target
    k: int = labels.shape[0]
    slope = math.exp(mean)
    below = 0
    above = 0
    best = 0
    best_distance = 1e300
    for j in range(k):
        p = (
            1.0 / (1.0 + math.exp(-(intercept + slope * labels[j])))
            if logistic
            else float(labels[j] ** slope)
        )
        below += p <= target
        above += p >= target
        distance = abs(p - target)
        if distance < best_distance:
            best_distance = distance
            best = j
    if below == k:
        return k - 1
    if above == k:
        return 0
    return best


@numba.njit(cache=True)
def _simulate_crm(
    u: NDArray[np.float64],
    cdf: NDArray[np.float64],
    cohort_size: int,
    start: int,
    factor: NDArray[np.float64],
    model: CrmKernelModel,
    coherent: bool,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
) -> None:
    """The CRM of `Crm.decide` for every trial; the posterior on the grid is updated by multiplying in
    each cohort's likelihood factor[d, dlts, g] = p^dlts (1 - p)^(size - dlts); the weights are
    rescaled only when their sum gets small enough to risk underflow."""
    n_trials, n_cohorts = u.shape
    prior, beta, over, target = model.prior, model.beta, model.over, model.target
    grid = beta.shape[0]
    w = np.empty(grid)
    for t in range(n_trials):
        n = patients[t]
        y = dlts[t]
        w[:] = prior
        d = start
        stopped = False
        mean = 0.0
        for i in range(n_cohorts):
            tox = _cohort_dlts(u[t, i], cdf[d])
            y[d] += tox
            n[d] += cohort_size
            total = 0.0
            first = 0.0
            tail = 0.0
            for g in range(grid):
                w[g] *= factor[d, tox, g]
                total += w[g]
                first += w[g] * beta[g]
                tail += w[g] * over[g]
            if total < _RESCALE_BELOW:
                for g in range(grid):
                    w[g] /= total
            mean = first / total
            if n[0] >= model.safety_min_n and tail / total > model.safety_cutoff:
                stopped = True
                break
            if i == n_cohorts - 1:
                break
            best = select_crm_kernel(mean, model)
            # dfcrm's coherence: no escalation right after a cohort with DLT rate >= target.
            d = min(best, d if coherent and tox / cohort_size >= target else d + 1)
        selected[t] = -1 if stopped else select_crm_kernel(mean, model)


def calculate_elimination_table(target: float, cutoff: float, max_n: int) -> NDArray[np.int64]:
    """table[n]: the fewest DLTs among n that eliminate a dose, -1 where none does (R get.boundary)."""
    return np.asarray(
        [-1] + [calculate_elimination_count(n, target, cutoff) or -1 for n in range(1, max_n + 1)],
        dtype=np.int64,
    )


def check_true_rates(settings: DesignSettings, true_tox: Sequence[float]) -> None:
    """One true DLT probability in [0, 1] per dose, or bad input naming the rate."""
    if len(true_tox) != settings.n_doses:
        raise InputError.single("simulate", "true", f"{len(true_tox)} rates for {settings.n_doses} doses")
    for i, p in enumerate(true_tox):
        if not 0 <= p <= 1:
            raise InputError.single("simulate", f"true[{i}]", f"a probability must lie in [0, 1], got {p}")


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything a compiled loop needs, computed once per scenario."""

    settings: DesignSettings
    cdf: NDArray[np.float64]
    signal: NDArray[np.int64]
    rules: BoinRules | None = None
    crm: Crm | None = None
    crm_factor: NDArray[np.float64] | None = None


def _plan(settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int) -> _Plan:
    validate_settings(settings)
    if settings.design not in SIMULATED_DESIGNS:
        raise InputError.single(
            "simulate",
            "design",
            f"{settings.design!r} has no cohort-by-cohort simulation (only {', '.join(SIMULATED_DESIGNS)})",
        )
    if settings.backfill:
        raise InputError.single(
            "simulate",
            "backfill",
            "BF-BOIN is simulated by backfill_simulation (escalation + backfill cohorts)",
        )
    check_true_rates(settings, true_tox)
    empty = np.zeros((1, 1), dtype=np.int64)
    if settings.design == "3+3":
        cdf = calculate_binomial_cdf(true_tox, THREE_PLUS_THREE_COHORT)
        return _Plan(settings, cdf, empty)
    if settings.design == "crm":
        assert settings.target is not None  # validate_settings guarantees it
        crm = make_crm(settings)
        size = settings.cohort_size
        tox = np.arange(size + 1)[None, :, None]
        p_grid = np.exp(crm.grid.log_p).T[:, None, :]
        factor = p_grid**tox * (1 - p_grid) ** (size - tox)
        cdf = calculate_binomial_cdf(true_tox, size)
        return _Plan(settings, cdf, empty, None, crm, np.ascontiguousarray(factor))
    max_n = n_cohorts * settings.cohort_size
    table = tabulate_signals(make_interval_core(settings).signal, max_n)
    signal = np.zeros((max_n + 1, max_n + 1), dtype=np.int64)
    for n, row in enumerate(table):
        signal[n, : len(row)] = row
    return _Plan(
        settings,
        calculate_binomial_cdf(true_tox, settings.cohort_size),
        signal,
        make_boin_rules(settings, max_n),
    )


def _run(plan: _Plan, u: NDArray[np.float64]) -> TrialResults:
    settings = plan.settings
    n_trials = u.shape[0]
    selected = np.zeros(n_trials, dtype=np.int64)
    patients = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    dlts = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    start = settings.start_dose - 1
    if settings.design == "3+3":
        _simulate_three_plus_three(
            u,
            plan.cdf,
            start,
            settings.confirm_mtd_with_six,
            settings.accept_two_of_six,
            selected,
            patients,
            dlts,
        )
    elif plan.crm is not None and plan.crm_factor is not None:
        _simulate_crm(
            u,
            plan.cdf,
            settings.cohort_size,
            start,
            plan.crm_factor,
            make_crm_kernel_model(plan.crm),
            settings.coherent_escalation,
            selected,
            patients,
            dlts,
        )
    else:
        assert plan.rules is not None  # _plan makes them for the interval designs
        _simulate_interval(
            u,
            plan.cdf,
            settings.cohort_size,
            start,
            plan.signal,
            plan.rules,
            settings.n_earlystop,
            selected,
            patients,
            dlts,
        )
    return TrialResults(selected, patients, dlts)


def simulate_trials(
    settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int, u: NDArray[np.float64]
) -> TrialResults:
    """Run one trial per row of `u` (uniforms per cohort) under `settings` and the true DLT rates."""
    return _run(_plan(settings, true_tox, n_cohorts), u)


def simulate_operating_characteristics(
    settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int, n_trials: int, seed: int
) -> OperatingCharacteristics:
    """get.oc: selection %, mean patients and DLTs per dose, % stopped, mean sample size."""
    if n_cohorts < 1:
        raise InputError.single("simulate", "cohorts", f"must be at least 1, got {n_cohorts}")
    if n_trials < 1:
        raise InputError.single("simulate", "trials", f"must be at least 1, got {n_trials}")
    plan = _plan(settings, true_tox, n_cohorts)
    rng = np.random.default_rng(seed)
    counts = np.zeros(settings.n_doses + 1, dtype=np.int64)
    patient_sum = np.zeros(settings.n_doses)
    dlt_sum = np.zeros(settings.n_doses)
    done = 0
    while done < n_trials:
        block = min(TRIALS_PER_BLOCK, n_trials - done)
        results = _run(plan, rng.random((block, n_cohorts)))
        counts += np.bincount(results.selected + 1, minlength=settings.n_doses + 1)
        patient_sum += results.patients.sum(axis=0)
        dlt_sum += results.dlts.sum(axis=0)
        done += block
    return OperatingCharacteristics(
        selection_pct=tuple(float(c) for c in 100.0 * counts[1:] / n_trials),
        patients=tuple(float(x) for x in patient_sum / n_trials),
        dlts=tuple(float(x) for x in dlt_sum / n_trials),
        stop_pct=float(100.0 * counts[0] / n_trials),
        mean_n=float(patient_sum.sum() / n_trials),
        trials=n_trials,
    )


def calculate_exact_operating_characteristics(
    settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int
) -> OperatingCharacteristics:
    """Exact operating characteristics by enumerating every cohort outcome through the pure design.

    Feasible for designs that end after few cohorts (the 3+3); the check on the simulator. The trial
    ends when the design stops or after `n_cohorts` cohorts, as in the simulation.
    """
    design = build_design(settings)
    size = THREE_PLUS_THREE_COHORT if settings.design == "3+3" else settings.cohort_size
    pmf = [binom.pmf(np.arange(size + 1), size, p) for p in true_tox]
    k = settings.n_doses
    selection = np.zeros(k + 1)
    patients = np.zeros(k)
    dlts = np.zeros(k)

    def visit(
        treated: tuple[int, ...], toxic: tuple[int, ...], dose: int, cohorts: int, weight: float
    ) -> None:
        if cohorts == n_cohorts:
            finish(treated, toxic, weight)
            return
        for count in range(size + 1):
            w = weight * float(pmf[dose - 1][count])
            if w == 0.0:
                continue
            n = tuple(x + size * (i == dose - 1) for i, x in enumerate(treated))
            y = tuple(x + count * (i == dose - 1) for i, x in enumerate(toxic))
            decision = design.decide(outcomes_from_counts(n, y, dose))
            if decision.stop or decision.next_dose is None or cohorts + 1 == n_cohorts:
                finish(n, y, w)
            else:
                visit(n, y, decision.next_dose, cohorts + 1, w)

    def finish(treated: tuple[int, ...], toxic: tuple[int, ...], weight: float) -> None:
        mtd = select_mtd(outcomes_from_counts(treated, toxic, None), settings).mtd
        selection[0 if mtd is None else mtd] += weight
        patients[:] += weight * np.asarray(treated)
        dlts[:] += weight * np.asarray(toxic)

    visit((0,) * k, (0,) * k, settings.start_dose, 0, 1.0)
    return OperatingCharacteristics(
        selection_pct=tuple(float(x) for x in 100.0 * selection[1:]),
        patients=tuple(float(x) for x in patients),
        dlts=tuple(float(x) for x in dlts),
        stop_pct=float(100.0 * selection[0]),
        mean_n=float(patients.sum()),
        trials=0,
    )

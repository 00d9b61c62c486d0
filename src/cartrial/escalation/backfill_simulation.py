"""BF-BOIN operating characteristics by simulation: escalation cohorts plus backfill cohorts.

Time is modelled simply (see docs/escalation.md, "BF-BOIN simulation"): each escalation cohort is
treated at the current dose d; while it waits out its DLT window, one backfill cohort of up to
`backfill_size` patients is treated at the highest dose open to backfill (`BackfillBoin`'s
`backfill_open`: below d, and never more patients than `backfill_cap` leaves room for); both cohorts'
outcomes are complete at the next decision, which pools them. The trial ends after `n_cohorts`
escalation cohorts or when the design stops.

The random input of a trial is two uniforms per escalation cohort: [.., 0] gives the escalation
cohort's DLT count and [.., 1] the backfill cohort's, each the binomial quantile at its dose and size.
The compiled loop decides from R BOIN's count table (the same `calculate_boin_row` the pure
`BackfillBoin` reads) and is replayed trial by trial through the pure design stack on the same
uniforms (tests/escalation/test_backfill_simulation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

from cartrial.errors import InputError
from cartrial.escalation.configure import DesignSettings, validate_settings
from cartrial.escalation.designs.boin import calculate_boin_row, calculate_validated_boin_lambdas
from cartrial.escalation.simulation import (
    TRIALS_PER_BLOCK,
    BoinRules,
    check_true_rates,
    make_boin_rules,
    select_boin_kernel,
)

_ESCALATE, _STAY, _DEESCALATE, _ELIMINATE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class BackfillTrialResults:
    """Per simulated trial: the selected dose index (-1 if none), and per dose the escalation and
    backfill patients and the DLTs (both pooled)."""

    selected: NDArray[np.int64]
    escalation_patients: NDArray[np.int64]
    backfill_patients: NDArray[np.int64]
    dlts: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BackfillOperatingCharacteristics:
    """Percentages 0-100 and means per trial; stopped trials select no dose."""

    selection_pct: tuple[float, ...]
    escalation_patients: tuple[float, ...]
    backfill_patients: tuple[float, ...]
    patients: tuple[float, ...]
    dlts: tuple[float, ...]
    stop_pct: float
    mean_n: float
    mean_backfill_n: float
    trials: int


def draw_backfill_uniforms(n_trials: int, n_cohorts: int, seed: int) -> NDArray[np.float64]:
    """The random input of `n_trials` trials: two uniforms per escalation cohort (numpy PCG64)."""
    return np.random.default_rng(seed).random((n_trials, n_cohorts, 2))


def calculate_sized_binomial_cdf(true_tox: Sequence[float], max_size: int) -> NDArray[np.float64]:
    """cdf[m, d, k] = Pr(at most k DLTs among m patients at dose d); 1 beyond k = m."""
    cdf = np.ones((max_size + 1, len(true_tox), max_size + 1))
    for m in range(1, max_size + 1):
        for d, p in enumerate(true_tox):
            cdf[m, d, : m + 1] = binom.cdf(np.arange(m + 1), m, p)
    return cdf


def tabulate_backfill_counts(settings: DesignSettings, max_n: int) -> NDArray[np.int64]:
    """table[n] = (escalate at most, de-escalate at least, eliminate at least or -1): R BOIN's count
    table at n patients, the n = 1 row at n = 0 (as `BackfillBoin` and R bfboin read it)."""
    assert settings.target is not None  # validate_settings guarantees it
    lambda_e, lambda_d = calculate_validated_boin_lambdas(settings.target, settings.p_saf, settings.p_tox)
    table = np.empty((max_n + 1, 3), dtype=np.int64)
    for n in range(max_n + 1):
        row = calculate_boin_row(max(n, 1), settings.target, lambda_e, lambda_d, settings.cutoff_eli)
        eliminate = -1 if row.eliminate_at_least is None else row.eliminate_at_least
        table[n] = (row.escalate_at_most, row.deescalate_at_least, eliminate)
    return table


@numba.njit(cache=True, inline="always")
def _count_dlts(u: float, cdf_row: NDArray[np.float64]) -> int:
    k = 0
    while k < cdf_row.shape[0] - 1 and u > cdf_row[k]:
        k += 1
    return k


@numba.njit(cache=True)
def _verdict(n: int, y: int, table: NDArray[np.int64]) -> int:
    if y <= table[n, 0]:
        return _ESCALATE
    if table[n, 2] >= 0 and y >= table[n, 2]:
        return _ELIMINATE
    if y >= table[n, 1]:
        return _DEESCALATE
    return _STAY


@numba.njit(cache=True)
def select_backfill_dose_kernel(
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    treated: NDArray[np.int64],
    d: int,
    table: NDArray[np.int64],
    cap: int,
) -> int:
    """`BackfillBoin.select_backfill_doses`' highest open dose below d (0-based), -1 if none: n, y
    count known outcomes, `treated` every patient treated (pending ones too), against the cap."""
    best = -1
    for level in range(d):
        alone = y[level] < table[n[level], 1]
        pooled = y[level] + y[level + 1] < table[n[level] + n[level + 1], 1]
        if not (alone or pooled):
            break
        if n[level] > 0 and treated[level] < cap:  # an untried dose is not cleared for backfill
            best = level
    return best


@numba.njit(cache=True)
def decide_backfill_kernel(
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    d: int,
    table: NDArray[np.int64],
    rules: BoinRules,
    earlystop: int,
    pool: bool,
) -> int:
    """The next dose (0-based) of `BackfillBoin` under elimination and the n-at-dose stop; -1 = stop.
    Without `pool` the lower doses are not consulted: plain BOIN (get.oc's rule) on the same table."""
    ndose = n.shape[0]
    own = _verdict(n[d], y[d], table)
    conflict = -1
    for k in range(d if pool else 0):
        v = _verdict(n[k], y[k], table)
        if (own == _ESCALATE and v != _ESCALATE) or (own != _ESCALATE and v >= _DEESCALATE):
            conflict = k
    if conflict < 0:
        nxt = d + 1 if own == _ESCALATE else (d if own == _STAY else d - 1)
        nxt = min(max(nxt, 0), ndose - 1)
    else:
        pn = 0
        py = 0
        for k in range(conflict, d + 1):
            pn += n[k]
            py += y[k]
        if py <= table[pn, 0]:
            nxt = min(d + 1, ndose - 1)
        elif py >= table[pn, 1]:
            nxt = conflict - 1
            cn = 0
            cy = 0
            for k in range(conflict, d + 1):
                cn += n[k]
                cy += y[k]
                if cy < table[cn, 1]:
                    nxt = k
            nxt = max(nxt, 0)
        else:
            nxt = d
    # EliminateToxicDoses (in trial, as R get.oc): the extra-safe rule where the table has an entry.
    elim, extra = rules.elim, rules.extra
    lowest = ndose
    if rules.extra_safe and n[0] >= 3 and elim[n[0]] >= 0 and extra[n[0]] >= 0 and y[0] >= extra[n[0]]:
        lowest = 0
    else:
        for k in range(ndose):
            if elim[n[k]] >= 0 and y[k] >= elim[n[k]]:
                lowest = k
                break
    if lowest == 0:
        return -1
    if nxt >= lowest:
        nxt = lowest - 1
    if nxt == d and n[d] >= earlystop:
        return -1
    return nxt


@numba.njit(cache=True)
def _simulate_backfill(
    u: NDArray[np.float64],
    cdf: NDArray[np.float64],
    cohort_size: int,
    backfill_size: int,
    backfill_cap: int,
    start: int,
    table: NDArray[np.int64],
    rules: BoinRules,
    earlystop: int,
    selected: NDArray[np.int64],
    escalation: NDArray[np.int64],
    backfill: NDArray[np.int64],
    dlts: NDArray[np.int64],
) -> None:
    n_trials, n_cohorts, _ = u.shape
    ndose = escalation.shape[1]
    n = np.zeros(ndose, dtype=np.int64)
    phat = np.empty(ndose)
    weight = np.empty(ndose)
    index = np.empty(ndose, dtype=np.int64)
    level = np.empty(ndose, dtype=np.int64)
    for t in range(n_trials):
        y = dlts[t]
        n[:] = 0
        d = start
        for i in range(n_cohorts):
            b = select_backfill_dose_kernel(n, y, n, d, table, backfill_cap) if backfill_size > 0 else -1
            escalation[t, d] += cohort_size
            n[d] += cohort_size
            y[d] += _count_dlts(u[t, i, 0], cdf[cohort_size, d])
            if b >= 0:
                m = min(backfill_size, backfill_cap - n[b])
                backfill[t, b] += m
                n[b] += m
                y[b] += _count_dlts(u[t, i, 1], cdf[m, b])
            if i == n_cohorts - 1:
                break
            d = decide_backfill_kernel(n, y, d, table, rules, earlystop, True)
            if d < 0:
                break
        selected[t] = select_boin_kernel(n, y, rules, phat, weight, index, level)


@dataclass(frozen=True, slots=True)
class _Plan:
    settings: DesignSettings
    backfill_size: int
    cdf: NDArray[np.float64]
    table: NDArray[np.int64]
    rules: BoinRules


def check_backfill_scenario(settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int) -> None:
    """A BF-BOIN simulation's settings (design boin with backfill, no maximum n), rates and cohorts,
    or bad input naming the first that cannot be used."""
    validate_settings(settings)
    if not settings.backfill or settings.design != "boin":
        raise InputError.single(
            "simulate", "backfill", "backfill simulation is BF-BOIN's: design boin, backfill on"
        )
    if settings.max_n is not None:
        raise InputError.single(
            "simulate", "max_n", "BF-BOIN simulation runs a number of escalation cohorts, not a maximum n"
        )
    check_true_rates(settings, true_tox)
    if n_cohorts < 1:
        raise InputError.single("simulate", "cohorts", f"must be at least 1, got {n_cohorts}")


def _plan(settings: DesignSettings, true_tox: Sequence[float], n_cohorts: int, backfill_size: int) -> _Plan:
    check_backfill_scenario(settings, true_tox, n_cohorts)
    if backfill_size < 0:
        raise InputError.single("simulate", "backfill_size", f"must be at least 0, got {backfill_size}")
    max_n = n_cohorts * (settings.cohort_size + backfill_size)
    return _Plan(
        settings,
        backfill_size,
        calculate_sized_binomial_cdf(true_tox, max(settings.cohort_size, backfill_size)),
        tabulate_backfill_counts(settings, max_n),
        make_boin_rules(settings, max_n),
    )


def _run(plan: _Plan, u: NDArray[np.float64]) -> BackfillTrialResults:
    settings = plan.settings
    n_trials = u.shape[0]
    selected = np.zeros(n_trials, dtype=np.int64)
    escalation = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    backfill = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    dlts = np.zeros((n_trials, settings.n_doses), dtype=np.int64)
    _simulate_backfill(
        u,
        plan.cdf,
        settings.cohort_size,
        plan.backfill_size,
        settings.backfill_cap,
        settings.start_dose - 1,
        plan.table,
        plan.rules,
        settings.n_earlystop,
        selected,
        escalation,
        backfill,
        dlts,
    )
    return BackfillTrialResults(selected, escalation, backfill, dlts)


def simulate_backfill_trials(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_cohorts: int,
    backfill_size: int,
    u: NDArray[np.float64],
) -> BackfillTrialResults:
    """One BF-BOIN trial per row of `u` (shape trials x cohorts x 2, see `draw_backfill_uniforms`)."""
    return _run(_plan(settings, true_tox, n_cohorts, backfill_size), u)


def simulate_backfill_operating_characteristics(
    settings: DesignSettings,
    true_tox: Sequence[float],
    n_cohorts: int,
    backfill_size: int,
    n_trials: int,
    seed: int,
) -> BackfillOperatingCharacteristics:
    """BF-BOIN's selection %, mean escalation, backfill and total patients and DLTs per dose, % stopped,
    mean sample size (all patients) and mean backfill patients."""
    if n_trials < 1:
        raise InputError.single("simulate", "trials", f"must be at least 1, got {n_trials}")
    plan = _plan(settings, true_tox, n_cohorts, backfill_size)
    rng = np.random.default_rng(seed)
    k = settings.n_doses
    counts = np.zeros(k + 1, dtype=np.int64)
    escalation = np.zeros(k)
    backfill = np.zeros(k)
    dlts = np.zeros(k)
    done = 0
    while done < n_trials:
        block = min(TRIALS_PER_BLOCK, n_trials - done)
        results = _run(plan, rng.random((block, n_cohorts, 2)))
        counts += np.bincount(results.selected + 1, minlength=k + 1)
        escalation += results.escalation_patients.sum(axis=0)
        backfill += results.backfill_patients.sum(axis=0)
        dlts += results.dlts.sum(axis=0)
        done += block
    patients = escalation + backfill

    def per_trial(values: NDArray[np.float64]) -> tuple[float, ...]:
        return tuple(float(x) for x in values / n_trials)

    return BackfillOperatingCharacteristics(
        selection_pct=tuple(float(c) for c in 100.0 * counts[1:] / n_trials),
        escalation_patients=per_trial(escalation),
        backfill_patients=per_trial(backfill),
        patients=per_trial(patients),
        dlts=per_trial(dlts),
        stop_pct=float(100.0 * counts[0] / n_trials),
        mean_n=float(patients.sum() / n_trials),
        mean_backfill_n=float(backfill.sum() / n_trials),
        trials=n_trials,
    )

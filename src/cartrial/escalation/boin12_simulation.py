"""BOIN12 operating characteristics by simulation (Lin, Zhou, Yan, Li & Yuan 2020), compiled with numba.

The random input of a trial is one uniform per cohort, as for the other cohort designs
(`simulation.draw_cohort_uniforms`): the cohort's joint outcome (DLTs, responses, patients with both)
is the quantile of that uniform over every outcome a cohort can have, in the order of
`enumerate_cohort_outcomes` (by DLTs first, so the DLT count is, up to rounding, the binomial quantile
the toxicity-only designs draw from the same uniform). Toxicity and efficacy are drawn independently
per patient, as in R escalation's `PatientSample` and the BOIN12 simulation code published in R
phase12designs (`oc_boin12`); docs/simulation.md gives the reading.

The compiled loop follows `designs/boin12.py` (R escalation's `boin12_next_dose` and
`select_boin12_obd`) stacked as `build_design` stacks it (the n-at-dose cap of `StopAtNAtDose`); its
posterior probabilities are scipy's own incomplete beta functions (`cython_special.betainc`/
`betaincc`, bit-identical to `scipy.stats.beta.cdf`/`sf`), so the loop replays through the pure design
on the same uniforms exactly (tests/escalation/test_boin12_simulation.py). Each is evaluated once per
scenario: the admissibility halves tabulated by count, the desirability memoised by a dose's counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numba
import numpy as np
from numba.extending import get_cython_function_address
from numpy.typing import NDArray

from cartrial.errors import InputError
from cartrial.escalation.configure import DesignSettings, make_boin12, validate_settings
from cartrial.escalation.designs.boin import calculate_boin_lambdas
from cartrial.escalation.designs.boin12 import BOIN12_EXPLORATION_N, BOIN12_PRIOR
from cartrial.escalation.simulation import (
    TRIALS_PER_BLOCK,
    OperatingCharacteristics,
    _pava,
    check_true_rates,
)

# scipy's regularised incomplete beta I_x(a, b) and 1 - I_x(a, b) in double precision (the first fused
# specialisation of cython_special), the functions behind scipy.stats.beta.cdf and .sf. Declared to
# numba as external symbols (not ctypes pointers) so the compiled loop can be cached on disk.
_BETA_SIGNATURE = numba.types.float64(numba.types.float64, numba.types.float64, numba.types.float64)
for _name in ("betainc", "betaincc"):
    llvm.add_symbol(
        f"cartrial_{_name}",
        get_cython_function_address("scipy.special.cython_special", f"__pyx_fuse_0{_name}"),
    )
_betainc: Any = numba.types.ExternalFunction("cartrial_betainc", _BETA_SIGNATURE)
_betaincc: Any = numba.types.ExternalFunction("cartrial_betaincc", _BETA_SIGNATURE)


@dataclass(frozen=True, slots=True)
class Boin12TrialResults:
    """Per simulated trial: the OBD index (-1 if none), patients, DLTs and responses per dose."""

    selected: NDArray[np.int64]
    patients: NDArray[np.int64]
    dlts: NDArray[np.int64]
    responses: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Boin12OperatingCharacteristics:
    """get.oc's summary with the OBD as the selected dose, and mean responses per dose."""

    characteristics: OperatingCharacteristics
    responses: tuple[float, ...]


class Boin12KernelRules(NamedTuple):
    """What the compiled loop needs of a BOIN12 design (one numba argument)."""

    phi_t: float
    phi_e: float
    c_t: float
    c_e: float
    lambda_e: float
    lambda_d: float
    n_star: int
    cap: int
    utility: NDArray[np.float64]
    """u1..u4: (efficacy, no DLT), (neither), (both), (DLT, no efficacy)."""
    benchmark: float
    """u_b / 100, the quantile of the desirability."""
    n_max: int


def enumerate_cohort_outcomes(cohort_size: int) -> NDArray[np.int64]:
    """Every outcome of a cohort as rows (DLTs, responses, both), ordered by DLTs, responses, both."""
    return np.asarray(
        [
            (t, e, b)
            for t in range(cohort_size + 1)
            for e in range(cohort_size + 1)
            for b in range(max(0, t + e - cohort_size), min(t, e) + 1)
        ],
        dtype=np.int64,
    )


def calculate_joint_cdf(
    true_tox: Sequence[float], true_eff: Sequence[float], outcomes: NDArray[np.int64], cohort_size: int
) -> NDArray[np.float64]:
    """cdf[d, k] = Pr(the cohort's outcome is one of outcomes[:k + 1]) at dose d, toxicity and efficacy
    independent per patient (multinomial over efficacy only, neither, both, DLT only)."""
    cdf = np.empty((len(true_tox), outcomes.shape[0]))
    for d, (p_t, p_e) in enumerate(zip(true_tox, true_eff, strict=True)):
        cell = (p_e * (1 - p_t), (1 - p_e) * (1 - p_t), p_e * p_t, p_t * (1 - p_e))
        pmf = []
        for t, e, b in outcomes:
            counts = (int(e - b), int(cohort_size - t - e + b), int(b), int(t - b))
            ways = math.factorial(cohort_size) / math.prod(math.factorial(c) for c in counts)
            pmf.append(ways * math.prod(p**c for p, c in zip(cell, counts, strict=True)))
        cdf[d] = np.cumsum(pmf)
    return cdf


@numba.njit(cache=True)
def _desirability(n: int, t: int, e: int, b: int, rules: Boin12KernelRules, memo: numba.typed.Dict) -> float:
    """Boin12.desirability of one dose's counts, memoised across trials (the same expression, so the
    same bits)."""
    side = rules.n_max + 1
    key = ((n * side + t) * side + e) * side + b
    if key in memo:
        cached: float = memo[key]
        return cached
    u = rules.utility
    x = (u[0] * (e - b) + u[1] * (n - t - (e - b)) + u[2] * b + u[3] * (t - b)) / 100
    value: float = 100 * _betaincc(BOIN12_PRIOR + x, BOIN12_PRIOR + n - x, rules.benchmark)
    memo[key] = value
    return value


@numba.njit(cache=True)
def _tabulate_admissibility(rules: Boin12KernelRules) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Boin12.is_admissible's two halves for every count up to n_max under Beta(1, 1) priors:
    too_toxic[n, DLTs] and futile[n, responses]."""
    side = rules.n_max + 1
    too_toxic = np.zeros((side, side), dtype=np.bool_)
    futile = np.zeros((side, side), dtype=np.bool_)
    for n in range(side):
        for k in range(n + 1):
            too_toxic[n, k] = _betaincc(BOIN12_PRIOR + k, BOIN12_PRIOR + n - k, rules.phi_t) >= rules.c_t
            futile[n, k] = _betainc(BOIN12_PRIOR + k, BOIN12_PRIOR + n - k, rules.phi_e) >= rules.c_e
    return too_toxic, futile


@numba.njit(cache=True)
def _decide(
    d: int,
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    admissible: NDArray[np.bool_],
    score: NDArray[np.float64],
    rules: Boin12KernelRules,
) -> int:
    """Boin12.decide at dose index d (0-based): the next dose index, or -1 to stop."""
    last = n.shape[0] - 1
    nd = n[d]
    rate = y[d] / nd if nd else 0.0
    if nd > BOIN12_EXPLORATION_N and rate < rules.lambda_d and d < last and n[d + 1] == 0:
        return d + 1
    if rate >= rules.lambda_d:
        return max(d - 1, 0)
    below_ok = d > 0 and admissible[d - 1]
    if rules.lambda_e < rate < rules.lambda_d and nd >= rules.n_star:
        if below_ok and admissible[d]:
            return d - 1 if score[d - 1] >= score[d] else d
        if below_ok:
            return d - 1
        return d if admissible[d] else 0
    best = -1
    for k in range(max(d - 1, 0), min(d + 1, last) + 1):
        # the higher dose on a tie: >= while walking up
        if admissible[k] and (best < 0 or score[k] >= score[best]):
            best = k
    return best


@numba.njit(cache=True)
def _select_obd(
    d: int,
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    admissible: NDArray[np.bool_],
    score: NDArray[np.float64],
    rules: Boin12KernelRules,
    rates: NDArray[np.float64],
    weight: NDArray[np.float64],
    index: NDArray[np.int64],
    level: NDArray[np.int64],
) -> int:
    """Boin12.select_obd (0-based, -1 for none): the MTD is the treated dose whose PAVA-pooled DLT rate
    is closest to phi_T (the higher on a tie), the OBD the most desirable dose up to it (the lower on a
    tie); none when the design would stop on the final data. rates..level are scratch arrays."""
    if _decide(d, n, y, admissible, score, rules) < 0:
        return -1
    m = 0
    for k in range(n.shape[0]):
        if n[k] > 0:
            rates[m] = y[k] / n[k]
            weight[m] = 1.0
            index[m] = k
            m += 1
    _pava(rates, weight, m, level)
    closest = 1e300
    for j in range(m):
        closest = min(closest, abs(rates[j] - rules.phi_t))
    mtd = 0
    for j in range(m):
        if abs(rates[j] - rules.phi_t) == closest:
            mtd = index[j]
    obd = 0
    for k in range(1, mtd + 1):
        if score[k] > score[obd]:
            obd = k
    return obd


@numba.njit(cache=True)
def _simulate_boin12(
    u: NDArray[np.float64],
    cdf: NDArray[np.float64],
    outcomes: NDArray[np.int64],
    cohort_size: int,
    start: int,
    rules: Boin12KernelRules,
    too_toxic: NDArray[np.bool_],
    futile: NDArray[np.bool_],
    memo: numba.typed.Dict,
    selected: NDArray[np.int64],
    patients: NDArray[np.int64],
    dlts: NDArray[np.int64],
    responses: NDArray[np.int64],
) -> None:
    """BOIN12 cohort by cohort for every trial (rows of u), stopping when the design stops or the dose
    it keeps has `cap` patients (StopAtNAtDose), else after the last cohort; then the OBD."""
    n_trials, n_cohorts = u.shape
    ndose = cdf.shape[0]
    both = np.zeros(ndose, dtype=np.int64)
    admissible = np.empty(ndose, dtype=np.bool_)
    score = np.empty(ndose)
    untried_admissible = not (too_toxic[0, 0] or futile[0, 0])
    untried_score = _desirability(0, 0, 0, 0, rules, memo)
    rates = np.empty(ndose)
    weight = np.empty(ndose)
    index = np.empty(ndose, dtype=np.int64)
    level = np.empty(ndose, dtype=np.int64)
    last_outcome = outcomes.shape[0] - 1
    for tr in range(n_trials):
        n = patients[tr]
        y = dlts[tr]
        e = responses[tr]
        both[:] = 0
        admissible[:] = untried_admissible
        score[:] = untried_score
        d = start
        stopped = False
        for i in range(n_cohorts):
            k = 0
            while k < last_outcome and u[tr, i] > cdf[d, k]:
                k += 1
            y[d] += outcomes[k, 0]
            e[d] += outcomes[k, 1]
            both[d] += outcomes[k, 2]
            n[d] += cohort_size
            admissible[d] = not (too_toxic[n[d], y[d]] or futile[n[d], e[d]])
            score[d] = _desirability(n[d], y[d], e[d], both[d], rules, memo)
            if i == n_cohorts - 1:
                break
            nxt = _decide(d, n, y, admissible, score, rules)
            if nxt < 0:
                stopped = True
                break
            if nxt == d and n[d] >= rules.cap:
                break
            d = nxt
        if stopped:
            selected[tr] = -1
        else:
            selected[tr] = _select_obd(d, n, y, admissible, score, rules, rates, weight, index, level)


def check_true_efficacy(settings: DesignSettings, true_eff: Sequence[float]) -> None:
    """One true response probability in [0, 1] per dose, or bad input naming the rate."""
    if len(true_eff) != settings.n_doses:
        raise InputError.single(
            "simulate", "true_efficacy", f"{len(true_eff)} rates for {settings.n_doses} doses"
        )
    for i, p in enumerate(true_eff):
        if not 0 <= p <= 1:
            raise InputError.single(
                "simulate", f"true_efficacy[{i}]", f"a probability must lie in [0, 1], got {p}"
            )


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything the compiled loop needs, computed once per scenario."""

    settings: DesignSettings
    outcomes: NDArray[np.int64]
    cdf: NDArray[np.float64]
    rules: Boin12KernelRules
    too_toxic: NDArray[np.bool_]
    futile: NDArray[np.bool_]
    memo: numba.typed.Dict


def _plan(
    settings: DesignSettings, true_tox: Sequence[float], true_eff: Sequence[float], n_cohorts: int
) -> _Plan:
    validate_settings(settings)
    if settings.design != "boin12":
        raise InputError.single("simulate", "design", f"{settings.design!r} is not boin12")
    if settings.max_n is not None:
        raise InputError.single(
            "simulate", "max_n", "BOIN12 simulation runs a number of cohorts, not a maximum n"
        )
    if n_cohorts < 1:
        raise InputError.single("simulate", "cohorts", f"must be at least 1, got {n_cohorts}")
    check_true_rates(settings, true_tox)
    check_true_efficacy(settings, true_eff)
    design = make_boin12(settings)
    lambda_e, lambda_d = calculate_boin_lambdas(design.phi_t)
    rules = Boin12KernelRules(
        design.phi_t,
        design.phi_e,
        design.c_t,
        design.c_e,
        lambda_e,
        lambda_d,
        design.n_star,
        settings.n_earlystop,
        np.asarray((design.u1, design.u2, design.u3, design.u4), dtype=np.float64),
        design.benchmark / 100,
        n_cohorts * settings.cohort_size,
    )
    outcomes = enumerate_cohort_outcomes(settings.cohort_size)
    cdf = calculate_joint_cdf(true_tox, true_eff, outcomes, settings.cohort_size)
    memo = numba.typed.Dict.empty(key_type=numba.types.int64, value_type=numba.types.float64)
    return _Plan(settings, outcomes, cdf, rules, *_tabulate_admissibility(rules), memo)


def _run(plan: _Plan, u: NDArray[np.float64]) -> Boin12TrialResults:
    settings = plan.settings
    shape = (u.shape[0], settings.n_doses)
    selected = np.zeros(u.shape[0], dtype=np.int64)
    patients = np.zeros(shape, dtype=np.int64)
    dlts = np.zeros(shape, dtype=np.int64)
    responses = np.zeros(shape, dtype=np.int64)
    _simulate_boin12(
        u,
        plan.cdf,
        plan.outcomes,
        settings.cohort_size,
        settings.start_dose - 1,
        plan.rules,
        plan.too_toxic,
        plan.futile,
        plan.memo,
        selected,
        patients,
        dlts,
        responses,
    )
    return Boin12TrialResults(selected, patients, dlts, responses)


def simulate_boin12_trials(
    settings: DesignSettings,
    true_tox: Sequence[float],
    true_eff: Sequence[float],
    n_cohorts: int,
    u: NDArray[np.float64],
) -> Boin12TrialResults:
    """Run one BOIN12 trial per row of `u` (a uniform per cohort) under the true DLT and response rates."""
    return _run(_plan(settings, true_tox, true_eff, n_cohorts), u)


def simulate_boin12_operating_characteristics(
    settings: DesignSettings,
    true_tox: Sequence[float],
    true_eff: Sequence[float],
    n_cohorts: int,
    n_trials: int,
    seed: int,
) -> Boin12OperatingCharacteristics:
    """% selecting each dose as the OBD, mean patients, DLTs and responses per dose, % stopped, mean n."""
    if n_trials < 1:
        raise InputError.single("simulate", "trials", f"must be at least 1, got {n_trials}")
    plan = _plan(settings, true_tox, true_eff, n_cohorts)
    rng = np.random.default_rng(seed)
    counts = np.zeros(settings.n_doses + 1, dtype=np.int64)
    patient_sum = np.zeros(settings.n_doses)
    dlt_sum = np.zeros(settings.n_doses)
    response_sum = np.zeros(settings.n_doses)
    done = 0
    while done < n_trials:
        block = min(TRIALS_PER_BLOCK, n_trials - done)
        results = _run(plan, rng.random((block, n_cohorts)))
        counts += np.bincount(results.selected + 1, minlength=settings.n_doses + 1)
        patient_sum += results.patients.sum(axis=0)
        dlt_sum += results.dlts.sum(axis=0)
        response_sum += results.responses.sum(axis=0)
        done += block
    oc = OperatingCharacteristics(
        selection_pct=tuple(float(c) for c in 100.0 * counts[1:] / n_trials),
        patients=tuple(float(x) for x in patient_sum / n_trials),
        dlts=tuple(float(x) for x in dlt_sum / n_trials),
        stop_pct=float(100.0 * counts[0] / n_trials),
        mean_n=float(patient_sum.sum() / n_trials),
        trials=n_trials,
    )
    return Boin12OperatingCharacteristics(oc, tuple(float(x) for x in response_sum / n_trials))

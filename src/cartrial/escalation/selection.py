"""MTD selection at the end of a trial: isotonic estimates as R BOIN's `select.mtd` computes them.

Rates are estimated as (y + 0.05) / (n + 0.1), made non-decreasing in dose by the pool-adjacent-
violators algorithm weighted by the inverse of the Beta(y + 0.05, n - y + 0.05) variance, and the
MTD is the admissible dose (treated, not eliminated) whose estimate is closest to the target; ties
are broken by adding 1e-10 * k to the k-th admissible estimate, so among pooled doses the higher is
chosen when the pooled estimate is below the target and the lower when above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta

from cartrial.escalation.interface import DoseOutcomes
from cartrial.escalation.rules import ELIMINATION_CUTOFF, EXTRA_SAFE_OFFSET, select_eliminated_doses

# R BOIN select.mtd: the pseudo-counts of its Beta(0.05, 0.05) estimate and interval.
SELECTION_PRIOR = 0.05
# R BOIN select.mtd: the perturbation that breaks ties between pooled estimates.
SELECTION_TIE_BREAK = 1e-10
# R BOIN select.mtd: 95% equal-tailed intervals.
SELECTION_CI_LOWER = 0.025
SELECTION_CI_UPPER = 0.975


def calculate_pava(values: Sequence[float], weights: Sequence[float] | None = None) -> list[float]:
    """Weighted isotonic (non-decreasing) regression by pool-adjacent-violators.

    Pools the first violating pair's level sets, repeatedly, as R BOIN's `pava` does.

    >>> calculate_pava([0.1, 0.3, 0.2, 0.4])
    [0.1, 0.25, 0.25, 0.4]
    """
    x = list(values)
    w = [1.0] * len(x) if weights is None else list(weights)
    level = list(range(len(x)))
    while True:
        violation = next((i for i in range(len(x) - 1) if x[i + 1] < x[i]), None)
        if violation is None:
            return x
        first, second = level[violation], level[violation + 1]
        members = [k for k in range(len(x)) if level[k] in (first, second)]
        pooled = sum(x[k] * w[k] for k in members) / sum(w[k] for k in members)
        for k in members:
            x[k] = pooled
            level[k] = first


@dataclass(frozen=True, slots=True)
class DoseEstimate:
    dose: int
    n: int
    dlt: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    overdose_probability: float | None


@dataclass(frozen=True, slots=True)
class MtdSelection:
    mtd: int | None
    eliminated: tuple[int, ...]
    estimates: tuple[DoseEstimate, ...]


def _estimate(n: int, y: int) -> tuple[float, float]:
    """BOIN's point estimate and its variance weight's denominator."""
    a, b = y + SELECTION_PRIOR, n - y + SELECTION_PRIOR
    return a / (n + 2 * SELECTION_PRIOR), a * b / (
        (n + 2 * SELECTION_PRIOR) ** 2 * (n + 2 * SELECTION_PRIOR + 1)
    )


def calculate_isotonic_estimates(outcomes: DoseOutcomes, target: float | None) -> tuple[DoseEstimate, ...]:
    """Per dose: R BOIN select.mtd's isotonic estimate, 95% interval and Pr(p > target).

    Untreated doses get None. Intervals are the Beta(y + 0.05, n - y + 0.05) quantiles, made monotone
    by the same weighted PAVA; Pr(p > target) by unweighted PAVA; both over treated doses only.
    """
    treated = [level for level in range(1, outcomes.n_doses + 1) if outcomes.n_at(level) > 0]
    ns = [outcomes.n_at(k) for k in treated]
    ys = [outcomes.dlt_at(k) for k in treated]
    pairs = [_estimate(n, y) for n, y in zip(ns, ys, strict=True)]
    weights = [1 / v for _, v in pairs]
    shapes = [(y + SELECTION_PRIOR, n - y + SELECTION_PRIOR) for n, y in zip(ns, ys, strict=True)]
    point = calculate_pava([p for p, _ in pairs], weights)
    lower = calculate_pava([float(beta.ppf(SELECTION_CI_LOWER, a, b)) for a, b in shapes], weights)
    upper = calculate_pava([float(beta.ppf(SELECTION_CI_UPPER, a, b)) for a, b in shapes], weights)
    overdose = None if target is None else calculate_pava([float(beta.sf(target, a, b)) for a, b in shapes])
    by_level = {level: i for i, level in enumerate(treated)}
    estimates = []
    for level in range(1, outcomes.n_doses + 1):
        i = by_level.get(level)
        estimates.append(
            DoseEstimate(
                dose=level,
                n=outcomes.n_at(level),
                dlt=outcomes.dlt_at(level),
                estimate=None if i is None else point[i],
                ci_lower=None if i is None else lower[i],
                ci_upper=None if i is None else upper[i],
                overdose_probability=None if i is None or overdose is None else overdose[i],
            )
        )
    return tuple(estimates)


def select_boin_mtd(
    outcomes: DoseOutcomes,
    target: float,
    cutoff_eli: float = ELIMINATION_CUTOFF,
    extra_safe: bool = False,
    offset: float = EXTRA_SAFE_OFFSET,
) -> MtdSelection:
    """R BOIN select.mtd (boundMTD = FALSE): the MTD, None when every dose is eliminated."""
    eliminated = select_eliminated_doses(outcomes, target, cutoff_eli, extra_safe, offset)
    admissible = [
        level
        for level in range(1, outcomes.n_doses + 1)
        if outcomes.n_at(level) > 0 and level not in eliminated
    ]
    mtd = None
    if admissible and 1 not in eliminated:
        pairs = [_estimate(outcomes.n_at(k), outcomes.dlt_at(k)) for k in admissible]
        isotonic = calculate_pava([p for p, _ in pairs], [1 / v for _, v in pairs])
        perturbed = [p + (i + 1) * SELECTION_TIE_BREAK for i, p in enumerate(isotonic)]
        distances = [abs(p - target) for p in perturbed]
        mtd = admissible[distances.index(min(distances))]
    return MtdSelection(mtd, eliminated, calculate_isotonic_estimates(outcomes, target))

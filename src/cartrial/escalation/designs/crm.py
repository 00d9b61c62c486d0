"""CRM: the continual reassessment method (O'Quigley, Pepe & Fisher 1990), with dfcrm's conventions.

One-parameter dose-toxicity models over the skeleton s_1 < ... < s_K (Cheung 2011, dfcrm `crm`):
  empiric:  p_k(beta) = s_k ** exp(beta)
  logistic: logit p_k(beta) = a0 + exp(beta) * x_k,  x_k = logit(s_k) - a0  (a0: the intercept)
with beta ~ N(0, sigma^2). The posterior mean of beta is found by numerical integration; dfcrm's
`posterior_toxicity` is the curve at that mean, and the recommended dose is the one whose value there
is closest to the target. Here the integrals are Gauss-Legendre sums on a grid over [-10, 10] that is
computed once per design, not a general-purpose integrator per decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from cartrial.errors import InputError
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start

CrmModelName = Literal["empiric", "logistic"]

# dfcrm `crm`: prior variance of beta, scale = sqrt(1.34) (Cheung 2011, sec. 7.2).
CRM_PRIOR_VARIANCE = 1.34
# dfcrm `crm` and `getprior`: the logistic model's fixed intercept a0 = 3.
CRM_LOGISTIC_INTERCEPT = 3.0
# dfcrm `crm`: the posterior moments of beta are integrated over [-10, 10].
CRM_INTEGRATION_LIMIT = 10.0
# Composite Gauss-Legendre: 64 panels of 8 nodes over [-10, 10]; agrees with adaptive quadrature
# (dfcrm's R `integrate`) to better than 1e-8 on beta for trials of up to 100 patients (tests).
CRM_QUADRATURE_PANELS = 64
CRM_QUADRATURE_ORDER = 8


@dataclass(frozen=True, slots=True)
class CrmModel:
    """The dose-toxicity model: skeleton, form, prior variance of beta and (logistic) intercept."""

    skeleton: tuple[float, ...]
    model: CrmModelName = "empiric"
    prior_var: float = CRM_PRIOR_VARIANCE
    intercept: float = CRM_LOGISTIC_INTERCEPT

    def __post_init__(self) -> None:
        if any(not 0 < s < 1 for s in self.skeleton):
            raise InputError.single("design", "skeleton", "every skeleton value must lie in (0, 1)")
        if any(b <= a for a, b in zip(self.skeleton, self.skeleton[1:], strict=False)):
            raise InputError.single("design", "skeleton", "the skeleton must increase strictly with dose")
        if self.prior_var <= 0:
            raise InputError.single("design", "prior_var", f"must be positive, got {self.prior_var}")
        if self.model == "logistic" and not all(x < 0 for x in self.dose_labels):
            # dfcrm: "Intercept parameter in logit model is too small: scaled doses > 0!"
            raise InputError.single("design", "intercept", "too small: some scaled doses are >= 0")

    @property
    def dose_labels(self) -> tuple[float, ...]:
        """dfcrm's `dosescaled`: the skeleton itself (empiric) or logit(s) - intercept (logistic)."""
        if self.model == "empiric":
            return self.skeleton
        return tuple(math.log(s / (1 - s)) - self.intercept for s in self.skeleton)

    def calculate_toxicity(self, beta: NDArray[np.float64]) -> NDArray[np.float64]:
        """p[g, k] at each beta[g] for each dose k."""
        x = np.asarray(self.dose_labels)[None, :]
        slope = np.exp(beta)[:, None]
        if self.model == "empiric":
            return np.asarray(x**slope, dtype=np.float64)
        return np.asarray(expit(self.intercept + slope * x), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class QuadratureGrid:
    """Nodes on [-10, 10], weights times the prior density, and log p, log(1 - p) at every node."""

    beta: NDArray[np.float64]
    log_weight: NDArray[np.float64]
    log_p: NDArray[np.float64]
    log_q: NDArray[np.float64]


def make_quadrature_grid(model: CrmModel) -> QuadratureGrid:
    nodes, weights = np.polynomial.legendre.leggauss(CRM_QUADRATURE_ORDER)
    edges = np.linspace(-CRM_INTEGRATION_LIMIT, CRM_INTEGRATION_LIMIT, CRM_QUADRATURE_PANELS + 1)
    half = (edges[1:] - edges[:-1])[:, None] / 2
    mid = (edges[1:] + edges[:-1])[:, None] / 2
    beta = (mid + half * nodes[None, :]).ravel()
    weight = (half * weights[None, :]).ravel()
    p = model.calculate_toxicity(beta)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
        log_q = np.log1p(-p)
    return QuadratureGrid(
        beta=beta,
        log_weight=np.log(weight) - beta**2 / (2 * model.prior_var),
        log_p=log_p,
        log_q=log_q,
    )


@dataclass(frozen=True, slots=True)
class CrmPosterior:
    beta_mean: float
    beta_sd: float
    posterior_toxicity: tuple[float, ...]
    """The curve at the posterior mean of beta (dfcrm's `ptox`)."""
    mean_toxicity: tuple[float, ...]
    """The posterior mean of each dose's DLT probability."""
    overdose_lowest: float
    """Pr(p_1 > target | data)."""


def calculate_crm_posterior(
    model: CrmModel,
    grid: QuadratureGrid,
    treated: Sequence[int],
    dlts: Sequence[int],
    target: float,
    pending_weights: Sequence[Sequence[float]] = (),
) -> CrmPosterior:
    """The posterior of beta given counts per dose, by the precomputed quadrature.

    `pending_weights` (TITE-CRM, Cheung & Chappell 2000) holds per dose the weight w in [0, 1] of each
    patient still in the DLT window without DLT; each contributes (1 - w p) to the likelihood.
    """
    n = np.asarray(treated, dtype=np.float64)
    y = np.asarray(dlts, dtype=np.float64)
    # Columns with no count are zeroed first, so an underflowed log p = -inf never meets a 0 count.
    log_like = np.where(y > 0, grid.log_p, 0.0) @ y + np.where(n - y > 0, grid.log_q, 0.0) @ (n - y)
    if pending_weights:
        p_grid = np.exp(grid.log_p)
        for dose, weights in enumerate(pending_weights):
            for w_pending in weights:
                log_like = log_like + np.log1p(-w_pending * p_grid[:, dose])
    log_post = grid.log_weight + log_like
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = float(w @ grid.beta)
    sd = math.sqrt(max(float(w @ grid.beta**2) - mean**2, 0.0))
    curve = model.calculate_toxicity(np.asarray([mean]))[0]
    p = np.exp(grid.log_p)
    return CrmPosterior(
        beta_mean=mean,
        beta_sd=sd,
        posterior_toxicity=tuple(float(v) for v in curve),
        mean_toxicity=tuple(float(v) for v in w @ p),
        overdose_lowest=float(w @ (p[:, 0] > target)),
    )


def select_crm_dose(posterior_toxicity: Sequence[float], target: float) -> int:
    """dfcrm's `mtd`: the dose (1-based) whose toxicity at the posterior mean is closest to target."""
    if all(p <= target for p in posterior_toxicity):
        return len(posterior_toxicity)
    if all(p >= target for p in posterior_toxicity):
        return 1
    distances = [abs(p - target) for p in posterior_toxicity]
    return distances.index(min(distances)) + 1


def calculate_skeleton(
    halfwidth: float,
    target: float,
    nu: int,
    n_levels: int,
    model: CrmModelName = "empiric",
    intercept: float = 3.0,
) -> tuple[float, ...]:
    """dfcrm `getprior`: a skeleton with indifference intervals target +- halfwidth (Lee & Cheung 2009).

    `nu` (1-based) is the prior guess of the MTD: its skeleton value is the target. Going up, at the
    boundary beta between doses k and k+1 dose k has target - halfwidth and dose k+1 target + halfwidth.
    """
    if not 0 < halfwidth < min(target, 1 - target):
        raise InputError.single("design", "skeleton_halfwidth", f"must lie in (0, {min(target, 1 - target)})")
    if not 1 <= nu <= n_levels:
        raise InputError.single("design", "skeleton_nu", f"must be a dose level in 1..{n_levels}, got {nu}")
    lo, hi = target - halfwidth, target + halfwidth
    if model == "empiric":
        scaled = [0.0] * n_levels
        scaled[nu - 1] = target
        for k in range(nu - 1, 0, -1):
            b = math.log(math.log(hi) / math.log(scaled[k]))
            scaled[k - 1] = math.exp(math.log(lo) / math.exp(b))
        for k in range(nu - 1, n_levels - 1):
            b = math.log(math.log(lo) / math.log(scaled[k]))
            scaled[k + 1] = math.exp(math.log(hi) / math.exp(b))
        return tuple(scaled)
    logit_lo = math.log(lo / (1 - lo)) - intercept
    logit_hi = math.log(hi / (1 - hi)) - intercept
    scaled = [0.0] * n_levels
    scaled[nu - 1] = math.log(target / (1 - target)) - intercept
    for k in range(nu - 1, 0, -1):
        b = math.log(logit_hi / scaled[k])
        scaled[k - 1] = logit_lo / math.exp(b)
    for k in range(nu - 1, n_levels - 1):
        b = math.log(logit_lo / scaled[k])
        scaled[k + 1] = logit_hi / math.exp(b)
    return tuple(1 / (1 + math.exp(-intercept - x)) for x in scaled)


# Our choice, like BOIN's elimination rule (Liu & Yuan 2015): look at dose 1 once it has 3 patients.
CRM_SAFETY_MIN_N = 3


@dataclass(frozen=True, slots=True)
class Crm:
    """The CRM's recommendation: the dose closest to the target (dfcrm `crm`'s `mtd`), unrestricted;
    `DontSkipDoses` and `CoherentEscalation` (rules) add dfcrm crmsim's restrictions.

    Safety stop: when at least three patients have had dose 1 and Pr(p_1 > target | data) exceeds
    `safety_cutoff`, the trial stops with no dose selected.
    """

    n_doses: int
    start_dose: int
    target: float
    model: CrmModel
    safety_cutoff: float
    grid: QuadratureGrid
    window_days: float | None = None
    """Set for TITE-CRM: the DLT window that turns follow-up days into weights."""

    @property
    def name(self) -> str:
        return "crm" if self.window_days is None else "tite-crm"

    def posterior(self, outcomes: DoseOutcomes) -> CrmPosterior:
        weights: list[list[float]] = []
        if self.window_days is not None:
            weights = [
                [calculate_tite_weight(days, self.window_days, dose + 1) for days in followup]
                for dose, followup in enumerate(outcomes.pending_followup)
            ]
        return calculate_crm_posterior(
            self.model, self.grid, outcomes.treated, outcomes.dlts, self.target, weights
        )

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        post = self.posterior(outcomes)
        details = {
            "model": self.model.model,
            "skeleton": list(self.model.skeleton),
            "prior_var": self.model.prior_var,
            "intercept": self.model.intercept if self.model.model == "logistic" else None,
            "beta_mean": post.beta_mean,
            "beta_sd": post.beta_sd,
            "posterior_toxicity": list(post.posterior_toxicity),
            "posterior_mean_toxicity": list(post.mean_toxicity),
            "overdose_probability_lowest": post.overdose_lowest,
        }
        if outcomes.n_at(1) >= CRM_SAFETY_MIN_N and post.overdose_lowest > self.safety_cutoff:
            reason = (
                f"Pr(p1 > {self.target:g} | data) = {post.overdose_lowest:.4f} > {self.safety_cutoff:g}: "
                "dose 1 is too toxic"
            )
            return Decision(self.name, "stop", None, reason, tuple(range(1, self.n_doses + 1)), details)
        best = select_crm_dose(post.posterior_toxicity, self.target)
        closest = post.posterior_toxicity[best - 1]
        reason = f"dose {best} has posterior toxicity {closest:.4f}, closest to {self.target:g}"
        return Decision(self.name, action_between(current, best), best, reason, (), details)


def calculate_tite_weight(followup_days: float | None, window_days: float, dose: int) -> float:
    """Cheung & Chappell 2000 linear weight: the fraction of the DLT window followed, at most 1 (dfcrm)."""
    if followup_days is None:
        raise InputError.single(
            "state",
            "followup_days",
            f"a pending patient at dose {dose} has no follow-up days (TITE needs them)",
        )
    return min(followup_days / window_days, 1.0)


def make_crm_design(
    n_doses: int,
    start_dose: int,
    target: float,
    model: CrmModel,
    safety_cutoff: float,
    window_days: float | None = None,
) -> Crm:
    """A CRM (TITE-CRM when `window_days` is given) with its quadrature grid computed once."""
    if len(model.skeleton) != n_doses:
        raise InputError.single(
            "design", "skeleton", f"{len(model.skeleton)} values for {n_doses} dose levels"
        )
    return Crm(
        n_doses,
        start_dose,
        target,
        model,
        safety_cutoff,
        make_quadrature_grid(model),
        window_days,
    )

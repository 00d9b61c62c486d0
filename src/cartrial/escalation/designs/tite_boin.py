"""TITE-BOIN: BOIN deciding with patients still inside the DLT window, in two published forms.

`lin-yuan2020` (the default): the approximated likelihood of Lin & Yuan (2020, "Time-to-event
model-assisted designs"). A pending patient counts as the fraction of the window followed, so the
current dose's effective sample size is ESS = (completed patients, DLTs included) + sum of
min(follow-up / window, 1) over pending patients, and p~ = DLTs / ESS is compared with BOIN's
lambda_e and lambda_d: escalate if p~ <= lambda_e, de-escalate if p~ >= lambda_d, else stay.
Elimination, the accrual suspension and the stopping rules are the wrappers of
`cartrial.escalation.rules`.

`yuan2018`: the single mean imputation of Yuan, Lin, Li, Nie & Warren (2018, Clin Cancer Res
24:4921, Supplementary Appendix A). With n treated at the current dose, r completed with y DLTs and
c = n - r pending whose standardized total follow-up time is STFT = sum of min(follow-up / window, 1),
each pending outcome is replaced by its expected value under a uniform time to DLT, giving
p~ = (y + q (c - STFT)) / n with q = pi / (1 - pi) and pi = (y + target / 2) / (r + 1), the posterior
mean under a Beta(target / 2, 1 - target / 2) prior. In order: de-escalate whatever the pending
outcomes when y / n >= lambda_d; suspend accrual when more than `max_pending_fraction` of the n are
pending; otherwise, while y / n < target, escalate if p~ <= lambda_e (else stay), and once
y / n >= target, de-escalate if p~ >= lambda_d (else stay). The suspension is the core's own here,
since the certain de-escalation must pass it.

Without pending patients both are BOIN on rates (R's count table differs only where lambda_d * n is
an exact integer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from cartrial.escalation.designs.boin import calculate_boin_lambdas
from cartrial.escalation.designs.crm import calculate_tite_weight
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start
from cartrial.escalation.rules import MAX_PENDING_FRACTION

TiteMethod = Literal["lin-yuan2020", "yuan2018"]
TITE_METHODS: tuple[str, ...] = get_args(TiteMethod)
# Yuan et al. 2018, Supplementary Appendix A: the Beta(a, 1 - a) prior of the imputation has
# a = target / 2, i.e. prior mean target / 2 and prior sample size 1.
IMPUTATION_PRIOR_SHARE = 0.5
IMPUTATION_PRIOR_SIZE = 1.0


def calculate_standardized_followup(outcomes: DoseOutcomes, level: int, window_days: float) -> float:
    """STFT: the pending patients' follow-up as fractions of the DLT window, summed (Yuan et al. 2018)."""
    followup = outcomes.pending_followup[level - 1] if outcomes.pending_followup else ()
    return sum(calculate_tite_weight(days, window_days, level) for days in followup)


def calculate_effective_sample_size(outcomes: DoseOutcomes, level: int, window_days: float) -> float:
    """Completed patients plus each pending patient's fraction of the DLT window (Lin & Yuan 2020)."""
    return outcomes.n_at(level) + calculate_standardized_followup(outcomes, level, window_days)


def calculate_imputed_rate(dlts: int, completed: int, pending: int, stft: float, target: float) -> float:
    """Yuan et al. 2018's estimate (y + q (c - STFT)) / n with q = pi / (1 - pi), pi the posterior mean
    of the DLT rate among the completed under Beta(target / 2, 1 - target / 2).

    Yuan et al. 2018, Table 1 (target 0.2, lambda_e 0.1572): 9 treated, 1 DLT, 4 pending escalate
    once STFT reaches 2.15:

    >>> [round(calculate_imputed_rate(1, 5, 4, stft, 0.2), 5) for stft in (2.14, 2.16)]
    [0.15751, 0.15701]
    """
    pi = (dlts + IMPUTATION_PRIOR_SHARE * target) / (completed + IMPUTATION_PRIOR_SIZE)
    return (dlts + pi / (1.0 - pi) * (pending - stft)) / (completed + pending)


@dataclass(frozen=True, slots=True)
class TiteBoin:
    n_doses: int
    start_dose: int
    target: float
    window_days: float
    p_saf: float | None = None
    p_tox: float | None = None
    method: TiteMethod = "lin-yuan2020"
    max_pending_fraction: float = MAX_PENDING_FRACTION
    name: str = "tite-boin"

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        if self.method == "yuan2018":
            return self._decide_by_imputation(outcomes, current)
        lambda_e, lambda_d = calculate_boin_lambdas(self.target, self.p_saf, self.p_tox)
        ess = calculate_effective_sample_size(outcomes, current, self.window_days)
        details = {"lambda_e": lambda_e, "lambda_d": lambda_d, "effective_sample_size": ess}
        dlts = outcomes.dlt_at(current)
        if ess == 0:
            reason = f"no follow-up yet at dose {current}"
            return Decision(self.name, "stay", current, reason, (), details)
        rate = dlts / ess
        seen = f"{dlts} DLTs / effective n {ess:.3f} = {rate:.4f} at dose {current}"
        return self._move(current, rate, lambda_e, lambda_d, seen, details, True, True)

    def _move(
        self,
        current: int,
        rate: float,
        lambda_e: float,
        lambda_d: float,
        seen: str,
        details: dict[str, float],
        may_escalate: bool,
        may_deescalate: bool,
    ) -> Decision:
        if may_escalate and rate <= lambda_e:
            next_dose, why = min(current + 1, self.n_doses), f"<= lambda_e {lambda_e:.4f}"
        elif may_deescalate and rate >= lambda_d:
            next_dose, why = max(current - 1, 1), f">= lambda_d {lambda_d:.4f}"
        else:
            next_dose, why = current, "between the boundaries"
        return Decision(
            self.name, action_between(current, next_dose), next_dose, f"{seen} {why}", (), details
        )

    def _decide_by_imputation(self, outcomes: DoseOutcomes, current: int) -> Decision:
        lambda_e, lambda_d = calculate_boin_lambdas(self.target, self.p_saf, self.p_tox)
        dlts, completed = outcomes.dlt_at(current), outcomes.n_at(current)
        pending = outcomes.pending[current - 1]
        stft = calculate_standardized_followup(outcomes, current, self.window_days)
        treated = completed + pending
        details = {"lambda_e": lambda_e, "lambda_d": lambda_d, "standardized_followup": stft}
        if treated == 0:
            return Decision(self.name, "stay", current, f"no patient yet at dose {current}", (), details)
        observed = dlts / treated
        if pending and observed >= lambda_d:
            seen = f"{dlts} DLTs among {treated} treated at dose {current} (pending or not) = {observed:.4f}"
            return self._move(current, observed, lambda_e, lambda_d, seen, details, False, True)
        if pending > self.max_pending_fraction * treated:
            return Decision(
                self.name,
                "suspend",
                current,
                f"{pending} of {treated} patients at dose {current} pending (more than "
                f"{self.max_pending_fraction:g}): suspend accrual",
                (),
                details,
            )
        rate = calculate_imputed_rate(dlts, completed, pending, stft, self.target) if pending else observed
        details["imputed_rate"] = rate
        seen = (
            f"{dlts} DLTs, {pending} pending (STFT {stft:.3f}) of {treated} at dose {current}: "
            f"imputed rate {rate:.4f}"
        )
        below = observed < self.target
        return self._move(current, rate, lambda_e, lambda_d, seen, details, below, not below)

"""TITE-BOIN by the approximated likelihood of Lin & Yuan (2020, "Time-to-event model-assisted designs").

A patient still in the DLT window without DLT counts as the fraction of the window followed, so the
current dose's effective sample size is ESS = (completed patients, DLTs included) + sum of
min(follow-up / window, 1) over pending patients, and the DLT rate p~ = DLTs / ESS is compared with
BOIN's lambda_e and lambda_d: escalate if p~ <= lambda_e, de-escalate if p~ >= lambda_d, else stay.
Without pending patients this is BOIN on rates (R's count table differs only where lambda_d * n is an
exact integer). Elimination (on completed patients), the accrual suspension and the stopping rules are
the wrappers of `cartrial.escalation.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.escalation.designs.boin import calculate_boin_lambdas
from cartrial.escalation.designs.crm import calculate_tite_weight
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start


def calculate_effective_sample_size(outcomes: DoseOutcomes, level: int, window_days: float) -> float:
    """Completed patients plus each pending patient's fraction of the DLT window (Lin & Yuan 2020)."""
    followup = outcomes.pending_followup[level - 1] if outcomes.pending_followup else ()
    return outcomes.n_at(level) + sum(calculate_tite_weight(days, window_days, level) for days in followup)


@dataclass(frozen=True, slots=True)
class TiteBoin:
    n_doses: int
    start_dose: int
    target: float
    window_days: float
    p_saf: float | None = None
    p_tox: float | None = None
    name: str = "tite-boin"

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        lambda_e, lambda_d = calculate_boin_lambdas(self.target, self.p_saf, self.p_tox)
        ess = calculate_effective_sample_size(outcomes, current, self.window_days)
        details = {"lambda_e": lambda_e, "lambda_d": lambda_d, "effective_sample_size": ess}
        dlts = outcomes.dlt_at(current)
        if ess == 0:
            reason = f"no follow-up yet at dose {current}"
            return Decision(self.name, "stay", current, reason, (), details)
        rate = dlts / ess
        seen = f"{dlts} DLTs / effective n {ess:.3f} = {rate:.4f} at dose {current}"
        if rate <= lambda_e:
            next_dose, why = min(current + 1, self.n_doses), f"<= lambda_e {lambda_e:.4f}"
        elif rate >= lambda_d:
            next_dose, why = max(current - 1, 1), f">= lambda_d {lambda_d:.4f}"
        else:
            next_dose, why = current, "between the boundaries"
        return Decision(
            self.name, action_between(current, next_dose), next_dose, f"{seen} {why}", (), details
        )

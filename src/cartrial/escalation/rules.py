"""Rules that wrap a design and change one or two of its answers, passing the rest through.

The stack's order is the rules' precedence, outermost first. BOIN as R's `get.oc` runs it:

    StopAtMaxN(SuspendWhilePending(StopAtNAtDose(EliminateToxicDoses(BoinCore), cap)), max_n)

reads: a trial that has reached its maximum sample size stops; otherwise pending patients suspend
accrual; otherwise a cap on patients at the recommended dose stops; otherwise overly toxic doses are
eliminated (and the trial stops if the lowest is); otherwise the design decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import beta

from cartrial.escalation.interface import Decision, Design, DoseOutcomes, action_between

# Liu & Yuan 2015 (BOIN), and R BOIN get.boundary: eliminate dose j and above when
# Pr(p_j > phi | y_j, n_j) > 0.95 under a Beta(1, 1) prior, once n_j >= 3.
ELIMINATION_CUTOFF = 0.95
ELIMINATION_MIN_N = 3
# R BOIN get.boundary `offset`: the "extra safe" rule stops when the lowest dose's probability
# exceeds cutoff.eli - offset.
EXTRA_SAFE_OFFSET = 0.05
# Yuan et al. 2018 (TITE-BOIN): suspend accrual while more than half of the patients at the current
# dose are still pending.
MAX_PENDING_FRACTION = 0.5
# Beta(1, 1): the uniform prior of the elimination rule (Liu & Yuan 2015).
ELIMINATION_PRIOR_A = 1.0
ELIMINATION_PRIOR_B = 1.0


def calculate_overdose_probability(n: int, dlts: int, target: float) -> float:
    """Pr(p > target | dlts of n) under the Beta(1, 1) prior: BOIN's elimination statistic."""
    return float(beta.sf(target, dlts + ELIMINATION_PRIOR_A, n - dlts + ELIMINATION_PRIOR_B))


def calculate_elimination_count(n: int, target: float, cutoff: float = ELIMINATION_CUTOFF) -> int | None:
    """The fewest DLTs among `n` that eliminate a dose (R BOIN get.boundary), None if none does.

    >>> calculate_elimination_count(3, 0.3), calculate_elimination_count(2, 0.3)
    (3, None)
    """
    if n < ELIMINATION_MIN_N:
        return None
    dlts = np.arange(1, n + 1)
    exceeds = np.flatnonzero(
        beta.sf(target, dlts + ELIMINATION_PRIOR_A, n - dlts + ELIMINATION_PRIOR_B) > cutoff
    )
    return int(dlts[exceeds[0]]) if exceeds.size else None


def select_eliminated_doses(
    outcomes: DoseOutcomes,
    target: float,
    cutoff: float = ELIMINATION_CUTOFF,
    extra_safe: bool = False,
    offset: float = EXTRA_SAFE_OFFSET,
    in_trial: bool = False,
) -> tuple[int, ...]:
    """The dose levels eliminated by the data: the lowest overly toxic dose and every dose above it.

    With `extra_safe`, every dose is eliminated when the lowest dose has n >= 3 and
    Pr > cutoff - offset. During the trial (`in_trial`), as in R BOIN's get.oc, that rule is looked at
    only where the elimination table has an entry for n; select.mtd at the end looks regardless.
    """
    n1, y1 = outcomes.treated[0], outcomes.dlts[0]
    if (
        extra_safe
        and n1 >= ELIMINATION_MIN_N
        and (not in_trial or calculate_elimination_count(n1, target, cutoff) is not None)
        and calculate_overdose_probability(n1, y1, target) > cutoff - offset
    ):
        return tuple(range(1, outcomes.n_doses + 1))
    for level in range(1, outcomes.n_doses + 1):
        n, y = outcomes.n_at(level), outcomes.dlt_at(level)
        if n >= ELIMINATION_MIN_N and calculate_overdose_probability(n, y, target) > cutoff:
            return tuple(range(level, outcomes.n_doses + 1))
    return ()


def _redirect(decision: Decision, current: int, next_dose: int, why: str) -> Decision:
    """The parent's decision moved to `next_dose` by a restriction, its reason extended by `why`."""
    return replace(
        decision,
        action=action_between(current, next_dose),
        next_dose=next_dose,
        reason=f"{decision.reason}; {why}",
    )


@dataclass(frozen=True, slots=True)
class _Wrapper:
    parent: Design

    @property
    def name(self) -> str:
        return self.parent.name

    @property
    def n_doses(self) -> int:
        return self.parent.n_doses

    @property
    def start_dose(self) -> int:
        return self.parent.start_dose


@dataclass(frozen=True, slots=True)
class EliminateToxicDoses(_Wrapper):
    """Never recommend an eliminated dose; stop when the lowest is eliminated (Liu & Yuan 2015).

    Adds the posterior probability of excess toxicity per dose (None where untreated) to the details.
    """

    target: float = 0.3
    cutoff: float = ELIMINATION_CUTOFF
    extra_safe: bool = False
    offset: float = EXTRA_SAFE_OFFSET

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        decision = self.parent.decide(outcomes)
        eliminated = select_eliminated_doses(
            outcomes, self.target, self.cutoff, self.extra_safe, self.offset, in_trial=True
        )
        probabilities = [
            calculate_overdose_probability(n, y, self.target) if n > 0 else None
            for n, y in zip(outcomes.treated, outcomes.dlts, strict=True)
        ]
        details = {**decision.details, "overdose_probability": probabilities}
        decision = replace(decision, eliminated=eliminated, details=details)
        if not eliminated:
            return decision
        lowest = eliminated[0]
        if lowest == 1:
            return replace(
                decision,
                action="stop",
                next_dose=None,
                reason=(
                    f"dose 1 is overly toxic: Pr(p > {self.target:g}) = {probabilities[0]:.4f} > "
                    f"{self.cutoff - (self.offset if self.extra_safe else 0):g}; every dose is eliminated"
                ),
            )
        if decision.next_dose is None or decision.next_dose < lowest or outcomes.current_dose is None:
            return decision
        next_dose = lowest - 1
        return _redirect(
            decision,
            outcomes.current_dose,
            next_dose,
            f"doses {lowest}.. are eliminated, so dose {next_dose}",
        )


@dataclass(frozen=True, slots=True)
class StopAtNAtDose(_Wrapper):
    """Stop when the design would treat the next cohort at the current dose and it already has `cap`.

    This is R BOIN get.oc's `n.earlystop` rule: it applies only when the next dose is the current
    one (stay, or a move blocked by the lowest/highest/eliminated dose).
    """

    cap: int = 100

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        decision = self.parent.decide(outcomes)
        current = outcomes.current_dose
        if (
            current is not None
            and decision.next_dose == current
            and decision.action != "suspend"
            and outcomes.n_at(current) >= self.cap
        ):
            return replace(
                decision,
                action="stop",
                next_dose=None,
                reason=f"{outcomes.n_at(current)} patients at dose {current} reach the cap of {self.cap}",
            )
        return decision


@dataclass(frozen=True, slots=True)
class StopAtMaxN(_Wrapper):
    """Stop once the trial has treated `max_n` patients (pending ones included)."""

    max_n: int = 30

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        if outcomes.total_treated >= self.max_n:
            decision = self.parent.decide(outcomes)
            return replace(
                decision,
                action="stop",
                next_dose=None,
                reason=f"the maximum sample size {self.max_n} is reached ({outcomes.total_treated} treated)",
            )
        return self.parent.decide(outcomes)


@dataclass(frozen=True, slots=True)
class SuspendWhilePending(_Wrapper):
    """Designs that need complete DLT outcomes suspend accrual while any patient is pending."""

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        waiting = sum(outcomes.pending)
        if waiting == 0:
            return self.parent.decide(outcomes)
        return Decision(
            design=self.name,
            action="suspend",
            next_dose=outcomes.current_dose,
            reason=f"{waiting} patient(s) still inside the DLT window; {self.name} needs complete outcomes",
        )


@dataclass(frozen=True, slots=True)
class SuspendWhileEscalationPending(_Wrapper):
    """BF-BOIN: the escalation cohort's pending patients hold the decision; pending backfill patients
    do not (their outcomes count once known), as in R bfboin, which decides when the cohort's windows
    have passed. While suspended, the details (doses open to backfill) are the parent's on the
    outcomes known so far."""

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        backfill = sum(outcomes.backfill_pending)
        waiting = sum(outcomes.pending) - backfill
        decision = self.parent.decide(outcomes)
        if waiting == 0:
            return decision
        return replace(
            decision,
            action="suspend",
            next_dose=outcomes.current_dose,
            reason=f"{waiting} escalation patient(s) still inside the DLT window ({backfill} backfill "
            "pending do not hold the decision); backfill may treat at the open doses meanwhile",
        )


@dataclass(frozen=True, slots=True)
class DontSkipDoses(_Wrapper):
    """Never escalate more than one level above the current dose (no skipping of untried doses)."""

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        decision = self.parent.decide(outcomes)
        current = outcomes.current_dose
        if current is None or decision.next_dose is None or decision.next_dose <= current + 1:
            return decision
        next_dose = current + 1
        return _redirect(decision, current, next_dose, f"no skipping: dose {next_dose}")


@dataclass(frozen=True, slots=True)
class CoherentEscalation(_Wrapper):
    """dfcrm crmsim's coherence: no escalation right after a cohort whose DLT rate is >= target.

    The last cohort is the last `cohort_size` patients with known outcomes at the current dose
    (`DoseOutcomes.recent_dlts`); with no known order the rule does not apply.
    """

    target: float = 0.3
    cohort_size: int = 3

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        decision = self.parent.decide(outcomes)
        current = outcomes.current_dose
        last = outcomes.recent_dlts[-self.cohort_size :]
        if current is None or decision.next_dose is None or decision.next_dose <= current or not last:
            return decision
        rate = sum(last) / len(last)
        if rate < self.target:
            return decision
        return _redirect(
            decision, current, current, f"last cohort's DLT rate {rate:.3f} >= {self.target:g}: no escalation"
        )


@dataclass(frozen=True, slots=True)
class SuspendWhenTooManyPending(_Wrapper):
    """Time-to-event designs decide with pending patients, but suspend accrual while the pending
    patients at the current dose are more than `max_fraction` of all treated there."""

    max_fraction: float = MAX_PENDING_FRACTION

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is not None:
            waiting = outcomes.pending[current - 1]
            total = waiting + outcomes.n_at(current)
            if waiting > self.max_fraction * total:
                decision = self.parent.decide(outcomes)
                if decision.stop:
                    return decision
                return replace(
                    decision,
                    action="suspend",
                    next_dose=current,
                    reason=f"{waiting} of {total} patients at dose {current} pending (more than "
                    f"{self.max_fraction:g}): suspend accrual; {decision.reason}",
                )
        return self.parent.decide(outcomes)

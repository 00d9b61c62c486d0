"""BF-BOIN: BOIN with backfill cohorts (Zhao, Yuan, Korn & Freidlin 2024, Clin Cancer Res 30:673).

While the escalation cohort at dose d waits out its DLT window, backfill patients may be treated at
lower doses the data have cleared. Every patient with a known outcome counts at their dose, escalation
and backfill pooled. The decision at d follows the reference implementation R `bfboin`
(`sim.one.trial`): each dose 1..d gets BOIN's verdict from R BOIN's count table at its pooled n; if a
lower dose's verdict conflicts with d's, the data from the highest conflicting dose b* up to d are
pooled and decide (see docs/escalation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.escalation.designs.boin import calculate_boin_row
from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start

# Zhao et al. 2024 / R bfboin `n.cap`: a dose closes to backfill once this many have been treated there.
BACKFILL_DEFAULT_CAP = 12

_ESCALATE = "escalate"
_STAY = "stay"
_DEESCALATE = "de-escalate"
_ELIMINATE = "eliminate"


@dataclass(frozen=True, slots=True)
class BackfillBoin:
    """BF-BOIN's move at the escalation dose, and the doses open to backfill (`details`)."""

    n_doses: int
    start_dose: int
    target: float
    lambda_e: float
    lambda_d: float
    cutoff_eli: float
    backfill_cap: int = BACKFILL_DEFAULT_CAP
    name: str = "boin"

    def _verdict(self, n: int, y: int) -> str:
        """R BOIN's verdict for y DLTs among n (bfboin reads the n = 1 row when n = 0)."""
        row = calculate_boin_row(max(n, 1), self.target, self.lambda_e, self.lambda_d, self.cutoff_eli)
        if y <= row.escalate_at_most:
            return _ESCALATE
        if row.eliminate_at_least is not None and y >= row.eliminate_at_least:
            return _ELIMINATE
        if y >= row.deescalate_at_least:
            return _DEESCALATE
        return _STAY

    def _below_deescalation(self, n: int, y: int) -> bool:
        """Pooled rate below lambda_d: fewer DLTs than R BOIN's de-escalation count at n."""
        row = calculate_boin_row(max(n, 1), self.target, self.lambda_e, self.lambda_d, self.cutoff_eli)
        return y < row.deescalate_at_least

    def select_backfill_doses(self, outcomes: DoseOutcomes) -> tuple[int, ...]:
        """Doses below the current one open to backfill: already cleared (some patient's outcome is
        known there) with the rate below lambda_d at the dose, or at the dose pooled with the next one
        up; every dose from the lowest failing one up is closed; a dose closes once `backfill_cap`
        patients have been treated there (pending included). An untried dose (e.g. the backup level
        below the start dose) is not open: nothing has cleared it."""
        current = outcomes.current_dose
        if current is None:
            return ()
        open_doses: list[int] = []
        for level in range(1, current):
            n, y = outcomes.n_at(level), outcomes.dlt_at(level)
            pooled_n, pooled_y = n + outcomes.n_at(level + 1), y + outcomes.dlt_at(level + 1)
            if not (self._below_deescalation(n, y) or self._below_deescalation(pooled_n, pooled_y)):
                break
            if n > 0 and n + outcomes.pending[level - 1] < self.backfill_cap:
                open_doses.append(level)
        return tuple(open_doses)

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        verdicts = [self._verdict(outcomes.n_at(k), outcomes.dlt_at(k)) for k in range(1, current + 1)]
        details = {
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "backfill_open": list(self.select_backfill_doses(outcomes)),
        }
        n, y = outcomes.n_at(current), outcomes.dlt_at(current)
        own = verdicts[-1]
        lower = verdicts[:-1]
        if own == _ESCALATE:
            conflicting = [k for k, v in enumerate(lower, start=1) if v != _ESCALATE]
        else:
            conflicting = [k for k, v in enumerate(lower, start=1) if v in (_DEESCALATE, _ELIMINATE)]
        if not conflicting:
            move = {_ESCALATE: 1, _STAY: 0, _DEESCALATE: -1, _ELIMINATE: -1}[own]
            next_dose = min(max(current + move, 1), self.n_doses)
            reason = f"{y}/{n} DLTs at dose {current} (escalation and backfill pooled): {own}"
            return Decision(self.name, action_between(current, next_dose), next_dose, reason, (), details)
        pooled_from = conflicting[-1]
        pooled_n = sum(outcomes.treated[pooled_from - 1 : current])
        pooled_y = sum(outcomes.dlts[pooled_from - 1 : current])
        row = calculate_boin_row(pooled_n, self.target, self.lambda_e, self.lambda_d, self.cutoff_eli)
        why = (
            f"dose {pooled_from}'s data conflict with dose {current}'s ({own}): pooled doses "
            f"{pooled_from}..{current} have {pooled_y}/{pooled_n} DLTs"
        )
        details["pooled_from"] = pooled_from
        if pooled_y <= row.escalate_at_most:
            next_dose = min(current + 1, self.n_doses)
            verdict = "escalate"
        elif pooled_y >= row.deescalate_at_least:
            next_dose = pooled_from - 1
            cum_n = cum_y = 0
            for level in range(pooled_from, current + 1):
                cum_n += outcomes.n_at(level)
                cum_y += outcomes.dlt_at(level)
                if self._below_deescalation(cum_n, cum_y):
                    next_dose = level
            next_dose = max(next_dose, 1)
            verdict = "de-escalate to the highest dose whose pooled rate from there is below lambda_d"
        else:
            next_dose = current
            verdict = "stay"
        reason = f"{why} -> {verdict}"
        return Decision(self.name, action_between(current, next_dose), next_dose, reason, (), details)

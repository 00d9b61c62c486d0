"""What BOIN, mTPI-2 and i3+3 share: a signal from (patients, DLTs) at the current dose, and the move.

Each of these designs is fully described by its signal table: for n patients with y DLTs at the
current dose, escalate (+1), stay (0) or de-escalate (-1). The same table drives the decisions here
and the vectorised simulation, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cartrial.escalation.interface import Decision, DoseOutcomes, action_between, decide_start

ESCALATE = 1
STAY = 0
DEESCALATE = -1


class Signal(Protocol):
    """An interval design's rule at the current dose."""

    def row(self, n: int) -> tuple[int, ...]:
        """ESCALATE, STAY or DEESCALATE for 0, 1, ..., n DLTs among n patients."""
        ...

    def explain(self, n: int, dlts: int) -> str:
        """The numbers behind the signal for `dlts` of `n`, in words."""
        ...


_WORDS = {ESCALATE: "escalate", STAY: "stay", DEESCALATE: "de-escalate"}


def tabulate_signals(signal: Signal, max_n: int) -> list[tuple[int, ...]]:
    """table[n][y] for 0 <= y <= n <= max_n (row 0 is unused and holds STAY)."""
    return [(STAY,)] + [signal.row(n) for n in range(1, max_n + 1)]


@dataclass(frozen=True, slots=True)
class IntervalDesign:
    """A design that moves one level by the signal at the current dose."""

    name: str
    n_doses: int
    start_dose: int
    signal: Signal
    details: Mapping[str, Any] = field(default_factory=dict)

    def decide(self, outcomes: DoseOutcomes) -> Decision:
        current = outcomes.current_dose
        if current is None:
            return decide_start(self)
        n, y = outcomes.n_at(current), outcomes.dlt_at(current)
        if n == 0:
            return Decision(
                self.name, "stay", current, f"no complete outcome at dose {current} yet", (), self.details
            )
        signal = self.signal.row(n)[y]
        next_dose = min(max(current + signal, 1), self.n_doses)
        reason = f"{y}/{n} DLTs at dose {current}: {self.signal.explain(n, y)} -> {_WORDS[signal]}"
        if next_dose == current and signal != STAY:
            reason += f" (dose {current} is the {'highest' if signal == ESCALATE else 'lowest'})"
        return Decision(self.name, action_between(current, next_dose), next_dose, reason, (), self.details)

"""The one interface every escalation design answers, and the values it works on.

A *design* is configured once (doses, target, settings) and holds no data; `decide` takes the
outcomes so far and returns a `Decision`. Rules that change one or two answers of a design (stop at a
maximum sample size, eliminate overly toxic doses, wait for pending patients) wrap a design and are
designs themselves, so they stack (see `cartrial.escalation.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Action = Literal["escalate", "stay", "de-escalate", "suspend", "stop"]


@dataclass(frozen=True, slots=True)
class DoseOutcomes:
    """Counts per dose level; index 0 is dose level 1 (the lowest).

    `treated` and `dlts` count patients whose DLT outcome is known; `pending` counts patients still
    inside their DLT window with no DLT so far (unknown, never counted as 'no DLT').
    `efficacies` counts responders per dose, None where any patient's efficacy is unknown.
    `current_dose` is the level of the last patient (of the last escalation patient when some are
    backfill patients), None before the first. Backfill patients are counted with the others at
    their dose (BF-BOIN pools them).
    """

    treated: tuple[int, ...]
    dlts: tuple[int, ...]
    pending: tuple[int, ...]
    current_dose: int | None
    efficacies: tuple[int | None, ...] = ()
    pending_followup: tuple[tuple[float | None, ...], ...] = ()
    """Per dose, the days of follow-up of each pending patient (None where not recorded)."""
    dlt_and_efficacy: tuple[int | None, ...] = ()
    """Per dose, patients with both a DLT and a response (None where any efficacy is unknown)."""
    recent_dlts: tuple[int, ...] = ()
    """DLT (1) or not (0), in order, of the latest patients with known outcomes, all at the current
    dose (the trailing run); empty when the order is not known."""
    backfill_pending: tuple[int, ...] = ()
    """Per dose, the pending patients who are backfill patients (BF-BOIN), part of `pending`; empty
    when no patient is marked as backfill."""

    @property
    def n_doses(self) -> int:
        return len(self.treated)

    @property
    def total_treated(self) -> int:
        return sum(self.treated) + sum(self.pending)

    def n_at(self, level: int) -> int:
        """Patients with a known outcome at `level` (1-based)."""
        return self.treated[level - 1]

    def dlt_at(self, level: int) -> int:
        return self.dlts[level - 1]


@dataclass(frozen=True, slots=True)
class Decision:
    """What a design recommends now, why, and the numbers behind it."""

    design: str
    action: Action
    next_dose: int | None
    reason: str
    eliminated: tuple[int, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stop(self) -> bool:
        return self.action == "stop"

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of `cartrial escalate --json`."""
        return {
            "design": self.design,
            "decision": self.action,
            "next_dose": self.next_dose,
            "eliminated": list(self.eliminated),
            "stop": self.stop,
            "reason": self.reason,
            "details": dict(self.details),
        }


class Design(Protocol):
    """A configured dose-escalation design: it knows its doses and settings, not the data."""

    @property
    def name(self) -> str: ...

    @property
    def n_doses(self) -> int: ...

    @property
    def start_dose(self) -> int: ...

    def decide(self, outcomes: DoseOutcomes) -> Decision: ...


def action_between(current: int, next_dose: int) -> Action:
    """The action that moves from `current` to `next_dose`."""
    if next_dose > current:
        return "escalate"
    if next_dose < current:
        return "de-escalate"
    return "stay"


def decide_start(design: Design) -> Decision:
    """The decision before the first patient: treat at the start dose."""
    return Decision(
        design=design.name,
        action="stay",
        next_dose=design.start_dose,
        reason=f"no patients yet: treat the first cohort at the start dose {design.start_dose}",
    )

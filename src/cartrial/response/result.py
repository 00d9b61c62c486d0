"""Response results: every criterion with each component's verdict, value and reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cartrial.clinical.tristate import Tristate
from cartrial.response.settings import ResponseSettings


@dataclass(frozen=True, slots=True)
class ScoreRange:
    """An integer score known to lie in `low`..`high` (equal when nothing it needs is unknown)."""

    low: int
    high: int

    @property
    def is_exact(self) -> bool:
        return self.low == self.high

    def __sub__(self, other: ScoreRange) -> ScoreRange:
        return ScoreRange(self.low - other.high, self.high - other.low)

    def to_json(self) -> int | dict[str, int]:
        return self.low if self.is_exact else {"low": self.low, "high": self.high}

    def __str__(self) -> str:
        return str(self.low) if self.is_exact else f"{self.low}..{self.high}"


ComponentValue = ScoreRange | Decimal | int | str | tuple[str, ...] | None


def verdict(met: Tristate) -> str:
    """'met', 'not_met' or 'unknown': the word a report shows for a three-valued result."""
    return {True: "met", False: "not_met", None: "unknown"}[met]


def _value_json(value: ComponentValue) -> Any:
    if isinstance(value, ScoreRange):
        return value.to_json()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        # A JSON number: the shortest float repr of a short decimal prints the same digits (0.29 -> 0.29).
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass(frozen=True, slots=True)
class Component:
    """One component of a criterion: `met` is True, False or None (unknown), `reason` says why."""

    name: str
    met: Tristate
    value: ComponentValue
    rule: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "result": verdict(self.met),
            "value": _value_json(self.value),
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """SRI-k, LLDAS or DORIS remission at one visit: met only if every component is met."""

    criterion: str
    met: Tristate
    reason: str
    components: tuple[Component, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "result": verdict(self.met),
            "reason": self.reason,
            "components": [c.to_json() for c in self.components],
        }


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A score at baseline and at the visit, and the change (visit - baseline; negative is better).

    A score is None when it was not assessed; `reason` then says which is missing.
    """

    score: str
    baseline: ScoreRange | None
    visit: ScoreRange | None
    reason: str

    @property
    def change(self) -> ScoreRange | None:
        if self.baseline is None or self.visit is None:
            return None
        return self.visit - self.baseline

    def to_json(self) -> dict[str, Any]:
        change = self.change
        return {
            "score": self.score,
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "visit": None if self.visit is None else self.visit.to_json(),
            "change": None if change is None else change.to_json(),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class VisitResponse:
    visit: str
    day: int
    visit_date: date | None
    scores: tuple[ScoreChange, ...]
    sri: CriterionResult
    lldas: CriterionResult
    doris: CriterionResult

    def to_json(self) -> dict[str, Any]:
        return {
            "visit": self.visit,
            "day": self.day,
            "visit_date": None if self.visit_date is None else self.visit_date.isoformat(),
            "scores": [s.to_json() for s in self.scores],
            "sri": self.sri.to_json(),
            "lldas": self.lldas.to_json(),
            "doris": self.doris.to_json(),
        }


@dataclass(frozen=True, slots=True)
class SubjectResponse:
    subject_id: str
    settings: ResponseSettings
    visits: tuple[VisitResponse, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "settings": self.settings.to_json(),
            "visits": [v.to_json() for v in self.visits],
        }

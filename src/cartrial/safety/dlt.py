"""DLT adjudication: one subject's adverse events judged against the protocol's DLT rules.

The rules are protocol data (`cartrial.protocol.DltRuleSpec`): each names a `kind` this module interprets
and the parameters of that kind. `compile_dlt_rules` checks them once (an unknown kind or a bad parameter is
an InputError naming the rule); `adjudicate_dlt` then judges a subject at its data cut-off:

- `dlt`: some rule is met; the earliest DLT (then the first rule in protocol order) is reported.
- `pending`: no rule met yet, and the window is still open or a rule cannot be decided yet (e.g. grade 3
  CRS that has lasted under 72 h).
- `no_dlt`: followed through the window with no rule met, or follow-up ended early without a DLT.

The window runs from the infusion to infusion + `window_days` days, both ends included: an event counts
when it starts (or, for a rule about duration, its episode starts) inside it. Durations are compared
exactly: improving within 72 h means at or before 72 h 0 min; lasting > 7 days means longer than 168 h.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError

from cartrial.errors import FieldError, InputError
from cartrial.protocol import DltRuleSpec, DltSpec
from cartrial.safety.events import RELATEDNESS_ORDER, AdverseEvent, Category, Relatedness, SubjectSafety
from cartrial.safety.result import StrictInput

DltStatus = Literal["dlt", "no_dlt", "pending"]
_DAY = timedelta(days=1)

# --- courses


@dataclass(frozen=True, slots=True)
class _Course:
    """An event's grade course as (moment, grade) points; resolution adds a final grade 0."""

    event: AdverseEvent
    points: tuple[tuple[datetime, int], ...]
    term: str
    related_rank: int


_RELATEDNESS_RANK = {relatedness: rank for rank, relatedness in enumerate(RELATEDNESS_ORDER)}


def _course(event: AdverseEvent) -> _Course:
    points = [(change.at, change.grade) for change in event.grades]
    if event.resolution is not None:
        points.append((event.resolution, 0))
    return _Course(event, tuple(points), event.term.casefold(), _RELATEDNESS_RANK[event.related_to_product])


def _episodes(
    points: tuple[tuple[datetime, int], ...], reaches: int, ends_at_or_below: int
) -> list[tuple[datetime, datetime | None]]:
    """Spans from reaching grade >= `reaches` to the first grade <= `ends_at_or_below` (None: still on)."""
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for at, grade in points:
        if start is None:
            if grade >= reaches:
                start = at
        elif grade <= ends_at_or_below:
            spans.append((start, at))
            start = None
    if start is not None:
        spans.append((start, None))
    return spans


def _grade_at(points: tuple[tuple[datetime, int], ...], moment: datetime) -> int:
    grade = 0
    for at, value in points:
        if at > moment:
            break
        grade = value
    return grade


@dataclass(frozen=True, slots=True)
class _Context:
    window_start: datetime
    window_end: datetime
    observed_until: datetime
    courses: tuple[_Course, ...]
    by_category: dict[str, tuple[_Course, ...]]

    def in_window(self, moment: datetime) -> bool:
        return self.window_start <= moment <= self.window_end


RuleStatus = Literal["met", "pending", "not_met"]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule judged for one subject: met (with the moment it was met and the events), pending, or not."""

    rule_id: str
    status: RuleStatus
    at: datetime | None
    events: tuple[str, ...]


_Verdict = tuple[RuleStatus, datetime | None, tuple[str, ...]]
_NOT_MET: _Verdict = ("not_met", None, ())


def _decide(met: list[tuple[datetime, str]], pending: list[str]) -> _Verdict:
    """Met at the earliest moment an event met it (naming each event that met it), else pending, else not."""
    if met:
        first = min(at for at, _ in met)
        return "met", first, tuple(dict.fromkeys(event_id for _, event_id in sorted(met)))
    if pending:
        return "pending", None, tuple(dict.fromkeys(pending))
    return _NOT_MET


# --- rule kinds


class _Parameters(StrictInput):
    grade: int = Field(ge=1, le=5)


class GradeAtLeastParameters(_Parameters):
    """Any event of the category reaching `grade` inside the window."""


class NotImprovingParameters(_Parameters):
    """An episode at grade >= `grade` not back to <= `improve_to` within `within_hours`."""

    improve_to: int = Field(ge=0, le=4)
    within_hours: float = Field(gt=0)


class CytopeniaParameters(_Parameters):
    """An event named in `terms`, absent at baseline, still at grade >= `grade` when the window ends."""

    terms: tuple[str, ...] = Field(min_length=1)


class PersistingParameters(_Parameters):
    """A related episode at grade >= `grade` in `categories` lasting longer than `longer_than_days`.

    `excluded_terms` never count; `excluded_if_controlled_terms` do not count when the episode was back
    below `grade` within `controlled_within_hours`.
    """

    longer_than_days: float = Field(ge=0)
    categories: tuple[Category, ...] = ("non_haematological",)
    excluded_terms: tuple[str, ...] = ()
    excluded_if_controlled_terms: tuple[str, ...] = ()
    controlled_within_hours: float = Field(default=72, ge=0)
    related_at_least: Relatedness = "possible"


class DeathParameters(_Parameters):
    """An event reaching `grade` (5) inside the window, related to the product."""

    related_at_least: Relatedness = "possible"


Judge = Callable[["_Context"], _Verdict]
"""A rule bound to its parameters: judges one subject's context."""


def _grade_at_least(category: Category) -> Callable[[GradeAtLeastParameters], Judge]:
    def bind(p: GradeAtLeastParameters) -> Judge:
        def judge(ctx: _Context) -> _Verdict:
            met = [
                (at, course.event.id)
                for course in ctx.by_category.get(category, ())
                for at, grade in course.points
                if grade >= p.grade and ctx.in_window(at)
            ]
            return _decide(met, [])

        return judge

    return bind


def _not_improving(category: Category) -> Callable[[NotImprovingParameters], Judge]:
    def bind(p: NotImprovingParameters) -> Judge:
        limit = timedelta(hours=p.within_hours)

        def judge(ctx: _Context) -> _Verdict:
            met: list[tuple[datetime, str]] = []
            pending: list[str] = []
            for course in ctx.by_category.get(category, ()):
                for start, end in _episodes(course.points, p.grade, p.improve_to):
                    deadline = start + limit
                    if not ctx.in_window(start) or (end is not None and end <= deadline):
                        continue
                    if end is not None or ctx.observed_until > deadline:
                        met.append((deadline, course.event.id))
                    else:
                        pending.append(course.event.id)
            return _decide(met, pending)

        return judge

    return bind


def _cytopenia_beyond_window(p: CytopeniaParameters) -> Judge:
    terms = frozenset(term.casefold() for term in p.terms)

    def judge(ctx: _Context) -> _Verdict:
        met: list[tuple[datetime, str]] = []
        pending: list[str] = []
        for course in ctx.courses:
            if course.term not in terms or course.event.present_at_baseline:
                continue
            if ctx.observed_until > ctx.window_end:
                if _grade_at(course.points, ctx.window_end) >= p.grade:
                    met.append((ctx.window_end, course.event.id))
            elif _grade_at(course.points, ctx.observed_until) >= p.grade:
                pending.append(course.event.id)
        return _decide(met, pending)

    return judge


def _persisting(p: PersistingParameters) -> Judge:
    excluded = frozenset(term.casefold() for term in p.excluded_terms)
    controllable = frozenset(term.casefold() for term in p.excluded_if_controlled_terms)
    categories = frozenset(p.categories)
    related_rank = RELATEDNESS_ORDER.index(p.related_at_least)
    longer_than = timedelta(days=p.longer_than_days)
    controlled_within = timedelta(hours=p.controlled_within_hours)

    def judge(ctx: _Context) -> _Verdict:
        met: list[tuple[datetime, str]] = []
        pending: list[str] = []
        for course in ctx.courses:
            if (
                course.event.category not in categories
                or course.term in excluded
                or course.related_rank < related_rank
            ):
                continue
            for start, end in _episodes(course.points, p.grade, p.grade - 1):
                if not ctx.in_window(start):
                    continue
                if end is not None and (
                    end - start <= longer_than
                    or (course.term in controllable and end - start <= controlled_within)
                ):
                    continue
                if end is not None or ctx.observed_until > start + longer_than:
                    met.append((start + longer_than, course.event.id))
                else:
                    pending.append(course.event.id)
        return _decide(met, pending)

    return judge


def _death_related(p: DeathParameters) -> Judge:
    related_rank = RELATEDNESS_ORDER.index(p.related_at_least)

    def judge(ctx: _Context) -> _Verdict:
        met = [
            (at, course.event.id)
            for course in ctx.courses
            if course.related_rank >= related_rank
            for at, grade in course.points
            if grade >= p.grade and ctx.in_window(at)
        ]
        return _decide(met, [])

    return judge


# Each kind a protocol may name: its parameters, and how it binds them into a judge.
_KINDS: dict[str, tuple[type[_Parameters], Callable[[Any], Judge]]] = {
    "crs_grade_at_least": (GradeAtLeastParameters, _grade_at_least("crs")),
    "icans_grade_at_least": (GradeAtLeastParameters, _grade_at_least("icans")),
    "crs_not_improving": (NotImprovingParameters, _not_improving("crs")),
    "icans_not_improving": (NotImprovingParameters, _not_improving("icans")),
    "cytopenia_beyond_window": (CytopeniaParameters, _cytopenia_beyond_window),
    "nonhaematological_persisting": (PersistingParameters, _persisting),
    "death_related": (DeathParameters, _death_related),
}
DLT_RULE_KINDS: tuple[str, ...] = tuple(_KINDS)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: DltRuleSpec
    parameters: _Parameters
    judge: Judge


@dataclass(frozen=True, slots=True)
class DltRules:
    """The protocol's DLT rules, checked and ready to judge subjects."""

    window_days: int
    rules: tuple[CompiledRule, ...]


def compile_dlt_rules(spec: DltSpec, source: str = "protocol") -> DltRules:
    """Check every rule's kind and parameters once; InputError names each bad rule field."""
    compiled: list[CompiledRule] = []
    errors: list[FieldError] = []
    for index, rule in enumerate(spec.rules):
        where = f"dlt.rules.{index}"
        if rule.kind not in _KINDS:
            known = ", ".join(DLT_RULE_KINDS)
            errors.append(
                FieldError(f"{where}.kind", f"unknown DLT rule kind {rule.kind!r} (known: {known})")
            )
            continue
        model, bind = _KINDS[rule.kind]
        try:
            # As JSON: the protocol's TOML lists are arrays, read strictly as the tuples they become.
            parameters = model.model_validate_json(json.dumps(rule.parameters))
        except ValidationError as exc:
            for item in exc.errors():
                path = ".".join(str(part) for part in item["loc"])
                errors.append(FieldError(f"{where}.parameters.{path}", item["msg"]))
            continue
        compiled.append(CompiledRule(rule, parameters, bind(parameters)))
    if errors:
        raise InputError(source, tuple(errors))
    return DltRules(spec.window_days, tuple(compiled))


# --- adjudication


@dataclass(frozen=True, slots=True)
class DltAdjudication:
    """A subject's DLT status at its data cut-off, and what the escalation design needs from it.

    `followup_days` is the follow-up observed inside the window (what time-to-event designs weigh);
    `evaluable` is None while the answer depends on follow-up still to come.
    """

    subject_id: str
    dose_level: int
    status: DltStatus
    rule: str | None
    events: tuple[str, ...]
    dlt_at: datetime | None
    followup_days: float
    evaluable: bool | None
    reason: str
    outcomes: tuple[RuleOutcome, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "dose_level": self.dose_level,
            "status": self.status,
            "rule": self.rule,
            "events": list(self.events),
            "dlt_at": None if self.dlt_at is None else self.dlt_at.isoformat(),
            "followup_days": self.followup_days,
            "evaluable": self.evaluable,
            "reason": self.reason,
        }


def adjudicate_dlt(subject: SubjectSafety, rules: DltRules) -> DltAdjudication:
    """Judge one subject against the protocol's DLT rules at its data cut-off (`evaluation_at`)."""
    window_end = subject.infusion_at + rules.window_days * _DAY
    off_study = subject.off_study_at
    followed = off_study is None or off_study > subject.evaluation_at
    observed_until = subject.evaluation_at if off_study is None else min(subject.evaluation_at, off_study)
    courses = tuple(_course(event) for event in subject.adverse_events)
    by_category: dict[str, list[_Course]] = {}
    for course in courses:
        by_category.setdefault(course.event.category, []).append(course)
    ctx = _Context(
        subject.infusion_at,
        window_end,
        observed_until,
        courses,
        {category: tuple(group) for category, group in by_category.items()},
    )
    outcomes = tuple(RuleOutcome(rule.spec.id, *rule.judge(ctx)) for rule in rules.rules)
    followup_days = (min(observed_until, window_end) - subject.infusion_at) / _DAY
    through_window = observed_until >= window_end

    met = [outcome for outcome in outcomes if outcome.status == "met"]
    if met:
        first = min(met, key=lambda outcome: outcome.at or window_end)  # stable: protocol order breaks ties
        spec = next(rule.spec for rule in rules.rules if rule.spec.id == first.rule_id)
        return DltAdjudication(
            subject.subject_id,
            subject.dose_level,
            "dlt",
            first.rule_id,
            first.events,
            first.at,
            followup_days,
            subject.infused_at_assigned_dose,
            spec.description or spec.id,
            outcomes,
        )
    waiting = [outcome for outcome in outcomes if outcome.status == "pending"]
    if followed and (waiting or not through_window):
        rule = waiting[0].rule_id if waiting else None
        events = waiting[0].events if waiting else ()
        reason = (
            f"rule {rule} undecided for event(s) {', '.join(events)}"
            if rule
            else f"DLT window open until {window_end.isoformat()}"
        )
        evaluable = None if subject.infused_at_assigned_dose else False
        return DltAdjudication(
            subject.subject_id,
            subject.dose_level,
            "pending",
            rule,
            events,
            None,
            followup_days,
            evaluable,
            reason,
            outcomes,
        )
    if not subject.infused_at_assigned_dose:
        reason, evaluable = "no DLT; not infused at the assigned dose", False
    elif waiting or not through_window:
        reason, evaluable = f"no DLT observed; follow-up ended at {observed_until.isoformat()}", False
    else:
        reason, evaluable = "followed through the DLT window with no DLT", True
    return DltAdjudication(
        subject.subject_id,
        subject.dose_level,
        "no_dlt",
        None,
        (),
        None,
        followup_days,
        evaluable,
        reason,
        outcomes,
    )


# --- escalation input


@dataclass(frozen=True, slots=True)
class EscalationPatient:
    """One patient as the escalation engine reads it: dose level, DLT yes/no/pending, follow-up days."""

    id: str
    dose_level: int
    dlt: Literal["yes", "no", "pending"]
    followup_days: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dose_level": self.dose_level,
            "dlt": self.dlt,
            "followup_days": self.followup_days,
        }


_ESCALATION_DLT: dict[DltStatus, Literal["yes", "no", "pending"]] = {
    "dlt": "yes",
    "no_dlt": "no",
    "pending": "pending",
}


def to_escalation_patients(adjudications: Iterable[DltAdjudication]) -> tuple[EscalationPatient, ...]:
    """A cohort's adjudications as escalation input; subjects known not to be DLT-evaluable are left out."""
    return tuple(
        EscalationPatient(a.subject_id, a.dose_level, _ESCALATION_DLT[a.status], a.followup_days)
        for a in adjudications
        if a.evaluable is not False
    )


def to_escalation_state(adjudications: Iterable[DltAdjudication]) -> dict[str, Any]:
    """The escalation state document, `{"patients": [...]}`, in the order given (order of treatment)."""
    return {"patients": [patient.to_json() for patient in to_escalation_patients(adjudications)]}

"""Adverse events and a subject's safety record: the input of DLT adjudication.

An adverse event carries its grade time course: each change of grade with the moment it happened. The
course starts at onset, moves forwards in time, and ends at resolution (grade 0) or is still ongoing.
Times with a UTC offset are converted to UTC; times without one are taken as written (one clock per site).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from cartrial.safety.result import StrictInput


def _as_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


Instant = Annotated[datetime, AfterValidator(_as_naive_utc)]
"""An ISO 8601 date-time; one with a UTC offset is compared in UTC."""

Relatedness = Literal["not_related", "unlikely", "possible", "probable", "definite"]
RELATEDNESS_ORDER: tuple[Relatedness, ...] = ("not_related", "unlikely", "possible", "probable", "definite")

Category = Literal["crs", "icans", "iec_hs", "haematological", "non_haematological"]
Action = Literal[
    "tocilizumab",
    "corticosteroids",
    "anakinra",
    "siltuximab",
    "vasopressors",
    "oxygen",
    "antipyretics",
    "transfusion",
    "g_csf",
    "antibiotics",
    "hospitalisation",
    "other",
]


class GradeChange(StrictInput):
    """The grade the event took at `at` (it holds until the next change or resolution)."""

    at: Instant
    grade: int = Field(ge=0, le=5)


class AdverseEvent(StrictInput):
    """One adverse event: CTCAE term, category, onset, grade course, resolution, seriousness, causality."""

    id: str = Field(min_length=1)
    term: str = Field(min_length=1, description="CTCAE v5.0 term, e.g. 'Cytokine release syndrome'")
    category: Category = Field(
        description="which DLT rules look at it: CRS, ICANS, IEC-HS, haematological, other"
    )
    onset: Instant
    grades: tuple[GradeChange, ...] = Field(
        min_length=1, description="grade changes in time order; the first is at onset, grade >= 1"
    )
    resolution: Instant | None = Field(description="when it resolved; null while ongoing")
    serious: bool
    related_to_product: Relatedness
    related_to_lymphodepletion: Relatedness
    actions: tuple[Action, ...] = Field(default=(), description="treatments given for it")
    present_at_baseline: bool = Field(
        default=False,
        description="the condition was present before lymphodepletion (a worsening is recorded)",
    )

    @field_validator("grades")
    @classmethod
    def _course_moves_forward(
        cls, grades: tuple[GradeChange, ...], info: ValidationInfo
    ) -> tuple[GradeChange, ...]:
        onset = info.data.get("onset")
        if onset is not None and grades[0].at != onset:
            raise ValueError(f"grades[0].at ({grades[0].at}) must be the onset ({onset})")
        if grades[0].grade < 1:
            raise ValueError("grades[0].grade must be at least 1: an event starts with a grade")
        for index in range(1, len(grades)):
            if grades[index].at <= grades[index - 1].at:
                raise ValueError(
                    f"grades[{index}].at ({grades[index].at}) is not after grades[{index - 1}].at "
                    f"({grades[index - 1].at}): the grade course goes backwards in time"
                )
        return grades

    @field_validator("resolution")
    @classmethod
    def _resolves_after_onset(cls, resolution: datetime | None, info: ValidationInfo) -> datetime | None:
        if resolution is None:
            return None
        onset = info.data.get("onset")
        if onset is not None and resolution < onset:
            raise ValueError(f"resolution ({resolution}) is before onset ({onset})")
        grades = info.data.get("grades")
        if grades and resolution < grades[-1].at:
            raise ValueError(f"resolution ({resolution}) is before the last grade change ({grades[-1].at})")
        return resolution

    @property
    def last_recorded(self) -> datetime:
        """The latest moment this event's record speaks about."""
        return self.resolution if self.resolution is not None else self.grades[-1].at


class SubjectSafety(StrictInput):
    """One subject's safety record at a data cut-off: infusion, follow-up and adverse events."""

    subject_id: str = Field(min_length=1)
    dose_level: int = Field(
        gt=0, description="assigned dose level, 1 = lowest (as the protocol numbers them)"
    )
    infused_at_assigned_dose: bool = Field(description="the product was infused at the assigned dose level")
    infusion_at: Instant
    evaluation_at: Instant = Field(description="data cut-off: what is known up to this moment")
    off_study_at: Instant | None = Field(
        default=None,
        description="follow-up ended early (withdrawal, death, lost to follow-up); null if followed",
    )
    adverse_events: tuple[AdverseEvent, ...] = ()

    @field_validator("evaluation_at")
    @classmethod
    def _evaluated_after_infusion(cls, evaluation: datetime, info: ValidationInfo) -> datetime:
        infusion = info.data.get("infusion_at")
        if infusion is not None and evaluation < infusion:
            raise ValueError(f"evaluation_at ({evaluation}) is before infusion_at ({infusion})")
        return evaluation

    @field_validator("off_study_at")
    @classmethod
    def _off_study_after_infusion(cls, off_study: datetime | None, info: ValidationInfo) -> datetime | None:
        infusion = info.data.get("infusion_at")
        if off_study is not None and infusion is not None and off_study < infusion:
            raise ValueError(f"off_study_at ({off_study}) is before infusion_at ({infusion})")
        return off_study

    @field_validator("adverse_events")
    @classmethod
    def _known_by_cut_off(
        cls, events: tuple[AdverseEvent, ...], info: ValidationInfo
    ) -> tuple[AdverseEvent, ...]:
        evaluation = info.data.get("evaluation_at")
        seen: set[str] = set()
        for index, event in enumerate(events):
            if event.id in seen:
                raise ValueError(f"adverse_events[{index}].id {event.id!r} is used twice")
            seen.add(event.id)
            if evaluation is not None and event.last_recorded > evaluation:
                raise ValueError(
                    f"adverse_events[{index}] ({event.id}) is recorded up to {event.last_recorded}, "
                    f"after evaluation_at ({evaluation})"
                )
            off_study = info.data.get("off_study_at")
            if off_study is not None and event.last_recorded > off_study:
                raise ValueError(
                    f"adverse_events[{index}] ({event.id}) is recorded up to {event.last_recorded}, "
                    f"after off_study_at ({off_study})"
                )
        return events

"""The screening record: every fact the eligibility criteria need, as a site submits it (JSON).

A list field left out (`null`) means *not assessed*, which makes the criteria that need it unknown;
an empty list means *assessed, none*. Dates are calendar dates (no times). Quantities carry their
units; they are checked here and converted once, by the criteria, to canonical units.

The record is read strictly (docs/protocol-readings.md, "Record format: read strictly"): each value
only in the JSON type its schema gives it — a date only as "YYYY-MM-DD" text, a boolean only as
true/false, an integer only as a JSON integer, a quantity only as a JSON number, a code only as its
text — never coerced.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cartrial.clinical.classification import Acr1997Items, EularAcr2019Items, Slicc2012Items
from cartrial.clinical.glucocorticoids import Route
from cartrial.clinical.sledai import SledaiAssessment
from cartrial.clinical.units import Analyte, check_unit
from cartrial.errors import FieldError
from cartrial.json_number import NonNegativeDecimal, PositiveDecimal


class RecordModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, strict=True)


class Autoantibody(StrEnum):
    ANA = "ana"
    ANTI_DSDNA = "anti_dsdna"
    ANTI_SM = "anti_sm"


class SerologyResult(RecordModel):
    test: Autoantibody
    positive: bool
    result_date: date
    titre: str | None = Field(default=None, description="as reported, e.g. '1:320'")


class Medication(RecordModel):
    """One period of one drug at one dose. A dose change ends a period and starts a new one."""

    drug: str = Field(min_length=1, description="generic or usual name; 'MMF', 'ciclosporin' are understood")
    route: Route
    dose: PositiveDecimal | None = Field(default=None, description="per administration")
    dose_unit: Literal["mg", "g", "ug"] | None = None
    times_per_day: PositiveDecimal = Field(default=Decimal(1), json_schema_extra={"default": 1})
    every_n_days: Annotated[int, Field(ge=1)] = 1
    start_date: date
    stop_date: date | None = Field(default=None, description="last day taken; null if ongoing")
    indication: str | None = Field(default=None, description="e.g. 'SLE', 'lupus nephritis', 'Hashimoto'")

    @model_validator(mode="after")
    def _consistent(self) -> Medication:
        if (self.dose is None) != (self.dose_unit is None):
            raise ValueError("dose and dose_unit go together")
        if self.stop_date is not None and self.stop_date < self.start_date:
            raise ValueError("stop_date is before start_date")
        return self


class LabResult(RecordModel):
    test: Analyte
    value: NonNegativeDecimal
    unit: str = Field(min_length=1)
    result_date: date
    lower_limit: NonNegativeDecimal | None = Field(default=None, description="lab's lower limit, same unit")
    upper_limit: NonNegativeDecimal | None = Field(default=None, description="lab's upper limit, same unit")

    @model_validator(mode="after")
    def _unit_known(self) -> LabResult:
        check_unit(self.test, self.unit, "unit")
        return self


class LupusCrisisKind(StrEnum):
    """Exclusion 2 of the registry record: lupus crises."""

    ACTIVE_CNS_LUPUS = "active_cns_lupus"
    SEVERE_HAEMOLYTIC_ANAEMIA = "severe_haemolytic_anaemia"
    SEVERE_THROMBOCYTOPENIC_PURPURA = "severe_thrombocytopenic_purpura"
    SEVERE_AGRANULOCYTOSIS = "severe_agranulocytosis"
    SEVERE_MYOCARDIAL_DAMAGE = "severe_myocardial_damage"
    SEVERE_LUPUS_PNEUMONITIS = "severe_lupus_pneumonitis"
    PULMONARY_HAEMORRHAGE = "pulmonary_haemorrhage"
    SEVERE_LUPUS_HEPATITIS = "severe_lupus_hepatitis"
    SEVERE_VASCULITIS = "severe_vasculitis"
    OTHER = "other"


class CnsDisorderKind(StrEnum):
    """Exclusion 3 of the registry record: CNS diseases "including but not limited to"."""

    CEREBROVASCULAR_ACCIDENT = "cerebrovascular_accident"
    ANEURYSM = "aneurysm"
    EPILEPSY = "epilepsy"
    CONVULSIONS = "convulsions"
    APHASIA = "aphasia"
    STROKE = "stroke"
    SEVERE_BRAIN_INJURY = "severe_brain_injury"
    DEMENTIA = "dementia"
    PARKINSONS_DISEASE = "parkinsons_disease"
    CEREBELLAR_DISEASE = "cerebellar_disease"
    ORGANIC_BRAIN_SYNDROME = "organic_brain_syndrome"
    PSYCHOSIS = "psychosis"
    OTHER = "other"


class Episode(RecordModel):
    onset_date: date
    end_date: date | None = Field(default=None, description="date resolved; null if ongoing")

    @model_validator(mode="after")
    def _ordered(self) -> Episode:
        if self.end_date is not None and self.end_date < self.onset_date:
            raise ValueError("end_date is before onset_date")
        return self


class LupusCrisis(Episode):
    kind: LupusCrisisKind
    description: str | None = None


class CnsDisorder(Episode):
    kind: CnsDisorderKind
    caused_by_lupus: bool | None = Field(description="null if the cause is not established")
    clinically_significant: bool = True
    description: str | None = None


class AutoimmuneDisease(RecordModel):
    name: str = Field(min_length=1, description="e.g. 'Sjögren syndrome', 'Hashimoto thyroiditis'")
    needs_systemic_treatment: bool | None = Field(
        description="needs systemic immunosuppressive or immunomodulatory treatment for this disease"
    )


class Transplant(RecordModel):
    kind: Literal["organ", "haematopoietic_stem_cell", "bone_marrow"]
    organ: Literal["heart", "lung", "kidney", "liver", "pancreas", "intestine", "other"] | None = None
    transplant_date: date | None = None

    @model_validator(mode="after")
    def _organ_named(self) -> Transplant:
        if self.kind == "organ" and self.organ is None:
            raise ValueError("an organ transplant names the organ")
        return self


class ClassificationFindings(RecordModel):
    """The classification criteria items recorded, under one or more criteria sets."""

    acr1997: Acr1997Items | None = None
    slicc2012: Slicc2012Items | None = None
    eular_acr2019: EularAcr2019Items | None = None


class ScreeningRecord(RecordModel):
    """A candidate's screening data. Identify by screening number, never by name."""

    screening_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    site_id: str | None = None
    screening_date: date = Field(description="the date eligibility is assessed")
    consent_date: date | None = Field(description="ICF signature date; null if not signed")
    birth_date: date | None
    sex: Literal["female", "male"] | None = None
    sle_diagnosis_date: date | None
    active_disease_since: date | None = Field(
        default=None, description="since when the disease has been continuously active"
    )
    classification: ClassificationFindings | None = Field(
        default=None, description="classification criteria items found, under the protocol's criteria set"
    )
    sledai: SledaiAssessment | None = None
    serology: tuple[SerologyResult, ...] | None = None
    medications: tuple[Medication, ...] | None = Field(
        default=None, description="medication history (at least the 6 months before screening)"
    )
    labs: tuple[LabResult, ...] | None = None
    lupus_nephritis_active: bool | None = None
    dialysis: tuple[Episode, ...] | None = Field(default=None, description="haemodialysis periods")
    lupus_crises: tuple[LupusCrisis, ...] | None = None
    cns_disorders: tuple[CnsDisorder, ...] | None = None
    other_autoimmune_diseases: tuple[AutoimmuneDisease, ...] | None = None
    transplants: tuple[Transplant, ...] | None = None

    def dated_facts(self) -> list[tuple[str, date]]:
        """Every observation date in the record with its field path (none may follow screening)."""
        return [(dated_path(path, index), when) for path, index, when in self.observation_dates()]

    def observation_dates(self) -> list[tuple[str, int | None, date]]:
        """Every observation date as (path, list index or None, date), in `dated_facts` order; the
        field path is `dated_path(path, index)`, spelled out only where needed."""
        facts: list[tuple[str, int | None, date]] = []
        if self.sle_diagnosis_date is not None:
            facts.append(("sle_diagnosis_date", None, self.sle_diagnosis_date))
        if self.active_disease_since is not None:
            facts.append(("active_disease_since", None, self.active_disease_since))
        if self.sledai is not None:
            facts.append(("sledai.assessment_date", None, self.sledai.assessment_date))
        for field, attribute, path in _LISTED_DATES:
            entries = getattr(self, field)
            if entries:
                facts.extend([(path, i, getattr(entry, attribute)) for i, entry in enumerate(entries)])
        return facts


# The list fields that carry an observation date: (field, the entries' date attribute, its path).
_LISTED_DATES = tuple(
    (field, attribute, f"{field}.{{}}.{attribute}")
    for field, attribute in (
        ("serology", "result_date"),
        ("labs", "result_date"),
        ("medications", "start_date"),
        ("dialysis", "onset_date"),
        ("lupus_crises", "onset_date"),
        ("cns_disorders", "onset_date"),
    )
)


def dated_path(path: str, index: int | None) -> str:
    """The field path of an observation date: `path` with its list index filled in."""
    return path if index is None else path.format(index)


def date_errors(record: ScreeningRecord, today: date) -> tuple[FieldError, ...]:
    """Dates that cannot be right: in the future, screening before consent, facts after screening."""
    errors: list[FieldError] = []
    screening = record.screening_date
    if screening > today:
        errors.append(FieldError("screening_date", f"{screening} is in the future (today is {today})"))
    if record.consent_date is not None and record.consent_date > screening:
        errors.append(
            FieldError("consent_date", f"{record.consent_date} is after the screening date {screening}")
        )
    if record.birth_date is not None:
        if record.birth_date >= screening:
            errors.append(FieldError("birth_date", f"{record.birth_date} is not before the screening date"))
        elif record.consent_date is not None and record.birth_date >= record.consent_date:
            errors.append(FieldError("birth_date", f"{record.birth_date} is not before the consent date"))
    latest = _latest_observation(record)
    if latest is not None and latest > screening:  # rare: only then is each date's path spelled out
        errors.extend(
            FieldError(dated_path(path, index), f"{when} is after the screening date {screening}")
            for path, index, when in record.observation_dates()
            if when > screening
        )
    return tuple(errors)


# Each list field with an observation date, and that date of its entries, read at C speed.
_LISTED_DATE_GETTERS = tuple(
    (attrgetter(field), attrgetter(attribute)) for field, attribute, _ in _LISTED_DATES
)


def _latest_observation(record: ScreeningRecord) -> date | None:
    """The latest of the record's observation dates (those of `observation_dates`), None if it has none."""
    dates = [when for when in (record.sle_diagnosis_date, record.active_disease_since) if when is not None]
    if record.sledai is not None:
        dates.append(record.sledai.assessment_date)
    for entries_of, date_of in _LISTED_DATE_GETTERS:
        entries = entries_of(record)
        if entries:
            dates.extend(map(date_of, entries))
    return max(dates, default=None)

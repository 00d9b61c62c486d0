"""The response input: one subject's visits, baseline first, as a site records them (JSON).

A field left out or `null` was not assessed: every criterion that needs it is *unknown*. An empty list
means *assessed, none* (no glucocorticoid, no lupus drug). Numbers are decimals so boundaries (PGA +0.30,
prednisolone 7.5 mg) are compared exactly; read JSON with `parse_float=Decimal`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cartrial.clinical.formulary import DrugClass, drug_class, generic_name
from cartrial.clinical.glucocorticoids import Route, is_glucocorticoid
from cartrial.clinical.sledai import SledaiAssessment, SledaiVersion
from cartrial.errors import FieldError, InputError
from cartrial.json_number import JsonNumber
from cartrial.protocol import field_errors_from_validation

# Physician's global assessment: a 0-3 visual analogue scale (SELENA-SLEDAI PGA, Petri et al. NEJM 2005).
PGA_MIN = Decimal("0")
PGA_MAX = Decimal("3")


class InputModel(BaseModel):
    """Read strictly (docs/protocol-readings.md, "Record format: read strictly"): a date only as
    "YYYY-MM-DD" text, a boolean only as true/false, an integer only as a JSON integer, a quantity only
    as a JSON number, a code only as its text — never coerced."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, strict=True)


class BilagGrade(StrEnum):
    """BILAG-2004 domain grade: A severe, B moderate, C mild, D previously involved, E never involved."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class BilagDomain(StrEnum):
    """The nine BILAG-2004 organ domains (Isenberg et al. Rheumatology 2005)."""

    CONSTITUTIONAL = "constitutional"
    MUCOCUTANEOUS = "mucocutaneous"
    NEUROPSYCHIATRIC = "neuropsychiatric"
    MUSCULOSKELETAL = "musculoskeletal"
    CARDIORESPIRATORY = "cardiorespiratory"
    GASTROINTESTINAL = "gastrointestinal"
    OPHTHALMIC = "ophthalmic"
    RENAL = "renal"
    HAEMATOLOGICAL = "haematological"


class BilagGrades(InputModel):
    """The grade of each domain at one visit; a domain left out or null was not graded (unknown)."""

    constitutional: BilagGrade | None = None
    mucocutaneous: BilagGrade | None = None
    neuropsychiatric: BilagGrade | None = None
    musculoskeletal: BilagGrade | None = None
    cardiorespiratory: BilagGrade | None = None
    gastrointestinal: BilagGrade | None = None
    ophthalmic: BilagGrade | None = None
    renal: BilagGrade | None = None
    haematological: BilagGrade | None = None

    def grade(self, domain: BilagDomain) -> BilagGrade | None:
        grade: BilagGrade | None = getattr(self, domain.value)
        return grade


class GlucocorticoidDose(InputModel):
    """One glucocorticoid taken at the visit; intermittent regimens count as their mean daily dose."""

    drug: str = Field(min_length=1, description="e.g. 'prednisone', 'methylprednisolone', 'Medrol'")
    dose_mg: Annotated[Decimal, Field(ge=0), JsonNumber] = Field(description="mg per administration")
    times_per_day: Annotated[Decimal, Field(gt=0), JsonNumber] = Decimal(1)
    every_n_days: Annotated[int, Field(ge=1)] = 1
    route: Route = Route.ORAL

    @field_validator("drug")
    @classmethod
    def _known_glucocorticoid(cls, drug: str) -> str:
        if not is_glucocorticoid(generic_name(drug)):
            raise ValueError(f"{drug!r} is not a glucocorticoid cartrial knows")
        return generic_name(drug)


class LupusDrugClass(StrEnum):
    """The classes LLDAS and DORIS weigh; an investigational drug is neither allowed by LLDAS nor DORIS."""

    ANTIMALARIAL = "antimalarial"
    IMMUNOSUPPRESSANT = "immunosuppressant"
    BIOLOGIC = "biologic"
    INVESTIGATIONAL = "investigational"


_FORMULARY_CLASSES: dict[DrugClass, LupusDrugClass] = {
    DrugClass.ANTIMALARIAL: LupusDrugClass.ANTIMALARIAL,
    DrugClass.IMMUNOSUPPRESSANT: LupusDrugClass.IMMUNOSUPPRESSANT,
    DrugClass.BIOLOGIC: LupusDrugClass.BIOLOGIC,
}


class LupusDrug(InputModel):
    """An antimalarial, immunosuppressant, biologic or investigational drug taken at the visit.

    `drug_class` may be left out for drugs cartrial's formulary knows (approved drugs); an unknown drug
    must state it. `stable_dose` (DORIS: stable) and `maintenance_dose_tolerated` (LLDAS: well tolerated
    standard maintenance dose) are the assessor's; left out, they are unknown.
    """

    drug: str = Field(min_length=1)
    drug_class: LupusDrugClass | None = None
    stable_dose: bool | None = None
    maintenance_dose_tolerated: bool | None = None

    @property
    def resolved_class(self) -> LupusDrugClass:
        if self.drug_class is not None:
            return self.drug_class
        return _FORMULARY_CLASSES[drug_class(generic_name(self.drug))]

    @field_validator("drug")
    @classmethod
    def _not_a_glucocorticoid(cls, drug: str) -> str:
        if is_glucocorticoid(generic_name(drug)):
            raise ValueError("glucocorticoids go in 'glucocorticoids' (their dose is weighed)")
        return drug


class OrganActivity(InputModel):
    """The LLDAS activity facts (Franklyn et al. Ann Rheum Dis 2016); each left out is unknown."""

    renal: bool | None = None
    cns: bool | None = None
    cardiopulmonary: bool | None = None
    vasculitis: bool | None = None
    fever: bool | None = None
    haemolytic_anaemia: bool | None = None
    gastrointestinal: bool | None = None
    new_activity_since_previous: bool | None = Field(
        default=None, description="new features of lupus activity since the previous assessment"
    )


class Visit(InputModel):
    visit: str = Field(min_length=1, description="label, e.g. 'baseline', 'M3'")
    day: int = Field(description="study day, the same numbering for every visit (e.g. days from infusion)")
    visit_date: date | None = None
    sledai: tuple[SledaiAssessment, ...] = Field(
        default=(), description="at most one assessment per version (SELENA-SLEDAI, SLEDAI-2K)"
    )
    bilag: BilagGrades | None = None
    pga: Annotated[Decimal, Field(ge=PGA_MIN, le=PGA_MAX), JsonNumber] | None = Field(
        default=None, description="physician's global assessment, 0-3"
    )
    glucocorticoids: tuple[GlucocorticoidDose, ...] | None = Field(
        default=None, description="[] = none taken; null = not recorded"
    )
    lupus_drugs: tuple[LupusDrug, ...] | None = Field(
        default=None,
        description="antimalarials, immunosuppressants, biologics; [] = none; null = not recorded",
    )
    activity: OrganActivity = OrganActivity()

    def sledai_of(self, version: SledaiVersion) -> SledaiAssessment | None:
        return next((a for a in self.sledai if a.version is version), None)


class ResponseVisits(InputModel):
    """One subject's visits in order, the first being the baseline every change is measured from."""

    subject_id: str = Field(min_length=1)
    car_t_infusion_day: int | None = Field(
        default=None, description="day of the CAR-T infusion in the visits' day numbering; null if unknown"
    )
    visits: tuple[Visit, ...] = Field(min_length=1)


def _visit_errors(visits: tuple[Visit, ...]) -> tuple[FieldError, ...]:
    """Rules across fields: visits strictly in order, one assessment per SLEDAI version, known drugs."""
    errors: list[FieldError] = []
    for index, (previous, visit) in enumerate(pairwise(visits), start=1):
        if visit.day <= previous.day:
            errors.append(
                FieldError(
                    f"visits.{index}.day", f"{visit.day} is not after the previous visit's {previous.day}"
                )
            )
        if (
            visit.visit_date is not None
            and previous.visit_date is not None
            and visit.visit_date <= previous.visit_date
        ):
            errors.append(
                FieldError(
                    f"visits.{index}.visit_date",
                    f"{visit.visit_date} is not after the previous visit's {previous.visit_date}",
                )
            )
    for index, visit in enumerate(visits):
        versions = [a.version for a in visit.sledai]
        for version in SledaiVersion:
            if versions.count(version) > 1:
                errors.append(FieldError(f"visits.{index}.sledai", f"more than one {version} assessment"))
        for number, drug in enumerate(visit.lupus_drugs or ()):
            if drug.drug_class is None and drug_class(generic_name(drug.drug)) not in _FORMULARY_CLASSES:
                errors.append(
                    FieldError(
                        f"visits.{index}.lupus_drugs.{number}.drug_class",
                        f"{drug.drug!r} is not an antimalarial, immunosuppressant or biologic cartrial "
                        "knows: state drug_class",
                    )
                )
    return tuple(errors)


def parse_response_visits(data: Any, source: str) -> ResponseVisits:
    """Validate parsed JSON (numbers as Decimal) as `ResponseVisits`; `InputError` names each bad field.

    It is validated strictly as the JSON it was read from (in strict mode only JSON text is read as a
    date, and a JSON array as a tuple): written back as JSON, each Decimal as the JSON number it was
    read from (through a float, as pydantic reads a JSON number). `strict=True` here reaches the SLEDAI
    assessments too, whose shared model (clinical.sledai) is not strict itself."""
    try:
        subject = ResponseVisits.model_validate_json(json.dumps(data, default=float), strict=True)
    except ValidationError as exc:
        raise InputError(source, field_errors_from_validation(exc)) from exc
    errors = _visit_errors(subject.visits)
    if errors:
        raise InputError(source, errors)
    return subject

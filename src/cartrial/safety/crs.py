"""Cytokine release syndrome graded by the ASTCT consensus (Lee et al., Biol Blood Marrow Transplant 2019).

Grade = the more severe of hypotension and hypoxia in a patient with fever; the driver(s) that set it are
named. Organ toxicities are graded by CTCAE and never change the CRS grade, so they are not inputs here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from cartrial.json_number import JsonNumber, NonNegativeDecimal
from cartrial.safety.result import Driver, GradeResult, StrictInput, select_drivers

CRS_SCALE = "CRS (ASTCT 2019)"
CRS_SOURCE = (
    "Lee DW et al. ASTCT consensus grading for cytokine release syndrome and neurologic toxicity "
    "associated with immune effector cells. Biol Blood Marrow Transplant 2019;25:625-638"
)

# ASTCT 2019 (Lee et al.): fever is a temperature >= 38.0 °C not attributable to any other cause.
CRS_FEVER_MIN_C = Decimal("38.0")
# ASTCT 2019 (Lee et al.): low-flow nasal cannula is oxygen at <= 6 L/min; above that it is high-flow.
LOW_FLOW_MAX_L_PER_MIN = Decimal("6")

Vasopressor = Literal[
    "norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin", "angiotensin_ii"
]
OxygenSupport = Literal[
    "none",
    "nasal_cannula",
    "blow_by",
    "face_mask",
    "non_rebreather",
    "venturi_mask",
    "cpap",
    "bipap",
    "mechanical_ventilation",
]

# ASTCT 2019 (Lee et al.), hypoxia column: the grade each kind of oxygen support gives
# (a nasal cannula's grade depends on its flow, see LOW_FLOW_MAX_L_PER_MIN).
_OXYGEN_GRADE: dict[str, int] = {
    "none": 0,
    "blow_by": 2,
    "face_mask": 3,
    "non_rebreather": 3,
    "venturi_mask": 3,
    "cpap": 4,
    "bipap": 4,
    "mechanical_ventilation": 4,
}


class CrsAssessment(StrictInput):
    """One CRS assessment, as charted. Each clinical field is required: a missing one is unknown, not 'no'."""

    temperature_c: Annotated[Decimal, JsonNumber] = Field(
        description="highest temperature in the assessment period, °C"
    )
    hypotension: bool = Field(description="hypotension attributable to CRS (with or without vasopressors)")
    vasopressors: tuple[Vasopressor, ...] = Field(
        description="vasopressors running at the same time; [] for none"
    )
    oxygen: OxygenSupport = Field(description="oxygen support needed for hypoxia; 'none' if none")
    oxygen_flow_l_per_min: NonNegativeDecimal | None = Field(
        default=None, description="flow in L/min; required with a nasal cannula"
    )
    crs_already_present: bool = Field(
        description="CRS was diagnosed before this assessment (needed to read an afebrile patient)"
    )
    antipyretic_or_anticytokine: bool = Field(
        description="antipyretic or anti-cytokine therapy (tocilizumab, steroids) given: may mask fever"
    )
    death_from_crs: bool = Field(default=False, description="death from CRS with no other principal cause")

    @model_validator(mode="after")
    def _flow_with_cannula(self) -> CrsAssessment:
        if self.oxygen == "nasal_cannula" and self.oxygen_flow_l_per_min is None:
            raise ValueError("oxygen_flow_l_per_min is required with oxygen 'nasal_cannula'")
        if len(set(self.vasopressors)) != len(self.vasopressors):
            raise ValueError("vasopressors: each vasopressor once")
        return self


def _grade_hypotension(assessment: CrsAssessment) -> Driver:
    # ASTCT 2019 (Lee et al.): grade 4 needs several vasopressors, vasopressin not counted; one vasopressor
    # with or without vasopressin is grade 3. Vasopressin alone is one vasopressor.
    others = [v for v in assessment.vasopressors if v != "vasopressin"]
    names = ", ".join(assessment.vasopressors)
    if len(others) >= 2:
        return Driver("hypotension", 4, f"hypotension needing several vasopressors ({names})")
    if assessment.vasopressors:
        return Driver("hypotension", 3, f"hypotension needing one vasopressor ({names})")
    if assessment.hypotension:
        return Driver("hypotension", 2, "hypotension not needing vasopressors")
    return Driver("hypotension", 0, "no hypotension")


def _grade_hypoxia(assessment: CrsAssessment) -> Driver:
    if assessment.oxygen == "nasal_cannula":
        flow = assessment.oxygen_flow_l_per_min
        assert flow is not None  # the model validator requires it
        if flow <= LOW_FLOW_MAX_L_PER_MIN:
            return Driver("hypoxia", 2, f"low-flow nasal cannula {flow} L/min")
        return Driver("hypoxia", 3, f"high-flow nasal cannula {flow} L/min")
    grade = _OXYGEN_GRADE[assessment.oxygen]
    what = assessment.oxygen.replace("_", " ")
    return Driver("hypoxia", grade, "no oxygen needed" if grade == 0 else f"oxygen by {what}")


def grade_crs(assessment: CrsAssessment) -> GradeResult:
    """Grade one assessment by ASTCT 2019.

    With fever, the grade is the worse of hypotension and hypoxia, at least 1. Without fever it is CRS only
    if CRS was already present and antipyretics or anti-cytokine therapy may mask the fever: then
    hypotension and hypoxia alone grade it. Afebrile hypotension or hypoxia before any CRS is not CRS,
    even after an antipyretic.

    >>> grade_crs(CrsAssessment(temperature_c=Decimal("38.0"), hypotension=False, vasopressors=(),
    ...     oxygen="none", crs_already_present=False, antipyretic_or_anticytokine=False)).grade
    1
    """
    if assessment.death_from_crs:
        death = Driver("death", 5, "death from CRS")
        return GradeResult(CRS_SCALE, 5, (death,), CRS_SOURCE)
    organ = (_grade_hypotension(assessment), _grade_hypoxia(assessment))
    temperature = assessment.temperature_c
    if temperature >= CRS_FEVER_MIN_C:
        fever = Driver("fever", 1, f"fever {temperature} °C")
        grade, drivers = select_drivers((fever, *organ), fever)
        return GradeResult(CRS_SCALE, grade, drivers, CRS_SOURCE)
    if assessment.crs_already_present and assessment.antipyretic_or_anticytokine:
        masked = Driver(
            "fever",
            0,
            f"afebrile ({temperature} °C) on antipyretic/anti-cytokine therapy, no hypotension or hypoxia",
        )
        grade, drivers = select_drivers(organ, masked)
        return GradeResult(CRS_SCALE, grade, drivers, CRS_SOURCE)
    if assessment.crs_already_present:
        reason = f"no fever ({temperature} °C) and no antipyretic/anti-cytokine therapy to mask it"
    else:
        reason = f"no fever ({temperature} °C) and no CRS before: afebrile findings are not CRS"
    return GradeResult(CRS_SCALE, 0, (Driver("fever", 0, reason),), CRS_SOURCE)

"""Laboratory adverse events graded by CTCAE v5.0, and the hypogammaglobulinaemia finding.

Every comparison is exact: values arrive as Decimal and are compared as Fractions, so 1.8 with an ULN of
1.2 is exactly 1.5 × ULN (grade 1 for bilirubin), never 1.5000000000000002.
Bands read as CTCAE writes them: "> 3.0 - 5.0 × ULN" is 3.0 < x <= 5.0; "< 1.0 - 0.5" is 0.5 <= x < 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from cartrial.json_number import NonNegativeDecimal, PositiveDecimal
from cartrial.safety.result import Driver, GradeResult, StrictInput
from cartrial.safety.units import check_unit, convert_exactly

CTCAE_SOURCE = "NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0, 27 November 2017"

LabTest = Literal[
    "neutrophils",
    "platelets",
    "haemoglobin",
    "lymphocytes",
    "wbc",
    "alt",
    "ast",
    "bilirubin",
    "alp",
    "creatinine",
    "fibrinogen",
]

# Reference units for the dimension each test may be reported in (any unit of that dimension is accepted).
_COUNT = "1/L"
_MASS_CONCENTRATION = "g/L"
_MOLAR_CONCENTRATION = "mol/L"
_ENZYME_ACTIVITY = "U/L"


@dataclass(frozen=True, slots=True)
class _DecreaseScale:
    """A count graded downwards: grade 1 below LLN, then one grade more below each `bands` limit."""

    term: str
    unit: str
    unit_scale: int
    unit_label: str
    bands: tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class _IncreaseScale:
    """A value graded upwards in multiples of ULN (baseline normal) or of baseline (baseline abnormal).

    `uln_bands` are the exclusive lower limits of grades 1-4 in × ULN; with an abnormal baseline grade 1
    starts at `abnormal_grade1` × baseline (inclusive when `abnormal_grade1_inclusive`) and grades 2-4
    use the same multiples of baseline.
    """

    term: str
    uln_bands: tuple[Fraction, ...]
    abnormal_grade1: Fraction
    abnormal_grade1_inclusive: bool


# CTCAE v5.0 (NCI 2017), Investigations / Blood and lymphatic system disorders: the lower limits of
# grades 2, 3 and 4 (counts in 10^9/L; haemoglobin in g/dL, whose grade 4 is clinical, not a value).
_DECREASES: dict[str, _DecreaseScale] = {
    "neutrophils": _DecreaseScale(
        "Neutrophil count decreased",
        _COUNT,
        10**9,
        "10^9/L",
        (Fraction("1.5"), Fraction("1.0"), Fraction("0.5")),
    ),
    "platelets": _DecreaseScale(
        "Platelet count decreased", _COUNT, 10**9, "10^9/L", (Fraction(75), Fraction(50), Fraction(25))
    ),
    "wbc": _DecreaseScale(
        "White blood cell decreased",
        _COUNT,
        10**9,
        "10^9/L",
        (Fraction("3.0"), Fraction("2.0"), Fraction("1.0")),
    ),
    "lymphocytes": _DecreaseScale(
        "Lymphocyte count decreased",
        _COUNT,
        10**9,
        "10^9/L",
        (Fraction("0.8"), Fraction("0.5"), Fraction("0.2")),
    ),
    "haemoglobin": _DecreaseScale("Anemia", "g/dL", 1, "g/dL", (Fraction("10.0"), Fraction("8.0"))),
}

# CTCAE v5.0 (NCI 2017), Investigations: grade limits in × ULN, and grade 1 with an abnormal baseline.
_INCREASES: dict[str, _IncreaseScale] = {
    "alt": _IncreaseScale(
        "Alanine aminotransferase increased",
        (Fraction(1), Fraction(3), Fraction(5), Fraction(20)),
        Fraction("1.5"),
        True,
    ),
    "ast": _IncreaseScale(
        "Aspartate aminotransferase increased",
        (Fraction(1), Fraction(3), Fraction(5), Fraction(20)),
        Fraction("1.5"),
        True,
    ),
    "bilirubin": _IncreaseScale(
        "Blood bilirubin increased",
        (Fraction(1), Fraction("1.5"), Fraction(3), Fraction(10)),
        Fraction(1),
        False,
    ),
    "alp": _IncreaseScale(
        "Alkaline phosphatase increased",
        (Fraction(1), Fraction("2.5"), Fraction(5), Fraction(20)),
        Fraction(2),
        True,
    ),
}

# CTCAE v5.0 (NCI 2017), Creatinine increased: grade limits in × ULN (grades 1-4) and in × baseline
# (grade 2 above 1.5 × baseline, grade 3 above 3.0 × baseline).
CREATININE_TERM = "Creatinine increased"
CREATININE_ULN_BANDS = (Fraction(1), Fraction("1.5"), Fraction(3), Fraction(6))
CREATININE_BASELINE_BANDS = ((Fraction("1.5"), 2), (Fraction(3), 3))

# CTCAE v5.0 (NCI 2017), Fibrinogen decreased: lower limits of grades 2-4 in × LLN; with an abnormal
# baseline, the fall from baseline that starts grades 2-4; any value below 50 mg/dL is grade 4.
FIBRINOGEN_TERM = "Fibrinogen decreased"
FIBRINOGEN_LLN_BANDS = (Fraction("0.75"), Fraction("0.5"), Fraction("0.25"))
FIBRINOGEN_FALL_BANDS = (Fraction("0.25"), Fraction("0.5"), Fraction("0.75"))
FIBRINOGEN_GRADE4_BELOW_MG_PER_DL = Fraction(50)

_TESTS_WITH_BASELINE_RULES = frozenset({"alt", "ast", "bilirubin", "alp", "creatinine", "fibrinogen"})
_TESTS_NEEDING_LLN = frozenset({*_DECREASES, "fibrinogen"})
_UNIT_DIMENSIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("neutrophils", "platelets", "wbc", "lymphocytes"), (_COUNT,)),
    "haemoglobin": (_MASS_CONCENTRATION,),
    "fibrinogen": (_MASS_CONCENTRATION,),
    "alt": (_ENZYME_ACTIVITY,),
    "ast": (_ENZYME_ACTIVITY,),
    "alp": (_ENZYME_ACTIVITY,),
    "bilirubin": (_MASS_CONCENTRATION, _MOLAR_CONCENTRATION),
    "creatinine": (_MASS_CONCENTRATION, _MOLAR_CONCENTRATION),
}


class LabResult(StrictInput):
    """One laboratory result with the reporting lab's limits; value, limits and baseline share `unit`.

    `baseline` is the pre-treatment value; it is required (it may not be null) for the tests whose CTCAE
    grade depends on it: ALT, AST, bilirubin, ALP, creatinine and fibrinogen.
    """

    test: LabTest
    value: NonNegativeDecimal
    unit: str = Field(description="e.g. 10^9/L, /µL, g/dL, g/L, mg/dL, µmol/L, U/L")
    lower_limit: PositiveDecimal | None = Field(description="the lab's lower limit of normal (LLN)")
    upper_limit: PositiveDecimal | None = Field(description="the lab's upper limit of normal (ULN)")
    baseline: PositiveDecimal | None = Field(default=None, validate_default=True)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str, info: ValidationInfo) -> str:
        test = info.data.get("test")
        if test is not None:
            check_unit(unit, _UNIT_DIMENSIONS[test])
        return unit

    @field_validator("lower_limit")
    @classmethod
    def _lln_when_needed(cls, limit: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if limit is None and info.data.get("test") in _TESTS_NEEDING_LLN:
            raise ValueError(f"{info.data['test']} is graded against the lower limit of normal: give it")
        return limit

    @field_validator("upper_limit")
    @classmethod
    def _uln_when_needed(cls, limit: Decimal | None, info: ValidationInfo) -> Decimal | None:
        test = info.data.get("test")
        if limit is None and (test in _INCREASES or test == "creatinine"):
            raise ValueError(f"{test} is graded against the upper limit of normal: give it")
        return limit

    @field_validator("baseline")
    @classmethod
    def _baseline_when_needed(cls, baseline: Decimal | None, info: ValidationInfo) -> Decimal | None:
        test = info.data.get("test")
        if baseline is None and test in _TESTS_WITH_BASELINE_RULES:
            raise ValueError(f"{test} is graded against baseline when the baseline was abnormal: give it")
        return baseline


def _show(value: Fraction) -> str:
    """A ratio for a person to read (the grade was decided on the exact value)."""
    return f"{float(value):.4g}"


def _grade_decrease(result: LabResult, scale: _DecreaseScale) -> GradeResult:
    assert result.lower_limit is not None
    value = convert_exactly(Fraction(result.value), result.unit, scale.unit, scale.unit_scale)
    lln = convert_exactly(Fraction(result.lower_limit), result.unit, scale.unit, scale.unit_scale)
    shown = f"{_show(value)} {scale.unit_label} (LLN {_show(lln)})"
    grade = 0 if value >= lln else 1 + sum(value < limit for limit in scale.bands)
    return _result(scale.term, grade, "value", shown)


def _grade_increase(result: LabResult, scale: _IncreaseScale) -> GradeResult:
    assert result.upper_limit is not None and result.baseline is not None
    value, uln, baseline = Fraction(result.value), Fraction(result.upper_limit), Fraction(result.baseline)
    if baseline <= uln:
        ratio = value / uln
        grade = sum(ratio > limit for limit in scale.uln_bands)
        return _result(scale.term, grade, "× ULN", f"{_show(ratio)} × ULN (baseline normal)")
    ratio = value / baseline
    reaches_grade1 = (
        ratio >= scale.abnormal_grade1 if scale.abnormal_grade1_inclusive else ratio > scale.abnormal_grade1
    )
    grade = (1 + sum(ratio > limit for limit in scale.uln_bands[1:])) if reaches_grade1 else 0
    return _result(scale.term, grade, "× baseline", f"{_show(ratio)} × baseline (baseline abnormal)")


def _grade_creatinine(result: LabResult) -> GradeResult:
    assert result.upper_limit is not None and result.baseline is not None
    value = Fraction(result.value)
    uln_ratio = value / Fraction(result.upper_limit)
    baseline_ratio = value / Fraction(result.baseline)
    findings = (
        Driver(
            "× ULN", sum(uln_ratio > limit for limit in CREATININE_ULN_BANDS), f"{_show(uln_ratio)} × ULN"
        ),
        Driver(
            "× baseline",
            max((grade for limit, grade in CREATININE_BASELINE_BANDS if baseline_ratio > limit), default=0),
            f"{_show(baseline_ratio)} × baseline",
        ),
    )
    grade = max(finding.grade for finding in findings)
    drivers = tuple(finding for finding in findings if finding.grade == grade)
    return GradeResult(f"CTCAE v5.0: {CREATININE_TERM}", grade, drivers, CTCAE_SOURCE)


def _grade_fibrinogen(result: LabResult) -> GradeResult:
    assert result.lower_limit is not None and result.baseline is not None
    as_mg_per_dl = {
        name: convert_exactly(Fraction(number), result.unit, "mg/dL")
        for name, number in (
            ("value", result.value),
            ("lln", result.lower_limit),
            ("baseline", result.baseline),
        )
    }
    value, lln, baseline = as_mg_per_dl["value"], as_mg_per_dl["lln"], as_mg_per_dl["baseline"]
    if value < FIBRINOGEN_GRADE4_BELOW_MG_PER_DL:
        return _result(FIBRINOGEN_TERM, 4, "value", f"{_show(value)} mg/dL, below 50 mg/dL")
    if value >= lln:
        return _result(FIBRINOGEN_TERM, 0, "× LLN", f"{_show(value / lln)} × LLN")
    if baseline >= lln:
        ratio = value / lln
        grade = 1 + sum(ratio < limit for limit in FIBRINOGEN_LLN_BANDS)
        return _result(FIBRINOGEN_TERM, grade, "× LLN", f"{_show(ratio)} × LLN (baseline normal)")
    fall = 1 - value / baseline
    grade = 1 + sum(fall >= limit for limit in FIBRINOGEN_FALL_BANDS)
    return _result(
        FIBRINOGEN_TERM,
        grade,
        "fall from baseline",
        f"{_show(fall * 100)} % below baseline (baseline abnormal)",
    )


def _result(term: str, grade: int, domain: str, finding: str) -> GradeResult:
    return GradeResult(f"CTCAE v5.0: {term}", grade, (Driver(domain, grade, finding),), CTCAE_SOURCE)


def grade_lab(result: LabResult) -> GradeResult:
    """Grade one laboratory result by CTCAE v5.0 (the scale names the CTCAE term).

    >>> grade_lab(LabResult(test="bilirubin", value=Decimal("1.8"), unit="mg/dL", lower_limit=None,
    ...     upper_limit=Decimal("1.2"), baseline=Decimal("0.6"))).grade
    1
    """
    if result.test in _DECREASES:
        return _grade_decrease(result, _DECREASES[result.test])
    if result.test in _INCREASES:
        return _grade_increase(result, _INCREASES[result.test])
    if result.test == "creatinine":
        return _grade_creatinine(result)
    return _grade_fibrinogen(result)


# Hypogammaglobulinaemia has no numeric CTCAE v5.0 laboratory grade; IgG below a protocol threshold is a
# finding. 4 g/L is the common CAR-T threshold (clinical.md §8); the protocol may set another.
IGG_THRESHOLD_G_PER_L = Decimal("4")


class IggResult(StrictInput):
    """One serum IgG result."""

    value: NonNegativeDecimal
    unit: str = Field(description="e.g. g/L or mg/dL")

    @field_validator("unit")
    @classmethod
    def _mass_concentration(cls, unit: str) -> str:
        check_unit(unit, (_MASS_CONCENTRATION,))
        return unit


@dataclass(frozen=True, slots=True)
class Finding:
    """A safety finding that has no grade: present or not, and why."""

    name: str
    present: bool
    detail: str


def assess_hypogammaglobulinaemia(
    result: IggResult, threshold_g_per_l: Decimal = IGG_THRESHOLD_G_PER_L
) -> Finding:
    """Hypogammaglobulinaemia when IgG is strictly below the threshold (a setting; default 4 g/L)."""
    value = convert_exactly(Fraction(result.value), result.unit, "g/L")
    present = value < Fraction(threshold_g_per_l)
    relation = "below" if present else "not below"
    return Finding(
        "hypogammaglobulinaemia", present, f"IgG {_show(value)} g/L, {relation} {threshold_g_per_l} g/L"
    )

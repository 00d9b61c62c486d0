"""ICANS in adults graded by the ASTCT consensus (Lee et al., Biol Blood Marrow Transplant 2019).

Grade = the worst of five domains (ICE score, consciousness, seizure, motor findings, raised intracranial
pressure / cerebral oedema), each named. Tremor and myoclonus are recorded but do not change the grade;
intracranial haemorrhage is not ICANS and is not an input.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cartrial.safety.crs import CRS_SOURCE
from cartrial.safety.result import Driver, GradeResult, StrictInput, select_drivers

ICANS_SCALE = "ICANS (ASTCT 2019, adults)"
ICANS_SOURCE = CRS_SOURCE

# ASTCT 2019 (Lee et al.), ICE score: 10 points; naming three objects scores up to 3.
ICE_MAX_SCORE = 10
ICE_NAMING_MAX = 3
# ASTCT 2019 (Lee et al.): the lowest ICE score of each grade band (7-9 -> 1, 3-6 -> 2, 0-2 -> 3).
ICE_GRADE1_MIN = 7
ICE_GRADE2_MIN = 3

Consciousness = Literal[
    "alert", "awakens_spontaneously", "awakens_to_voice", "awakens_to_touch", "unarousable", "stupor_or_coma"
]
Seizure = Literal[
    "none",
    "clinical_resolving_rapidly",
    "nonconvulsive_eeg_resolving_with_intervention",
    "prolonged_over_5_min",
    "repetitive_without_return_to_baseline",
]
Motor = Literal["none", "tremor", "myoclonus", "deep_focal_weakness"]
IcpFinding = Literal[
    "focal_oedema",
    "diffuse_cerebral_oedema",
    "decerebrate_or_decorticate_posturing",
    "cranial_nerve_vi_palsy",
    "papilloedema",
    "cushings_triad",
]

# ASTCT 2019 (Lee et al.), ICANS table: the grade each finding gives in its domain.
_CONSCIOUSNESS_GRADE: dict[str, int] = {
    "alert": 0,
    "awakens_spontaneously": 1,
    "awakens_to_voice": 2,
    "awakens_to_touch": 3,
    "unarousable": 4,
    "stupor_or_coma": 4,
}
_SEIZURE_GRADE: dict[str, int] = {
    "none": 0,
    "clinical_resolving_rapidly": 3,
    "nonconvulsive_eeg_resolving_with_intervention": 3,
    "prolonged_over_5_min": 4,
    "repetitive_without_return_to_baseline": 4,
}
_MOTOR_GRADE: dict[str, int] = {"none": 0, "tremor": 0, "myoclonus": 0, "deep_focal_weakness": 4}
_ICP_GRADE: dict[str, int] = {
    "focal_oedema": 3,
    "diffuse_cerebral_oedema": 4,
    "decerebrate_or_decorticate_posturing": 4,
    "cranial_nerve_vi_palsy": 4,
    "papilloedema": 4,
    "cushings_triad": 4,
}
_UNAROUSABLE = frozenset({"unarousable", "stupor_or_coma"})


class IceItems(StrictInput):
    """The ten points of the Immune effector Cell-associated Encephalopathy (ICE) score, item by item."""

    orientation_year: bool
    orientation_month: bool
    orientation_city: bool
    orientation_hospital: bool
    objects_named: int = Field(ge=0, le=ICE_NAMING_MAX, description="objects named correctly, of 3")
    follows_commands: bool
    writes_sentence: bool
    counts_back_by_tens: bool = Field(description="counts backwards from 100 by 10")


def calculate_ice_score(items: IceItems) -> int:
    """The ICE score, 0-10.

    >>> calculate_ice_score(IceItems(orientation_year=True, orientation_month=True, orientation_city=True,
    ...     orientation_hospital=False, objects_named=2, follows_commands=True, writes_sentence=False,
    ...     counts_back_by_tens=True))
    7
    """
    points = (
        items.orientation_year,
        items.orientation_month,
        items.orientation_city,
        items.orientation_hospital,
        items.follows_commands,
        items.writes_sentence,
        items.counts_back_by_tens,
    )
    return sum(points) + items.objects_named


class IcansAssessment(StrictInput):
    """One ICANS assessment. `ice` may be null only when the patient is unarousable (ICE cannot be done)."""

    ice: IceItems | None = Field(description="the ICE items; null only if the patient is unarousable")
    consciousness: Consciousness
    consciousness_due_to_sedation: bool = Field(
        default=False, description="depressed consciousness explained by sedating medication (not ICANS)"
    )
    seizure: Seizure
    motor: Motor
    raised_icp: tuple[IcpFinding, ...] = Field(
        description="raised ICP / cerebral oedema findings; [] for none"
    )

    @model_validator(mode="after")
    def _ice_unless_unarousable(self) -> IcansAssessment:
        if self.ice is None and self.consciousness not in _UNAROUSABLE:
            raise ValueError("ice is required unless consciousness is 'unarousable' or 'stupor_or_coma'")
        return self


def _grade_ice(assessment: IcansAssessment) -> Driver:
    if assessment.ice is None:
        return Driver("ICE score", 4, "ICE not possible: patient unarousable")
    score = calculate_ice_score(assessment.ice)
    if score == ICE_MAX_SCORE:
        grade = 0
    elif score >= ICE_GRADE1_MIN:
        grade = 1
    elif score >= ICE_GRADE2_MIN:
        grade = 2
    else:
        grade = 3
    return Driver("ICE score", grade, f"ICE score {score}/{ICE_MAX_SCORE}")


def _grade_consciousness(assessment: IcansAssessment) -> Driver:
    level = assessment.consciousness
    if assessment.consciousness_due_to_sedation:
        return Driver("consciousness", 0, f"{level.replace('_', ' ')}, attributed to sedation")
    return Driver("consciousness", _CONSCIOUSNESS_GRADE[level], level.replace("_", " "))


def grade_icans(assessment: IcansAssessment) -> GradeResult:
    """Grade one adult ICANS assessment by ASTCT 2019: the worst domain, named.

    An awake patient with ICE 0 (e.g. global aphasia) is grade 3; an unarousable one is grade 4.
    """
    findings = (
        _grade_ice(assessment),
        _grade_consciousness(assessment),
        Driver("seizure", _SEIZURE_GRADE[assessment.seizure], assessment.seizure.replace("_", " ")),
        Driver("motor", _MOTOR_GRADE[assessment.motor], assessment.motor.replace("_", " ")),
        Driver(
            "raised ICP / cerebral oedema",
            max((_ICP_GRADE[f] for f in assessment.raised_icp), default=0),
            ", ".join(f.replace("_", " ") for f in assessment.raised_icp) or "none",
        ),
    )
    fallback = Driver("all domains", 0, "ICE 10/10 and no other ICANS finding")
    grade, drivers = select_drivers(findings, fallback)
    return GradeResult(ICANS_SCALE, grade, drivers, ICANS_SOURCE)

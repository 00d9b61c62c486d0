"""Immune effector cell-associated HLH-like syndrome (IEC-HS), identified and graded as its own event.

ASTCT consensus (Hines et al., Transplant Cell Ther 2023;29:438.e1-438.e16). IEC-HS is a late
hyperinflammatory syndrome distinct from CRS: it is identified by rising ferritin with onset as CRS resolves
(or inflammation worsening after initial improvement) plus at least one of its key laboratory or tissue
findings, and graded by the treatment and organ support it needs, so it is never mis-graded as CRS.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cartrial.safety.result import Driver, GradeResult, StrictInput, select_drivers

IEC_HS_SCALE = "IEC-HS (ASTCT 2023)"
IEC_HS_SOURCE = (
    "Hines MR et al. Immune effector cell-associated hemophagocytic lymphohistiocytosis-like syndrome. "
    "Transplant Cell Ther 2023;29:438.e1-438.e16"
)

SevereFinding = Literal[
    "coagulopathy_requiring_blood_products",
    "hypoxia_requiring_high_flow_oxygen",
    "grade3_organ_toxicity",
    "hospitalisation_or_icu_for_iec_hs",
]
LifeThreateningFinding = Literal[
    "vasopressors",
    "positive_pressure_ventilation",
    "dialysis",
    "grade4_organ_toxicity",
]

# Hines et al. 2023, severity: grade 3 is severe or medically significant but not immediately
# life-threatening; grade 4 is life-threatening, needing urgent intervention (organ support).
_SEVERE_GRADE = 3
_LIFE_THREATENING_GRADE = 4
# Hines et al. 2023: IEC-HS that needs IEC-HS-directed immunosuppressive therapy is at least grade 2.
_TREATED_GRADE = 2


class IecHsAssessment(StrictInput):
    """What the consensus asks for: the identifying criteria, then the treatment and organ support needed."""

    ferritin_rising: bool = Field(
        description="ferritin > 2 x ULN or baseline (at infusion), and/or rapidly rising"
    )
    onset_as_crs_resolves: bool = Field(
        description="onset as CRS resolves or resolved, or inflammation worsening after initial improvement"
    )
    transaminases_above_5x: bool = Field(
        description="ALT/AST > 5 x ULN (baseline normal) or > 5 x baseline (baseline abnormal)"
    )
    hypofibrinogenaemia: bool = Field(description="fibrinogen < 150 mg/dL or < LLN")
    haemophagocytosis: bool = Field(description="haemophagocytosis in bone marrow or other tissue")
    cytopenias: bool = Field(description="new, worsening or refractory cytopenias")
    directed_therapy: bool = Field(
        description="IEC-HS-directed immunosuppression given (e.g. anakinra, corticosteroids, ruxolitinib)"
    )
    severe: tuple[SevereFinding, ...] = Field(default=(), description="severe manifestations, [] for none")
    life_threatening: tuple[LifeThreateningFinding, ...] = Field(
        default=(), description="life-threatening manifestations needing urgent intervention, [] for none"
    )
    death: bool = False


def grade_iec_hs(assessment: IecHsAssessment) -> GradeResult:
    """Grade 0 when the identifying criteria are not met (named); otherwise 1-5 by the worst manifestation."""
    key_findings = {
        "transaminases > 5 x": assessment.transaminases_above_5x,
        "hypofibrinogenaemia": assessment.hypofibrinogenaemia,
        "haemophagocytosis": assessment.haemophagocytosis,
        "cytopenias": assessment.cytopenias,
    }
    present = [name for name, seen in key_findings.items() if seen]
    missing = [
        reason
        for reason, met in (
            ("ferritin not > 2 x ULN/baseline or rising", assessment.ferritin_rising),
            ("onset not as CRS resolves or after improvement", assessment.onset_as_crs_resolves),
            (
                "none of transaminases > 5 x, hypofibrinogenaemia, haemophagocytosis, cytopenias",
                bool(present),
            ),
        )
        if not met
    ]
    if missing:
        return GradeResult(
            IEC_HS_SCALE, 0, (Driver("criteria", 0, "not IEC-HS: " + "; ".join(missing)),), IEC_HS_SOURCE
        )
    if assessment.death:
        return GradeResult(IEC_HS_SCALE, 5, (Driver("death", 5, "death from IEC-HS"),), IEC_HS_SOURCE)
    findings = (
        Driver("IEC-HS", 1, "IEC-HS with " + ", ".join(present)),
        Driver("therapy", _TREATED_GRADE if assessment.directed_therapy else 0, "IEC-HS-directed therapy"),
        Driver(
            "severe manifestation",
            _SEVERE_GRADE if assessment.severe else 0,
            ", ".join(f.replace("_", " ") for f in assessment.severe),
        ),
        Driver(
            "life-threatening manifestation",
            _LIFE_THREATENING_GRADE if assessment.life_threatening else 0,
            ", ".join(f.replace("_", " ") for f in assessment.life_threatening),
        ),
    )
    grade, drivers = select_drivers(findings, findings[0])
    return GradeResult(IEC_HS_SCALE, grade, drivers, IEC_HS_SOURCE)

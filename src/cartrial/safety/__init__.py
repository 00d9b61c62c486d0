"""The safety core: CRS, ICANS and CTCAE laboratory grading, adverse events and DLT adjudication."""

from cartrial.safety.crs import CrsAssessment, grade_crs
from cartrial.safety.dlt import (
    DLT_RULE_KINDS,
    DltAdjudication,
    DltRules,
    EscalationPatient,
    adjudicate_dlt,
    compile_dlt_rules,
    to_escalation_patients,
    to_escalation_state,
)
from cartrial.safety.events import AdverseEvent, GradeChange, SubjectSafety
from cartrial.safety.icaht import IcahtResult, IcahtSettings, NeutrophilCourse, grade_icaht
from cartrial.safety.icans import IcansAssessment, IceItems, calculate_ice_score, grade_icans
from cartrial.safety.iec_hs import IecHsAssessment, grade_iec_hs
from cartrial.safety.labs import Finding, IggResult, LabResult, assess_hypogammaglobulinaemia, grade_lab
from cartrial.safety.result import Driver, GradeResult

__all__ = [
    "DLT_RULE_KINDS",
    "AdverseEvent",
    "CrsAssessment",
    "DltAdjudication",
    "DltRules",
    "Driver",
    "EscalationPatient",
    "Finding",
    "GradeChange",
    "GradeResult",
    "IcahtResult",
    "IcahtSettings",
    "IcansAssessment",
    "IceItems",
    "IecHsAssessment",
    "IggResult",
    "LabResult",
    "NeutrophilCourse",
    "SubjectSafety",
    "adjudicate_dlt",
    "assess_hypogammaglobulinaemia",
    "calculate_ice_score",
    "compile_dlt_rules",
    "grade_crs",
    "grade_icaht",
    "grade_icans",
    "grade_iec_hs",
    "grade_lab",
    "to_escalation_patients",
    "to_escalation_state",
]

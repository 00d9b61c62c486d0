"""The safety core: CRS, ICANS and CTCAE laboratory grading, adverse events and DLT adjudication."""

from cartrial.safety.crs import CrsAssessment, grade_crs
from cartrial.safety.icans import IcansAssessment, IceItems, calculate_ice_score, grade_icans
from cartrial.safety.labs import Finding, IggResult, LabResult, assess_hypogammaglobulinaemia, grade_lab
from cartrial.safety.result import Driver, GradeResult

__all__ = [
    "CrsAssessment",
    "Driver",
    "Finding",
    "GradeResult",
    "IcansAssessment",
    "IceItems",
    "IggResult",
    "LabResult",
    "assess_hypogammaglobulinaemia",
    "calculate_ice_score",
    "grade_crs",
    "grade_icans",
    "grade_lab",
]

"""Cellular kinetics: NCA of CAR transgene levels (as PKNCA computes it), summaries and pharmacodynamics."""

from cartrial.kinetics.model import (
    DEFAULT_INTERVALS,
    BlqRule,
    ConcentrationProfile,
    Interval,
    LambdaZOverride,
    LambdaZPoints,
    NcaMethod,
    NcaParameter,
    NcaSettings,
    SubjectNca,
)
from cartrial.kinetics.nca import PPTEST, TESTCD, NcaArrays, calculate_nca, calculate_nca_arrays

__all__ = [
    "DEFAULT_INTERVALS",
    "PPTEST",
    "TESTCD",
    "BlqRule",
    "ConcentrationProfile",
    "Interval",
    "LambdaZOverride",
    "LambdaZPoints",
    "NcaArrays",
    "NcaMethod",
    "NcaParameter",
    "NcaSettings",
    "SubjectNca",
    "calculate_nca",
    "calculate_nca_arrays",
]

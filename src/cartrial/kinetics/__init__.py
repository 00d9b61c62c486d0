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
from cartrial.kinetics.nca import (
    PPTEST,
    TESTCD,
    NcaArrays,
    NcaBatch,
    calculate_nca,
    calculate_nca_arrays,
    calculate_nca_batch,
)
from cartrial.kinetics.pd import (
    DEFAULT_B_CELL_THRESHOLD_PER_UL,
    BCellDepletion,
    ChangeFromBaseline,
    MarkerSeries,
    Observation,
    assess_b_cell_depletion,
    calculate_change_from_baseline,
)
from cartrial.kinetics.summary import (
    DoseSummary,
    MeanCurve,
    calculate_geometric_mean_curves,
    summarise_by_dose,
)

__all__ = [
    "DEFAULT_B_CELL_THRESHOLD_PER_UL",
    "DEFAULT_INTERVALS",
    "PPTEST",
    "TESTCD",
    "BCellDepletion",
    "BlqRule",
    "ChangeFromBaseline",
    "ConcentrationProfile",
    "DoseSummary",
    "Interval",
    "LambdaZOverride",
    "LambdaZPoints",
    "MarkerSeries",
    "MeanCurve",
    "NcaArrays",
    "NcaBatch",
    "NcaMethod",
    "NcaParameter",
    "NcaSettings",
    "Observation",
    "SubjectNca",
    "assess_b_cell_depletion",
    "calculate_change_from_baseline",
    "calculate_geometric_mean_curves",
    "calculate_nca",
    "calculate_nca_arrays",
    "calculate_nca_batch",
    "summarise_by_dose",
]

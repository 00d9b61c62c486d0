"""The dose-escalation engine: designs, their rules, MTD selection and simulation (pure core)."""

from cartrial.escalation.configure import (
    DesignSettings,
    build_design,
    override_settings,
    select_mtd,
    settings_from_protocol,
    settings_from_spec,
)
from cartrial.escalation.designs.boin import BoinBoundary, BoinBoundaryRow, calculate_boin_boundary
from cartrial.escalation.interface import Decision, Design, DoseOutcomes
from cartrial.escalation.notation import parse_outcomes
from cartrial.escalation.selection import DoseEstimate, MtdSelection, select_boin_mtd
from cartrial.escalation.state import (
    EscalationState,
    PatientOutcome,
    outcomes_from_counts,
    summarise_outcomes,
)

__all__ = [
    "BoinBoundary",
    "BoinBoundaryRow",
    "Decision",
    "Design",
    "DesignSettings",
    "DoseEstimate",
    "DoseOutcomes",
    "EscalationState",
    "MtdSelection",
    "PatientOutcome",
    "build_design",
    "calculate_boin_boundary",
    "outcomes_from_counts",
    "override_settings",
    "parse_outcomes",
    "select_boin_mtd",
    "select_mtd",
    "settings_from_protocol",
    "settings_from_spec",
    "summarise_outcomes",
]

"""The computable protocol: typed protocol versions, parsed from TOML."""

from cartrial.protocol.model import (
    DltRuleSpec,
    DltSpec,
    DoseLevel,
    EligibilityParameters,
    EscalationDesignSpec,
    Protocol,
    Reading,
    Visit,
    VisitSchedule,
)
from cartrial.protocol.parse import field_errors_from_validation, parse_protocol

__all__ = [
    "DltRuleSpec",
    "DltSpec",
    "DoseLevel",
    "EligibilityParameters",
    "EscalationDesignSpec",
    "Protocol",
    "Reading",
    "Visit",
    "VisitSchedule",
    "field_errors_from_validation",
    "parse_protocol",
]

"""Eligibility screening: every inclusion and exclusion criterion, met / not met / unknown, with evidence."""

from cartrial.eligibility.engine import screen, screen_many
from cartrial.eligibility.parse import parse_screening_record
from cartrial.eligibility.record import ScreeningRecord
from cartrial.eligibility.result import CriterionResult, Evidence, Outcome, ScreeningResult, Verdict

__all__ = [
    "CriterionResult",
    "Evidence",
    "Outcome",
    "ScreeningRecord",
    "ScreeningResult",
    "Verdict",
    "parse_screening_record",
    "screen",
    "screen_many",
]

"""Screen one candidate against a protocol version: every criterion, then the verdict."""

from __future__ import annotations

from cartrial.eligibility.exclusion import EXCLUSION_CRITERIA
from cartrial.eligibility.inclusion import INCLUSION_CRITERIA
from cartrial.eligibility.record import ScreeningRecord
from cartrial.eligibility.result import ScreeningResult, decide_verdict
from cartrial.protocol import Protocol


def screen(record: ScreeningRecord, protocol: Protocol) -> ScreeningResult:
    """Assess every inclusion and exclusion criterion of `protocol` for `record`."""
    params = protocol.eligibility
    criteria = tuple(assess(record, params) for assess in (*INCLUSION_CRITERIA, *EXCLUSION_CRITERIA))
    return ScreeningResult(
        screening_id=record.screening_id,
        protocol=protocol.ref,
        verdict=decide_verdict(criteria),
        criteria=criteria,
    )

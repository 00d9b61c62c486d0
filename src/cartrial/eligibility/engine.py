"""Screen one candidate against a protocol version: every criterion, then the verdict."""

from __future__ import annotations

from cartrial.eligibility.exclusion import EXCLUSION_CRITERIA
from cartrial.eligibility.facts import derive_facts
from cartrial.eligibility.inclusion import INCLUSION_CRITERIA
from cartrial.eligibility.record import ScreeningRecord
from cartrial.eligibility.result import ScreeningResult, decide_verdict
from cartrial.protocol import Protocol

CRITERIA = (*INCLUSION_CRITERIA, *EXCLUSION_CRITERIA)


def screen(record: ScreeningRecord, protocol: Protocol) -> ScreeningResult:
    """Assess every inclusion and exclusion criterion of `protocol` for `record`."""
    facts = derive_facts(record, protocol.eligibility)
    criteria = tuple([assess(facts) for assess in CRITERIA])
    return ScreeningResult(
        screening_id=record.screening_id,
        protocol=protocol.ref,
        verdict=decide_verdict(criteria),
        criteria=criteria,
    )

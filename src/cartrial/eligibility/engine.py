"""Screen candidates against a protocol version: every criterion, then the verdict."""

from __future__ import annotations

from collections.abc import Iterable

from cartrial.eligibility.exclusion import EXCLUSION_CRITERIA
from cartrial.eligibility.facts import CriteriaPlan, criteria_plan, derive_facts
from cartrial.eligibility.inclusion import INCLUSION_CRITERIA
from cartrial.eligibility.record import ScreeningRecord
from cartrial.eligibility.result import ScreeningResult, decide_verdict
from cartrial.protocol import EligibilityParameters, Protocol

CRITERIA = (*INCLUSION_CRITERIA, *EXCLUSION_CRITERIA)


def screen(record: ScreeningRecord, protocol: Protocol) -> ScreeningResult:
    """Assess every inclusion and exclusion criterion of `protocol` for `record`."""
    params = protocol.eligibility
    return _screen(record, protocol.ref, params, criteria_plan(params))


def screen_many(records: Iterable[ScreeningRecord], protocol: Protocol) -> list[ScreeningResult]:
    """`screen` of each record, in order, taken from `records` as they come: what the protocol alone
    decides is derived once for the batch."""
    params = protocol.eligibility
    ref, plan = protocol.ref, criteria_plan(params)
    return [_screen(record, ref, params, plan) for record in records]


def _screen(
    record: ScreeningRecord, ref: str, params: EligibilityParameters, plan: CriteriaPlan
) -> ScreeningResult:
    facts = derive_facts(record, params, plan)
    criteria = tuple([assess(facts) for assess in CRITERIA])
    return tuple.__new__(ScreeningResult, (record.screening_id, ref, decide_verdict(criteria), criteria))

"""Screen candidates against a protocol version: every criterion, then the verdict."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from cartrial.eligibility.exclusion import EXCLUSION_CRITERIA
from cartrial.eligibility.facts import CriteriaPlan, criteria_plan, derive_facts
from cartrial.eligibility.inclusion import INCLUSION_CRITERIA
from cartrial.eligibility.record import ScreeningRecord
from cartrial.eligibility.result import ScreeningResult, decide_verdict
from cartrial.protocol import EligibilityParameters, Protocol

CRITERIA = (*INCLUSION_CRITERIA, *EXCLUSION_CRITERIA)

# A batch's results are handed to the cyclic GC's permanent generation every this many records.
FREEZE_EVERY = 2048


def screen(record: ScreeningRecord, protocol: Protocol) -> ScreeningResult:
    """Assess every inclusion and exclusion criterion of `protocol` for `record`."""
    params = protocol.eligibility
    return _screen(record, protocol.ref, params, criteria_plan(params))


def screen_many(records: Iterable[ScreeningRecord], protocol: Protocol) -> list[ScreeningResult]:
    """`screen` of each record, in order, with what the protocol alone decides derived once.

    A batch builds many small tuples that the cyclic GC would scan again and again as the results pile
    up; they hold no reference cycles (refcounting frees them), so every `FREEZE_EVERY` records the
    objects tracked so far are moved to the GC's permanent generation (`gc.freeze`), where they are not
    scanned, and still freed by refcounting when dropped. Only cycles already unreachable at a freeze
    would outlive it (until `gc.unfreeze`): callers that make such garbage collect it first.
    """
    params = protocol.eligibility
    ref, plan = protocol.ref, criteria_plan(params)
    results: list[ScreeningResult] = []
    for count, record in enumerate(records, start=1):
        results.append(_screen(record, ref, params, plan))
        if count % FREEZE_EVERY == 0:
            gc.freeze()
    return results


def _screen(
    record: ScreeningRecord, ref: str, params: EligibilityParameters, plan: CriteriaPlan
) -> ScreeningResult:
    facts = derive_facts(record, params, plan)
    criteria = tuple([assess(facts) for assess in CRITERIA])
    return tuple.__new__(ScreeningResult, (record.screening_id, ref, decide_verdict(criteria), criteria))

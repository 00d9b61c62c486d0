"""Invariants of screening over the synthetic candidate space."""

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data import embedded_protocol
from cartrial.eligibility import Outcome, Verdict, parse_screening_record, screen
from cartrial.synthetic.candidates import generate_candidates

TODAY = date(2026, 11, 25)
PROTOCOL = embedded_protocol()
FORGETTABLE = [
    "classification",
    "sledai",
    "serology",
    "medications",
    "labs",
    "dialysis",
    "lupus_crises",
    "cns_disorders",
    "other_autoimmune_diseases",
    "transplants",
    "active_disease_since",
    "sle_diagnosis_date",
    "birth_date",
]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(FORGETTABLE))
def test_forgetting_a_fact_never_flips_a_decided_criterion(seed: int, field: str) -> None:
    record = generate_candidates(1, seed, date(2026, 11, 2), every_defect_first=False)[0]
    known = screen(parse_screening_record(json.dumps(record), "p", TODAY), PROTOCOL)
    record[field] = None
    forgotten = screen(parse_screening_record(json.dumps(record), "p", TODAY), PROTOCOL)
    for before, after in zip(known.criteria, forgotten.criteria, strict=True):
        assert after.outcome in (before.outcome, Outcome.UNKNOWN), (field, before.id)
        if after.outcome is Outcome.UNKNOWN:
            assert after.missing, before.id
    if known.verdict is not Verdict.ELIGIBLE:
        assert forgotten.verdict is not Verdict.ELIGIBLE


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_verdict_follows_the_criteria(seed: int) -> None:
    record = generate_candidates(1, seed, date(2026, 11, 2), every_defect_first=False)[0]
    result = screen(parse_screening_record(json.dumps(record), "p", TODAY), PROTOCOL)
    excluded = [c for c in result.criteria if c.excludes]
    unknown = [c for c in result.criteria if c.outcome is Outcome.UNKNOWN]
    expected = Verdict.INELIGIBLE if excluded else Verdict.INCOMPLETE if unknown else Verdict.ELIGIBLE
    assert result.verdict is expected

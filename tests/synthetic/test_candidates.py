import json
from datetime import date

from cartrial.data import demo_file_text, embedded_protocol
from cartrial.eligibility import Outcome, parse_screening_record, screen
from cartrial.synthetic.candidates import (
    DEFECTS,
    DEMO_POOL_SIZE,
    DEMO_SCREENING_DATE,
    DEMO_SEED,
    generate_candidates,
)

TODAY = date(2026, 11, 25)


def test_bundled_pool_is_the_seeded_pool() -> None:
    bundled = [json.loads(line) for line in demo_file_text("screening-pool.jsonl").splitlines()]
    assert bundled == generate_candidates(DEMO_POOL_SIZE, DEMO_SEED, DEMO_SCREENING_DATE)
    assert len(bundled) >= 50


def test_same_seed_same_pool_other_seed_other_pool() -> None:
    first = generate_candidates(30, 5, DEMO_SCREENING_DATE)
    assert first == generate_candidates(30, 5, DEMO_SCREENING_DATE)
    assert first != generate_candidates(30, 6, DEMO_SCREENING_DATE)


def test_demo_pool_exercises_every_criterion_both_ways() -> None:
    protocol = embedded_protocol()
    pool = generate_candidates(DEMO_POOL_SIZE, DEMO_SEED, DEMO_SCREENING_DATE)
    results = [screen(parse_screening_record(json.dumps(r), "pool", TODAY), protocol) for r in pool]
    ids = [c.id for c in results[0].criteria]
    for index, criterion_id in enumerate(ids):
        outcomes = {r.criteria[index].outcome for r in results}
        excluding = Outcome.NOT_MET if criterion_id.startswith("inc") else Outcome.MET
        assert excluding in outcomes, criterion_id
        assert (Outcome.MET if excluding is Outcome.NOT_MET else Outcome.NOT_MET) in outcomes, criterion_id
    assert {r.verdict.value for r in results} == {"eligible", "ineligible", "incomplete"}
    assert len(DEFECTS) <= DEMO_POOL_SIZE

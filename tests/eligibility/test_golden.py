"""Screening results are exactly those recorded from the engine before its speed-ups (golden file).

The corpus (tests/eligibility/golden_corpus.py) is a few thousand seeded records over three protocol
variants; every result is compared through its fingerprint, and the first results of each source in full.
Records are screened one by one (`screen`) and as batches (`screen_many`).
"""

import gzip
import json

from cartrial.eligibility import ScreeningRecord, screen, screen_many
from cartrial.eligibility.result import result_as_dict

from .golden_corpus import GOLDEN, corpus, digest, protocol_variants


def test_every_result_matches_the_golden_file() -> None:
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    protocols = protocol_variants()
    entries = list(corpus())
    assert len(entries) == len(golden["hashes"])
    batches: dict[str, list[ScreeningRecord]] = {}
    for _, name, record in entries:
        batches.setdefault(name, []).append(record)
    batched = {name: iter(screen_many(records, protocols[name])) for name, records in batches.items()}
    mismatched: list[str] = []
    for index, (source, name, record) in enumerate(entries):
        single = result_as_dict(screen(record, protocols[name]))
        assert result_as_dict(next(batched[name])) == single, f"{source} {record.screening_id} under {name}"
        full = golden["full"].get(str(index))
        if full is not None:
            assert single == full, f"{source} {record.screening_id} under {name}"
        if digest(single) != golden["hashes"][index]:
            mismatched.append(f"{source} {record.screening_id} under {name}")
    assert mismatched == []

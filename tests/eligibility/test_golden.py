"""Screening results are exactly those recorded from the engine before its speed-ups (golden file).

The corpus (tests/eligibility/golden_corpus.py) is a few thousand seeded records over three protocol
variants; every result is compared through its fingerprint, and the first results of each source in full.
"""

import gzip
import json

from cartrial.eligibility import screen
from cartrial.eligibility.result import result_as_dict

from .golden_corpus import GOLDEN, corpus, digest, protocol_variants


def test_every_result_matches_the_golden_file() -> None:
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()))
    protocols = protocol_variants()
    mismatched: list[str] = []
    count = 0
    for index, (source, name, record) in enumerate(corpus()):
        count += 1
        result = result_as_dict(screen(record, protocols[name]))
        full = golden["full"].get(str(index))
        if full is not None:
            assert result == full, f"{source} {record.screening_id} under {name}"
        if digest(result) != golden["hashes"][index]:
            mismatched.append(f"{source} {record.screening_id} under {name}")
    assert count == len(golden["hashes"])
    assert mismatched == []

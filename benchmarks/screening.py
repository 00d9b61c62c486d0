"""Screening throughput: parse + screen generated records, full explanations, one process.

Run: .venv/bin/python benchmarks/screening.py [N]   (default 100,000 records)
Prints records/second for the whole path (JSON text -> validated record -> every criterion with its
evidence) and for screening alone (records already validated).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from datetime import date

from cartrial.data import embedded_protocol
from cartrial.eligibility import parse_screening_record, screen
from cartrial.synthetic.candidates import generate_candidates

TODAY = date(2026, 11, 25)


def main(count: int) -> None:
    protocol = embedded_protocol()
    texts = [json.dumps(r) for r in generate_candidates(count, seed=7, screening=date(2026, 11, 2))]
    # The generated input is not part of the work measured: keep the cyclic GC from rescanning it.
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    records = [parse_screening_record(t, "bench", TODAY) for t in texts]
    parsed = time.perf_counter()
    results = [screen(r, protocol) for r in records]
    done = time.perf_counter()
    assert len(results) == count
    print(f"screening: {count} records")
    print(f"  parse + screen: {count / (done - start):,.0f} records/s")
    print(f"  screen only:    {count / (done - parsed):,.0f} records/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

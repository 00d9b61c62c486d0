"""Screening throughput: parse + screen generated records, full explanations, one process.

Run: .venv/bin/python benchmarks/screening.py [N]   (default 100,000 records)
Prints records/second for the whole path (JSON text -> validated record -> every criterion with its
evidence), for parsing alone (JSON text -> validated record, pydantic) and for screening alone (records
already validated, every result fully built). Both phases run as `cartrial screen pool.jsonl` runs
them: the pool's lines parsed by `parse_pool`, the records screened as one batch by `screen_many`, the
CLI's GC batching (`cli.gc_batches`) around both.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from datetime import date

from cartrial.cli.gc_batches import freeze_as_done
from cartrial.cli.screen_cmd import parse_pool
from cartrial.data import embedded_protocol
from cartrial.eligibility import screen_many
from cartrial.synthetic.candidates import generate_candidates

TODAY = date(2026, 11, 25)


class GcClock:
    """Wall time spent in the cyclic garbage collector, from its start/stop callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def main(count: int) -> None:
    protocol = embedded_protocol()
    pool = "\n".join(json.dumps(r) for r in generate_candidates(count, seed=7, screening=date(2026, 11, 2)))
    # The generated input is not part of the work measured: keep the cyclic GC from rescanning it.
    gc.collect()
    gc.freeze()
    gc_clock = GcClock()
    gc.callbacks.append(gc_clock)
    start, start_cpu = time.perf_counter(), time.process_time()
    records = parse_pool(pool, "bench", TODAY)
    parsed, parsed_cpu = time.perf_counter(), time.process_time()
    results = screen_many(freeze_as_done(records), protocol)
    done, done_cpu = time.perf_counter(), time.process_time()
    gc.callbacks.remove(gc_clock)
    assert len(results) == count
    print(f"screening: {count} records")
    print(f"  parse + screen: {count / (done - start):,.0f} records/s")
    print(f"  parse only:     {count / (parsed - start):,.0f} records/s")
    print(f"  screen only:    {count / (done - parsed):,.0f} records/s")
    # On a shared machine the wall clock counts other people's work too; CPU time does not.
    print(
        f"  CPU time: parse + screen {count / (done_cpu - start_cpu):,.0f} records/s,"
        f" screen only {count / (done_cpu - parsed_cpu):,.0f} records/s;"
        f" cyclic GC {gc_clock.seconds / (done - start):.0%} of the wall time"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

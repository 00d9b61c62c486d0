"""Batches of records (a pool parsed, a pool screened): the cyclic GC kept off what is already built.

The GC is the process's, so this lives in the shell that owns the process (`cartrial screen POOL.jsonl`,
the screening benchmark), never in the pure core.

Parsing and screening a pool build many small objects that stay alive (the records, the results), and
the cyclic GC would scan them again and again as they pile up: without this, it takes a third to a half
of the time of a pool of 100,000. None of them is in a reference cycle (refcounting frees them), so a
batch moves the objects tracked so far to the GC's permanent generation (`gc.freeze`) every
`FREEZE_EVERY` items; there they are not scanned, and are still freed by refcounting when dropped. Only
cycles already unreachable at a freeze outlive it (until `gc.unfreeze`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

FREEZE_EVERY = 256


def freeze_as_done(items: Iterable[T], every: int = FREEZE_EVERY) -> Iterator[T]:
    """Each of `items` in order; after every `every` of them has been handled (when the next one is
    asked for), what the GC tracks so far is frozen."""
    for count, item in enumerate(items, start=1):
        yield item
        if count % every == 0:
            gc.freeze()

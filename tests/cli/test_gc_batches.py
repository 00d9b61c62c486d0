"""Batches: every item in order, and what the GC tracked frozen once a chunk is handled."""

import gc
from collections.abc import Iterator

import pytest

from cartrial.cli.gc_batches import freeze_as_done


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process's GC as it was found (nothing frozen by the test stays frozen)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_items_come_in_order_and_a_chunk_is_frozen_once_handled() -> None:
    seen: list[int] = []
    frozen_when_seen: list[int] = []
    for item in freeze_as_done(range(7), every=3):
        seen.append(item)
        frozen_when_seen.append(gc.get_freeze_count())
    assert seen == list(range(7))
    # Nothing is frozen while the first chunk (0, 1, 2) is handled; item 3 comes after the freeze.
    assert frozen_when_seen[:3] == [0, 0, 0]
    assert frozen_when_seen[3] > 0
    assert frozen_when_seen[3] <= frozen_when_seen[6]

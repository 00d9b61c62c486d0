"""B-cell depletion and change from baseline, by hand, at the threshold boundaries."""

import pytest

from cartrial.errors import InputError
from cartrial.kinetics.pd import (
    MarkerSeries,
    Observation,
    assess_b_cell_depletion,
    calculate_change_from_baseline,
)


def cd19(*points: tuple[float, float]) -> MarkerSeries:
    return MarkerSeries("S1", "CD19", "cells/uL", tuple(Observation(d, v) for d, v in points))


def test_depletion_is_strictly_below_and_reconstitution_at_or_above_threshold() -> None:
    r = assess_b_cell_depletion(cd19((-5, 150), (4, 5.0), (7, 4.99), (28, 0), (60, 5.0)))
    assert r.baseline == 150
    assert r.depletion_day == 7  # 5.0 is not below 5
    assert r.reconstitution_day == 60  # 5.0 counts as reconstituted
    assert r.aplasia_days == 53
    assert not r.aplasia_ongoing


def test_reconstitution_can_require_confirmation() -> None:
    series = cd19((0, 100), (7, 1), (30, 8), (60, 2), (90, 9), (120, 12))
    assert assess_b_cell_depletion(series).reconstitution_day == 30
    confirmed = assess_b_cell_depletion(series, confirmations=2)
    assert confirmed.reconstitution_day == 90
    assert confirmed.aplasia_days == 83


def test_ongoing_aplasia_is_censored_at_the_last_sample() -> None:
    r = assess_b_cell_depletion(cd19((0, 100), (7, 1), (90, 0.5)), threshold=5)
    assert r.reconstitution_day is None
    assert r.aplasia_days == 83
    assert r.aplasia_ongoing
    assert r.note is not None and "censored" in r.note


def test_never_depleted_and_no_post_infusion_sample() -> None:
    never = assess_b_cell_depletion(cd19((0, 100), (7, 50)))
    assert (never.depletion_day, never.aplasia_days, never.note) == (
        None,
        None,
        "never below 5 cells/uL after infusion",
    )
    assert assess_b_cell_depletion(cd19((-1, 100))).note == "no sample after infusion"
    with pytest.raises(InputError):
        assess_b_cell_depletion(cd19((0, 1)), threshold=0)
    with pytest.raises(InputError):
        cd19((7, 1), (7, 2))


def test_change_from_baseline_uses_the_last_pre_infusion_value() -> None:
    series = MarkerSeries(
        "S1",
        "anti-dsDNA",
        "IU/mL",
        (Observation(-10, 400), Observation(0, 300), Observation(28, 150, "D28"), Observation(90, 0, "M3")),
    )
    d28, m3 = calculate_change_from_baseline(series)
    assert (d28.baseline, d28.change, d28.percent_change) == (300, -150, -50.0)
    assert (m3.change, m3.percent_change) == (-300, -100.0)
    no_baseline = calculate_change_from_baseline(MarkerSeries("S1", "C4", "g/L", (Observation(7, 0.1),)))
    assert no_baseline[0].change is None
    assert no_baseline[0].note == "no baseline value on or before day 0"
    zero = calculate_change_from_baseline(
        MarkerSeries("S1", "proteinuria", "g/24h", (Observation(0, 0), Observation(7, 0.2)))
    )
    assert (zero[0].change, zero[0].percent_change) == (0.2, None)

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.clinical.sledai import (
    SLEDAI_WEIGHTS,
    Descriptor,
    SledaiAssessment,
    SledaiVersion,
    calculate_sledai,
    derive_leukopenia,
    derive_proteinuria,
    derive_thrombocytopenia,
)

WHEN = date(2026, 11, 1)


def assess(present: set[Descriptor], unknown: frozenset[Descriptor] = frozenset()) -> SledaiAssessment:
    descriptors: dict[Descriptor, bool | None] = {d: d in present for d in Descriptor if d not in unknown}
    return SledaiAssessment(version=SledaiVersion.SELENA, assessment_date=WHEN, descriptors=descriptors)


def test_weights_match_the_published_instrument() -> None:
    weights = sorted(SLEDAI_WEIGHTS.values(), reverse=True)
    assert len(SLEDAI_WEIGHTS) == 24
    assert weights.count(8) == 8 and weights.count(4) == 6 and weights.count(2) == 7 and weights.count(1) == 3
    assert sum(weights) == 105


def test_maximum_score_and_clinical_maximum() -> None:
    score = calculate_sledai(assess(set(Descriptor)))
    assert (score.low, score.high, score.clinical_low) == (105, 105, 101)


def test_unknown_descriptors_give_a_range() -> None:
    score = calculate_sledai(
        assess({Descriptor.ARTHRITIS}, frozenset({Descriptor.SEIZURE, Descriptor.LOW_COMPLEMENT}))
    )
    assert (score.low, score.high) == (4, 14)
    assert (score.clinical_low, score.clinical_high) == (4, 12)
    assert score.serology_scored is None


@given(st.sets(st.sampled_from(list(Descriptor))), st.sampled_from(list(Descriptor)))
def test_adding_a_descriptor_never_lowers_the_score(present: set[Descriptor], extra: Descriptor) -> None:
    before = calculate_sledai(assess(present))
    after = calculate_sledai(assess(present | {extra}))
    assert after.low >= before.low
    assert after.clinical_low >= before.clinical_low


def test_derived_lab_descriptors_at_their_boundaries() -> None:
    assert derive_thrombocytopenia(Decimal("99.9")) and not derive_thrombocytopenia(Decimal("100"))
    assert derive_leukopenia(Decimal("2.99")) and not derive_leukopenia(Decimal("3"))


@pytest.mark.parametrize(
    ("version", "current", "previous", "expected"),
    [
        (SledaiVersion.SLEDAI_2K, "0.5", None, False),
        (SledaiVersion.SLEDAI_2K, "0.51", None, True),  # persistent proteinuria counts in 2K
        (SledaiVersion.SELENA, "1.2", None, None),  # SELENA needs the previous value
        (SledaiVersion.SELENA, "1.2", "0.7", False),  # increase of exactly 0.5 is not > 0.5
        (SledaiVersion.SELENA, "1.21", "0.7", True),
        (SledaiVersion.SELENA, "0.4", None, False),
    ],
)
def test_proteinuria_by_version(
    version: SledaiVersion, current: str, previous: str | None, expected: object
) -> None:
    prior = Decimal(previous) if previous is not None else None
    assert derive_proteinuria(version, Decimal(current), prior) is expected

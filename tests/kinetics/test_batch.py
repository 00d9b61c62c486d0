"""The columnar NcaBatch: the same values and reasons as the per-subject results, read by column."""

import math
from pathlib import Path

import numpy as np
import pytest

from cartrial.kinetics import (
    ConcentrationProfile,
    Interval,
    LambdaZOverride,
    NcaParameter,
    calculate_nca,
    calculate_nca_batch,
    summarise_batch_by_dose,
    summarise_by_dose,
)
from cartrial.kinetics.parse import parse_profiles_csv

EXAMPLES = Path(__file__).parents[2] / "examples" / "kinetics"
INF = Interval(0.0, math.inf)
TO_28 = Interval(0.0, 28.0)
# Exclusions of every kind the example data produce: analyst λz with too few points, excluded samples.
OVERRIDES = (
    LambdaZOverride(subject="P01", reason="stability window", exclude_times=(180.0,)),
    LambdaZOverride(subject="P05", reason="persistence phase", include_times=(28.0, 56.0, 90.0, 180.0)),
)


# Beside the CAR-T example: one profile all BLQ, one too short for λz, one rising again after Tmax,
# one first sampled on day 1.
EXCLUDED = (
    "X1,50,0,,1\nX1,50,7,,1\nX1,50,14,,1\n"
    "X2,50,0,,1\nX2,50,7,300,0\nX2,50,14,100,0\n"
    "X3,50,0,,1\nX3,50,7,500,0\nX3,50,14,80,0\nX3,50,21,90,0\nX3,50,28,120,0\n"
    "X4,50,1,400,0\nX4,50,7,200,0\nX4,50,14,100,0\nX4,50,21,50,0\n"
)


def profiles_with_exclusions() -> list[ConcentrationProfile]:
    car_t = parse_profiles_csv((EXAMPLES / "car_t_profiles.csv").read_text())
    return [*car_t, *parse_profiles_csv("subject,dose,time,value,blq\n" + EXCLUDED)]


def test_rows_and_subjects_are_the_per_subject_results() -> None:
    profiles = profiles_with_exclusions()
    intervals = [TO_28, Interval(7.0, 90.0), INF]
    batch = calculate_nca_batch(profiles, intervals, overrides=OVERRIDES)
    expected = calculate_nca(profiles, intervals, overrides=OVERRIDES)
    assert [batch.subject(i) for i in range(len(batch))] == list(expected)
    assert list(batch.rows()) == [row for s in expected for row in s.parameters]
    assert list(batch.records()) == [
        (r.subject, r.start, r.end, r.testcd, r.value, r.exclusion) for s in expected for r in s.parameters
    ]
    assert list(batch.lambda_z()) == [p for s in expected for p in s.lambda_z]
    reasons = {row.exclusion for row in batch.rows()}
    assert "all values in the interval are BLQ" in reasons
    assert "no sample at the interval start: AUC cannot start before the first measurement" in reasons
    assert "no candidate λz fit has λz > 0 (the terminal phase does not decline)" in reasons
    too_few = "too few points for λz: needs 3 measurable points after Tmax, has 1"
    assert f"needs λz, which was not computed ({too_few})" in reasons


def test_columns_and_exclusions_agree_with_the_rows() -> None:
    profiles = profiles_with_exclusions()
    intervals = [TO_28, Interval(7.0, 90.0), INF]
    batch = calculate_nca_batch(profiles, intervals, overrides=OVERRIDES)
    rows: dict[tuple[str, float | None, str], NcaParameter] = {
        (r.subject, r.end, r.testcd): r for r in batch.rows()
    }
    for interval in intervals:
        end = None if interval.is_infinite else interval.end
        for testcd in batch.testcds(interval):
            column = batch.column(testcd, interval)
            assert column.shape == (len(profiles),)
            for index, profile in enumerate(profiles):
                row = rows[(profile.subject, end, testcd)]
                if row.value is None:
                    assert math.isnan(column[index])
                else:
                    assert column[index] == row.value
                assert batch.exclusion(index, testcd, interval) == row.exclusion


def test_hand_values_by_column() -> None:
    # PKNCA's pk.calc.auxc example: 0, 1, 2, 1, 0.5, 0.25, 0 at t = 0..6 (first and last BLQ).
    profiles = parse_profiles_csv(
        "subject,dose,time,value,blq\n"
        + "".join(
            f"S1,25,{t},{v},{int(v == '')}\n" for t, v in enumerate(["", "1", "2", "1", "0.5", "0.25", ""])
        )
    )
    batch = calculate_nca_batch(profiles, [INF])
    assert batch.column("CMAX", INF).tolist() == [2.0]
    assert batch.column("TMAX", INF).tolist() == [2.0]
    assert batch.column("LAMZ", INF)[0] == pytest.approx(math.log(2), rel=1e-12)
    assert batch.exclusion(0, "CMAX", INF) is None


def test_only_reported_parameters_and_given_intervals_can_be_read() -> None:
    profiles = parse_profiles_csv((EXAMPLES / "theoph.csv").read_text())
    batch = calculate_nca_batch(profiles, [Interval(0.0, 24.0), INF])
    assert batch.testcds(Interval(0.0, 24.0)) == ("CMAX", "TMAX", "CLST", "TLST", "AUCLST", "AUCINT")
    assert "AUCINT" not in batch.testcds(INF)
    with pytest.raises(KeyError, match="AUCIFO is not reported"):
        batch.column("AUCIFO", Interval(0.0, 24.0))
    with pytest.raises(KeyError, match="not one of this batch's intervals"):
        batch.column("CMAX", Interval(0.0, 12.0))
    with pytest.raises(ValueError, match="read-only"):
        batch.column("CMAX", INF)[0] = 0.0


def test_empty_batch() -> None:
    batch = calculate_nca_batch([])
    assert len(batch) == 0
    assert list(batch.rows()) == []
    assert batch.column("CMAX", INF).shape == (0,)
    assert batch.subjects() == ()
    assert np.asarray(batch.arrays.codes).size == 0


def test_batch_summary_is_the_per_subject_summary() -> None:
    profiles = profiles_with_exclusions()
    intervals = [TO_28, Interval(7.0, 90.0), INF]
    batch = calculate_nca_batch(profiles, intervals, overrides=OVERRIDES)
    summaries = summarise_batch_by_dose(batch)
    assert summaries == summarise_by_dose(calculate_nca(profiles, intervals, overrides=OVERRIDES), intervals)
    # The added subjects (dose 50) are all in one dose level with the CAR-T example's dose-50 subjects.
    assert {s.dose for s in summaries} == {p.dose for p in profiles}
    assert any(s.n_missing > 0 for s in summaries)
    assert summarise_batch_by_dose(calculate_nca_batch([])) == ()


def test_subject_by_index_counts_from_either_end() -> None:
    profiles = profiles_with_exclusions()
    batch = calculate_nca_batch(profiles, [TO_28, INF])
    assert batch.subject(-1).subject == "X4" == profiles[-1].subject
    assert batch.subject(-1) == batch.subject(len(batch) - 1)
    assert batch.subject(0).subject == profiles[0].subject
    with pytest.raises(IndexError):
        batch.subject(len(batch))

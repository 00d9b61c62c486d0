from decimal import Decimal
from typing import Any

import pytest

from cartrial.errors import InputError
from cartrial.safety.icaht import IcahtSettings, NeutrophilCourse, grade_icaht
from cartrial.safety.result import parse_input


def _read(data: dict[str, Any]) -> NeutrophilCourse:
    """As the command line reads a course: parsed JSON, validated strictly as JSON."""
    return parse_input(NeutrophilCourse, data, "anc.json")


def _course(values: dict[int, int], unit: str = "/µL") -> NeutrophilCourse:
    return _read(
        {"unit": unit, "measurements": [{"day": d, "value": Decimal(v)} for d, v in sorted(values.items())]}
    )


def _daily(low_days: set[int], low: int = 400, high: int = 2000, last_day: int = 30) -> NeutrophilCourse:
    return _course({day: low if day in low_days else high for day in range(last_day + 1)})


@pytest.mark.parametrize(
    ("days", "grade"),
    [(0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3), (30, 3), (31, 4)],
)
def test_early_icaht_days_at_or_below_500(days: int, grade: int) -> None:
    result = grade_icaht(_daily(set(range(days))))
    assert result.early is not None
    assert result.early.grade == grade


def test_exactly_500_counts_as_at_or_below() -> None:
    result = grade_icaht(_daily(set(range(7)), low=500))
    assert result.early is not None and result.early.grade == 2
    above = grade_icaht(_daily(set(range(7)), low=501))
    assert above.early is not None and above.early.grade == 0


@pytest.mark.parametrize(("days", "grade"), [(6, 1), (7, 3), (13, 3), (14, 4)])
def test_early_icaht_days_at_or_below_100(days: int, grade: int) -> None:
    result = grade_icaht(_daily(set(range(days)), low=100))
    assert result.early is not None
    assert result.early.grade == grade
    assert result.early.drivers[-1].domain == ("ANC <= 100/µL" if grade >= 3 else "ANC <= 500/µL")


def test_recovery_shorter_than_3_days_counts_toward_the_total() -> None:
    unstable = grade_icaht(_daily(set(range(5)) | set(range(7, 14))))  # 5 + 2 unstable + 7 = 14 days
    assert unstable.early is not None and unstable.early.grade == 3
    stable = grade_icaht(_daily(set(range(5)) | set(range(8, 15))))  # 3-day recovery: 5 + 7 = 12 days
    assert stable.early is not None and stable.early.grade == 2


def test_counting_setting_longest_episode() -> None:
    course = _daily(set(range(5)) | set(range(10, 15)))
    cumulative = grade_icaht(course)
    longest = grade_icaht(course, IcahtSettings(counting="longest_episode"))
    assert cumulative.early is not None and cumulative.early.grade == 2
    assert longest.early is not None and longest.early.grade == 1


def test_sparse_counts_are_interpolated_exactly() -> None:
    # 1000/µL on day 0 falling linearly to 0 on day 10: day 5 is exactly 500, day 9 exactly 100.
    result = grade_icaht(_course({0: 1000, 10: 0, 30: 0}))
    assert result.early is not None
    assert result.early.grade == 4
    assert [(d.domain, d.finding) for d in result.early.drivers] == [
        ("ANC <= 100/µL", "22 days in days 0-30")
    ]
    # Falling from 1000 to 400 over days 0-6: 500 is crossed exactly at day 5, so days 5-30 are counted.
    shallow = grade_icaht(_course({0: 1000, 6: 400, 30: 400}))
    assert shallow.early is not None
    assert [(d.grade, d.finding) for d in shallow.early.drivers] == [(3, "26 days in days 0-30")]


def test_units_are_converted() -> None:
    result = grade_icaht(_course({day: 0 if day < 7 else 2 for day in range(31)} | {0: 0}, unit="10^9/L"))
    assert result.early is not None and result.early.grade == 3  # 7 days at 0: also <= 100/µL


@pytest.mark.parametrize(
    ("late", "grade"),
    [
        ({40: 1600, 60: 1700}, 0),
        ({40: 1500, 60: 1400}, 1),
        ({40: 900, 60: 1400}, 1),
        ({40: 900, 60: 1000}, 2),
        ({40: 400, 50: 500, 60: 2000}, 3),
        ({40: 50, 60: 100}, 4),
        ({40: 50, 60: 1400}, 1),
    ],
)
def test_late_icaht_needs_two_tests(late: dict[int, int], grade: int) -> None:
    result = grade_icaht(_course(dict.fromkeys(range(31), 2000) | late))
    assert result.late is not None
    assert result.late.grade == grade


def test_uncovered_phases_are_unknown_not_zero() -> None:
    result = grade_icaht(_course({3: 300, 20: 2000}))
    assert result.early is None and result.late is None
    assert len(result.unknown) == 2


def test_days_going_backwards_are_named() -> None:
    data = {"unit": "/µL", "measurements": [{"day": 0, "value": 300}, {"day": 0, "value": 200}]}
    with pytest.raises(InputError) as exc:
        parse_input(NeutrophilCourse, data, "anc.json")
    assert [e.field for e in exc.value.errors] == ["measurements"]


def test_counts_after_death_or_new_therapy_are_censored() -> None:
    low_throughout = dict.fromkeys(range(0, 61, 5), 50)
    course = _read(
        {
            "unit": "/µL",
            "measurements": [{"day": d, "value": v} for d, v in low_throughout.items()],
            "censored_after_day": 20,
        }
    )
    result = grade_icaht(course)
    assert result.early is not None
    assert result.early.grade == 4  # 21 days at <= 100/µL (>= 14): grade 4 by depth, not by duration
    assert [d.finding for d in result.early.drivers] == ["21 days in days 0-20"]
    assert result.late is None
    short = _read(
        {
            "unit": "/µL",
            "measurements": [{"day": 0, "value": 300}, {"day": 10, "value": 300}],
            "censored_after_day": 12,
        }
    )
    assert grade_icaht(short).unknown[0] == "early ICAHT: the counts must cover day 0 to day 12"

"""Calendar rules the criteria share: whole years of age, calendar months, day counts."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the month's end.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2024, 8, 31), 6)
    (datetime.date(2026, 2, 28), datetime.date(2025, 2, 28))
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    if start.day <= 28:  # every month has the day: no need to look the month's length up
        return date(year, month, start.day)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def age_in_years(birth: date, on: date) -> int:
    """Completed years of age on a date: one turns 18 on the 18th birthday (29 February: on 1 March).

    >>> age_in_years(date(2008, 3, 10), date(2026, 3, 10)), age_in_years(date(2008, 3, 10), date(2026, 3, 9))
    (18, 17)
    """
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)


def months_elapsed_at_least(since: date, until: date, months: int) -> bool:
    """Whether at least `months` calendar months have passed from `since` to `until`."""
    return add_months(since, months) <= until

"""Australian public holidays (national days plus New South Wales' Monday holidays).

The practice is closed on them, so the appointment book has no sessions there.
Computed for any year (the book is anchored to the emulator clock's date), with
Monday substitutes when New Year's Day, Australia Day or Christmas falls on a
weekend, as most states observe them.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _observed(d: date) -> date:
    """A weekend holiday moves to the next Monday."""
    return d + timedelta(days=(7 - d.weekday()) % 7) if d.weekday() >= 5 else d


@functools.cache
def public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1), _observed(date(year, 1, 1)), date(year, 1, 26), _observed(date(year, 1, 26)),
        easter - timedelta(days=2), easter - timedelta(days=1), easter + timedelta(days=1), date(year, 4, 25),
        _nth_monday(year, 6, 2), _nth_monday(year, 10, 1), date(year, 12, 25), date(year, 12, 26),
    }
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday off
        days |= {christmas + timedelta(days=2), christmas + timedelta(days=3)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas moves to Tuesday
        days.add(christmas + timedelta(days=2))
    elif boxing.weekday() == 5:
        days.add(boxing + timedelta(days=2))
    return frozenset(days)


def is_public_holiday(d: date) -> bool:
    return d in public_holidays(d.year)

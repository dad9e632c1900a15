"""SQL Server date and time semantics over the engine's text storage forms.

Storage forms (docs/architecture.md): ``DATE`` ``YYYY-MM-DD``; ``DATETIME`` and
friends ``YYYY-MM-DDTHH:MM:SS`` with ``.fff`` only when non-zero; ``TIME``
``HH:MM:SS``. Strings in any format SQL Server accepts (``us_english``, i.e.
``DATEFORMAT mdy``) are parsed by :func:`parse_sql`.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from mock_halo.sql.semantics import errors

Shape = Literal["date", "datetime", "time"]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
MONTH_NAMES = tuple(m.capitalize() for m in MONTHS)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_LOOKUP = {**{m: i + 1 for i, m in enumerate(MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(MONTHS)}}

#: T-SQL datepart names and abbreviations -> canonical names.
DATEPARTS = {
    **dict.fromkeys(("year", "yy", "yyyy"), "year"),
    **dict.fromkeys(("quarter", "qq", "q"), "quarter"),
    **dict.fromkeys(("month", "mm", "m"), "month"),
    **dict.fromkeys(("dayofyear", "dy", "y"), "dayofyear"),
    **dict.fromkeys(("day", "dd", "d"), "day"),
    **dict.fromkeys(("week", "wk", "ww"), "week"),
    **dict.fromkeys(("weekday", "dw", "w"), "weekday"),
    **dict.fromkeys(("hour", "hh"), "hour"),
    **dict.fromkeys(("minute", "mi", "n"), "minute"),
    **dict.fromkeys(("second", "ss", "s"), "second"),
    **dict.fromkeys(("millisecond", "ms"), "millisecond"),
    **dict.fromkeys(("microsecond", "mcs"), "microsecond"),
    **dict.fromkeys(("nanosecond", "ns"), "nanosecond"),
    **dict.fromkeys(("iso_week", "isowk", "isoww"), "iso_week"),
    **dict.fromkeys(("tzoffset", "tz"), "tzoffset"),
}
DATE_PARTS = frozenset({"year", "quarter", "month", "dayofyear", "day", "week", "weekday", "iso_week"})
TIME_PARTS = frozenset({"hour", "minute", "second", "millisecond", "microsecond", "nanosecond"})
BASE_DATE = date(1900, 1, 1)


def canonical_part(name: str, function: str) -> str:
    """``'dd'`` -> ``'day'``; unknown names raise SQL Server's error 155."""
    part = DATEPARTS.get(name.lower())
    if part is None:
        raise errors.unrecognized_datepart(name, function)
    return part


# -- formatting to storage ---------------------------------------------------

def _fraction(micro: int) -> str:
    if not micro:
        return ""
    return f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"


def fmt_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def fmt_datetime(value: datetime) -> str:
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}{_fraction(value.microsecond)}")


def fmt_time(value: time | datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}{_fraction(value.microsecond)}"


def fmt_shape(value: datetime, shape: Shape) -> str:
    if shape == "date":
        return fmt_date(value)
    if shape == "time":
        return fmt_time(value)
    return fmt_datetime(value)


def round_datetime(value: datetime) -> datetime:
    """SQL Server ``datetime`` precision: .000, .003 or .007 seconds."""
    if not value.microsecond:
        return value
    ticks = round(value.microsecond * 300 / 1_000_000)
    base = value.replace(microsecond=0)
    return base + timedelta(milliseconds=round(ticks * 10 / 3))


def round_smalldatetime(value: datetime) -> datetime:
    base = value.replace(second=0, microsecond=0)
    return base + timedelta(minutes=1) if value.second * 1_000_000 + value.microsecond >= 29_999_000 else base


# -- parsing -------------------------------------------------------------------

_STORAGE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?)?$")
_TIME = r"(?P<h>\d{1,2})(?::(?P<mi>\d{1,2})(?::(?P<s>\d{1,2})(?:[.:](?P<f>\d{1,9}))?)?)?\s*(?P<ampm>[AaPp][Mm])?"
_TIME_RE = re.compile(rf"^{_TIME}$")
_ISO_T_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)
_SPLIT_RE = re.compile(r"^(?P<date>\S+(?:\s+\S+,?\s+\S+)?)?(?:\s+(?P<time>.+))?$")
_YMD_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_NUM_RE = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")
_UNSEP_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{2})(\d{2})(\d{2})$")
_ALPHA_RES = (
    re.compile(r"^(?P<mon>[A-Za-z]+)\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]+),?\s+(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})\s+(?P<mon>[A-Za-z]+)\s+(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<mon>[A-Za-z]+)\s+(?P<y>\d{4})$"),
)
_TZ_SUFFIX_RE = re.compile(r"\s*(Z|[+-]\d{2}:\d{2})$")
_TIME_ONLY_RE = re.compile(r"^\d{1,2}(?::\d{1,2}(?::\d{1,2}(?:[.:]\d{1,9})?)?)?\s*(?:[AaPp][Mm])?$")


class _Invalid(Exception):
    """Recognised shape but impossible values (month 13): SQL Server's 242 for datetime."""


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _parse_time(text: str) -> time:
    match = _TIME_RE.match(text.strip())
    if not match or (match.group("mi") is None and not match.group("ampm")):
        raise ValueError(text)
    hour = int(match.group("h"))
    minute = int(match.group("mi") or 0)
    second = int(match.group("s") or 0)
    frac = match.group("f") or ""
    ampm = (match.group("ampm") or "").upper()
    if ampm:
        if not 1 <= hour <= 12 and hour != 0:
            raise _Invalid(text)
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    micro = int((frac + "000000")[:6]) if frac else 0
    try:
        return time(hour, minute, second, micro)
    except ValueError as exc:
        raise _Invalid(text) from exc


def _parse_date(text: str, order: str) -> date:
    if match := _YMD_RE.match(text):
        y, m, d = int(match.group(1)), int(match.group(3)), int(match.group(4))
    elif match := _NUM_RE.match(text):
        a, b, y = int(match.group(1)), int(match.group(3)), _year(match.group(4))
        m, d = (b, a) if order == "dmy" else (a, b)
    elif match := _UNSEP_RE.match(text):
        if match.group(1):
            y, m, d = int(match.group(1)), int(match.group(2)), int(match.group(3))
        else:
            y, m, d = _year(match.group(4)), int(match.group(5)), int(match.group(6))
    else:
        for regex in _ALPHA_RES:
            if alpha := regex.match(text):
                month = _MONTH_LOOKUP.get(alpha.group("mon").lower())
                if month is None:
                    raise ValueError(text)
                y, m, d = int(alpha.group("y")), month, int(alpha.groupdict().get("d") or 1)
                break
        else:
            raise ValueError(text)
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise _Invalid(text) from exc


def parse_sql(text: str, order: str = "mdy", target: str = "datetime") -> tuple[datetime, Shape]:
    """Parse a string the way ``CAST(text AS datetime)`` does.

    Returns the value and what the text held (a date, a time, or both).
    Raises SQL Server's 241 (unrecognised) or 242 (out of range for datetime).
    """
    stripped = text.strip()
    try:
        if match := _ISO_T_RE.match(stripped):
            frac = match.group("f") or ""
            micro = int((frac + "000000")[:6]) if frac else 0
            try:
                value = datetime(int(match.group("y")), int(match.group("m")), int(match.group("d")),
                                 int(match.group("h")), int(match.group("mi")), int(match.group("s") or 0), micro)
            except ValueError as exc:
                raise _Invalid(stripped) from exc
            return _checked(value, target), "datetime"
        if not stripped:
            return datetime(1900, 1, 1), "datetime"
        if _TIME_ONLY_RE.match(stripped):
            return datetime.combine(BASE_DATE, _parse_time(stripped)), "time"
        date_text, time_text = _split(stripped)
        day = _parse_date(date_text, order)
        if time_text is None:
            return _checked(datetime.combine(day, time()), target), "date"
        return _checked(datetime.combine(day, _parse_time(time_text)), target), "datetime"
    except _Invalid:
        if target in ("datetime", "smalldatetime"):
            raise errors.datetime_out_of_range(target=target) from None
        raise errors.datetime_from_string() from None
    except ValueError:
        raise errors.datetime_from_string() from None


def _split(text: str) -> tuple[str, str | None]:
    """Split ``'Jan 1 2020 10:00AM'`` / ``'2020-01-01 10:00'`` into date and time text."""
    text = _TZ_SUFFIX_RE.sub("", text) if "T" not in text else text
    for regex in _ALPHA_RES[:3]:
        parts = text.split()
        for cut in (3, 2):
            head = " ".join(parts[:cut])
            if regex.match(head):
                rest = " ".join(parts[cut:])
                return head, rest or None
    first, _, rest = text.partition(" ")
    if "T" in first and first.count("-") == 2:
        first, _, t_rest = first.partition("T")
        rest = t_rest + (" " + rest if rest else "")
    return first, rest.strip() or None


def _checked(value: datetime, target: str) -> datetime:
    if target in ("datetime",) and value.year < 1753:
        raise _Invalid(str(value))
    if target == "smalldatetime" and not 1900 <= value.year <= 2079:
        raise _Invalid(str(value))
    return value


def from_storage(text: str) -> tuple[datetime, Shape]:
    """Read a stored or any SQL Server date/time string; the fast path is the storage form."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return datetime(int(text[:4]), int(text[5:7]), int(text[8:10])), "date"
        except ValueError:
            raise errors.datetime_from_string() from None
    if _STORAGE_RE.match(text):
        try:
            return datetime.fromisoformat(text), "datetime"
        except ValueError:
            raise errors.datetime_from_string() from None
    if len(text) >= 8 and text[2] == ":" and text.count(":") == 2 and len(text) <= 16 and "-" not in text:
        return datetime.combine(BASE_DATE, _parse_time(text)), "time"
    return parse_sql(text, target="datetime2")


def to_datetime(value: object) -> tuple[datetime, Shape]:
    """A runtime value (storage string, or number of days since 1900) as a datetime."""
    if isinstance(value, str):
        return from_storage(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime(1900, 1, 1) + timedelta(days=value), "datetime"
        except (OverflowError, ValueError):
            raise errors.arithmetic_overflow("datetime") from None
    if isinstance(value, datetime):
        return value, "datetime"
    raise errors.datetime_from_string()


# -- arithmetic -----------------------------------------------------------------

def add_months(value: datetime, months: int) -> datetime:
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def dateadd(part: str, number: int, value: datetime, shape: Shape) -> datetime:
    """``DATEADD``: month arithmetic clamps to the month's last day; time of day is kept."""
    type_name = {"date": "date", "time": "time"}.get(shape, "datetime")
    if shape == "date" and part in TIME_PARTS:
        raise errors.datepart_not_supported(part, "dateadd", "date")
    if shape == "time" and part in DATE_PARTS:
        raise errors.datepart_not_supported(part, "dateadd", "time")
    if part in ("iso_week", "tzoffset"):
        raise errors.unrecognized_datepart(part, "dateadd")
    try:
        if part == "year":
            return add_months(value, 12 * number)
        if part == "quarter":
            return add_months(value, 3 * number)
        if part == "month":
            return add_months(value, number)
        delta = {
            "dayofyear": timedelta(days=number), "day": timedelta(days=number),
            "weekday": timedelta(days=number), "week": timedelta(weeks=number),
            "hour": timedelta(hours=number), "minute": timedelta(minutes=number),
            "second": timedelta(seconds=number), "millisecond": timedelta(milliseconds=number),
            "microsecond": timedelta(microseconds=number),
            "nanosecond": timedelta(microseconds=number // 1000),
        }[part]
        if shape == "time":
            seconds = (value - datetime.combine(value.date(), time())) + delta
            return datetime.combine(BASE_DATE, time()) + timedelta(seconds=seconds.total_seconds() % 86400)
        return value + delta
    except (OverflowError, ValueError):
        raise errors.dateadd_overflow(type_name) from None


def _index(part: str, value: datetime) -> int:
    days = value.toordinal()
    seconds = days * 86400 + value.hour * 3600 + value.minute * 60 + value.second
    if part == "year":
        return value.year
    if part == "quarter":
        return value.year * 4 + (value.month - 1) // 3
    if part == "month":
        return value.year * 12 + value.month - 1
    if part in ("day", "dayofyear", "weekday"):
        return days
    if part == "week":
        # Sunday starts a week for DATEDIFF, whatever DATEFIRST says (ordinal 7 is a Sunday).
        return days // 7
    if part == "iso_week":
        return (days - 1) // 7
    if part == "hour":
        return days * 24 + value.hour
    if part == "minute":
        return (days * 24 + value.hour) * 60 + value.minute
    if part == "second":
        return seconds
    if part == "millisecond":
        return seconds * 1000 + value.microsecond // 1000
    if part == "microsecond":
        return seconds * 1_000_000 + value.microsecond
    if part == "nanosecond":
        return (seconds * 1_000_000 + value.microsecond) * 1000
    raise errors.unrecognized_datepart(part, "datediff")


def datediff(part: str, start: datetime, end: datetime, big: bool = False) -> int:
    """``DATEDIFF``: the number of ``part`` boundaries crossed from ``start`` to ``end``."""
    if part == "tzoffset":
        raise errors.unrecognized_datepart(part, "datediff")
    result = _index(part, end) - _index(part, start)
    if not big and not -2**31 <= result < 2**31:
        raise errors.datediff_overflow()
    return result


def datepart(part: str, value: datetime) -> int:
    """``DATEPART`` with SQL Server's defaults (``DATEFIRST 7``: Sunday is day 1)."""
    if part == "year":
        return value.year
    if part == "quarter":
        return (value.month - 1) // 3 + 1
    if part == "month":
        return value.month
    if part == "dayofyear":
        return value.timetuple().tm_yday
    if part == "day":
        return value.day
    if part == "weekday":
        return value.isoweekday() % 7 + 1
    if part == "week":
        jan1 = date(value.year, 1, 1)
        offset = jan1.isoweekday() % 7  # days of week 1 before Jan 1 (Sunday = 0)
        return (value.timetuple().tm_yday - 1 + offset) // 7 + 1
    if part == "iso_week":
        return value.isocalendar()[1]
    if part == "hour":
        return value.hour
    if part == "minute":
        return value.minute
    if part == "second":
        return value.second
    if part == "millisecond":
        return value.microsecond // 1000
    if part == "microsecond":
        return value.microsecond
    if part == "nanosecond":
        return value.microsecond * 1000
    if part == "tzoffset":
        return 0
    raise errors.unrecognized_datepart(part, "datepart")


def datename(part: str, value: datetime) -> str:
    if part == "month":
        return MONTH_NAMES[value.month - 1]
    if part == "weekday":
        return WEEKDAY_NAMES[value.weekday()]
    return str(datepart(part, value))


def eomonth(value: datetime, months: int = 0) -> str:
    try:
        moved = add_months(value.replace(day=1), months)
    except (OverflowError, ValueError):
        raise errors.dateadd_overflow("date") from None
    return fmt_date(moved.replace(day=calendar.monthrange(moved.year, moved.month)[1]))


def practice_zone(name: str) -> tzinfo:
    """The practice's time zone (GETDATE() is the practice's local time); AEST when there is no tz database."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - no tz database: Australian Eastern Standard Time
        return timezone(timedelta(hours=10))


def local_and_utc(value: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """(the practice's local time, UTC), both naive: what GETDATE() and GETUTCDATE() read for ``value``
    (a naive ``value`` is already local time)."""
    if value.tzinfo is None:
        local = value
        utc = value.replace(tzinfo=zone).astimezone(UTC)
    else:
        local = value.astimezone(zone)
        utc = value.astimezone(UTC)
    return local.replace(tzinfo=None), utc.replace(tzinfo=None)

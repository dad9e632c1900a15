"""Parsing FHIR search parameter values: names with modifiers, dates with prefixes, tokens, references.

Values are only parsed here; turning them into SQL is :mod:`mock_halo.fhir.search`'s job.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mock_halo.fhir import outcome

#: Bp Premier stores local times; the practice is assumed to be in Sydney.
PRACTICE_TZ = ZoneInfo("Australia/Sydney")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class SearchParam:
    """One ``name[:modifier]=v1,v2`` occurrence: values are OR'd, occurrences AND'd."""

    name: str
    modifier: str | None
    values: tuple[str, ...]


@dataclass(frozen=True)
class DateRange:
    """A date search value: prefix and the half-open local range ``[start, end)`` it denotes."""

    prefix: str
    start: datetime
    end: datetime


def split_values(raw: str) -> tuple[str, ...]:
    """Split on unescaped commas; ``\\,`` is a literal comma."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in ",$|\\":
            current.append(raw[i + 1])
            i += 2
            continue
        if ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return tuple(parts)


def parse_pairs(pairs: list[tuple[str, str]]) -> list[SearchParam]:
    """``(key, value)`` pairs from a query string or form body -> search parameters (empty values dropped)."""
    result = []
    for key, value in pairs:
        if value == "":
            continue
        name, _, modifier = key.partition(":")
        result.append(SearchParam(name=name, modifier=modifier or None, values=split_values(value)))
    return result


def parse_date(value: str, *, param: str) -> DateRange:
    """``[prefix]YYYY[-MM[-DD[Thh:mm[:ss][tz]]]]`` -> a range in practice-local time."""
    prefix = "eq"
    if value[:2] in PREFIXES:
        prefix, value = value[:2], value[2:]
    match = DATE_RE.match(value)
    if match is None:
        raise outcome.invalid(
            f"Invalid date/time format: \"{value}\" for parameter \"{param}\"; expected "
            "[eq|ne|gt|lt|ge|le|sa|eb|ap]YYYY[-MM[-DD[Thh:mm:ss[+zz:zz]]]]"
        )
    g = match.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            start = datetime(year, 1, 1)
            end = datetime(year + 1, 1, 1) if year < 9999 else datetime.max
        elif g["d"] is None:
            month = int(g["m"])
            start = datetime(year, month, 1)
            end = shift(start, timedelta(days=calendar.monthrange(year, month)[1]))
        elif g["H"] is None:
            start = datetime(year, int(g["m"]), int(g["d"]))
            end = shift(start, timedelta(days=1))
        else:
            start = datetime(year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0))
            length = timedelta(seconds=1) if g["S"] else timedelta(minutes=1)
            if g["tz"]:
                tz = "+00:00" if g["tz"] == "Z" else g["tz"]
                aware = datetime.fromisoformat(start.isoformat() + tz)
                try:
                    start = aware.astimezone(PRACTICE_TZ).replace(tzinfo=None)
                except OverflowError:  # within a day of the end of time
                    start = datetime.max if year > 1 else datetime.min
            end = shift(start, length)
    except ValueError:
        raise outcome.invalid(f"Invalid date/time value: \"{value}\" for parameter \"{param}\"") from None
    return DateRange(prefix=prefix, start=start, end=end)


def shift(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, stopping at the first or last instant a datetime can hold.

    Searches may name any date FHIR allows (``le9999-12-31T23:59:59``,
    ``ge0001-01-01``): their ranges end at the edge of time instead of overflowing.
    """
    try:
        return moment + delta
    except OverflowError:
        return datetime.max if delta > timedelta(0) else datetime.min


def approximate(rng: DateRange, now: datetime) -> tuple[datetime, datetime]:
    """``ap``: the range widened by 10% of its distance from now (at least a day) on each side."""
    gap = abs(now - rng.start)
    slack = max(gap / 10, timedelta(days=1))
    return shift(rng.start, -slack), shift(rng.end, slack)


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code``, ``|code`` (no system) or ``code`` -> (system or None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def parse_reference(value: str, resource: str, *, param: str) -> int | None:
    """``123``, ``Patient/123`` or an absolute URL ending ``Patient/123`` -> 123 (None: another type)."""
    tail = value.rstrip("/").rsplit("/", 2)
    if len(tail) >= 2 and not tail[-2].isdigit() and "/" in value:
        if tail[-2] != resource:
            return None
        value = tail[-1]
    if not value.isdigit():
        raise outcome.invalid(f"Invalid reference \"{value}\" for parameter \"{param}\"")
    return int(value)


def parse_int(value: str, *, param: str, minimum: int = 0) -> int:
    if not value.isdigit() or int(value) < minimum:
        raise outcome.invalid(f"Invalid value \"{value}\" for parameter \"{param}\": expected an integer >= {minimum}")
    return int(value)


#: SQL Server's ``datetime`` range: a search bound outside it is moved to its
#: edge (nothing stored lies beyond), so the parameter always converts.
SQL_DATETIME_MIN = datetime(1753, 1, 1)
SQL_DATETIME_MAX = datetime(9999, 12, 31, 23, 59, 59)


def sql_bound(moment: datetime) -> datetime:
    """A search bound moved into SQL Server's ``datetime`` range."""
    return min(max(moment, SQL_DATETIME_MIN), SQL_DATETIME_MAX)


def format_local(moment: datetime) -> str:
    """A search bound as the engine stores local datetimes (``YYYY-MM-DDTHH:MM:SS``), within ``datetime``'s range."""
    return sql_bound(moment).strftime("%Y-%m-%dT%H:%M:%S")


def day(moment: datetime) -> date:
    return moment.date()

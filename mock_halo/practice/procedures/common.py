"""Helpers shared by the Bp procedures: argument conversion, inserts with Bp's defaults, result sets.

The procedures' SQL runs on the embedded engine's SQLite connection and on the PostgreSQL engine's, so it keeps
to what both accept: unquoted names (PostgreSQL folds them to lower case), ``?`` parameters, no collations (text
columns compare case-insensitively on both: NOCASE and citext), ``last_insert_rowid()`` (the PostgreSQL engine
reads it as ``lastval()``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.procedures import ProcedureCall, ResultSet

from ..schema import table_columns

_NUMBERS = frozenset({"int", "tinyint", "smallint", "bigint", "bit", "decimal", "numeric", "money", "float", "real"})
_TEXTS = frozenset({"char", "nchar", "varchar", "nvarchar", "text", "ntext"})


def as_int(call: ProcedureCall, name: str) -> int | None:
    value = call.args.get(name)
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise errors.conversion_failed(value, "varchar", "int") from None


def as_date(call: ProcedureCall, name: str) -> str | None:
    """A date argument (a date, or a string such as ``2023-01-10`` / ``20191204``) as a DATETIME at midnight."""
    value = call.args.get(name)
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%dT00:00:00")
    text = str(value).strip()
    for shape, size in (("%Y-%m-%d", 10), ("%Y%m%d", 8), ("%d/%m/%Y", 10)):
        try:
            return datetime.strptime(text[:size], shape).strftime("%Y-%m-%dT00:00:00")
        except ValueError:
            continue
    raise errors.datetime_from_string()


def as_text(call: ProcedureCall, name: str) -> str:
    value = call.args.get(name)
    return "" if value is None else str(value)


def result(columns: list[tuple[str, K.Kind]], rows: list[tuple[Any, ...]]) -> ResultSet:
    return ResultSet(columns, rows)


def stamp(call: ProcedureCall) -> str:
    """The emulator clock (practice-local) as a DATETIME value."""
    return call.now.strftime("%Y-%m-%dT%H:%M:%S")


def seconds_now(call: ProcedureCall) -> int:
    """The time of day now, in seconds since midnight (Bp's ARRIVALTIME and friends)."""
    return call.now.hour * 3600 + call.now.minute * 60 + call.now.second


def today(call: ProcedureCall) -> str:
    return call.now.strftime("%Y-%m-%dT00:00:00")


def insert(call: ProcedureCall, table: str, values: dict[str, Any]) -> int:
    """Insert one row; the table's other NOT NULL columns get 0 or '' (CREATED the clock); returns the new key."""
    given = {name.upper() for name in values}
    row = dict(values)
    for decl in table_columns()[table]:
        if decl.nullable or decl.identity or decl.name.upper() in given:
            continue
        if decl.base in _NUMBERS:
            row[decl.name] = 0
        elif decl.base in _TEXTS:
            row[decl.name] = ""
        elif decl.name.upper() == "CREATED":
            row[decl.name] = stamp(call)
        else:
            raise errors.internal(f"no value for {table}.{decl.name}")
    names = ", ".join(row)  # unquoted: PostgreSQL folds them to its lower-case names
    call.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    return call.query("SELECT last_insert_rowid()", ())[0][0]


def day_range(day: str) -> tuple[str, str]:
    """[start, next day's start) of a ``YYYY-MM-DD...`` date, as DATETIME values (compare DATETIME columns with
    ``>= ? AND < ?``: the same SQL works on SQLite and PostgreSQL)."""
    start = datetime.fromisoformat(day[:10])
    return start.strftime("%Y-%m-%dT00:00:00"), (start + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00")


def changed(count: int) -> int:
    """The return value of Bp's update procedures: 0 when a row changed, 1 when there was none."""
    return 0 if count else 1

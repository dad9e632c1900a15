"""Helpers shared by the Bp procedures: argument conversion and result sets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mock_halo.sql.procedures import ProcedureCall, ResultSet
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics import kinds as K


def as_int(call: ProcedureCall, name: str) -> int | None:
    value = call.args.get(name)
    if value is None or isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise errors.conversion_failed(value, "varchar", "int") from None


def as_date(call: ProcedureCall, name: str) -> str | None:
    """A date argument in storage form ``YYYY-MM-DD``."""
    value = call.args.get(name)
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text[:10]).strftime("%Y-%m-%d")
    except ValueError:
        raise errors.datetime_from_string() from None


def as_text(call: ProcedureCall, name: str) -> str:
    value = call.args.get(name)
    return "" if value is None else str(value)


def result(columns: list[tuple[str, K.Kind]], rows: list[tuple[Any, ...]]) -> ResultSet:
    return ResultSet(columns, rows)


def stamp(call: ProcedureCall) -> str:
    return call.now.strftime("%Y-%m-%dT%H:%M:%S")

"""Rendering result rows as Halo's ``data`` JSON (halo-facts 8, architecture.md).

One :class:`Encoder` per translated statement (cached with it): keys are the
result column names as written, made unique the way .NET's ``DataTable``
does (an unnamed column is ``Column1``, ``Column2`` ...; a repeated name gets
``1``, ``2`` ... appended), values are rendered by the column's SQL Server
type: ``bit`` as true/false, ``date`` as ``YYYY-MM-DDT00:00:00``, datetimes as
``YYYY-MM-DDTHH:MM:SS[.fff]``, binary as base64, NULL as null.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from mock_halo.sql.semantics import kinds as K

Row = Sequence[Any]
Convert = Callable[[Any], Any]


def unique_names(names: Sequence[str]) -> list[str]:
    """DataTable-style column names: ``''`` -> ``Column1``; duplicates get a number (case-insensitive)."""
    result: list[str] = []
    taken: set[str] = set()
    unnamed = 0
    for name in names:
        if not name:
            unnamed += 1
            candidate = f"Column{unnamed}"
            while candidate.lower() in taken:
                unnamed += 1
                candidate = f"Column{unnamed}"
        elif name.lower() in taken:
            suffix = 1
            while f"{name}{suffix}".lower() in taken:
                suffix += 1
            candidate = f"{name}{suffix}"
        else:
            candidate = name
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _bit(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "")
    return value != 0


def _datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if len(value) == 10:
        return value + "T00:00:00"
    if len(value) > 10 and value[10] == " ":
        return value[:10] + "T" + value[11:]
    return value


def _binary(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


_CONVERTERS: dict[str, Convert] = {
    K.BIT: _bit, K.DATE: _datetime, K.DATETIME: _datetime, K.BIN: _binary,
}


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


#: Types whose values JSON gives back as they are (a float may not: NaN and infinities become null).
_PLAIN = frozenset((str, int, bool, type(None)))


class Encoder:
    """Turns SQLite rows into the JSON array of row objects."""

    __slots__ = ("names", "kinds", "_conversions")

    def __init__(self, names: Sequence[str], kinds: Sequence[K.Kind]) -> None:
        self.names = tuple(unique_names(names))
        self.kinds = tuple(kinds)
        self._conversions = tuple((i, _CONVERTERS[k]) for i, k in enumerate(kinds) if k in _CONVERTERS)

    def objects(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        names = self.names
        if not self._conversions:
            return [dict(zip(names, row)) for row in rows]
        conversions = self._conversions
        out = []
        for row in rows:
            values = list(row)
            for index, fn in conversions:
                values[index] = fn(values[index])
            out.append(dict(zip(names, values)))
        return out

    def encode(self, rows: Sequence[Row]) -> bytes:
        return dumps(self.objects(rows))

    def decoded(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """``orjson.loads(self.encode(rows))`` without the round trip through JSON: the row objects,
        any value JSON would change (bytes, a float, a date or decimal of a driver) as it comes back."""
        out = self.objects(rows)
        for obj in out:
            if not _PLAIN.issuperset(map(type, obj.values())):
                for key, value in obj.items():
                    if type(value) not in _PLAIN:
                        obj[key] = orjson.loads(dumps(value))
        return out

    def scalar(self, rows: Sequence[Row]) -> tuple[int, bytes]:
        """ExecuteScalar: the first column of the first row, as ``[{"<col>": value}]`` (``[]`` if none)."""
        if not rows or not self.names:
            return 0, b"[]"
        value = rows[0][0]
        if self.kinds and self.kinds[0] in _CONVERTERS:
            value = _CONVERTERS[self.kinds[0]](value)
        return 1, dumps([{self.names[0]: value}])

"""Request parameters: names, conversion by SqlDbType, and the echo of outputs.

Halo sends every value as a string (halo-facts 4.1). Halo Link hands them to
SqlClient with the declared SqlDbType, so a value that .NET cannot convert
fails *before* reaching SQL Server with .NET's message, e.g. ``Failed to
convert parameter value from a String to a Int32.`` (a 400 at the HTTP
layer). Converted values are in the engine's storage forms (see dates.py).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_halo.sql.model import SqlParameter
from mock_halo.sql.semantics import dates, kinds as K
from mock_halo.sql.semantics.errors import ParameterError, duplicate_variable

_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_DEC_RE = re.compile(r"^\s*[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?\s*$")
_FLOAT_RE = re.compile(r"^\s*[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?([eE][+-]?\d+)?\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
                     r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$")
_DMY_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*$")
_TIME_RE = re.compile(r"^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*$")
_INT_RANGES = {"BigInt": (-2**63, 2**63 - 1), "Int": (-2**31, 2**31 - 1), "SmallInt": (-2**15, 2**15 - 1),
               "TinyInt": (0, 255)}

#: SqlDbType -> (.NET type named in conversion errors, kind of the converted value).
DOTNET: dict[str, tuple[str, str]] = {
    "BigInt": ("Int64", K.INT), "Int": ("Int32", K.INT), "SmallInt": ("Int16", K.INT), "TinyInt": ("Byte", K.INT),
    "Bit": ("Boolean", K.BIT), "Decimal": ("Decimal", K.DEC), "Money": ("Decimal", K.DEC),
    "SmallMoney": ("Decimal", K.DEC), "Float": ("Double", K.DEC), "Real": ("Single", K.DEC),
    "Date": ("DateTime", K.DATE), "DateTime": ("DateTime", K.DATETIME), "DateTime2": ("DateTime", K.DATETIME),
    "SmallDateTime": ("DateTime", K.DATETIME), "DateTimeOffset": ("DateTimeOffset", K.DTO),
    "Time": ("TimeSpan", K.TIME), "UniqueIdentifier": ("Guid", K.GUID),
    "Binary": ("Byte[]", K.BIN), "VarBinary": ("Byte[]", K.BIN), "Image": ("Byte[]", K.BIN),
    "Timestamp": ("Byte[]", K.BIN),
}
STRING_TYPES = frozenset({"String", "VarChar", "NVarChar", "Char", "NChar", "Text", "NText", "Xml", "Variant"})


def key(name: str) -> str:
    """Parameter names match case-insensitively, with or without the leading ``@``."""
    return name.lstrip("@").lower()


def display(name: str) -> str:
    return name if name.startswith("@") else "@" + name


def _fail(sql_type: str) -> ParameterError:
    dotnet = DOTNET.get(sql_type, ("Object", ""))[0]
    return ParameterError(f"Failed to convert parameter value from a String to a {dotnet}.")


def _to_int(text: str, sql_type: str) -> int:
    if not _INT_RE.match(text):
        raise _fail(sql_type)
    value = int(text)
    low, high = _INT_RANGES[sql_type]
    if not low <= value <= high:
        raise _fail(sql_type)
    return value


def _to_bit(text: str, sql_type: str) -> int:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return 1
    if lowered in ("false", "0"):
        return 0
    raise _fail(sql_type)


#: The largest magnitude each .NET type holds; a value beyond it does not convert (Halo Link's
#: .NET Framework throws OverflowException: "1e999" is no Double, 1e39 no Single).
_NUMBER_LIMITS = {"Float": 1.7976931348623157e308, "Real": 3.4028234663852886e38,
                  **dict.fromkeys(("Decimal", "Money", "SmallMoney"), 7.922816251426434e28)}


def _to_number(text: str, sql_type: str) -> float:
    regex = _FLOAT_RE if sql_type in ("Float", "Real") else _DEC_RE
    if not regex.match(text) or not re.search(r"\d", text):
        raise _fail(sql_type)
    value = float(text.replace(",", ""))
    if not abs(value) <= _NUMBER_LIMITS[sql_type]:  # also catches inf
        raise _fail(sql_type)
    return value


def _parse_datetime(text: str, sql_type: str) -> tuple[datetime, str]:
    """.NET DateTime.Parse for ISO 8601 and the en-AU ``d/M/yyyy`` form Halo Link's host culture uses."""
    if match := _ISO_RE.match(text):
        y, mo, d, h, mi, s, f, tz = match.groups()
        micro = int((f + "000000")[:6]) if f else 0
        try:
            return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro), tz or ""
        except ValueError:
            raise _fail(sql_type) from None
    if match := _DMY_RE.match(text):
        d, mo, y, h, mi, s, ampm = match.groups()
        hour = int(h or 0)
        if ampm:
            hour = hour % 12 + (12 if ampm.upper() == "PM" else 0)
        try:
            return datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0)), ""
        except ValueError:
            raise _fail(sql_type) from None
    raise _fail(sql_type)


def _to_temporal(text: str, sql_type: str) -> str:
    moment, offset = _parse_datetime(text, sql_type)
    if sql_type == "Date":
        return dates.fmt_date(moment)
    if sql_type == "SmallDateTime":
        return dates.fmt_datetime(dates.round_smalldatetime(moment))
    if sql_type == "DateTime":
        if moment.year < 1753:
            raise ParameterError(f"SqlDateTime overflow. Must be between 1/1/1753 12:00:00 AM and 12/31/9999 "
                                 f"11:59:59 PM.")
        return dates.fmt_datetime(dates.round_datetime(moment))
    if sql_type == "DateTimeOffset":
        offset = "+00:00" if offset in ("", "Z") else (offset if ":" in offset else offset[:3] + ":" + offset[3:])
        return dates.fmt_datetime(moment) + offset
    return dates.fmt_datetime(moment)


def _to_time(text: str, sql_type: str) -> str:
    match = _TIME_RE.match(text)
    if not match or match.group(1):
        raise _fail(sql_type)
    _, h, mi, s, f = match.groups()
    if int(h) > 23 or int(mi) > 59 or int(s or 0) > 59:
        raise _fail(sql_type)
    micro = int((f + "000000")[:6]) if f else 0
    return dates.fmt_time(datetime(1900, 1, 1, int(h), int(mi), int(s or 0), micro))


def _to_guid(text: str, sql_type: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise _fail(sql_type) from None


def _to_bytes(text: str, sql_type: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(sql_type) from None


_CONVERTERS: dict[str, Callable[[str, str], Any]] = {
    **dict.fromkeys(_INT_RANGES, _to_int), "Bit": _to_bit,
    **dict.fromkeys(("Decimal", "Money", "SmallMoney", "Float", "Real"), _to_number),
    **dict.fromkeys(("Date", "DateTime", "DateTime2", "SmallDateTime", "DateTimeOffset"), _to_temporal),
    "Time": _to_time, "UniqueIdentifier": _to_guid,
    **dict.fromkeys(("Binary", "VarBinary", "Image", "Timestamp"), _to_bytes),
}


def convert_value(param: SqlParameter) -> Any:
    """The storage-form value of one parameter (None is SQL NULL)."""
    value = param.value
    if value is None:
        return None
    sql_type = param.type or "NVarChar"
    if sql_type in STRING_TYPES:
        if param.size and param.size > 0 and sql_type != "Variant":
            return value[: param.size]
        return value
    converter = _CONVERTERS.get(sql_type)
    if converter is None:
        raise ParameterError(f"mock-halo does not support parameters of type {sql_type} yet.")
    if value == "" and param.direction == "output":
        return None
    return converter(value, sql_type)


#: String SqlDbTypes SqlClient sends as Unicode (nvarchar, nchar, ntext).
_UNICODE_TYPES = frozenset({"NVarChar", "NChar", "NText", "String"})


def string_limit(param: SqlParameter | None) -> int:
    """How a request parameter counts in ``+`` (:func:`~mock_halo.sql.semantics.strings.join_limit`):
    SqlClient declares a NVarChar parameter nvarchar(Size), nvarchar(4000) without a Size, and
    nvarchar(max) when the Size (-1 or past 4,000) or, without one, the value is longer (VarChar:
    varchar, 8,000); 4,000 or 8,000 characters, 0 for max (text, ntext and xml too), -1 for a
    parameter that is not a string (or not a request parameter at all)."""
    if param is None or param.type not in STRING_TYPES or param.type == "Variant":
        return -1
    if param.type in ("Text", "NText", "Xml"):
        return 0
    bound = 4000 if param.type in _UNICODE_TYPES else 8000
    size = param.size
    if size is not None and size != 0:
        return 0 if size < 0 or size > bound else bound
    return 0 if len(param.value or "") > bound else bound


@dataclass(frozen=True, slots=True)
class BoundParameters:
    """Converted request parameters, by :func:`key`."""

    values: dict[str, Any]
    declared: dict[str, SqlParameter]


def bind(parameters: Sequence[SqlParameter]) -> BoundParameters:
    """Convert every parameter that carries a value into the statement (output ones start as NULL)."""
    values: dict[str, Any] = {}
    declared: dict[str, SqlParameter] = {}
    for param in parameters:
        if param.direction == "returnValue":
            continue
        name = key(param.name)
        if name in declared:
            raise duplicate_variable(display(param.name))
        declared[name] = param
        values[name] = None if param.direction == "output" else convert_value(param)
    return BoundParameters(values, declared)


def echo(parameters: Sequence[SqlParameter], values: dict[str, Any] | None = None,
         return_value: Any = None) -> list[dict[str, Any]]:
    """Output, inputOutput and returnValue parameters as Halo returns them (values as strings)."""
    out: list[dict[str, Any]] = []
    for param in parameters:
        if param.direction == "input":
            continue
        if param.direction == "returnValue":
            value = return_value
        elif values is not None and key(param.name) in values:
            value = values[key(param.name)]
        else:
            value = param.value if param.direction == "inputOutput" else None
        entry: dict[str, Any] = {"name": param.name, "direction": param.direction, "type": param.type,
                                 "value": None if value is None else to_text(value)}
        if param.size is not None:
            entry["size"] = param.size
        out.append(entry)
    return out


def to_text(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)

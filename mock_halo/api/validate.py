"""Validation of SQL passthrough request bodies (halo-facts 4).

Every failure is a 400 in the general envelope whose message names the field
(as a JSON path) and says what was expected.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from mock_halo import errors
from mock_halo.config import SiteConfig
from mock_halo.sql import SqlCommand, SqlParameter

EXECUTION_MODES = ("reader", "nonQuery", "scalar")
COMMAND_TYPES = ("text", "storedProcedure")
DIRECTIONS = ("input", "output", "inputOutput", "returnValue")
SQL_DB_TYPES = (
    "BigInt", "Binary", "Bit", "Char", "String", "Date", "DateTime", "DateTime2", "DateTimeOffset",
    "Decimal", "Float", "Image", "Int", "Money", "NChar", "NText", "NVarChar", "Real", "SmallDateTime",
    "SmallInt", "SmallMoney", "Structured", "Text", "Time", "Timestamp", "TinyInt", "Udt",
    "UniqueIdentifier", "VarBinary", "VarChar", "Variant", "Xml",
)
IMMEDIATE_MAX_TIME_IN_QUEUE = (0, 60_000, 30_000)
ASYNC_MAX_TIME_IN_QUEUE = (0, 7_200_000, 3_600_000)
#: SQL Server's limit on parameters in one request is 2100.
MAX_PARAMETERS = 2100


def _fail(path: str, expected: str, got: Any = ...) -> errors.HaloError:
    shown = "" if got is ... else f"; got {_show(got)}"
    return errors.bad_request(f"{path} {expected}{shown}.")


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:  # an integer past 64 bits (Python's JSON parser reads any size)
            text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _enum(body: dict[str, Any], key: str, path: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if value not in allowed:
        raise _fail(path, f"must be one of {', '.join(allowed)}", value)
    return value


def integer_in_range(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"must be an integer from {low} to {high}", value)
    if isinstance(value, float):
        if not value.is_integer():
            raise _fail(path, f"must be a whole number from {low} to {high}", value)
        value = int(value)
    if not low <= value <= high:
        raise _fail(path, f"must be from {low} to {high}", value)
    return value


def parse_command(body: dict[str, Any], path: str = "command") -> SqlCommand:
    """A Command object (text, executionMode, type, parameters)."""
    command = body.get("command")
    if command is None:
        raise _fail(path, "is required")
    if not isinstance(command, dict):
        raise _fail(path, "must be an object", command)
    text = command.get("text")
    if text is None:
        raise _fail(f"{path}.text", "is required")
    if not isinstance(text, str):
        raise _fail(f"{path}.text", "must be a string", text)
    if not text.strip():
        raise _fail(f"{path}.text", "must not be empty")
    mode = _enum(command, "executionMode", f"{path}.executionMode", EXECUTION_MODES, "reader")
    kind = _enum(command, "type", f"{path}.type", COMMAND_TYPES, "text")
    raw_params = command.get("parameters")
    if raw_params is None:
        raw_params = []
    if not isinstance(raw_params, list):
        raise _fail(f"{path}.parameters", "must be an array", raw_params)
    if len(raw_params) > MAX_PARAMETERS:
        raise _fail(f"{path}.parameters", f"may hold at most {MAX_PARAMETERS} parameters", len(raw_params))
    parameters = [_parameter(p, f"{path}.parameters[{i}]") for i, p in enumerate(raw_params)]
    return SqlCommand(text=text, execution_mode=mode, command_type=kind, parameters=parameters, catalogue=None)


def _parameter(raw: Any, path: str) -> SqlParameter:
    if not isinstance(raw, dict):
        raise _fail(path, "must be an object", raw)
    name = raw.get("name")
    if name is None:
        name = ""
    if not isinstance(name, str):
        raise _fail(f"{path}.name", "must be a string", name)
    if not name:
        raise _fail(f"{path}.name", "is required (e.g. \"@id\")")
    direction = _enum(raw, "direction", f"{path}.direction", DIRECTIONS, "input")
    sql_type = _enum(raw, "type", f"{path}.type", SQL_DB_TYPES, "NVarChar")
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise _fail(f"{path}.value", "must be a string or null (Halo sends every value as a string)", value)
    size = raw.get("size")
    if size is not None:
        size = integer_in_range(size, f"{path}.size", 0, 2_147_483_647)
    return SqlParameter(name=name, direction=direction, type=sql_type, value=value, size=size)


def parse_max_time_in_queue(body: dict[str, Any], bounds: tuple[int, int, int]) -> int:
    low, high, default = bounds
    value = body.get("maxTimeInQueue")
    if value is None:
        return default
    return integer_in_range(value, "maxTimeInQueue", low, high)


def parse_catalogue(body: dict[str, Any], site: SiteConfig) -> str | None:
    value = body.get("catalogue")
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail("catalogue", "must be a string", value)
    for cat in site.catalogues:
        if cat.name.lower() == value.lower():
            return cat.name
    if site.pms_type == "BestPractice":
        # Halo's catalogue selects one of a Zedmed-style pair of databases; on Bp Premier the query names its
        # database itself, and another name (Halo's own example, "Patients") runs in the default catalogue.
        return None
    names = ", ".join(c.name for c in site.catalogues)
    raise errors.bad_request(f"Unknown catalogue '{value}'. This site's catalogues are: {names}.")


def command_size(body: dict[str, Any]) -> int:
    return len(orjson.dumps(body.get("command")))


def page_number(raw: str) -> int:
    """A result page number from the path: an integer of at least 1 (halo-facts 3)."""
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1 or not raw.isdigit():  # isdigit: no sign, spaces or underscores
        raise errors.bad_request(f"pageNumber must be an integer of at least 1; got '{raw[:40]}'.")
    return number


def query_ids(body: dict[str, Any]) -> list[str]:
    """``queryIds`` of a batch status request (halo-facts 6.8): an array of query GUIDs, as sent."""
    ids = body.get("queryIds")
    if not isinstance(ids, list):
        raise _fail("queryIds", "is required: an array of query ids (GUIDs)", ... if ids is None else ids)
    for index, value in enumerate(ids):
        if not isinstance(value, str) or not _is_guid(value):
            raise _fail(f"queryIds[{index}]", "must be a query id (a GUID)", value)
    return ids


#: A GUID in the hyphenated form Halo's ids take (``uuid.UUID`` also reads braces and URNs).
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _is_guid(value: str) -> bool:
    return _GUID.fullmatch(value) is not None

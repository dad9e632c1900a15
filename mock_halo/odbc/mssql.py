"""SQL Server through Microsoft's ODBC Driver 18: Halo commands sent as written.

What Halo Link's SqlClient puts on the wire, as T-SQL text pyodbc can send:

* a ``text`` command without parameters goes as it is (a SQL batch);
* with parameters it becomes ``EXEC sp_executesql N'<text>', N'<declarations>',
  @a = ?, ...``; the declarations come from each parameter's SqlDbType the way
  SqlClient infers them (``nvarchar(4000)`` for a short string, ``decimal(p,s)``
  from the value, ...), values are bound with ``?``;
* a ``storedProcedure`` command becomes ``EXEC @rv = <name> @a = ?, ...``;
* output, inputOutput and returnValue parameters are variables of the outer
  batch, read back by a final ``SELECT`` that is not part of the results.

Values are converted by .NET's rules first (:mod:`mock_halo.sql.runtime.params`), so
a value SqlClient would reject is still a 400 and never reaches the server.
Errors carry SQL Server's own numbers and messages (:func:`errors.from_mssql`).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from mock_halo.odbc import errors as odbc_errors
from mock_halo.odbc.engine import Call, OdbcEngine, Result, Route, plain
from mock_halo.sql.model import SqlCommand, SqlOutcome, SqlParameter
from mock_halo.sql.runtime import params
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics.errors import SqlError

#: Prefix of the outer batch's variables (Halo parameter names cannot clash: they are arguments).
_VAR = "@mh_"
_NAME = re.compile(r"^@?[A-Za-z_#][A-Za-z0-9_@#$]*$")
_PART = r"(?:\[(?:[^\]]|\]\])+\]|\"[^\"]+\"|[A-Za-z_#@][A-Za-z0-9_@#$]*)"
_PROCEDURE = re.compile(rf"^\s*{_PART}(?:\s*\.\s*{_PART}){{0,3}}\s*$")

_FIXED: dict[str, str] = {
    "BigInt": "bigint", "Int": "int", "SmallInt": "smallint", "TinyInt": "tinyint", "Bit": "bit",
    "Money": "money", "SmallMoney": "smallmoney", "Float": "float", "Real": "real", "Date": "date",
    "DateTime": "datetime", "DateTime2": "datetime2(7)", "SmallDateTime": "smalldatetime",
    "DateTimeOffset": "datetimeoffset(7)", "Time": "time(7)", "UniqueIdentifier": "uniqueidentifier",
    "Image": "image", "Timestamp": "timestamp", "Text": "text", "NText": "ntext", "Xml": "xml",
    "Variant": "sql_variant",
}
#: Variable-length types: (T-SQL name, longest non-max length).
_SIZED: dict[str, tuple[str, int]] = {
    "NVarChar": ("nvarchar", 4000), "String": ("nvarchar", 4000), "VarChar": ("varchar", 8000),
    "NChar": ("nchar", 4000), "Char": ("char", 8000), "VarBinary": ("varbinary", 8000),
    "Binary": ("binary", 8000),
}


def nstring(text: str) -> str:
    """A T-SQL Unicode literal."""
    return "N'" + text.replace("'", "''") + "'"


def bracket(name: str) -> str:
    return "[" + name.replace("]", "]]") + "]"


def declared_type(param: SqlParameter, value: Any) -> str:
    """The T-SQL type SqlClient declares for ``param`` (sp_executesql's parameter list)."""
    sql_type = param.type or "NVarChar"
    if sql_type in _FIXED:
        return _FIXED[sql_type]
    if sql_type == "Decimal":
        return _decimal_type(param.value)
    if sql_type in _SIZED:
        name, longest = _SIZED[sql_type]
        size = param.size if param.size and param.size > 0 else None
        if size is None:
            length = len(value) if isinstance(value, (str, bytes)) else 0
            if param.direction in ("output", "inputOutput") or length > longest:
                return f"{name}(max)"
            # SqlClient sends short strings as nvarchar(4000) / varchar(8000); fixed types by the value's length.
            return f"{name}({max(length, 1)})" if name in ("nchar", "char", "binary") else f"{name}({longest})"
        return f"{name}(max)" if size > longest else f"{name}({size})"
    raise errors.unsupported(f"parameters of type {sql_type}")


def _decimal_type(text: str | None) -> str:
    """decimal(p,s) from the value, as SqlClient infers it (decimal(29,4) when there is no value)."""
    if text is None:
        return "decimal(29,4)"
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return "decimal(29,4)"
    sign, digits, exponent = value.as_tuple()
    scale = max(0, -int(exponent))
    precision = max(len(digits), scale, 1)
    if int(exponent) > 0:
        precision = len(digits) + int(exponent)
    return f"decimal({min(precision, 38)},{min(scale, 38)})"


def driver_value(param: SqlParameter, value: Any) -> Any:
    """The converted value (storage form) as the Python object pyodbc binds with the right ODBC type."""
    if value is None:
        return None
    sql_type = param.type or "NVarChar"
    if sql_type in ("Decimal", "Money", "SmallMoney") and param.value is not None:
        return Decimal(param.value.strip().replace(",", ""))
    if sql_type == "Date":
        return dt.date.fromisoformat(value[:10])
    if sql_type in ("DateTime", "DateTime2", "SmallDateTime"):
        return dt.datetime.fromisoformat(value)
    if sql_type == "Time":
        return dt.time.fromisoformat(value)
    if sql_type == "Bit":
        return bool(value)
    return value


#: ODBC type of SQL Server's datetimeoffset (SQL_SS_TIMESTAMPOFFSET), which pyodbc cannot read by itself.
SQL_SS_TIMESTAMPOFFSET = -155
_DTO = struct.Struct("<6hI2h")  # year, month, day, hour, minute, second, nanoseconds, offset hours, minutes


def datetimeoffset_text(raw: bytes | None) -> str | None:
    """A datetimeoffset value (the driver's SQL_SS_TIMESTAMPOFFSET_STRUCT) in the emulator's storage form."""
    if raw is None:
        return None
    year, month, day, hour, minute, second, nanos, tz_hour, tz_minute = _DTO.unpack(raw)
    moment = dt.datetime(year, month, day, hour, minute, second, nanos // 1000)
    sign = "-" if tz_hour < 0 or tz_minute < 0 else "+"
    return f"{dates.fmt_datetime(moment)}{sign}{abs(tz_hour):02d}:{abs(tz_minute):02d}"


def prepare_connection(raw: Any) -> None:
    """Per new connection: read datetimeoffset columns (pyodbc raises 'ODBC SQL type -155 is not yet supported')."""
    raw.add_output_converter(SQL_SS_TIMESTAMPOFFSET, datetimeoffset_text)


class MssqlEngine(OdbcEngine):
    """A site's catalogues on a real SQL Server."""

    dialect = "mssql"

    def statements(self, route: Route, command: SqlCommand, bound: params.BoundParameters) -> list[Call]:
        calls: list[Call] = []
        if route.database:
            calls.append((f"USE {bracket(route.database)};", ()))
        if command.command_type == "storedProcedure":
            calls.append(procedure_call(command, bound))
        else:
            calls.append(text_call(command, bound))
        return calls

    def finish(self, command: SqlCommand, results: list[Result], bound: params.BoundParameters) -> SqlOutcome:
        outputs, return_value = {}, None
        if has_outputs(command):
            results, outputs, return_value = split_outputs(command, results)
        return self.shape(command, results, bound, outputs, return_value)

    def map_error(self, exc: BaseException) -> SqlError:
        return odbc_errors.from_mssql(exc)


# -- building the batch -----------------------------------------------------------------------
def has_outputs(command: SqlCommand) -> bool:
    return any(p.direction != "input" for p in command.parameters)


def _checked_name(param: SqlParameter) -> str:
    if not _NAME.match(param.name or ""):
        raise errors.syntax_near(param.name or "@")
    return params.display(param.name)


def _outer(command: SqlCommand, bound: params.BoundParameters) -> tuple[list[str], list[Any], list[str]]:
    """DECLAREs of the outer batch's output variables, their values, and the closing SELECT's items."""
    declares: list[str] = []
    values: list[Any] = []
    selects: list[str] = []
    for index, param in enumerate(command.parameters):
        if param.direction == "input":
            continue
        if param.direction == "returnValue":
            if command.command_type == "storedProcedure":
                declares.append(f"{_VAR}rv int")
                selects.append(f"{_VAR}rv AS {bracket(_checked_name(param))}")
            continue
        name = _checked_name(param)
        value = bound.values.get(params.key(param.name))
        declares.append(f"{_VAR}{index} {declared_type(param, value)} = {_marker(param, value, values)}")
        selects.append(f"{_VAR}{index} AS {bracket(name)}")
    return declares, values, selects


def _argument(index: int, param: SqlParameter, bound: params.BoundParameters,
              values: list[Any]) -> str:
    name = _checked_name(param)
    if param.direction == "input":
        return f"{name} = {_marker(param, bound.values.get(params.key(param.name)), values)}"
    return f"{name} = {_VAR}{index} OUTPUT"


def _marker(param: SqlParameter, value: Any, values: list[Any]) -> str:
    """``?`` with the value bound, or ``NULL`` written out: a bound None makes pyodbc ask the driver
    to describe the parameter (SQLDescribeParam), which fails or guesses varchar in batches."""
    if value is None:
        return "NULL"
    values.append(driver_value(param, value))
    return "?"


def text_call(command: SqlCommand, bound: params.BoundParameters) -> Call:
    """A text command: as written, or through sp_executesql when it has parameters."""
    arguments = [(i, p) for i, p in enumerate(command.parameters) if p.direction != "returnValue"]
    if not arguments:
        return command.text, ()
    declares, values, selects = _outer(command, bound)
    declarations = ", ".join(
        f"{_checked_name(p)} {declared_type(p, bound.values.get(params.key(p.name)))}"
        + (" OUTPUT" if p.direction != "input" else "")
        for _, p in arguments)
    passed = [_argument(i, p, bound, values) for i, p in arguments]
    sql = ""
    if declares:
        sql += "DECLARE " + ", ".join(declares) + ";\n"
    sql += f"EXEC sp_executesql {nstring(command.text)}, {nstring(declarations)}, " + ", ".join(passed) + ";"
    if selects:
        sql += "\nSELECT " + ", ".join(selects) + ";"
    return sql, tuple(values)


def procedure_call(command: SqlCommand, bound: params.BoundParameters) -> Call:
    """A storedProcedure command: ``EXEC [@rv =] name @a = ?, @b = @out OUTPUT``."""
    name = command.text.strip()
    if not _PROCEDURE.match(name):
        raise errors.procedure_not_found(name)
    declares, values, selects = _outer(command, bound)
    returns = any(p.direction == "returnValue" for p in command.parameters)
    passed = [_argument(i, p, bound, values) for i, p in enumerate(command.parameters)
              if p.direction != "returnValue"]
    sql = ""
    if declares:
        sql += "DECLARE " + ", ".join(declares) + ";\n"
    sql += "EXEC " + (f"{_VAR}rv = " if returns else "") + name + (" " + ", ".join(passed) if passed else "") + ";"
    if selects:
        sql += "\nSELECT " + ", ".join(selects) + ";"
    return sql, tuple(values)


def split_outputs(command: SqlCommand, results: list[Result]) -> tuple[list[Result], dict[str, Any], Any]:
    """Take the closing SELECT of output values off the results: (results, outputs by key, return value)."""
    sets = [i for i, r in enumerate(results) if r.rows is not None]
    if not sets:
        return results, {}, None
    last = sets[-1]
    row = results[last].rows[0] if results[last].rows else ()
    names = results[last].encoder.names if results[last].encoder else ()
    values = dict(zip((n.lower() for n in names), row))
    outputs: dict[str, Any] = {}
    return_value = None
    for param in command.parameters:
        if param.direction == "input":
            continue
        value = plain(values.get(params.display(param.name).lower()))
        if param.direction == "returnValue":
            return_value = value
        else:
            outputs[params.key(param.name)] = value
    return results[:last] + results[last + 1:], outputs, return_value

"""ODBC driver errors -> :class:`~mock_halo.sql.semantics.errors.SqlError` (Halo's ``errorDetails``).

pyodbc raises ``pyodbc.Error`` subclasses whose ``args`` are ``(sqlstate,
text)``. The text is what the driver manager assembled from every diagnostic
record, e.g. from Microsoft's ODBC Driver 18::

    [42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Incorrect syntax near ')'. (102)
    (SQLExecDirectW); [42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Statement(s) could
    not be prepared. (8180)

and from psqlODBC::

    [42P01] ERROR: relation "nope" does not exist;\nError while executing the query (1) (SQLExecDirectW)

:func:`diagnostics` splits that into :class:`Diagnostic` records (SQLSTATE,
native error number, clean message). :func:`from_mssql` turns a SQL Server
error into a SqlError with SQL Server's own number and message; other engines
use :func:`nearest` with their own table (the original message is kept).
Driver-side conditions (timeouts, lost connections) have fixed numbers here,
as .NET's SqlClient reports them to Halo Link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.errors import SqlError

#: SQL Server numbers that only say "an earlier error happened"; the earlier one is the real cause.
_FOLLOW_UPS = frozenset({8180, 3621, 16945})
#: .NET SqlClient's number for a transport failure (connection reset by peer).
CONNECTION_LOST = 10054
#: .NET SqlClient's number when no connection could be made (error 53: network path not found).
CANNOT_CONNECT = 53

#: SQLSTATEs after which the connection is gone: class 08, and PostgreSQL's server-side terminations.
_LOST_STATES = ("08", "57P01", "57P02", "57P03")

_RECORD_START = re.compile(r"(?:^|;\s*)\[([0-9A-Z]{5})\]\s*")
_VENDOR_TAGS = re.compile(r"^(?:\[[^\]]*\])+\s*")
_TRAILER = re.compile(r"\s*\((-?\d+)\)\s*(?:\(SQL[A-Za-z]+\))?\s*$")
_PG_TAIL = re.compile(r";?\s*Error while (?:executing|preparing) the query\s*$", re.IGNORECASE)
_PG_SEVERITY = re.compile(r"^(?:ERROR|FATAL|PANIC):\s+")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One diagnostic record: SQLSTATE, native error number (None if the driver gave none), message."""

    sqlstate: str
    native: int | None
    message: str
    #: True when the record came from the server rather than the driver (a ``[SQL Server]`` tag).
    from_server: bool = False


def diagnostics(exc: BaseException) -> list[Diagnostic]:
    """The diagnostic records of a pyodbc error (or anything with ``(sqlstate, text)`` args)."""
    args = getattr(exc, "args", ())
    state = str(args[0]) if len(args) >= 2 else "HY000"
    text = str(args[1]) if len(args) >= 2 else (str(args[0]) if args else str(exc))
    starts = list(_RECORD_START.finditer(text))
    if not starts:
        return [_record(state, text)]
    records = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        records.append(_record(match.group(1), text[match.end():end]))
    return records


def _record(state: str, body: str) -> Diagnostic:
    body = body.strip()
    tags = _VENDOR_TAGS.match(body)
    from_server = bool(tags and "[SQL Server]" in tags.group(0))
    if tags:
        body = body[tags.end():]
    native = None
    trailer = _TRAILER.search(body)
    if trailer:
        native = int(trailer.group(1))
        body = body[:trailer.start()]
    body = _PG_TAIL.sub("", body.strip())
    body = _PG_SEVERITY.sub("", body).strip()
    return Diagnostic(state, native, body, from_server)


def is_connection_error(exc: BaseException) -> bool:
    """A failure of the connection itself (SQLSTATE class 08 and the like): the connection must not be reused."""
    return any(d.sqlstate.startswith(_LOST_STATES) for d in diagnostics(exc))


def is_timeout(exc: BaseException) -> bool:
    """The driver's query or login timeout (SQLSTATE HYT00 / HYT01)."""
    return any(d.sqlstate in ("HYT00", "HYT01") for d in diagnostics(exc))


def driver_condition(exc: BaseException) -> SqlError | None:
    """Timeouts and connection failures, with the numbers .NET's SqlClient gives them (else None)."""
    records = diagnostics(exc)
    first = records[0]
    if any(d.sqlstate in ("HYT00", "HYT01") for d in records):
        if "login" in first.message.lower():
            return errors.login_timeout(first.message)
        return errors.timeout()
    if first.sqlstate in ("08001", "08004", "28000") and not first.from_server:
        return SqlError(CANNOT_CONNECT, "A network-related or instance-specific error occurred while establishing "
                                        f"a connection to the database server. ({first.message})")
    if first.sqlstate.startswith(_LOST_STATES):
        return SqlError(CONNECTION_LOST, "A transport-level error has occurred when receiving results from the "
                                         f"server. ({first.message})")
    return None


def from_mssql(exc: BaseException) -> SqlError:
    """A SQL Server error through Microsoft's (or FreeTDS's) driver: SQL Server's number and message.

    The first server record wins, skipping follow-ups such as 8180 ("Statement(s)
    could not be prepared"), which only report that an earlier error happened.
    Login failures (18456) and permission errors keep their real numbers too.
    """
    records = diagnostics(exc)
    server = [d for d in records if d.native is not None and (d.from_server or d.native > 0)]
    causes = [d for d in server if d.native not in _FOLLOW_UPS] or server
    if causes and causes[0].from_server:
        return SqlError(causes[0].native, causes[0].message)
    condition = driver_condition(exc)
    if condition is not None:
        return condition
    if causes:
        return SqlError(causes[0].native, causes[0].message)
    first = records[0]
    return errors.internal(f"ODBC error {first.sqlstate}: {first.message}")


def nearest(exc: BaseException, numbers: Mapping[str, int], *, default: int = errors.INTERNAL) -> SqlError:
    """For engines other than SQL Server: the nearest SQL Server number by SQLSTATE, original message kept.

    ``numbers`` maps SQLSTATEs (or 2-character SQLSTATE classes) to SQL Server
    numbers; driver conditions (timeouts, lost connections) come first.
    """
    condition = driver_condition(exc)
    if condition is not None:
        return condition
    first = diagnostics(exc)[0]
    number = numbers.get(first.sqlstate, numbers.get(first.sqlstate[:2], default))
    return SqlError(number, first.message)

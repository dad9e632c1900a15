"""The ODBC engine base: Halo commands on a real database through pyodbc.

:class:`OdbcEngine` has the embedded engine's interface (``execute``,
``reset``, ``close``, ``cache_info``, ``catalogues``) and does what is the same
for every real database: route the command's catalogue to a connection pool,
bind the request parameters (.NET's conversion rules and errors, as in
:mod:`mock_halo.sql.runtime.params`), run the statements under the query timeout in
one transaction (committed on success, rolled back on any error), collect
every result set and row count, shape the outcome for the execution mode
exactly as the embedded engine does (``reader``: first result set; ``scalar``:
its first value; ``nonQuery``: rows affected), render values the way Halo does,
and turn driver errors into :class:`~mock_halo.sql.semantics.errors.SqlError`.

A dialect subclass supplies :meth:`OdbcEngine.statements` (what to send) and
:meth:`OdbcEngine.map_error`; it may override :meth:`OdbcEngine.run` entirely.
The base itself sends ``text`` commands as written with no parameters: plain
SQL, used by the tests of this plumbing.

Reset: an external database is not the emulator's to throw away. With the
site's ``odbc_reset = "reload"`` a reset reloads the fixtures through the
``reload`` callable; with ``"keep"`` (the default) it leaves the data alone and
logs that it did (queries, clock and scenarios still reset).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mock_halo.odbc import errors as odbc_errors
from mock_halo.odbc.pool import ConnectionPool, PooledConnection
from mock_halo.sql.model import Deadline, SqlCommand, SqlOutcome
from mock_halo.sql.runtime import params
from mock_halo.sql.runtime.results import Result, outcome
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.encode import Encoder
from mock_halo.sql.semantics.errors import ParameterError, ResultTooLarge, SqlError

log = logging.getLogger("mock_halo.odbc")

RESET_POLICIES = ("keep", "reload")


@dataclass(frozen=True)
class Route:
    """Where a catalogue's commands go: a pool, and the database to switch to (None: the connection's own)."""

    catalogue: str
    pool: ConnectionPool
    database: str | None = None


Call = tuple[str, Sequence[Any]]


# -- values -------------------------------------------------------------------------
_KIND_OF_TYPE: dict[type, str] = {
    bool: K.BIT, int: K.INT, float: K.DEC, Decimal: K.DEC, dt.datetime: K.DATETIME, dt.date: K.DATE,
    dt.time: K.TIME, bytes: K.BIN, bytearray: K.BIN, uuid.UUID: K.GUID, str: K.STR,
}


def kind_of(type_code: Any) -> str:
    """The value kind of a DB-API ``description`` type code (pyodbc gives Python types)."""
    if isinstance(type_code, type):
        for klass in type_code.__mro__:
            if klass in _KIND_OF_TYPE:
                return _KIND_OF_TYPE[klass]
    return K.UNKNOWN


def plain(value: Any) -> Any:
    """A driver value in the emulator's storage form (what the embedded engine holds).

    datetimes -> ``YYYY-MM-DDTHH:MM:SS[.fff]``, dates -> ``YYYY-MM-DD``, times ->
    ``HH:MM:SS[.fff]``, decimals -> float, GUIDs -> lower-case text; the rest as is.
    """
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            offset = value.strftime("%z")
            return dates.fmt_datetime(value.replace(tzinfo=None)) + offset[:3] + ":" + offset[3:]
        return dates.fmt_datetime(value)
    if isinstance(value, dt.date):
        return dates.fmt_date(value)
    if isinstance(value, dt.time):
        return dates.fmt_time(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def collect(cursor: Any) -> list[Result]:
    """Every result set and row count of the statement just executed on ``cursor``."""
    results: list[Result] = []
    while True:
        description = cursor.description
        if description:
            names = [d[0] or "" for d in description]
            encoder = Encoder(names, [kind_of(d[1]) for d in description])
            rows = [tuple(plain(v) for v in row) for row in cursor.fetchall()]
            results.append(Result(encoder, rows, -1))
        else:
            results.append(Result(None, None, cursor.rowcount if cursor.rowcount is not None else -1))
        if not cursor.nextset():
            return results


# -- the engine ---------------------------------------------------------------------------
class OdbcEngine:
    """A site's catalogues on a real database reached through ODBC."""

    dialect = "odbc"

    def __init__(self, routes: Mapping[str, Route], default: str, *, reset_policy: str = "keep",
                 reload: Callable[[], None] | None = None, site: str = "") -> None:
        if default not in routes:
            raise ValueError(f"no ODBC route for the default catalogue {default!r}")
        if reset_policy not in RESET_POLICIES:
            raise ValueError(f"odbc_reset must be one of {RESET_POLICIES}, got {reset_policy!r}")
        self.routes = dict(routes)
        self.default = default
        self.reset_policy = reset_policy
        self._reload = reload
        self.site = site
        self._closed = False
        #: A reload that has not happened yet (the first command, or the next one after a failed reload, runs it).
        self.load_pending = False
        self._load_lock = threading.Lock()
        #: How many resets left the external data alone (for tests and the health view).
        self.resets_kept = 0

    # -- public interface ---------------------------------------------------------------
    @property
    def catalogues(self) -> list[str]:
        return list(self.routes)

    def cache_info(self) -> dict[str, int]:
        """No translation cache on this engine (SQL Server gets the text as written)."""
        return {"hits": 0, "misses": 0, "size": 0, "maxsize": 0}

    def route(self, catalogue: str | None) -> Route:
        if catalogue is None:
            return self.routes[self.default]
        for name, route in self.routes.items():
            if name.lower() == catalogue.lower():
                return route
        raise errors.database_not_found(catalogue)

    def execute(self, command: SqlCommand, *, deadline: Deadline | None = None) -> SqlOutcome:
        """Run one Halo command; raises :class:`SqlError` or :class:`ParameterError`.

        Each statement runs under the pool's query timeout, shortened to what is left
        before ``deadline`` (SQL Server's -2 when it runs out)."""
        try:
            if self._closed:
                raise errors.internal("the engine is closed")
            if self.load_pending:
                self._load_now()
            bound = params.bind(command.parameters)
            route = self.route(command.catalogue)
            with route.pool.connection() as conn:
                conn.deadline = deadline
                try:
                    return self._attempt(conn, route, command, bound)
                finally:
                    conn.deadline = None
        except (SqlError, ParameterError, ResultTooLarge):
            raise
        except Exception as exc:  # noqa: BLE001 - the HTTP layer only ever sees SqlError
            raise errors.internal(f"{type(exc).__name__}: {exc}") from exc

    def _attempt(self, conn: PooledConnection, route: Route, command: SqlCommand,
                 bound: params.BoundParameters) -> SqlOutcome:
        try:
            result = self.run(conn, route, command, bound)
            conn.raw.commit()
            return result
        except BaseException as exc:
            conn.rollback()
            if isinstance(exc, (SqlError, ParameterError, ResultTooLarge)):
                raise
            if not _is_driver_error(exc):
                raise
            if odbc_errors.is_connection_error(exc):
                conn.broken = True
            if conn.timed_out:
                raise errors.timeout() from None
            raise self.map_error(exc) from None

    def reset(self) -> None:
        """``reload``: load the fixtures again; ``keep``: leave the external data as it is (logged).

        A reload that fails (the database is down) does not fail the reset: it is
        logged and retried by the next command, which reports the error in Halo's shape.
        """
        if self.reset_policy == "reload" and self._reload is not None:
            self.load_pending = True
            try:
                self._load_now()
            except SqlError as exc:
                log.warning("reset of site %s could not reload its %s database (Msg %s: %s); the next "
                            "command retries", self.site or "?", self.dialect, exc.number, exc.message)
            return
        self.resets_kept += 1
        log.info("reset of site %s left its %s database alone (odbc_reset = \"keep\"); queries, clock and "
                 "scenarios were reset", self.site or "?", self.dialect)

    def warm(self) -> None:
        """Run a pending load now (``Emulator.warm``, before serving), so the first command does
        not pay for it inside its deadline; one that fails (the database is down) is logged and
        left to the next command, as after a reset."""
        if not self.load_pending:
            return
        try:
            self._load_now()
        except SqlError as exc:
            log.warning("site %s could not load its %s database (Msg %s: %s); the next command retries",
                        self.site or "?", self.dialect, exc.number, exc.message)

    def _load_now(self) -> None:
        """Run the pending reload; driver errors become SqlErrors (it stays pending if it fails)."""
        with self._load_lock:
            if not self.load_pending or self._reload is None:
                return
            try:
                self._reload()
            except (SqlError, ParameterError):
                raise
            except Exception as exc:  # noqa: BLE001
                if _is_driver_error(exc):
                    raise self.map_error(exc) from None
                raise errors.internal(f"loading the fixtures failed: {type(exc).__name__}: {exc}") from exc
            self.load_pending = False

    def interrupt(self) -> None:
        """Stop the running statement now, from any thread (the site's work was cancelled: a reset):
        it fails as timed out. A reload in progress is not a statement and goes on."""
        for pool in self._pools():
            pool.interrupt()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for pool in self._pools():
            pool.close()

    def _pools(self) -> list[ConnectionPool]:
        return list({id(route.pool): route.pool for route in self.routes.values()}.values())

    # -- dialect hooks ------------------------------------------------------------------------
    def run(self, conn: PooledConnection, route: Route, command: SqlCommand,
            bound: params.BoundParameters) -> SqlOutcome:
        """Send the statements for ``command`` on one cursor and shape the outcome."""
        return self.finish(command, self.send(conn, self.statements(route, command, bound)), bound)

    def send(self, conn: PooledConnection, calls: Sequence[Call]) -> list[Result]:
        """Execute ``calls`` in order on one cursor under the query timeout; every result of each."""
        cursor = conn.cursor()
        results: list[Result] = []
        try:
            with conn.guarded(cursor):
                for sql, values in calls:
                    if values:
                        cursor.execute(sql, list(values))
                    else:
                        cursor.execute(sql)
                    results.extend(collect(cursor))
        finally:
            _close_quietly(cursor)
        return results

    def finish(self, command: SqlCommand, results: list[Result], bound: params.BoundParameters) -> SqlOutcome:
        """The outcome from everything the statements produced (dialects take off what is theirs)."""
        return self.shape(command, results, bound)

    def statements(self, route: Route, command: SqlCommand, bound: params.BoundParameters) -> list[Call]:
        """What to send for ``command``. The base sends plain text commands as written, unparameterised."""
        if command.command_type == "storedProcedure":
            raise errors.unsupported("stored procedures on this ODBC engine")
        if bound.values:
            raise errors.unsupported("parameters on the plain ODBC engine")
        return [(command.text, ())]

    def shape(self, command: SqlCommand, results: Sequence[Result], bound: params.BoundParameters,
              outputs: dict[str, Any] | None = None, return_value: Any = None) -> SqlOutcome:
        values = dict(bound.values)
        values.update(outputs or {})
        return outcome(command, results, params.echo(command.parameters, values, return_value))

    def map_error(self, exc: BaseException) -> SqlError:
        """A driver error as a SqlError; dialects map to SQL Server's numbers."""
        return odbc_errors.nearest(exc, {})


def _is_driver_error(exc: BaseException) -> bool:
    try:
        import pyodbc
    except ImportError:  # pragma: no cover - pyodbc needs libodbc
        return False
    return isinstance(exc, pyodbc.Error)


def _close_quietly(cursor: Any) -> None:
    try:
        cursor.close()
    except Exception:  # noqa: BLE001
        pass

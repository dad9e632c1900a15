"""The PostgreSQL engine: integrators' T-SQL translated and run on a real PostgreSQL through pyodbc.

:class:`PostgresEngine` has the embedded engine's interface (``execute``,
``reset``, ``close``, ``cache_info``, ``catalogues``) over a database loaded
by :func:`mock_halo.odbc.pg_load.load_postgres` (one schema per catalogue). It
reuses the embedded engine's pieces, not copies of them:

* :class:`~mock_halo.sql.engines.postgres.translate.PgTranslator` (the same parser, batch
  compiler, name resolution and typing, with a PostgreSQL back end);
* the batch interpreter (:class:`~mock_halo.sql.engines.postgres.session.PgSession` /
  :class:`~mock_halo.sql.runtime.interpreter.Interpreter`: variables, IF/WHILE,
  TRY/CATCH, EXEC, output parameters) through :class:`PgConnection`, a
  DB-API-shaped seam over the pyodbc connection. psqlODBC's default "level of
  rollback on errors" (``Protocol=7.4-2``: a driver savepoint before each
  statement) makes an error caught by ``BEGIN CATCH`` undo only that
  statement, as on SQL Server (PostgreSQL would otherwise abort the whole
  transaction): do not set ``Protocol=7.4-1`` in the connection string;
* the Python-emulated ``BP_*`` stored procedures, whose SQL is plain enough to
  run on PostgreSQL with the catalogue's schema on the ``search_path``;
* result encoding: values come back from pyodbc as Python objects and are
  turned into the embedded engine's storage forms (ISO datetime text, numbers,
  lower-case GUIDs) before the shared :class:`~mock_halo.sql.semantics.encode.Encoder`
  renders them, so the JSON is byte-for-byte what the embedded engine gives.

Driver errors become SQL Server errors by SQLSTATE (:data:`SQLSTATE_NUMBERS`:
the nearest SQL Server number, PostgreSQL's message kept).
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from mock_halo.odbc.engine import OdbcEngine, Route
from mock_halo.odbc.pg_load import load_postgres
from mock_halo.odbc.pool import ConnectionPool, PoolSettings
import mock_halo.practice.procedures  # noqa: F401 - registers Bp Premier's stored procedures
from mock_halo.sql import procedures
from mock_halo.sql.engines.postgres.layout import SUPPORT_SCHEMA, schema_name
from mock_halo.sql.engines.postgres.session import PgSession, literal, view_table_ddl
from mock_halo.sql.frontend import discovery
from mock_halo.sql.engines.postgres.translate import PgTranslator
from mock_halo.sql.frontend.schema import Catalog, read_catalog
from mock_halo.sql.model import SqlCommand, SqlOutcome
from mock_halo.sql.runtime import params
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.dates import fmt_date, fmt_datetime, fmt_time
from mock_halo.sql.semantics.errors import SqlError
from mock_halo.sql.semantics.strings import MAX_VALUE_BYTES

DEFAULT_TIMEZONE = "Australia/Sydney"
#: PostgreSQL SQLSTATE (or class) -> the nearest SQL Server error number.
SQLSTATE_NUMBERS: dict[str, int] = {
    "42P01": 208,  # undefined_table: Invalid object name
    "42703": 207,  # undefined_column: Invalid column name
    "42702": 209,  # ambiguous_column
    "42601": 102,  # syntax_error: Incorrect syntax near
    "42883": 402,  # undefined_function / operator: data types incompatible in the operator
    "42804": 206,  # datatype_mismatch: Operand type clash
    "42846": 529,  # cannot_coerce: Explicit conversion ... is not allowed
    "42725": 402,  # ambiguous_function: data types incompatible in the operator
    "42803": 8120,  # grouping_error: not in the GROUP BY clause
    "42P10": 145,  # invalid_column_reference (ORDER BY items must appear in the select list)
    "42501": 229,  # insufficient_privilege: permission denied
    "23505": 2627,  # unique_violation: Violation of PRIMARY KEY / UNIQUE constraint
    "23503": 547,  # foreign_key_violation: conflicted with the FOREIGN KEY constraint
    "23514": 547,  # check_violation: conflicted with the CHECK constraint
    "23502": 515,  # not_null_violation: Cannot insert the value NULL
    "22012": 8134,  # division_by_zero: Divide by zero error encountered
    "22P02": 245,  # invalid_text_representation: Conversion failed when converting
    "22007": 241,  # invalid_datetime_format: Conversion failed when converting date and/or time
    "22008": 242,  # datetime_field_overflow: out-of-range datetime value
    "22003": 8115,  # numeric_value_out_of_range: Arithmetic overflow error
    "22001": 8152,  # string_data_right_truncation: String or binary data would be truncated
    "21000": 512,  # cardinality_violation: Subquery returned more than 1 value
    "57014": -2,  # query_canceled (statement_timeout): Execution Timeout Expired
    "40001": 1205,  # serialization_failure: deadlock victim
    "40P01": 1205,  # deadlock_detected
    "25P02": 3930,  # in_failed_sql_transaction: the transaction cannot be committed
    "53": 701,  # insufficient resources: There is insufficient system memory
    # raised by pg_functions.sql (text compared with a number), worded by _conversion_error
    "MH245": 245,  # Conversion failed when converting the nvarchar value '...' to data type int.
    "MH248": 248,  # The conversion of the nvarchar value '...' overflowed an int column.
    "MH814": 8114,  # Error converting data type nvarchar to numeric.
}
#: SQL Server's wording of the conversion errors pg_functions.sql raises with their facts [source, value, target].
_CONVERSION_ERRORS = {
    "MH245": lambda source, value, target: errors.conversion_failed(value, source, target),
    "MH248": lambda source, value, target: errors.string_overflow(value, source, target),
    "MH814": lambda source, value, target: errors.converting_data_type(source, target),
}

Clock = Callable[[], datetime]
_LENGTH_CHECK = re.compile(r'"mh_len:([^".]+)\.([^"]+)"')


def map_pg_error(exc: BaseException) -> SqlError:
    """A pyodbc error from psqlODBC -> SqlError with the nearest SQL Server number, message kept."""
    from mock_halo.odbc.errors import diagnostics, nearest

    error = nearest(exc, SQLSTATE_NUMBERS)
    if error.number == -2:
        return errors.timeout()
    check = _LENGTH_CHECK.search(error.message)
    if error.number == 547 and check:  # a declared text length (pg_load's CHECK constraints)
        return errors.string_truncated(f"dbo.{check.group(1).upper()}", check.group(2).upper())
    sqlstate = diagnostics(exc)[0].sqlstate
    if sqlstate == "MH711":  # mock_halo.replicate refused to build past the bound (as the embedded engine does)
        return errors.value_too_large(MAX_VALUE_BYTES)
    word = _CONVERSION_ERRORS.get(sqlstate)
    if word is not None:
        facts = error.message[error.message.find("["):error.message.rfind("]") + 1]
        try:
            source, value, target = json.loads(facts)
        except ValueError:
            return error
        return word(K.string_type_name(source), value, target)
    return error


def storage(value: Any) -> Any:
    """A pyodbc value in the embedded engine's storage form (what the Encoder and procedures expect)."""
    if value is None or isinstance(value, (str, int, float)):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, time):
        return fmt_time(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return int(value)
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return value


class PgCursor:
    """The result of one statement, DB-API shaped, with rows already in storage form."""

    def __init__(self, cursor: Any) -> None:
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = None
        guids = [i for i, d in enumerate(cursor.description or ()) if d[1] is uuid.UUID]
        if cursor.description is None:
            self._rows: list[tuple[Any, ...]] = []
            return
        rows = []
        for row in cursor.fetchall():
            values = [storage(v) for v in row]
            for i in guids:
                if isinstance(values[i], str):
                    values[i] = values[i].lower()
            rows.append(tuple(values))
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class PgConnection:
    """The seam between the batch interpreter (which speaks sqlite3's DB-API dialect) and pyodbc.

    ``pooled`` is a checked-out :class:`~mock_halo.odbc.pool.PooledConnection`
    (autocommit off: the command is one transaction, committed or rolled back by
    :class:`~mock_halo.odbc.engine.OdbcEngine`). ``execute("COMMIT" /
    "ROLLBACK")`` end it early as the batch asks; ``"BEGIN"`` is implicit. Every
    other statement runs under the pool's query timeout and driver errors come
    out as :class:`SqlError` (SQL Server's -2 for a timeout; a connection-class
    failure also marks the connection broken so the pool replaces it). The
    emulated procedures' ``last_insert_rowid()`` is PostgreSQL's ``lastval()``.
    """

    def __init__(self, pooled: Any) -> None:
        self.pooled = pooled
        self.in_transaction = False

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        import pyodbc

        from mock_halo.odbc.errors import is_connection_error

        word = sql.strip().upper()
        if word in ("BEGIN", "BEGIN TRANSACTION"):
            self.in_transaction = True
            return _NO_ROWS
        if word in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
            if word == "COMMIT":
                self.pooled.raw.commit()
            else:
                self.pooled.raw.rollback()
            return _NO_ROWS
        sql = sql.replace("last_insert_rowid()", "lastval()")
        cursor = self.pooled.cursor()
        try:
            with self.pooled.guarded(cursor):
                if parameters:
                    cursor.execute(sql, list(parameters))
                else:
                    cursor.execute(sql)
                return PgCursor(cursor)
        except pyodbc.Error as exc:
            if is_connection_error(exc):
                self.pooled.broken = True
            if self.pooled.timed_out:
                raise errors.timeout() from None
            raise map_pg_error(exc) from None
        finally:
            try:
                cursor.close()
            except Exception:  # noqa: BLE001
                pass


class _NoRows:
    description = None
    rowcount = -1
    lastrowid = None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []


_NO_ROWS = _NoRows()


def schema_catalog(catalogues: Sequence[str], default: str, pms_type: str = "BestPractice") -> Catalog:
    """The translator's view of the catalogues: the fixture schema (tables, views, T-SQL column types).

    Built once per process for each choice of catalogues (Bp Premier's real schema takes a fifth
    of a second to build), then shared by every engine: it is never changed.
    """
    return _schema_catalog(tuple(catalogues), default, pms_type)


@functools.lru_cache(maxsize=16)
def _schema_catalog(catalogues: tuple[str, ...], default: str, pms_type: str) -> Catalog:
    from mock_halo.practice import sqlite_schema

    conn = sqlite3.connect(":memory:")
    try:
        names = {}
        for name in catalogues:
            schema = sqlite_schema(pms_type, name)
            db = "main" if name == default else name
            if db != "main":
                conn.execute(f'ATTACH DATABASE \':memory:\' AS "{db}"')
            target = sqlite3.connect(":memory:")
            for ddl in (*schema.tables, *schema.views):
                target.execute(ddl)
            conn.deserialize(target.serialize(), name=db)
            target.close()
            names[name] = db
        return read_catalog(conn, names, default)
    finally:
        conn.close()



class PostgresEngine(OdbcEngine):
    """A site's catalogues on PostgreSQL (one schema each), T-SQL in, Halo results out.

    ``routes`` map each catalogue to a pool (usually one pool for all: one
    database, a schema per catalogue, see :mod:`mock_halo.odbc.pg_load`). With
    ``load=True`` the fixtures are loaded when the engine opens; ``reset()``
    reloads them with ``reset_policy="reload"`` and otherwise leaves the
    database alone (:class:`~mock_halo.odbc.engine.OdbcEngine`).
    """

    dialect = "postgresql"

    def __init__(self, routes: Mapping[str, Route], default: str, *, now: Clock | None = None,
                 timezone_name: str = DEFAULT_TIMEZONE, cache_size: int = 1024, pms_type: str = "BestPractice",
                 seed: int = 1, patients: int = 200, reset_policy: str = "keep", site: str = "",
                 load: bool = False) -> None:
        super().__init__(routes, default, reset_policy=reset_policy, reload=self.load, site=site)
        for route in self.routes.values():  # before any connection is opened
            route.pool.connection_string = pg_connection_string(route.pool.connection_string)
        self._now = now or datetime.now
        self._zone = dates.practice_zone(timezone_name)
        self._pms_type, self._seed, self._patients = pms_type, seed, patients
        self.catalog = schema_catalog(list(self.routes), default, pms_type)
        self.translator = PgTranslator(self.catalog, cache_size)
        self._built: set[str] = set()  # catalogue views stored in the database (discovery.storage_name)
        if load:
            self.load()

    def cache_info(self) -> dict[str, int]:
        """Translation cache counters: ``hits``, ``misses``, ``size``, ``maxsize``."""
        return self.translator.cache_info()

    def load(self) -> dict[str, dict[str, int]]:
        """(Re)load the fixture data into every catalogue's schema (per pool), anchored to the clock's date."""
        counts: dict[str, dict[str, int]] = {}
        pools: dict[int, tuple[Any, list[str]]] = {}
        for name, route in self.routes.items():
            pools.setdefault(id(route.pool), (route.pool, []))[1].append(name)
        for pool, names in pools.values():
            with pool.connection() as conn:
                try:
                    counts.update(load_postgres(conn.raw, names, self._seed, self._patients,
                                                pms_type=self._pms_type, anchor=self._now()))
                except BaseException:
                    conn.rollback()
                    raise
        return counts

    def run(self, conn: Any, route: Route, command: SqlCommand, bound: params.BoundParameters) -> SqlOutcome:
        """The command through the embedded engine's batch runner, on ``conn``, in the catalogue's schema."""
        script = None if command.command_type == "storedProcedure" else \
            self.translator.translate(command.text, command.catalogue)
        if script is not None and script.system_views:
            self._build_views(conn, script.system_views)
        conn.raw.execute(f'SET search_path = "{schema_name(route.catalogue)}", {SUPPORT_SCHEMA}, public')
        batch = PgSession(PgConnection(conn), route.catalogue, self._clock)
        batch.schema = self.catalog
        if command.command_type == "storedProcedure":
            name = command.text.strip()
            fn = procedures.find(name)
            if fn is None:
                raise errors.procedure_not_found(name)
            return batch.run_procedure(fn, name, command, bound)
        return batch.run(script, command, bound)

    def _build_views(self, conn: Any, names: Sequence[str]) -> None:
        """Store the catalogue views a batch reads (``INFORMATION_SCHEMA.COLUMNS``, ...) in the ``mh_sys``
        schema, once per database: engines sharing a database take turns (an advisory lock) and commit."""
        wanted = [name for name in names if name not in self._built]
        if not wanted:
            return
        raw = conn.raw
        raw.execute("SELECT pg_advisory_xact_lock(hashtext('mock_halo.discovery'))")
        raw.execute(f"CREATE SCHEMA IF NOT EXISTS {discovery.DB}")
        for name in wanted:
            qualified = f'{discovery.DB}."{name}"'
            if raw.execute("SELECT to_regclass(?)", qualified).fetchone()[0] is None:
                table, rows = discovery.contents(self.catalog, name)
                raw.execute(view_table_ddl(qualified, table.columns))
                for start in range(0, len(rows), 500):
                    values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")"
                                       for row in rows[start:start + 500])
                    raw.execute(f"INSERT INTO {qualified} VALUES {values}")
        raw.commit()
        self._built.update(wanted)

    def map_error(self, exc: BaseException) -> SqlError:
        return map_pg_error(exc)

    def _clock(self) -> tuple[datetime, datetime]:
        return dates.local_and_utc(self._now(), self._zone)


def pg_connection_string(connection_string: str) -> str:
    """``connection_string`` with the psqlODBC options the engine relies on (unless given).

    ``UseServerSidePrepare=0``: psqlODBC then sends parameters as typed literals
    (an ``Int`` parameter is an integer, so ``SELECT @n`` and ``@n + @n`` are
    numbers, as on SQL Server), not as untyped text.
    """
    if re.search(r"(?i)(^|;)\s*UseServerSidePrepare\s*=", connection_string):
        return connection_string
    return connection_string.rstrip(";") + ";UseServerSidePrepare=0"


def open_postgres(connection_string: str, catalogues: Iterable[str] = ("BPSPatients",), default: str | None = None,
                  *, pool: PoolSettings | None = None, **options: Any) -> PostgresEngine:
    """One pool to ``connection_string`` for every catalogue (see :class:`PostgresEngine` for the options)."""
    from mock_halo.practice.loader import canonical_catalogue

    names = [canonical_catalogue(options.get("pms_type", "BestPractice"), c) for c in catalogues]
    if not names:
        raise ValueError("a PostgreSQL engine needs at least one catalogue")
    shared = ConnectionPool(pg_connection_string(connection_string), pool)
    routes = {name: Route(name, shared) for name in names}
    return PostgresEngine(routes, default or names[0], **options)

"""One command's run on a site's SQLite connection: the batch interpreter's session.

:class:`Batch` executes the statements of one command in order, inside one
transaction when anything writes (rolled back on any error), binds the
request's parameters, keeps the command's temporary tables, and builds the
:class:`SqlOutcome` for the execution mode
(:func:`~mock_halo.sql.runtime.results.outcome`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mock_halo.sql import procedures
from mock_halo.sql.engines.emitter import NOW_KEYS
from mock_halo.sql.engines.sqlite.authorizer import Guard
from mock_halo.sql.engines.sqlite.emitter import needs_unicode
from mock_halo.sql.engines.sqlite.errors import map_sqlite_error
from mock_halo.sql.frontend import temp_tables
from mock_halo.sql.frontend.program import OBJECT_KEY
from mock_halo.sql.frontend.script import Script, Statement
from mock_halo.sql.model import SqlCommand, SqlOutcome
from mock_halo.sql.runtime.interpreter import Interpreter
from mock_halo.sql.runtime.params import BoundParameters, echo
from mock_halo.sql.runtime.results import Result, encoder_from_cursor, with_parameter_kinds, outcome
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.encode import Encoder

_TEMP_TABLES = "SELECT name FROM temp.sqlite_master WHERE type = 'table'"


class Batch:
    """Runs one command's script on ``conn``."""

    def __init__(self, conn: sqlite3.Connection, guard: Guard, catalogue: str,
                 clock: Callable[[], tuple[datetime, datetime]]) -> None:
        self.conn = conn
        self.guard = guard
        self.catalogue = catalogue
        self.clock = clock
        self._now: tuple[datetime, datetime] | None = None
        #: The command's temporary tables and table variables that exist now: key -> object id.
        self.live: dict[str, int] = {}
        #: Statement.sort_checks answers: check -> (conn.total_changes when asked, non-ASCII text found).
        self.sort_cache: dict[str, tuple[int, bool]] = {}

    #: What the interpreter catches as this engine's own errors, and turns into SqlError with :meth:`map_error`.
    engine_errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def map_error(self, exc: BaseException, statement: Statement | None) -> errors.SqlError:
        return map_sqlite_error(exc, statement, self.guard)

    def now(self) -> tuple[datetime, datetime]:
        """The clock, read once per command (GETDATE() is constant within a statement)."""
        if self._now is None:
            self._now = self.clock()
        return self._now

    def run(self, script: Script, command: SqlCommand, bound: BoundParameters) -> SqlOutcome:
        """Run ``script``; the request's parameters are the batch's first variables (``@name`` -> value).

        Everything but a lone SELECT runs in one transaction, rolled back on any error;
        output parameters are echoed from the variables afterwards.
        """
        variables: dict[str, Any] = dict(bound.values)
        transaction = script.writes or not script.simple
        self._now = None
        interpreter = Interpreter(self, variables, bound)
        if transaction:
            self.conn.execute("BEGIN")
        try:
            return_value = interpreter.run(script.steps)
            if transaction and self.conn.in_transaction:
                self.conn.execute("COMMIT")
        except BaseException as exc:
            if transaction and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise map_sqlite_error(exc, None, self.guard) from None
            raise
        finally:
            if script.scratch or self.live:
                self.drop_all()
        return outcome(command, interpreter.results, echo(command.parameters, variables, return_value))

    def run_procedure(self, fn: procedures.Procedure, name: str, command: SqlCommand,
                      bound: BoundParameters) -> SqlOutcome:
        """A ``storedProcedure`` command: the request's parameters are the procedure's arguments."""
        self._now = None
        outputs: dict[str, Any] = dict(bound.values)
        self.conn.execute("BEGIN")
        try:
            results, return_value = self.call(fn, name, dict(bound.values), outputs)
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise map_sqlite_error(exc, None, self.guard) from None
            raise
        return outcome(command, results, echo(command.parameters, outputs, return_value))

    def values(self, statement: Statement, variables: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for key, written in zip(statement.params, statement.written):
            if key in variables:
                values.append(variables[key])
            elif key == NOW_KEYS["local"]:
                values.append(dates.fmt_datetime(dates.round_datetime(self.now()[0])))
            elif key == NOW_KEYS["utc"]:
                values.append(dates.fmt_datetime(dates.round_datetime(self.now()[1])))
            elif key.startswith(OBJECT_KEY):
                values.append(self.live.get(key[len(OBJECT_KEY):]))
            else:
                raise errors.must_declare(written)
        return tuple(values)

    def execute(self, statement: Statement, variables: dict[str, Any]) -> sqlite3.Cursor:
        """Run a translated statement: its Unicode-collation variant when a string value needs it."""
        values = self.values(statement, variables)
        sql = statement.sql
        if statement.sql_unicode is not None and any(needs_unicode(v) for v in values):
            sql = statement.sql_unicode
        elif statement.sql_sorted is not None and self._non_ascii(statement.sort_checks):
            sql = statement.sql_sorted
        return self.conn.execute(sql, values)

    def _non_ascii(self, checks: tuple[str, ...]) -> bool:
        """Whether a column the statement sorts by holds non-ASCII text (cached until this connection writes)."""
        stamp = self.conn.total_changes
        for check in checks:
            known = self.sort_cache.get(check)
            if known is None or known[0] != stamp:
                known = (stamp, self.conn.execute(check).fetchone() is not None)
                self.sort_cache[check] = known
            if known[1]:
                return True
        return False

    def statement(self, statement: Statement, variables: dict[str, Any], bound: BoundParameters) -> Result:
        """Run one translated statement (raw sqlite3 errors propagate)."""
        if statement.pre is not None:
            return self._update_output_deleted(statement, variables)
        cursor = self.execute(statement, variables)
        if statement.returns_rows:
            rows = cursor.fetchall()
            self._identity(statement, cursor, variables)
            return Result(_encoder_for_table(cursor, statement), rows, -1)
        if statement.verb == "select":
            rows = cursor.fetchall()
            encoder = statement.encoder or encoder_from_cursor(cursor)
            if statement.param_columns:
                encoder = with_parameter_kinds(encoder, statement.param_columns, bound)
            return Result(encoder, rows, -1)
        self._identity(statement, cursor, variables)
        return Result(None, None, cursor.rowcount)

    def _update_output_deleted(self, statement: Statement, variables: dict[str, Any]) -> Result:
        """UPDATE ... OUTPUT DELETED.x: old rows read first, matched to RETURNING's new rows by key."""
        old = {row[0]: row[1:] for row in self.execute(statement.pre, variables).fetchall()}
        rows = []
        for row in self.execute(statement, variables).fetchall():
            sides = (old.get(row[0], ()), row[1:])
            rows.append(tuple(sides[side][index] if index < len(sides[side]) else None
                              for side, index in statement.compose))
        return Result(statement.encoder, rows, -1)

    # -- temporary tables and table variables ------------------------------------------------
    def create(self, statement: Statement, key: str, written: str, once: bool) -> None:
        """Run a temporary table's DDL (generated by :mod:`~mock_halo.sql.frontend.temp_tables`, so it runs trusted)."""
        if key in self.live:
            if once:  # DECLARE @t TABLE in a loop body: the variable already exists
                return
            raise errors.SqlError(2714, f"There is already an object named '{written}' in the database.")
        sql = statement.sql
        if temp_tables.NOW_MARK in sql:  # DEFAULT GETDATE(): the command's clock (constant within a command)
            sql = sql.replace(temp_tables.NOW_MARK, "'" + dates.fmt_datetime(dates.round_datetime(self.now()[0])) + "'")
        self._trusted(sql)
        self.live[key] = -(1 + len(self.live)) * 1_000_003 - 7  # temporary objects have negative ids

    def drop(self, keys: Sequence[str], written: Sequence[str], if_exists: bool) -> None:
        for key, name in zip(keys, written):
            if key not in self.live:
                if if_exists:
                    continue
                raise errors.SqlError(3701, f"Cannot drop the table '{name}', because it does not exist or you do "
                                            "not have permission.")
            self._trusted(f"DROP TABLE {temp_tables.sqlite_name(key)}")
            del self.live[key]

    def sync_live(self) -> None:
        """After a ROLLBACK: the temporary tables created inside the transaction are gone."""
        names = {row[0] for row in self._trusted(_TEMP_TABLES)}
        self.live = {k: v for k, v in self.live.items() if k in names}

    def drop_all(self) -> None:
        """End of the command: no temporary table outlives it (whatever happened)."""
        self.live.clear()
        for (name,) in self._trusted(_TEMP_TABLES):
            self._trusted(f"DROP TABLE {temp_tables.sqlite_name(name)}")

    def _trusted(self, sql: str) -> list[tuple[Any, ...]]:
        self.guard.trusted = True
        try:
            return self.conn.execute(sql).fetchall()
        finally:
            self.guard.trusted = False

    @staticmethod
    def _identity(statement: Statement, cursor: sqlite3.Cursor, variables: dict[str, Any]) -> None:
        """After an INSERT into a table with an identity key: SCOPE_IDENTITY() / @@IDENTITY."""
        target = statement.target
        if statement.verb != "insert" or target is None or target.is_view:
            return
        keys = [c for c in target.columns if c.pk]
        if len(keys) == 1 and keys[0].decl.lower() == "integer" and cursor.lastrowid:  # INT IDENTITY key
            variables["@identity"] = cursor.lastrowid

    def exec(self, statement: Statement, variables: dict[str, Any]) -> tuple[list[Result], Any]:
        """EXEC in a batch: arguments from literals and variables; OUTPUT arguments assigned back."""
        fn = procedures.find(statement.procedure)
        if fn is None:
            raise errors.procedure_not_found(statement.procedure)
        args: dict[str, Any] = {}
        for arg in statement.proc_args:
            if arg.param is not None and arg.param not in variables:
                raise errors.must_declare("@" + arg.param)
            value = variables[arg.param] if arg.param is not None else arg.literal
            args[arg.name or f"${len(args)}"] = value
        outputs: dict[str, Any] = {}
        results, return_value = self.call(fn, statement.procedure, args, outputs)
        for position, arg in enumerate(statement.proc_args):
            if arg.output and arg.param is not None:
                name = arg.name or procedures.parameter_name(fn, position)
                if name is not None and name in outputs:
                    variables[arg.param] = outputs[name]
        if statement.return_key is not None:
            if statement.return_key not in variables:
                raise errors.must_declare("@" + statement.return_key)
            variables[statement.return_key] = return_value
        return results, return_value

    def call(self, fn: procedures.Procedure, name: str, args: dict[str, Any],
             outputs: dict[str, Any]) -> tuple[list[Result], Any]:
        """Run a Python stored procedure; its output parameters land in ``outputs``."""
        args = procedures.bind_arguments(fn, name, args)
        call = procedures.ProcedureCall(
            name=name, args=args, catalogue=self.catalogue, now=self.now()[0],
            query=lambda sql, params=(): self.conn.execute(sql, tuple(params)).fetchall(),
            execute=lambda sql, params=(): self.conn.execute(sql, tuple(params)).rowcount,
        )
        try:
            result = fn(call)
        except errors.SqlError:
            raise
        except sqlite3.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in an emulated procedure is still a SqlError
            raise errors.internal(f"procedure {name} failed: {exc}") from exc
        outputs.update(result.outputs)
        results = [Result(Encoder([c[0] for c in rs.columns], [c[1] for c in rs.columns]), rs.rows, -1)
                   for rs in result.result_sets]
        if result.rows_affected >= 0 or not results:
            results.append(Result(None, None, result.rows_affected))
        return results, result.return_value


def _encoder_for_table(cursor: sqlite3.Cursor, statement: Statement) -> Encoder:
    """OUTPUT columns take the kinds of the target table's columns."""
    names = [d[0] for d in cursor.description or ()]
    target = statement.target
    kinds = []
    for name in names:
        column = target.column(name) if target is not None else None
        kinds.append(column.kind if column is not None else K.UNKNOWN)
    return Encoder(names, kinds)

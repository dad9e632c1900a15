"""One command's run on one engine's connection: what every engine's session shares.

A session executes the steps of one command's script (through the batch
:class:`~mock_halo.sql.runtime.interpreter.Interpreter`) in order, inside one
transaction when anything writes (rolled back on any error), binds the request's
parameters and the command's clock, keeps the command's temporary tables, runs
emulated stored procedures, and builds the :class:`SqlOutcome` for the execution
mode (:func:`~mock_halo.sql.runtime.results.outcome`). Each engine subclasses it
with what only it knows: how a statement runs on its connection, how a temporary
table is created and dropped, and which of its exceptions are its own
(:mod:`mock_halo.sql.engines.sqlite.session`, :mod:`mock_halo.sql.engines.postgres.session`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mock_halo.sql import procedures
from mock_halo.sql.frontend.program import NOW_KEYS, OBJECT_KEY, STRING_TYPE_KEY
from mock_halo.sql.frontend.script import Script, Statement
from mock_halo.sql.model import SqlCommand, SqlOutcome
from mock_halo.sql.runtime.interpreter import Connection, Interpreter
from mock_halo.sql.runtime.params import BoundParameters, echo, string_limit
from mock_halo.sql.runtime.results import EncodedRows, Result, encoder_from_cursor, outcome, with_parameter_kinds
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics.encode import Encoder


#: Rows read (and encoded) at a time while a result set is checked against the command's result_limit.
FETCH_ROWS = 1000


class BaseSession:
    """Runs one command's script on ``conn`` (an engine's DB-API-shaped connection)."""

    #: The engine's own exception types, turned into SqlError by :meth:`map_error` (none by default).
    engine_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, conn: Connection, catalogue: str, clock: Callable[[], tuple[datetime, datetime]]) -> None:
        self.conn = conn
        self.catalogue = catalogue
        self.clock = clock
        self._now: tuple[datetime, datetime] | None = None
        #: The command's temporary tables and table variables that exist now: key -> object id.
        self.live: dict[str, int] = {}
        #: The running command's ``result_limit`` (bytes of JSON per result set; None: no limit).
        self.result_limit: int | None = None
        #: The site's catalogues as the translator sees them (set by the engine; read by sp_columns, sp_help).
        self.schema: Any = None
        #: The running command's request parameters as sent (their types type ``+`` at run time).
        self.declared: dict[str, Any] = {}

    def map_error(self, exc: BaseException, statement: Statement | None) -> errors.SqlError:
        raise NotImplementedError

    # -- per engine ---------------------------------------------------------------------------
    def execute(self, statement: Statement, variables: dict[str, Any]) -> Any:
        """Run a translated statement with its parameters; a DB-API cursor (raw engine errors propagate)."""
        raise NotImplementedError

    def statement(self, statement: Statement, variables: dict[str, Any], bound: BoundParameters) -> Result:
        raise NotImplementedError

    def create_table(self, statement: Statement, key: str) -> None:
        raise NotImplementedError

    def result_set(self, statement: Statement, cursor: Any, bound: BoundParameters) -> Result:
        """A SELECT's rows, encoded by the statement's column types (a bare ``@p`` column by its SqlDbType).

        Under a ``result_limit`` the rows are fetched and encoded :data:`FETCH_ROWS` at a time and
        :class:`~mock_halo.sql.semantics.errors.ResultTooLarge` stops the command as soon as their
        JSON passes the limit: memory stays bounded by the limit, whatever the query would produce.
        """
        encoder = statement.encoder or encoder_from_cursor(cursor)
        if statement.param_columns:
            encoder = with_parameter_kinds(encoder, statement.param_columns, bound)
        limit = self.result_limit
        fetch = getattr(cursor, "fetchmany", None)
        if limit is None or fetch is None:
            rows = cursor.fetchall()
            if limit is not None and len(data := encoder.encode(rows)) > limit:
                raise errors.ResultTooLarge(len(data), limit)
            return Result(encoder, rows, -1)
        count = 0
        first = None
        parts: list[bytes] = []
        size = 2  # the brackets
        while chunk := fetch(FETCH_ROWS):
            data = encoder.encode(chunk)
            size += len(data) - 2 + (1 if parts else 0)
            if size > limit:
                raise errors.ResultTooLarge(size, limit)
            if first is None:
                first = chunk[0]
            count += len(chunk)
            parts.append(data[1:-1])
        return Result(encoder, EncodedRows(count, first), -1, encoded=b"[" + b",".join(parts) + b"]")

    def drop_table(self, key: str) -> None:
        raise NotImplementedError

    def sync_live(self) -> None:
        raise NotImplementedError

    def drop_all(self) -> None:
        raise NotImplementedError

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
        self.declared = bound.declared
        transaction = script.writes or not script.simple
        self._now = None
        self.result_limit = command.result_limit
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
            if isinstance(exc, self.engine_errors):
                raise self.map_error(exc, None) from None
            raise
        finally:
            if script.scratch or self.live:
                self.drop_all()
        return outcome(command, interpreter.results, echo(command.parameters, variables, return_value))

    def run_procedure(self, fn: procedures.Procedure, name: str, command: SqlCommand,
                      bound: BoundParameters) -> SqlOutcome:
        """A ``storedProcedure`` command: the request's parameters are the procedure's arguments."""
        self._now = None
        self.result_limit = command.result_limit
        outputs: dict[str, Any] = dict(bound.values)
        self.conn.execute("BEGIN")
        try:
            results, return_value = self.call(fn, name, dict(bound.values), outputs)
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, self.engine_errors):
                raise self.map_error(exc, None) from None
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
            elif key.startswith(STRING_TYPE_KEY):
                values.append(string_limit(self.declared.get(key[len(STRING_TYPE_KEY):])))
            else:
                raise errors.must_declare(written)
        return tuple(values)

    # -- temporary tables and table variables ------------------------------------------------
    def create(self, statement: Statement, key: str, written: str, once: bool) -> None:
        """Create a temporary table or table variable (its columns defined by the front end's temp_tables)."""
        if key in self.live:
            if once:  # DECLARE @t TABLE in a loop body: the variable already exists
                return
            raise errors.object_exists(written)
        self.create_table(statement, key)
        self.live[key] = -(1 + len(self.live)) * 1_000_003 - 7  # temporary objects have negative ids

    def drop(self, keys: Sequence[str], written: Sequence[str], if_exists: bool) -> None:
        for key, name in zip(keys, written):
            if key not in self.live:
                if if_exists:
                    continue
                raise errors.cannot_drop_table(name)
            self.drop_table(key)
            del self.live[key]

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
            schema=self.schema,
        )
        try:
            result = fn(call)
        except errors.SqlError:
            raise
        except self.engine_errors:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in an emulated procedure is still a SqlError
            raise errors.internal(f"procedure {name} failed: {exc}") from exc
        outputs.update(result.outputs)
        results = [Result(Encoder([c[0] for c in rs.columns], [c[1] for c in rs.columns]), rs.rows, -1)
                   for rs in result.result_sets]
        if result.rows_affected >= 0 or not results:
            results.append(Result(None, None, result.rows_affected))
        return results, result.return_value

"""Running a compiled batch (:mod:`~mock_halo.sql.frontend.program` steps): variables, control flow,
TRY/CATCH.

The batch's variables live in one dict (request parameters and DECLAREd
names, plus ``@rowcount`` / ``@identity`` / ``@error_*`` for the built-ins);
statements read them as bound parameters. ``@@ROWCOUNT`` follows SQL Server:
set by every SELECT / DML / assignment, not by IF conditions or DECLARE.

The interpreter knows no engine: it runs over a :class:`Session` (one per
engine: :mod:`mock_halo.sql.engines.sqlite.session`,
:mod:`mock_halo.sql.engines.postgres.session`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from mock_halo.sql.frontend.program import OUTPUT_KEY, Step
from mock_halo.sql.frontend.script import Statement
from mock_halo.sql.runtime.params import BoundParameters
from mock_halo.sql.runtime.results import Result
from mock_halo.sql.semantics import errors


class Connection(Protocol):
    """The DB-API subset a session's connection offers (``execute("ROLLBACK")`` / ``("BEGIN")`` too)."""

    in_transaction: bool

    def execute(self, sql: str, parameters: Sequence[Any] = ...) -> Any: ...


class Session(Protocol):
    """One command's run on one engine's connection: what the interpreter asks of it."""

    conn: Connection
    #: The engine's own exception types; the interpreter turns them into SqlError with :meth:`map_error`.
    engine_errors: tuple[type[BaseException], ...]

    def map_error(self, exc: BaseException, statement: Statement | None) -> errors.SqlError: ...

    def execute(self, statement: Statement, variables: dict[str, Any]) -> Any: ...

    def statement(self, statement: Statement, variables: dict[str, Any], bound: BoundParameters) -> Result: ...

    def exec(self, statement: Statement, variables: dict[str, Any]) -> tuple[list[Result], Any]: ...

    def create(self, statement: Statement, key: str, written: str, once: bool) -> None: ...

    def drop(self, keys: Sequence[str], written: Sequence[str], if_exists: bool) -> None: ...

    def sync_live(self) -> None: ...


_FORMAT_RE = re.compile(r"%[-+ 0#]*\d*(?:\.\d+)?[hl]?([sdiuxXo])")


#: Loop iterations a command may run (all WHILE loops together) before it ends with SQL Server's
#: timeout error: a runaway loop must not hang the emulator.
LOOP_LIMIT = 100_000


class _Return(Exception):
    """RETURN: stop the batch."""


class _Break(Exception):
    """BREAK: leave the innermost WHILE."""


class _Continue(Exception):
    """CONTINUE: next iteration of the innermost WHILE."""


class Interpreter:
    """Executes steps on ``batch``'s connection, collecting statement results."""

    def __init__(self, batch: Session, variables: dict[str, Any], bound: BoundParameters) -> None:
        self.batch = batch
        self.variables = variables
        self.bound = bound
        self.results: list[Result] = []
        self.caught: errors.SqlError | None = None
        self.iterations = 0
        variables.update({"@rowcount": 0, "@identity": None, "@error": 0, "@trancount": 1,
                          **{f"@error_{n}": None for n in ("number", "message", "severity", "state", "line",
                                                          "procedure")}})

    def run(self, steps: tuple[Step, ...]) -> Any:
        """Run the steps; returns the last EXEC's return value (for a returnValue parameter)."""
        try:
            self.block(steps)
        except _Return:
            pass
        return self.return_value

    return_value: Any = None

    def block(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            self.step(step)

    def step(self, step: Step) -> None:
        kind = step.kind
        if kind == "run":
            self.statement(step)
        elif kind == "block":
            self.block(step.body)
        elif kind == "declare":
            self.declare(step)
        elif kind == "assign":
            self.assign(step)
        elif kind == "if":
            self.block(step.body if self.query(step)[0][0] == 1 else step.other)
        elif kind == "while":
            self.loop(step)
        elif kind == "break":
            raise _Break
        elif kind == "continue":
            raise _Continue
        elif kind == "create":
            self.batch.create(step.statement, step.keys[0], step.written[0], step.flag)
        elif kind == "drop":
            self.batch.drop(step.keys, step.written, step.flag)
        elif kind == "try":
            self.try_catch(step)
        elif kind == "throw":
            self.throw(step)
        elif kind == "raise":
            self.raiserror(step)
        elif kind == "rollback":
            conn = self.batch.conn
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("BEGIN")
            self.batch.sync_live()
        elif kind == "return":
            raise _Return

    def loop(self, step: Step) -> None:
        while self.query(step)[0][0] == 1:
            self.iterations += 1
            if self.iterations > LOOP_LIMIT:
                raise errors.timeout()
            try:
                self.block(step.body)
            except _Break:
                break
            except _Continue:
                continue

    # -- statements ---------------------------------------------------------------------------
    def query(self, step: Step) -> list[tuple[Any, ...]]:
        statement = step.statement
        try:
            return self.batch.execute(statement, self.variables).fetchall()
        except self.batch.engine_errors as exc:
            raise self.batch.map_error(exc, statement) from None

    def statement(self, step: Step) -> None:
        statement = step.statement
        try:
            if statement.verb == "exec":
                results, self.return_value = self.batch.exec(statement, self.variables)
                if step.extra is not None:  # INSERT ... EXEC: every result set's rows go to the table
                    stored = [row for r in results if r.rows is not None for row in r.rows]
                    self.output_into(step.extra, stored)
                    results = [Result(None, None, len(stored))]
                self.results.extend(results)
                changed = [r.affected for r in results if r.rows is None and r.affected >= 0]
                self.variables["@rowcount"] = changed[-1] if changed else 0
                return
            result = self.batch.statement(statement, self.variables, self.bound)
            if step.extra is not None:  # OUTPUT ... INTO: the rows go to the table, not to the client
                self.output_into(step.extra, result.rows or [])
                result = type(result)(None, None, len(result.rows or ()))
                self.results.append(result)
                self.variables["@rowcount"] = result.affected
                self.variables["@error"] = 0
                return
        except self.batch.engine_errors as exc:
            raise self.batch.map_error(exc, statement) from None
        self.results.append(result)
        if result.rows is not None and statement.returns_rows:
            self.results.append(type(result)(None, None, len(result.rows)))
        self.variables["@rowcount"] = len(result.rows) if result.rows is not None else max(result.affected, 0)
        self.variables["@error"] = 0

    def output_into(self, insert: Statement, rows: list[tuple[Any, ...]]) -> None:
        width = sum(1 for key in insert.params if key.startswith(OUTPUT_KEY[:4]))
        for row in rows:
            if len(row) != width:
                raise errors.column_count_mismatch()
            values = dict(self.variables)
            values.update({OUTPUT_KEY.format(i): value for i, value in enumerate(row)})
            try:
                self.batch.execute(insert, values)
            except self.batch.engine_errors as exc:
                raise self.batch.map_error(exc, insert) from None

    def declare(self, step: Step) -> None:
        key = step.keys[0]
        if key in self.bound.declared:
            raise errors.duplicate_variable(step.written[0])
        self.variables[key] = self.query(step)[0][0] if step.statement is not None else None

    def assign(self, step: Step) -> None:
        for key, written in zip(step.keys, step.written):
            if key not in self.variables:
                raise errors.must_declare(written)
        rows = self.query(step)
        if rows:
            for key, value in zip(step.keys, rows[-1]):  # SELECT @v = ...: the last row wins
                self.variables[key] = value
        self.variables["@rowcount"] = len(rows)

    # -- errors -------------------------------------------------------------------------------
    def try_catch(self, step: Step) -> None:
        try:
            self.block(step.body)
        except errors.SqlError as error:
            if error.number in (errors.UNSUPPORTED, -2):
                raise
            outer = self.caught
            self.caught = error
            saved = {k: self.variables[k] for k in self.variables if k.startswith("@error_")}
            self.variables.update({"@error_number": error.number, "@error_message": error.message,
                                   "@error_severity": 16, "@error_state": 1, "@error_line": 1,
                                   "@error_procedure": None, "@error": error.number})
            try:
                self.block(step.other)
            finally:
                self.caught = outer
                self.variables.update(saved)

    def throw(self, step: Step) -> None:
        if step.statement is None:
            if self.caught is None:
                raise errors.rethrow_outside_catch()
            raise self.caught
        row = self.query(step)[0]
        if len(row) != 3:
            raise errors.syntax_near("THROW")
        number, message = row[0], row[1]
        if not isinstance(number, int) or number < 50000:
            raise errors.throw_number_out_of_range()
        raise errors.SqlError(number, str(message))

    def raiserror(self, step: Step) -> None:
        row = self.query(step)[0]
        if len(row) < 3:
            raise errors.syntax_near("RAISERROR")
        message, severity = row[0], row[1]
        if not isinstance(message, str):
            raise errors.raiserror_number_not_found(message, severity, row[2])
        text = _printf(message, list(row[3:]))
        if isinstance(severity, int) and severity > 10:
            raise errors.raised(text)


def _printf(message: str, args: list[Any]) -> str:
    """RAISERROR's printf-style substitution (%s, %d, %i, %u, %x, %o)."""
    values = iter(args)

    def substitute(match: re.Match[str]) -> str:
        value = next(values, None)
        return "(null)" if value is None else str(value)

    return _FORMAT_RE.sub(substitute, message.replace("%%", "\0")).replace("\0", "%")

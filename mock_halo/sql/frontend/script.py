"""What the front end produces: a compiled batch (:class:`Script`) of translated :class:`Statement` s.

A :class:`Script` is the translation of one batch: its steps for the batch
interpreter (:mod:`~mock_halo.sql.frontend.program`) and its plain statements in
order. Each statement carries the engine's SQL, the parameter names in
placeholder order and the result encoder, so a cache hit costs one dictionary
lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mock_halo.sql.frontend.schema import Table
from mock_halo.sql.semantics.encode import Encoder


@dataclass(frozen=True, slots=True)
class ProcArg:
    """One argument of an EXEC: a literal value or a variable (request parameter or DECLAREd)."""

    name: str | None  # lower-case name without '@' (None: positional)
    literal: Any = None
    param: str | None = None  # key of the variable passed (and, with ``output``, assigned back)
    output: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    verb: str  # select | insert | update | delete | exec
    params: tuple[str, ...] = ()  # parameter keys in ?N order
    written: tuple[str, ...] = ()  # the same names as written (for error 137)
    encoder: Encoder | None = None  # None: names from the cursor, kinds unknown
    target: Table | None = None  # the table an INSERT/UPDATE/DELETE writes
    procedure: str = ""  # EXEC: the procedure name as written
    proc_args: tuple[ProcArg, ...] = ()
    return_key: str | None = None  # EXEC @ret = ...: the variable receiving the return value
    returns_rows: bool = False  # INSERT/UPDATE/DELETE ... OUTPUT: the statement yields a result set
    #: Output columns that are bare parameters: (column index, parameter key); their type is the
    #: parameter's declared SqlDbType, known only per request.
    param_columns: tuple[tuple[int, str], ...] = ()
    #: The same statement comparing text columns with parameters under MH_CI (Unicode case folding),
    #: for values NOCASE would get wrong (non-ASCII, trailing spaces); None when nothing differs.
    sql_unicode: str | None = None
    #: The same statement sorting its ORDER BY text columns with MH_CI (SQL Server's order for non-ASCII text),
    #: run when one of ``sort_checks`` (queries for non-ASCII text in those columns) finds a row.
    sql_sorted: str | None = None
    sort_checks: tuple[str, ...] = ()
    #: UPDATE ... OUTPUT DELETED.x: the SELECT of the old rows (primary key first) run before the UPDATE,
    #: and for each output column (0 = DELETED / 1 = INSERTED, index into that side's values after the key)
    pre: Statement | None = None
    compose: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Script:
    """A compiled batch: ``steps`` for the interpreter; ``statements`` its plain statements in order."""

    statements: tuple[Statement, ...]
    steps: tuple[Any, ...] = ()
    scratch: bool = False  # creates temporary tables or table variables (dropped when the command ends)
    #: Catalogue views the batch reads (``INFORMATION_SCHEMA.*``, ``sys.*``): engine tables built on first use.
    system_views: tuple[str, ...] = ()

    # Cached: a script is compiled once and asked on every run (the quick-read check asks both).
    @cached_property
    def writes(self) -> bool:
        return any(s.verb != "select" for s in self.statements)

    @cached_property
    def simple(self) -> bool:
        """A single plain statement (no variables, no control flow)."""
        return len(self.steps) == 1 and self.steps[0].kind == "run"

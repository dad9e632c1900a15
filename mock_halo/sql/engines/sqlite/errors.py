"""sqlite3 errors translated into the SQL Server errors the same mistake would give.

Most mistakes are caught during translation with SQL Server's wording; this is
the net for what only SQLite notices at run time (constraints, errors raised
inside ``mh_*`` functions, authorizer denials, runaway queries).
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.strings import MAX_VALUE_BYTES

if TYPE_CHECKING:
    from mock_halo.sql.engines.sqlite.authorizer import Guard
    from mock_halo.sql.frontend.script import Statement

_NAMED = (("no such table: ", errors.invalid_object), ("no such column: ", errors.invalid_column),
          ("ambiguous column name: ", errors.ambiguous_column), ("no such function: ", errors.unknown_function))
_CONSTRAINT_RE = re.compile(r"constraint failed: (?P<cols>.+)$")


def map_sqlite_error(exc: sqlite3.Error, statement: Statement | None, guard: Guard) -> errors.SqlError:
    """A sqlite3 error as the SQL Server error the same mistake would give."""
    stashed = errors.take_stashed()
    message = str(exc)
    if stashed is not None and "user-defined function raised exception" in message:
        return stashed
    target = statement.target if statement is not None else None
    verb = statement.verb if statement is not None else "insert"
    if guard.denied is not None or "not authorized" in message or "authorization denied" in message:
        return guard.take_denial()
    if message == "interrupted":
        return errors.timeout()
    for prefix, factory in _NAMED:
        if message.startswith(prefix):
            return factory(message[len(prefix):].split(".")[-1])
    if message.startswith("UNIQUE constraint failed") and target is not None:
        found = _CONSTRAINT_RE.search(message)
        cols = {c.split(".")[-1].lower() for c in found.group("cols").split(", ")} if found else set()
        pk = {c.name.lower() for c in target.columns if c.pk}
        if cols == pk:
            return errors.primary_key_violation(target.qualified, target.pk_name)
        name = target.unique_names[0] if target.unique_names else f"UQ_{target.name}"
        return errors.unique_violation(target.qualified, name)
    if message.startswith("NOT NULL constraint failed") and target is not None:
        column = message.rsplit(".", 1)[-1]
        return errors.null_violation(column, f"{target.catalogue}.dbo.{target.name}", verb)
    if message.startswith("FOREIGN KEY constraint failed"):
        return errors.foreign_key_violation(verb)
    if message.startswith("CHECK constraint failed"):
        return errors.check_violation(verb)
    if message.startswith("cannot modify") and "view" in message:
        name = message.split()[2]
        return errors.view_not_updatable(name)
    if message == "HAVING clause on a non-aggregate query":
        return errors.having_not_aggregated()
    if message == "no tables specified":
        return errors.no_table_to_select_from()
    if message in ("parser stack overflow", "Expression tree is too large (maximum depth 1000)"):
        # SQLite's own parser is shallower than SQL Server's: deep nesting it cannot take is "too deep".
        return errors.nested_too_deeply()
    if message == "incomplete input":
        return errors.syntax_near("end of batch")
    if message == "string or blob too big":
        return errors.value_too_large(MAX_VALUE_BYTES)
    if message == "integer overflow":
        return errors.arithmetic_overflow("bigint")
    if (near := re.match(r'near "(.*)": syntax error', message)) is not None:
        return errors.syntax_near(near.group(1))
    return errors.internal(message)

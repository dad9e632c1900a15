"""Reading practice rows through the site's SQL engine with bound parameters.

User input never reaches SQL text: every value becomes an ``@pN`` parameter.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from mock_halo.sql import SqlCommand, SqlParameter


class Engine(Protocol):
    def execute(self, command: SqlCommand) -> Any: ...


class Binder:
    """Collects bound parameters while a WHERE clause is built."""

    def __init__(self) -> None:
        self.parameters: list[SqlParameter] = []

    def bind(self, value: Any, sql_type: str = "NVarChar") -> str:
        name = f"@p{len(self.parameters)}"
        self.parameters.append(SqlParameter(name=name, direction="input", type=sql_type, value=str(value), size=None))
        return name

    def text(self, value: str) -> str:
        return self.bind(value, "NVarChar")

    def int(self, value: int) -> str:
        return self.bind(value, "Int")

    def datetime(self, value: str) -> str:
        return self.bind(value, "DateTime")

    def date(self, value: str) -> str:
        return self.bind(value, "Date")

    def ints(self, values: list[int]) -> str:
        """``(@pA, @pB, ...)`` for an IN list (never empty: callers check)."""
        return "(" + ", ".join(self.int(v) for v in values) + ")"


def read(engine: Engine, sql: str, binder: Binder | None = None) -> list[dict[str, Any]]:
    """Run a SELECT; the rows as dicts."""
    command = SqlCommand(text=sql, execution_mode="reader", command_type="text",
                         parameters=list(binder.parameters) if binder else [], catalogue=None)
    outcome = engine.execute(command)
    return orjson.loads(outcome.data) if outcome.data else []


def write(engine: Engine, sql: str, binder: Binder) -> int:
    """Run an INSERT/UPDATE; the number of rows changed."""
    command = SqlCommand(text=sql, execution_mode="nonQuery", command_type="text",
                         parameters=list(binder.parameters), catalogue=None)
    return engine.execute(command).rows_affected

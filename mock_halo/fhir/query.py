"""Reading practice rows through the site's SQL engine with bound parameters.

User input never reaches SQL text: every value becomes an ``@pN`` parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from mock_halo.sql import SqlCommand, SqlParameter
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.encode import Encoder


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


class Rows:
    """A SELECT's rows as the engine fetched them (``raw``: tuples) with their encoder: :meth:`objects`
    are the dicts a client would decode from Halo's JSON, built without the round trip through JSON;
    ``shape`` stands for the column names and types (equal shapes, equal columns)."""

    __slots__ = ("encoder", "raw", "shape", "_objects")

    def __init__(self, encoder: Encoder, raw: Sequence[Any]) -> None:
        self.encoder = encoder
        self.raw = [row if type(row) is tuple else tuple(row) for row in raw]
        self.shape = _SHAPES.setdefault((encoder.names, encoder.kinds), len(_SHAPES))
        self._objects: list[dict[str, Any]] | None = None

    def objects(self) -> list[dict[str, Any]]:
        if self._objects is None:
            self._objects = self.encoder.decoded(self.raw)
        return self._objects

    def __len__(self) -> int:
        return len(self.raw)


#: A small number for each (names, kinds) of a result read so far (a few per resource type).
_SHAPES: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}


def fetch(engine: Engine, sql: str, binder: Binder | None = None) -> Rows:
    """Run a SELECT; its rows."""
    command = SqlCommand(text=sql, execution_mode="reader", command_type="text",
                         parameters=list(binder.parameters) if binder else [], catalogue=None, tabular=True)
    outcome = engine.execute(command)
    if outcome.table is not None:
        return Rows(*outcome.table)
    objects = orjson.loads(outcome.data) if outcome.data else []  # an engine that gave JSON after all
    return Rows(Encoder(outcome.columns, [K.UNKNOWN] * len(outcome.columns)), [tuple(o.values()) for o in objects])


def read(engine: Engine, sql: str, binder: Binder | None = None) -> list[dict[str, Any]]:
    """Run a SELECT; the rows as dicts."""
    return fetch(engine, sql, binder).objects()


def write(engine: Engine, sql: str, binder: Binder) -> int:
    """Run an INSERT/UPDATE; the number of rows changed."""
    command = SqlCommand(text=sql, execution_mode="nonQuery", command_type="text",
                         parameters=list(binder.parameters), catalogue=None)
    return engine.execute(command).rows_affected

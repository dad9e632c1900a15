"""Small fakes of the SQL engine for lifecycle tests (and integrators' own).

``ScriptedExecutor`` reads what to do from the command text, so a test says
what it wants in the SQL it submits:

* ``rows:N`` -> N rows ``{"n": i, "pad": "..."}`` (``pad:B`` bytes of padding per row)
* ``error:NUMBER`` -> raises ``FakeSqlError(NUMBER, ...)``
* ``ms:M`` -> modelled execution time of M ms (default 25)
* ``write:TAG`` -> appends TAG to ``executor.log`` (so tests can check order)
* ``nonQuery`` execution mode -> rowsAffected 1 and ``[]`` data

Every call is appended to ``calls`` (site, text), so "exactly once" is checkable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class FakeCommand:
    text: str
    execution_mode: str = "reader"
    command_type: str = "text"
    parameters: list[Any] = field(default_factory=list)
    catalogue: str | None = None


@dataclass
class FakeOutcome:
    rows: int
    data: bytes
    rows_affected: int = -1
    parameters: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    execution_ms: int = 25


class FakeSqlError(Exception):
    error_type = "mssql"

    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number = number
        self.message = message


def _directive(text: str, name: str, default: int | None = None) -> int | None:
    match = re.search(rf"\b{name}:(-?\d+)", text)
    return int(match.group(1)) if match else default


class ScriptedExecutor:
    def __init__(self, site_id: str = "site") -> None:
        self.site_id = site_id
        self.calls: list[tuple[str, str]] = []
        self.log: list[str] = []

    def __call__(self, command: Any) -> FakeOutcome:
        text = command.text
        self.calls.append((self.site_id, text))
        for tag in re.findall(r"\bwrite:(\w+)", text):
            self.log.append(tag)
        number = _directive(text, "error")
        if number is not None:
            raise FakeSqlError(number, f"Fake SQL Server error {number}.")
        execution_ms = _directive(text, "ms", 25) or 0
        if command.execution_mode == "nonQuery":
            return FakeOutcome(rows=0, data=b"[]", rows_affected=1, execution_ms=execution_ms,
                               parameters=[{"name": "@out", "direction": "output", "type": "Int", "value": "7"}])
        count = _directive(text, "rows", 1) or 0
        pad = "x" * (_directive(text, "pad", 0) or 0)
        rows = [{"n": i, "pad": pad} for i in range(count)]
        return FakeOutcome(rows=count, data=orjson.dumps(rows), execution_ms=execution_ms, columns=["n", "pad"])


def executors(*site_ids: str) -> dict[str, ScriptedExecutor]:
    return {site: ScriptedExecutor(site) for site in site_ids}

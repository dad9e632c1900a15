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

from mock_halo.lifecycle.plan import TERMINAL


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


class World:
    """A virtual clock, a lifecycle and scripted executors for a few sites."""

    def __init__(self, *sites: str, seed: int = 7, **lifecycle_options: Any) -> None:
        from mock_halo.clock import Clock
        from mock_halo.ids import IdSource
        from mock_halo.lifecycle.service import Lifecycle
        from mock_halo.lifecycle.store import QueryStore

        self.sites = sites or ("site-a",)
        self.clock = Clock.virtual()
        self.executors = executors(*self.sites)
        self.store = QueryStore(capacity=lifecycle_options.pop("capacity", 100_000))
        self.lifecycle = Lifecycle(self.clock, IdSource(seed), self.store, self.executors.__getitem__,
                                   **lifecycle_options)

    @property
    def site(self) -> str:
        return self.sites[0]

    def submit(self, text: str = "rows:3", *, site: str | None = None, mode: str = "reader",
               max_time_in_queue: int = 3_600_000, **options: Any):
        return self.lifecycle.submit(
            site_id=site or self.site, integrator_id="integrator", command=FakeCommand(text, mode),
            max_time_in_queue=max_time_in_queue, command_size=len(text) + 40, request_size=len(text) + 80,
            **options,
        )

    def status(self, query, site: str | None = None) -> dict[str, Any]:
        return self.lifecycle.status(site or query.site_id, query.id)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def run_until(self, query, status: str, step: float = 0.05, limit: float = 100_000.0) -> dict[str, Any]:
        """Move the clock in small steps until ``query`` shows ``status``."""
        waited = 0.0
        while True:
            body = self.status(query)
            if body["status"] == status:
                return body
            if waited > limit or body["status"] in TERMINAL:
                raise AssertionError(f"never reached {status}; last {body['status']}")
            self.advance(step)
            waited += step

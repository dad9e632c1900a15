"""Registered (recurring) queries (halo-facts 7).

A registered query runs every ``frequency`` seconds of clock time, the first
run shortly after creation (registration with Halo Link), the last at or
before ``first run + duration``; it is then ``completed`` (completedAt = first
run + duration). Each run is a side effect fired by the scheduler in time
order with async executions. Failing runs do not stop the schedule.

Results are uploaded only when they change ("Results are also only uploaded
to Halo Cloud when they change"): the stored result and ``lastHash`` change
only when a run's data differs, and ``resultSizeSum`` counts those uploads.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mock_halo import errors
from mock_halo.clock import format_timestamp
from mock_halo.lifecycle.plan import INIT_FAILED_CACHE_ERROR
from mock_halo.lifecycle.profile import (
    REGISTERED_TOO_LARGE_MESSAGE,
    TIMEOUT_ERROR_CODE,
    TIMEOUT_MESSAGE,
    LifecycleLimits,
    TimingProfile,
)
from mock_halo.lifecycle.sqlport import SqlJob, failure_details, is_result_too_large, is_timeout, with_result_limit

ENABLED = "enabled"
CANCELLED = "cancelled"
COMPLETED = "completed"
REGISTERED_STATUSES = (INIT_FAILED_CACHE_ERROR, ENABLED, CANCELLED, COMPLETED)

MIN_FREQUENCY_S = 60
MAX_DURATION_S = 86400
QUERY_TYPES = ("query",)


def validate_registration(name: Any, registered_query_type: Any, frequency: Any, duration: Any) -> None:
    """The create body's rules (halo-facts 7.1/7.2); a HaloError 400 names the first broken one."""
    if not isinstance(name, str) or not name.strip():
        raise errors.bad_request("'name' is required and must be a non-empty string.")
    if registered_query_type not in QUERY_TYPES:
        raise errors.bad_request(f"'registeredQueryType' must be one of {list(QUERY_TYPES)}.")
    if isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < MIN_FREQUENCY_S:
        raise errors.bad_request(f"'frequency' must be an integer number of seconds, at least {MIN_FREQUENCY_S}.")
    if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION_S:
        raise errors.bad_request(f"'duration' must be an integer number of seconds from 1 to {MAX_DURATION_S}.")


def result_hash(data: bytes) -> str:
    """lastHash: base64 of the SHA-256 of the result data (INFERENCE, 7.4)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass
class RegisteredResult:
    data: bytes
    rows: int
    parameters: list[dict[str, Any]] | None

    def render(self) -> dict[str, Any]:
        return {
            "data": base64.b64encode(self.data).decode("ascii"),
            "parameters": self.parameters,
            "rows": self.rows,
            "size": len(self.data),
        }


@dataclass(eq=False)
class RegisteredQuery:
    id: str
    integrator_id: str
    site_id: str
    name: str
    registered_query_type: str
    frequency: int
    duration: int
    command: Any
    created_at: datetime
    request_size: int
    seq: int
    first_run_at: datetime
    init_failed: bool = False
    cancelled_at: datetime | None = None
    runs: int = 0  # performed (succeeded + failed)
    skipped: int = 0  # due while the site was not online
    succeeded: int = 0
    failed: int = 0
    last_succeeded_at: datetime | None = None
    last_failed_at: datetime | None = None
    last_execution_ms: int = 0
    result_size_sum: int = 0
    last_hash: str | None = None
    last_error: dict[str, Any] | None = None
    result: RegisteredResult | None = None

    @property
    def ends_at(self) -> datetime:
        return self.first_run_at + timedelta(seconds=self.duration)

    @property
    def max_runs(self) -> int:
        return self.duration // self.frequency + 1

    def run_time(self, index: int) -> datetime:
        return self.first_run_at + timedelta(seconds=index * self.frequency)

    def status_at(self, t: datetime) -> str:
        if self.init_failed:
            return INIT_FAILED_CACHE_ERROR
        if self.cancelled_at is not None and t >= self.cancelled_at:
            return CANCELLED
        if t >= self.ends_at:
            return COMPLETED
        return ENABLED

    def render(self, t: datetime) -> dict[str, Any]:
        status = self.status_at(t)
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "registeredQueryType": self.registered_query_type,
            "status": status,
            "frequency": self.frequency,
            "duration": self.duration,
            "createdAt": format_timestamp(self.created_at),
        }
        if status == COMPLETED:
            body["completedAt"] = format_timestamp(self.ends_at)
        if self.last_hash is not None:
            body["lastHash"] = self.last_hash
        if self.last_error is not None:
            body["lastErrorDetails"] = self.last_error
        metrics: dict[str, Any] = {
            "lastExecutionDuration": self.last_execution_ms,
            "executionSucceededCount": self.succeeded,
            "executionFailedCount": self.failed,
            "resultSizeSum": self.result_size_sum,
            "requestSize": self.request_size,
        }
        if self.last_succeeded_at is not None:
            metrics["lastSucceededAt"] = format_timestamp(self.last_succeeded_at)
        if self.last_failed_at is not None:
            metrics["lastFailedAt"] = format_timestamp(self.last_failed_at)
        body["metrics"] = metrics
        return body

    def result_body(self) -> dict[str, Any]:
        if self.result is None:
            # INFERENCE (7.6): nothing to return before the first successful run.
            raise errors.not_found(f"Registered query '{self.id}' has no result yet.")
        return self.result.render()

    # -- one run ---------------------------------------------------------
    def succeed(self, at: datetime, outcome: Any, execution_ms: int) -> bool:
        """Record a successful run; True when its result differs from the last one (uploaded)."""
        self.runs += 1
        self.succeeded += 1
        self.last_succeeded_at = at
        self.last_execution_ms = execution_ms
        data = bytes(outcome.data)
        digest = result_hash(data)
        if digest == self.last_hash:
            return False
        self.last_hash = digest
        self.result = RegisteredResult(data, int(outcome.rows), list(outcome.parameters) or None)
        self.result_size_sum += len(data)
        return True

    def fail(self, at: datetime, details: dict[str, Any], execution_ms: int) -> None:
        self.runs += 1
        self.failed += 1
        self.last_failed_at = at
        self.last_execution_ms = execution_ms
        self.last_error = details


#: ``schedule(site_id, when, seq, action)``: call ``action(when)`` (which may return a job) once due.
Scheduling = Callable[[str, datetime, int, Callable[[datetime], SqlJob | None]], None]


class RegisteredQueries:
    """Every site's registered queries: create, list, get, cancel, result, and the runs."""

    def __init__(
        self,
        schedule: Scheduling,
        is_online: Callable[[str, datetime], bool],
        profile: TimingProfile,
        limits: LifecycleLimits,
        on_change: Callable[[RegisteredQuery, datetime], None] | None = None,
    ) -> None:
        """``on_change(query, at)`` hears of every run whose result changed (webhooks)."""
        self._on_change = on_change
        self._schedule = schedule
        self._is_online = is_online
        self.profile = profile
        self.limits = limits
        self._queries: dict[str, RegisteredQuery] = {}

    def create(
        self,
        *,
        query_id: str,
        seq: int,
        site_id: str,
        integrator_id: str,
        name: str,
        registered_query_type: str,
        frequency: int,
        duration: int,
        command: Any,
        request_size: int,
        now: datetime,
        fail_initialisation: bool = False,
        first_run_ms: int | None = None,
    ) -> RegisteredQuery:
        """Register a query; ``fail_initialisation`` forces initialisationFailedCacheError."""
        delay = first_run_ms if first_run_ms is not None else self.profile.draw(
            random.Random(f"{query_id}/registered"), self.profile.registered_first_run_ms
        )
        query = RegisteredQuery(
            id=query_id, integrator_id=integrator_id, site_id=site_id, name=name,
            registered_query_type=registered_query_type, frequency=frequency, duration=duration,
            command=command, created_at=now, request_size=request_size, seq=seq,
            first_run_at=now + timedelta(milliseconds=delay), init_failed=fail_initialisation,
        )
        self._queries[query.id] = query
        if not fail_initialisation:
            self._schedule(site_id, query.first_run_at, seq, lambda at, q=query: self._run(q, 0, at))
        end = now if fail_initialisation else query.ends_at
        self._schedule(site_id, end + self.limits.retention, seq, lambda at, q=query: self._forget(q))
        return query

    def get(self, site_id: str, query_id: str) -> RegisteredQuery:
        query = self._queries.get(query_id.lower())
        if query is None or query.site_id != site_id:
            raise errors.not_found(f"Registered query '{query_id}' was not found.")
        return query

    def list(self, site_id: str, integrator_id: str | None = None) -> list[RegisteredQuery]:
        """All retained registered queries of a site, oldest first (completed ones included, as in [INT])."""
        return [
            q for q in self._queries.values()
            if q.site_id == site_id and (integrator_id is None or q.integrator_id == integrator_id)
        ]

    def cancel(self, site_id: str, query_id: str, now: datetime) -> RegisteredQuery:
        """DELETE: status cancelled, no further runs. INFERENCE: a completed (or
        already cancelled) query is left as it is, still answering 204."""
        query = self.get(site_id, query_id)
        if query.status_at(now) == ENABLED:
            query.cancelled_at = now
            self._schedule(site_id, now + self.limits.retention, query.seq, lambda at, q=query: self._forget(q))
        return query

    def clear(self, site_id: str | None = None) -> None:
        for key in [k for k, q in self._queries.items() if site_id is None or q.site_id == site_id]:
            del self._queries[key]

    def __len__(self) -> int:
        return len(self._queries)

    # -- scheduled side effects -----------------------------------------
    def _run(self, query: RegisteredQuery, index: int, at: datetime) -> SqlJob | None:
        if self._queries.get(query.id) is not query:
            return None  # forgotten (reset)
        if query.cancelled_at is not None and at >= query.cancelled_at:
            return None
        following = index + 1
        if following < query.max_runs:
            self._schedule(query.site_id, query.run_time(following), query.seq,
                           lambda t, q=query: self._run(q, following, t))
        return self._perform(query, at)

    def _perform(self, query: RegisteredQuery, at: datetime) -> SqlJob | None:
        if not self._is_online(query.site_id, at):
            # INFERENCE: Link is not connected, so nothing runs and nothing is uploaded.
            query.skipped += 1
            return None
        command = with_result_limit(query.command, self.limits.registered_result_limit_bytes)
        return SqlJob(query.site_id, command, at, "registered",
                      lambda outcome: self._performed(query, at, outcome))

    def _performed(self, query: RegisteredQuery, at: datetime, outcome: Any) -> None:
        limit = self.limits.registered_execution_limit
        size_limit = self.limits.registered_result_limit_bytes
        too_large = errors.error_details(
            "http", 413, REGISTERED_TOO_LARGE_MESSAGE.format(limit=errors.format_size_limit(size_limit)))
        if is_timeout(outcome):
            details = errors.error_details("mssql", TIMEOUT_ERROR_CODE, TIMEOUT_MESSAGE)
            query.fail(at, details, int(limit.total_seconds() * 1000))
            return
        if isinstance(outcome, BaseException):
            query.fail(at, too_large if is_result_too_large(outcome) else failure_details(outcome), 0)
            return
        execution_ms = max(0, int(outcome.execution_ms))
        if timedelta(milliseconds=execution_ms) > limit:
            details = errors.error_details("mssql", TIMEOUT_ERROR_CODE, TIMEOUT_MESSAGE)
            query.fail(at, details, int(limit.total_seconds() * 1000))
            return
        if len(outcome.data) > size_limit:
            query.fail(at, too_large, execution_ms)
            return
        if query.succeed(at, outcome, execution_ms) and self._on_change is not None:
            self._on_change(query, at)

    def _forget(self, query: RegisteredQuery) -> None:
        if self._queries.get(query.id) is query:
            del self._queries[query.id]

"""The async status table (halo-facts 6.3/6.4) and the plan data structure.

A plan is the decided part of a query's life: ordered phases, each with a
start and (once known) an end, and a terminal ``Ending``. The status at time
``t`` is a pure function of the plan and ``t`` (:func:`Plan.status_at`). Parts
that depend on running the SQL (execution time, pages) are added to the plan
when the scheduler executes the query; until then only the known phases count.

``PlanOverride`` is how a caller (the control plane's scenario rules) forces a
plan at submission instead of letting the model decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# -- the 11 statuses ------------------------------------------------------
INITIALISING = "initialising"
INIT_FAILED_CACHE_ERROR = "initialisationFailedCacheError"
INIT_FAILED_SITE_OFFLINE = "initialisationFailedSiteOffline"
INIT_FAILED_SITE_UNREACHABLE = "initialisationFailedSiteUnreachable"
QUEUED = "queued"
EXPIRED_IN_QUEUE = "expiredInQueue"
EXECUTING = "executing"
EXECUTION_FAILED = "executionFailed"
UPLOADING = "uploading"
UPLOAD_FAILED = "uploadFailed"
SUCCESSFUL = "successful"

ALL_STATUSES = (
    INITIALISING, INIT_FAILED_CACHE_ERROR, INIT_FAILED_SITE_OFFLINE, INIT_FAILED_SITE_UNREACHABLE,
    QUEUED, EXPIRED_IN_QUEUE, EXECUTING, EXECUTION_FAILED, UPLOADING, UPLOAD_FAILED, SUCCESSFUL,
)
PHASES = (INITIALISING, QUEUED, EXECUTING, UPLOADING)
INIT_FAILURES = (INIT_FAILED_CACHE_ERROR, INIT_FAILED_SITE_OFFLINE, INIT_FAILED_SITE_UNREACHABLE)
TERMINAL = frozenset(INIT_FAILURES + (EXPIRED_IN_QUEUE, EXECUTION_FAILED, UPLOAD_FAILED, SUCCESSFUL))

#: The status table: which phase each terminal status ends, and where each
#: phase may go next. A poller may skip statuses between two polls, but never
#: sees anything outside the transitive closure of this table.
ENDS_PHASE = {
    INIT_FAILED_CACHE_ERROR: INITIALISING,
    INIT_FAILED_SITE_OFFLINE: INITIALISING,
    INIT_FAILED_SITE_UNREACHABLE: INITIALISING,
    EXPIRED_IN_QUEUE: QUEUED,
    EXECUTION_FAILED: EXECUTING,
    UPLOAD_FAILED: UPLOADING,
    SUCCESSFUL: UPLOADING,
}
NEXT = {
    INITIALISING: (QUEUED, *INIT_FAILURES),
    QUEUED: (EXECUTING, EXPIRED_IN_QUEUE),
    EXECUTING: (UPLOADING, EXECUTION_FAILED),
    UPLOADING: (SUCCESSFUL, UPLOAD_FAILED),
}


def reachable(status: str) -> frozenset[str]:
    """Every status reachable from ``status`` (itself included)."""
    seen = {status}
    stack = [status]
    while stack:
        for nxt in NEXT.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return frozenset(seen)


# -- plan -----------------------------------------------------------------
@dataclass
class Phase:
    """One non-terminal status held from ``start`` until ``end`` (None: not decided, or never)."""

    name: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Ending:
    """The terminal status, the instant it is reached (``completedAt``) and any errorDetails."""

    status: str
    at: datetime
    error: dict[str, Any] | None = None


@dataclass
class Plan:
    phases: list[Phase] = field(default_factory=list)
    ending: Ending | None = None

    @property
    def decided(self) -> bool:
        """True once nothing about the query's status timeline is still unknown."""
        return self.ending is not None

    def phase(self, name: str) -> Phase | None:
        for phase in self.phases:
            if phase.name == name:
                return phase
        return None

    def begin(self, name: str, start: datetime) -> Phase:
        """Close the current phase at ``start`` and open ``name`` (phases only move forward)."""
        if self.phases:
            last = self.phases[-1]
            if PHASES.index(name) <= PHASES.index(last.name) or start < last.start:
                raise ValueError(f"illegal phase order: {last.name} -> {name}")
            last.end = start
        phase = Phase(name, start)
        self.phases.append(phase)
        return phase

    def finish(self, status: str, at: datetime, error: dict[str, Any] | None = None) -> None:
        """Decide the terminal status; failures close the phase they end."""
        if self.ending is not None:
            raise ValueError("plan already has an ending")
        last = self.phases[-1]
        if ENDS_PHASE[status] != last.name or at < last.start:
            raise ValueError(f"{status} cannot end phase {last.name}")
        if status != SUCCESSFUL:
            last.end = at
        self.ending = Ending(status, at, error)

    def status_at(self, t: datetime) -> str:
        """The status at ``t``: the ending once reached, else the phase containing ``t``."""
        if self.ending is not None and t >= self.ending.at:
            return self.ending.status
        current = self.phases[0].name
        for phase in self.phases:
            if phase.start <= t:
                current = phase.name
        return current

    def transitions_until(self, t: datetime) -> datetime:
        """The instant of the last status change at or before ``t`` (for updatedAt)."""
        latest = self.phases[0].start
        for phase in self.phases:
            if phase.start <= t:
                latest = max(latest, phase.start)
        if self.ending is not None and self.ending.at <= t:
            latest = max(latest, self.ending.at)
        return latest


# -- overrides ------------------------------------------------------------
@dataclass(frozen=True)
class PlanOverride:
    """A plan forced at submission (scenario rules). ``None`` = let the model decide.

    * ``initialising_ms``, ``executing_ms``, ``page_upload_ms``: phase durations.
      ``executing_ms`` replaces the engine's modelled duration (the 5-minute
      limit still applies unless ``outcome`` is forced).
    * ``queued_ms``: pins the time in queue. Such a query bypasses the site's
      FIFO (it neither waits for nor delays other queries); it still expires
      if ``queued_ms`` exceeds its maxTimeInQueue.
    * ``outcome``: a terminal status to force. Init failures end initialising;
      ``expiredInQueue`` expires at queued.start + maxTimeInQueue;
      ``executionFailed`` ends executing after ``executing_ms`` (SQL is not run
      unless ``run_sql``); ``uploadFailed`` fails while uploading page
      ``fail_after_pages + 1`` (so the query never turns successful).
    * ``stall_after_pages``: pages after this many never finish uploading (with
      0 the query stays ``uploading`` for ever).
    * ``error``: errorDetails for a forced failure (a sensible default otherwise).
    * ``page_size_bytes``, ``retention_ms``: per-query paging and early expiry.
    """

    initialising_ms: int | None = None
    queued_ms: int | None = None
    executing_ms: int | None = None
    page_upload_ms: int | None = None
    outcome: str | None = None
    error: dict[str, Any] | None = None
    run_sql: bool = False
    fail_after_pages: int = 0
    stall_after_pages: int | None = None
    page_size_bytes: int | None = None
    retention_ms: int | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in TERMINAL:
            raise ValueError(f"outcome must be a terminal status, not {self.outcome!r}")
        if self.outcome == SUCCESSFUL:
            raise ValueError("successful cannot be forced; it is the natural outcome")
        for name in ("initialising_ms", "queued_ms", "executing_ms", "page_upload_ms", "retention_ms"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.fail_after_pages < 0 or (self.stall_after_pages is not None and self.stall_after_pages < 0):
            raise ValueError("page counts cannot be negative")
        if self.page_size_bytes is not None and self.page_size_bytes < 2:
            raise ValueError("page_size_bytes must be at least 2")
        if self.outcome == UPLOAD_FAILED and self.stall_after_pages is not None:
            raise ValueError("choose either uploadFailed or stall_after_pages")

    @property
    def pinned(self) -> bool:
        """True when the query's queue time is fixed here rather than by the FIFO."""
        return self.queued_ms is not None or self.outcome == EXPIRED_IN_QUEUE

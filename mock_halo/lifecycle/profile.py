"""Timing profile and limits of the lifecycle: the knobs, with their sources.

Every modelled duration is drawn from a range here with seeded jitter, so the
same seed and requests give the same timings. Values are milliseconds unless
the name says otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

MIB = 1024 * 1024

#: INFERENCE: the message SqlClient (.NET, which Halo Link is built on) gives
#: when ``CommandTimeout`` elapses; SqlException.Number is -2 for timeouts.
TIMEOUT_ERROR_CODE = -2
TIMEOUT_MESSAGE = (
    "Execution Timeout Expired.  The timeout period elapsed prior to completion "
    "of the operation or the server is not responding."
)
#: INFERENCE: Halo does not document the upload failure text.
UPLOAD_FAILED_MESSAGE = "An error occurred uploading the query results from Halo Link to Halo Cloud."
#: INFERENCE: an async result past the emulator's limit fails its upload like an oversize immediate result.
ASYNC_TOO_LARGE_MESSAGE = (
    "Query was executed successfully but an error occurred preparing it to be uploaded, "
    "results were too large. Async query results beyond size limit ({limit})"
)
#: INFERENCE: registered results above the 8 MB limit fail like oversize immediate results.
REGISTERED_TOO_LARGE_MESSAGE = (
    "Query was executed successfully but an error occurred preparing it to be uploaded, "
    "results were too large. Registered query results beyond message size limit ({limit})"
)

Range = tuple[float, float]

SUCCESS_FIRST_PAGE = "firstPage"
SUCCESS_ALL_PAGES = "allPages"


@dataclass(frozen=True)
class TimingProfile:
    """Modelled phase durations (ms ranges, uniform, seeded per query)."""

    #: Halo Cloud stores the query and hands it to the site's Halo Link.
    initialising_ms: Range = (500.0, 2000.0)
    #: Halo Link receives a queued query and can start it (part of the queue wait).
    queue_pickup_ms: Range = (50.0, 250.0)
    #: a SQL error comes back quickly; the engine does not model its duration.
    sql_error_ms: Range = (2.0, 20.0)
    #: each page: a fixed cost plus transfer time proportional to its size.
    page_upload_base_ms: Range = (150.0, 400.0)
    page_upload_ms_per_mib: float = 800.0
    #: a registered query is registered with Link before its first run.
    registered_first_run_ms: Range = (2000.0, 6000.0)
    #: how long an immediate query holds the site's link (for async waiting behind it).
    immediate_hold_ms: Range = (20.0, 80.0)

    def draw(self, rng: random.Random, span: Range) -> int:
        """A duration in whole ms, at least 1 so every phase is observable."""
        low, high = span
        return max(1, round(rng.uniform(low, high)))

    def page_upload_ms(self, rng: random.Random, size: int) -> int:
        return self.draw(rng, self.page_upload_base_ms) + round(self.page_upload_ms_per_mib * size / MIB)


@dataclass(frozen=True)
class LifecycleLimits:
    """Halo's documented limits (halo-facts 6.1, 7.1, 11) and retention."""

    #: async: max execution 5 min, excluding queue and upload (docs, blog).
    async_execution_limit: timedelta = timedelta(minutes=5)
    #: async pages: "roughly 1 MB chunks" (blog).
    page_size_bytes: int = MIB
    #: results "available for approximately 24 hours" (docs), from completedAt.
    retention: timedelta = timedelta(hours=24)
    #: INFERENCE: after retention a query's record is kept this much longer so
    #: its pages answer 410 (not 404); then it is forgotten entirely.
    tombstone: timedelta = timedelta(hours=24)
    #: INFERENCE (halo-facts 6.5): when an async query turns ``successful``.
    #: ``firstPage`` (default): when page 1 is cached, later pages keep
    #: uploading; ``allPages``: when every page is cached.
    success_when: str = SUCCESS_FIRST_PAGE
    #: registered: max execution 60 s, max result 8 MB (docs).
    registered_execution_limit: timedelta = timedelta(seconds=60)
    registered_result_limit_bytes: int = 8 * MIB
    #: async: Halo documents no result size limit; the emulator stops reading rows past this
    #: (``uploadFailed``), so one runaway query cannot take all of the machine's memory.
    async_result_limit_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        if self.success_when not in (SUCCESS_FIRST_PAGE, SUCCESS_ALL_PAGES):
            raise ValueError(f"success_when must be {SUCCESS_FIRST_PAGE!r} or {SUCCESS_ALL_PAGES!r}")
        if self.page_size_bytes < 2:
            raise ValueError("page_size_bytes must be at least 2")

"""Async queries: the record, how its plan grows, and how it renders at time t.

Reads like the status table of halo-facts 6.4:

* submission decides ``initialising`` and what follows it: an init failure
  (site offline / unreachable / forced cache error) or ``queued``;
* the site's link (``link.py``) decides when it leaves the queue: expiry or
  execution; :func:`execute` runs the SQL and decides everything after.

``AsyncQuery.render(t)`` shows exactly what is known at ``t``; nothing in here
reads a clock.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from mock_halo import errors
from mock_halo.lifecycle.model import ASYNC, PhaseTiming, QueryRecord
from mock_halo.lifecycle.pages import PAGE_CACHED, Page, PageDownload, download, nonquery_download, split_pages
from mock_halo.lifecycle.plan import (
    EXECUTING,
    EXECUTION_FAILED,
    EXPIRED_IN_QUEUE,
    INIT_FAILED_SITE_OFFLINE,
    INIT_FAILED_SITE_UNREACHABLE,
    INIT_FAILURES,
    INITIALISING,
    QUEUED,
    SUCCESSFUL,
    UPLOAD_FAILED,
    UPLOADING,
    Plan,
    PlanOverride,
)
from mock_halo.lifecycle.profile import (
    ASYNC_TOO_LARGE_MESSAGE,
    SUCCESS_FIRST_PAGE,
    TIMEOUT_ERROR_CODE,
    TIMEOUT_MESSAGE,
    UPLOAD_FAILED_MESSAGE,
    LifecycleLimits,
    TimingProfile,
)
from mock_halo.lifecycle.sqlport import HALO_LINK, SqlJob, failure_details, is_result_too_large, is_timeout, with_result_limit

#: INFERENCE: the errorDetails of a forced executionFailed without its own error.
FORCED_EXECUTION_FAILURE = errors.error_details(HALO_LINK, 0, "The query failed to execute on Halo Link.")
AVAILABILITY_FAILURE = {"offline": INIT_FAILED_SITE_OFFLINE, "unreachable": INIT_FAILED_SITE_UNREACHABLE}
#: what a page costs besides its data (the object and its fields), for the store's byte cap.
PAGE_OVERHEAD = 200
#: the statuses whose body carries metrics.sqlExecutionDuration (6.4: from uploading on).
WITH_METRICS = (UPLOADING, UPLOAD_FAILED, SUCCESSFUL)


def ms(value: float) -> timedelta:
    return timedelta(milliseconds=value)


@dataclass
class AsyncResult:
    """What the executed SQL produced (halo-facts 6.5)."""

    nonquery: bool
    rows: int
    rows_affected: int
    size: int
    parameters: list[dict[str, Any]] | None
    pages: list[Page]


@dataclass(eq=False)
class AsyncQuery:
    """One async query: the fixed request fields and its growing plan."""

    id: str
    integrator_id: str
    site_id: str
    max_time_in_queue: int
    command_size: int
    request_size: int
    sql_query_size: int
    created_at: datetime
    seq: int
    command: Any  # dropped once executed
    override: PlanOverride
    retention: timedelta
    plan: Plan = field(default_factory=Plan)
    #: when Halo Link has received the query and could start it; the link keeps
    #: these in submission order per site (see link.py).
    ready_at: datetime | None = None
    sql_execution_ms: int | None = None
    result: AsyncResult | None = None
    results_dropped: bool = False
    #: forgotten by the store (count cap or reset): never runs, holds nothing.
    abandoned: bool = False
    #: the status body once nothing about it can change any more (see ``rendered``).
    _final_body: bytes | None = field(default=None, repr=False)

    mode = ASYNC

    def rng(self, stage: str) -> random.Random:
        """A generator for one stage's jitter, seeded by the (seeded) query id.

        Keyed by id and stage rather than shared, so timings do not depend on
        when the scheduler happens to run, and no per-query state is kept.
        """
        return random.Random(f"{self.id}/{stage}")

    # -- plan facts ------------------------------------------------------
    @property
    def queued_at(self) -> datetime | None:
        phase = self.plan.phase(QUEUED)
        return phase.start if phase else None

    @functools.cached_property
    def expires_at(self) -> datetime:
        """queued.start + maxTimeInQueue: waiting past this instant means expiredInQueue.

        Read only once queued (queued.start never changes), and often: the link
        checks every waiting query against it.
        """
        assert self.queued_at is not None
        return self.queued_at + ms(self.max_time_in_queue)

    @property
    def completed_at(self) -> datetime | None:
        return self.plan.ending.at if self.plan.ending else None

    @property
    def gone_at(self) -> datetime | None:
        """When the results stop being downloadable (410)."""
        done = self.completed_at
        return done + self.retention if done is not None else None

    def status_at(self, t: datetime) -> str:
        return self.plan.status_at(t)

    # -- rendering -------------------------------------------------------
    def snapshot(self, t: datetime) -> QueryRecord:
        """The query as Halo would store it at ``t``."""
        status = self.status_at(t)
        ending = self.plan.ending if self.plan.ending and self.plan.ending.at <= t else None
        record = QueryRecord(
            id=self.id,
            integrator_id=self.integrator_id,
            site_id=self.site_id,
            mode=ASYNC,
            max_time_in_queue=self.max_time_in_queue,
            command_size=self.command_size,
            request_size=self.request_size,
            sql_query_size=self.sql_query_size,
            created_at=self.created_at,
            status=status,
            updated=self._updated_at(t),
        )
        for phase in self.plan.phases:
            if phase.start > t:
                break
            # A successful query's uploading phase has no endTime ([SEED] sample).
            end = phase.end if phase.end is not None and phase.end <= t else None
            record.timing[phase.name] = PhaseTiming(phase.start, end)
        if status in WITH_METRICS:
            record.metrics = {"sqlExecutionDuration": self.sql_execution_ms or 0}
        if status == SUCCESSFUL and self.result is not None:
            record.result = self._render_result(t)
            record.result_size = self.result.size
        if ending is not None:
            record.completed_at = ending.at
            record.error_details = ending.error
        return record

    def render(self, now: datetime) -> dict[str, Any]:
        return self.snapshot(now).render()

    def rendered(self, now: datetime) -> bytes:
        """``render(now)`` as JSON bytes; computed once for good after the query's last change.

        Polls of a finished query are the commonest request; once it has ended
        and every page that will ever finish uploading has, the body is fixed.
        """
        if self._final_body is not None:
            return self._final_body
        body = orjson.dumps(self.render(now))
        ending = self.plan.ending
        if ending is not None and ending.at <= now and (
            self.result is None or all(p.upload_end is None or p.upload_end <= now for p in self.result.pages)
        ):
            self._final_body = body
        return body

    def _render_result(self, t: datetime) -> dict[str, Any]:
        result = self.result
        assert result is not None
        pages = [page.render(t) for page in result.pages]
        if result.nonquery:
            return {"rowsAffected": result.rows_affected, "size": result.size, "pages": pages}
        return {"rows": result.rows, "size": result.size, "pages": pages}

    def _updated_at(self, t: datetime) -> datetime:
        latest = self.plan.transitions_until(t)
        if self.result is not None:
            for page in self.result.pages:
                for instant in (page.upload_start, page.upload_end):
                    if instant is not None and latest < instant <= t:
                        latest = instant
        return latest

    # -- pages -----------------------------------------------------------
    def page(self, number: int, now: datetime) -> PageDownload:
        """``GET …/results/{pageNumber}``: the page, or a HaloError (404 / 410)."""
        gone_at = self.gone_at
        if self.results_dropped or (gone_at is not None and now >= gone_at):
            raise errors.gone()
        status = self.status_at(now)
        if status != SUCCESSFUL or self.result is None:
            raise errors.not_found(f"Query '{self.id}' has no results to download: its status is {status}.")
        result = self.result
        if result.nonquery:
            if number == 1:
                return nonquery_download(result.parameters)
            raise errors.not_found(f"Page {number} of query '{self.id}' was not found; a nonQuery result has no pages.")
        if not 1 <= number <= len(result.pages):
            raise errors.not_found(
                f"Page {number} of query '{self.id}' was not found; the result has {len(result.pages)} page(s)."
            )
        page = result.pages[number - 1]
        page_status = page.status_at(now)
        if page_status != PAGE_CACHED:
            # INFERENCE (halo-facts 16.7): only cached pages are downloadable.
            raise errors.not_found(
                f"Page {number} of query '{self.id}' is still {page_status} and cannot be downloaded yet; "
                "try again when its status is cached."
            )
        return download(page, result.parameters)

    def drop_results(self) -> None:
        """Retention: forget the page data, keep the record (pages now answer 410)."""
        self.results_dropped = True
        if self.result is not None:
            for page in self.result.pages:
                page.data = None

    # -- what the store bounds -------------------------------------------
    def held_bytes(self) -> int:
        """Bytes of page data held (plus a little per page, so tiny pages count too)."""
        if self.result is None or self.results_dropped:
            return 0
        return sum(page.size + PAGE_OVERHEAD for page in self.result.pages if page.data is not None)

    #: the store's byte cap: the pages go (410), the record stays.
    shed_results = drop_results

    def abandon(self) -> None:
        """The store forgot this query: it will not run, and keeps no command or pages."""
        self.abandoned = True
        self.command = None
        self.drop_results()


# -- building the plan ------------------------------------------------------
def initialise(query: AsyncQuery, profile: TimingProfile, availability: str) -> None:
    """Submission: ``initialising`` then an init failure or ``queued``."""
    override = query.override
    plan = query.plan
    start = query.created_at
    plan.begin(INITIALISING, start)
    duration = override.initialising_ms if override.initialising_ms is not None else profile.draw(
        query.rng(INITIALISING), profile.initialising_ms
    )
    end = start + ms(max(1, duration))
    forced = override.outcome if override.outcome in INIT_FAILURES else None
    failure = forced or AVAILABILITY_FAILURE.get(availability)
    if failure is not None:
        plan.finish(failure, end)
        return
    plan.begin(QUEUED, end)
    query.ready_at = end + ms(profile.draw(query.rng(QUEUED), profile.queue_pickup_ms))
    if override.outcome == EXPIRED_IN_QUEUE or (
        override.queued_ms is not None and override.queued_ms > query.max_time_in_queue
    ):
        expire(query)


def pinned_start(query: AsyncQuery) -> datetime | None:
    """For a pinned query (``queued_ms``), the instant it leaves the queue."""
    if query.plan.decided or query.override.queued_ms is None or query.queued_at is None:
        return None
    return query.queued_at + ms(query.override.queued_ms)


def expire(query: AsyncQuery) -> None:
    """expiredInQueue at queued.start + maxTimeInQueue."""
    query.plan.finish(EXPIRED_IN_QUEUE, query.expires_at)


def begin_execution(query: AsyncQuery, start: datetime) -> Any | None:
    """``executing`` from ``start``: the command whose SQL is the one side effect, or None
    for a forced failure that runs no SQL. :func:`end_execution` decides the rest."""
    query.plan.begin(EXECUTING, start)
    command, query.command = query.command, None
    if query.override.outcome == EXECUTION_FAILED and not query.override.run_sql:
        return None
    return command


def end_execution(query: AsyncQuery, start: datetime, command: Any, outcome: Any, profile: TimingProfile,
                  limits: LifecycleLimits) -> datetime:
    """Decide the rest of the plan from what the SQL did: ``outcome`` is the executor's
    result or the exception it raised (None when no SQL ran).

    Returns the instant execution ends, when the site's link is free again.
    """
    override = query.override
    plan = query.plan
    forced_ms = override.executing_ms
    rng = query.rng(EXECUTING)

    if override.outcome == EXECUTION_FAILED:  # the forced failure wins whatever the SQL did
        end = start + ms(max(1, forced_ms if forced_ms is not None else profile.draw(rng, profile.sql_error_ms)))
        plan.finish(EXECUTION_FAILED, end, override.error or FORCED_EXECUTION_FAILURE)
        return end

    limit = limits.async_execution_limit
    if is_timeout(outcome):
        # The SQL ran into its deadline: Halo Link's command timeout, at the execution limit.
        end = start + limit
        plan.finish(EXECUTION_FAILED, end, errors.error_details("mssql", TIMEOUT_ERROR_CODE, TIMEOUT_MESSAGE))
        return end
    if isinstance(outcome, BaseException):
        duration = forced_ms if forced_ms is not None else profile.draw(rng, profile.sql_error_ms)
        end = start + ms(max(1, duration))
        if is_result_too_large(outcome):
            # The SQL ran; Link could not upload what it read (INFERENCE: as an oversize immediate result).
            query.sql_execution_ms = duration
            plan.begin(UPLOADING, end)
            size_limit = errors.format_size_limit(limits.async_result_limit_bytes)
            details = errors.error_details("http", 413, ASYNC_TOO_LARGE_MESSAGE.format(limit=size_limit))
            plan.finish(UPLOAD_FAILED, end + ms(profile.page_upload_ms(rng, limits.page_size_bytes)), details)
        else:
            plan.finish(EXECUTION_FAILED, end, failure_details(outcome))
        return end

    execution_ms = forced_ms if forced_ms is not None else max(0, int(outcome.execution_ms))
    if ms(execution_ms) > limit:
        # INFERENCE: Link's command timeout surfaces as SqlClient's timeout error.
        end = start + limit
        plan.finish(EXECUTION_FAILED, end, errors.error_details("mssql", TIMEOUT_ERROR_CODE, TIMEOUT_MESSAGE))
        return end

    end = start + ms(max(1, execution_ms))
    query.sql_execution_ms = execution_ms
    plan.begin(UPLOADING, end)
    _upload(query, outcome, end, command, profile, limits)
    return end


def execution_job(query: AsyncQuery, start: datetime, profile: TimingProfile, limits: LifecycleLimits,
                  then: Callable[[datetime], None]) -> SqlJob | None:
    """Start executing ``query`` at ``start``: the job that runs its SQL and decides the rest
    (then calls ``then(end)``), or None when the plan was decided without SQL."""
    command = begin_execution(query, start)

    def finish(outcome: Any) -> None:
        then(end_execution(query, start, command, outcome, profile, limits))

    if command is None:
        finish(None)
        return None
    # The engine stops reading rows once their JSON passes the limit (uploadFailed), never holding more.
    return SqlJob(query.site_id, with_result_limit(command, limits.async_result_limit_bytes), start, "async", finish)


def _upload(query: AsyncQuery, outcome: Any, start: datetime, command: Any, profile: TimingProfile,
            limits: LifecycleLimits) -> None:
    """Lay out the page uploads and decide successful / uploadFailed / never."""
    override = query.override
    nonquery = getattr(command, "execution_mode", "reader") == "nonQuery"
    data = bytes(outcome.data) if outcome.data is not None else b"[]"
    page_size = override.page_size_bytes or limits.page_size_bytes
    pages = [] if nonquery else split_pages(data, page_size)
    query.result = AsyncResult(
        nonquery=nonquery,
        rows=int(outcome.rows),
        rows_affected=int(outcome.rows_affected),
        size=len(data),
        parameters=list(outcome.parameters) or None,
        pages=pages,
    )

    rng = query.rng(UPLOADING)

    def upload_ms(size: int) -> int:
        if override.page_upload_ms is not None:
            return max(1, override.page_upload_ms)
        return profile.page_upload_ms(rng, size)

    if nonquery:
        # No pages: the small result document itself is uploaded.
        query.plan.finish(SUCCESSFUL, start + ms(upload_ms(len(data))))
        return

    count = len(pages)
    if override.outcome == UPLOAD_FAILED:
        fail_page = min(override.fail_after_pages, count - 1)
        stop = fail_page  # pages before it are cached; it fails mid-upload
    elif override.stall_after_pages is not None and override.stall_after_pages < count:
        stop = override.stall_after_pages
    else:
        stop = count
    cursor = start
    for page in pages[:stop]:
        page.upload_start = cursor
        cursor = page.upload_end = cursor + ms(upload_ms(page.size))
    if stop < count:
        pages[stop].upload_start = cursor  # uploading, never finishing

    if override.outcome == UPLOAD_FAILED:
        failed_at = cursor + ms(upload_ms(pages[stop].size))
        query.plan.finish(UPLOAD_FAILED, failed_at, override.error or errors.error_details(HALO_LINK, 0, UPLOAD_FAILED_MESSAGE))
        return
    needed = 1 if limits.success_when == SUCCESS_FIRST_PAGE else count
    if stop >= needed:
        query.plan.finish(SUCCESSFUL, pages[needed - 1].upload_end)
    # else: stalled before success; the query stays uploading.

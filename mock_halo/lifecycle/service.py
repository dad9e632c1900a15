"""``Lifecycle``: the async and registered query domain, as the operations call it.

One instance per emulator. It owns, per site, the link, the timed events
(pinned executions, registered runs, retention) and the scheduler over them,
and the registered queries; async query records live in the shared
``QueryStore`` beside the immediate ones. Every public method first brings the
sites up to the clock's ``now`` (so a real clock needs no background task for
correctness) and holds one lock, so concurrent requests see a consistent state.

Where the SQL of due executions and registered runs runs is the driver's
choice (``sql_inline``). Inline (the default, for direct use and tests): on the
calling thread, inside ``now()``. Not inline (the app): ``now()`` stops each
site at its first due SQL job and leaves it pending; the app runs the job on
the site's worker thread (:meth:`perform`) and hands back the result
(:meth:`complete`), see ``mock_halo/cloud/base.py``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mock_halo import errors
from mock_halo.lifecycle.asyncq import AsyncQuery, execution_job, initialise, pinned_start
from mock_halo.lifecycle.link import ONLINE, LinkContext, SiteLink
from mock_halo.lifecycle.pages import PageDownload
from mock_halo.lifecycle.plan import SUCCESSFUL, UPLOADING, PlanOverride
from mock_halo.lifecycle.profile import LifecycleLimits, TimingProfile
from mock_halo.lifecycle.registered import RegisteredQueries, RegisteredQuery, validate_registration
from mock_halo.lifecycle.scheduler import Scheduler, TimedEvents
from mock_halo.lifecycle.sqlport import ExecutorLookup, SqlJob, perform
from mock_halo.lifecycle.store import QueryStore
from mock_halo.runner import current_instant

DEFAULT_MAX_TIME_IN_QUEUE = 3_600_000
MAX_TIME_IN_QUEUE_LIMIT = 7_200_000

#: ``observer(source, query, at)``: ``source`` is "async" or "registered", ``at`` the completion instant.
CompletionObserver = Callable[[str, Any, datetime], None]


class _Site:
    """One site's part of the lifecycle: its link, timed events and the scheduler over them."""

    def __init__(self, link: SiteLink, lock: threading.RLock) -> None:
        self.link = link
        self.timed = TimedEvents()
        self.scheduler = Scheduler(lock)
        self.scheduler.add(link)
        self.scheduler.add(self.timed)


class Lifecycle:
    def __init__(
        self,
        clock,
        ids,
        store: QueryStore,
        executors: ExecutorLookup,
        *,
        availability: Mapping[str, str] | None = None,
        profile: TimingProfile | None = None,
        limits: LifecycleLimits | None = None,
        attach: bool = True,
        sql_inline: bool = True,
    ) -> None:
        """``executors(site_id)`` gives that site's ``execute``; ``availability``
        seeds each known site's state (unknown sites start online)."""
        self.clock = clock
        self.ids = ids
        self.store = store
        self.profile = profile or TimingProfile()
        self.limits = limits or LifecycleLimits()
        self.lock = threading.RLock()
        self.sql_inline = sql_inline
        self._executors = executors
        self._context = LinkContext(self.profile, self.limits, self._after_link)
        self._initial_availability = dict(availability or {})
        self._sites: dict[str, _Site] = {}
        for site_id, state in self._initial_availability.items():
            self._site(site_id, state)
        self._observers: list[CompletionObserver] = []
        self.registered = RegisteredQueries(
            self._at, self._is_online, self.profile, self.limits,
            on_change=lambda query, at: self._completed("registered", query, at),
        )
        self._seq = itertools.count()
        if attach and sql_inline:
            clock.on_change(self._run_due)

    # -- time ----------------------------------------------------------------
    def now(self) -> datetime:
        """The clock's now, after performing every side effect due by then (not inline:
        every side effect up to each site's first due SQL job, which stays pending)."""
        with self.lock:
            return self._run_due(self.clock.now())

    def site_now(self, site_id: str) -> datetime:
        """:meth:`now` for reads of one site: only that site is brought up to the clock (the
        sites' schedulers are independent), so a poll costs the same however many sites there are."""
        with self.lock:
            now = self.clock.now()
            site = self._sites.get(site_id)
            if site is not None:
                self._bring_up(site, now)
            return now

    def _run_due(self, now: datetime) -> datetime:
        with self.lock:
            for site in list(self._sites.values()):
                self._bring_up(site, now)
            return now

    def _bring_up(self, site: _Site, now: datetime) -> None:
        if self.sql_inline:
            site.scheduler.run_due(now, self.perform)
        else:
            site.scheduler.advance(now)

    def sql_now(self) -> datetime:
        """The instant SQL is running at: a deferred execution's own start time
        while its job runs, else the clock's now. Give this to the engine as its
        ``now`` so GETDATE() in an async query is its execution time."""
        return current_instant() or self.clock.now()

    # -- driving a site's SQL from elsewhere (sql_inline=False) ---------------------
    def advance(self, site_id: str, now: datetime) -> SqlJob | None:
        """Bring one site up to ``now``: None when done, else the SQL job it waits for
        (run it with :meth:`perform`, anywhere, then :meth:`complete` it here).

        Never past the clock: a catch-up that waited for SQL while the clock was moved
        back (a full reset) holds an instant the new timeline has not reached."""
        with self.lock:
            current = self.clock.now()
            return self._site(site_id).scheduler.advance(now if now <= current else current)

    def perform(self, job: SqlJob) -> Any:
        """Run a job's SQL on this thread: the outcome, or the exception it raised."""
        return perform(job, self._executors(job.site_id))

    def complete(self, job: SqlJob, result: Any) -> None:
        """Hand a job what its SQL did; the site's later events may then fire."""
        with self.lock:
            site = self._sites.get(job.site_id)
            if site is not None:
                site.scheduler.complete(job, result)

    def site_ids(self) -> list[str]:
        with self.lock:
            return list(self._sites)

    # -- sites -----------------------------------------------------------------
    def _site(self, site_id: str, state: str = ONLINE) -> _Site:
        site = self._sites.get(site_id)
        if site is None:
            site = self._sites[site_id] = _Site(SiteLink(site_id, state, self._context), self.lock)
        return site

    def _link(self, site_id: str) -> SiteLink:
        return self._site(site_id).link

    def _at(self, site_id: str, when: datetime, seq: int, action: Any, owner: Any = None) -> None:
        """A timed event of a site's (its scheduler fires it in time order)."""
        self._site(site_id).timed.at(when, seq, action, owner)

    def availability(self, site_id: str, at: datetime | None = None) -> str:
        with self.lock:
            return self._link(site_id).availability_at(at or self.now())

    def availability_since(self, site_id: str, at: datetime) -> tuple[str, datetime | None]:
        """The availability at ``at`` and when it began (None: as configured, from the start)."""
        with self.lock:
            return self._link(site_id).availability_since(at)

    def add_site(self, site_id: str, availability: str) -> None:
        """A site added while running (the control plane), starting ``availability``."""
        with self.lock:
            self._initial_availability[site_id] = availability
            self._site(site_id, availability)

    def remove_site(self, site_id: str) -> None:
        """Forget an added site: its link, scheduler and queries (after a reset of it)."""
        with self.lock:
            self.reset(site_id)
            self._initial_availability.pop(site_id, None)
            self._sites.pop(site_id, None)

    def set_availability(self, site_id: str, state: str, at: datetime | None = None) -> None:
        """The control plane: the site is ``state`` (online|offline|unreachable) from ``at`` (default now).

        ``at`` may be in the future but not before anything already performed.
        """
        with self.lock:
            now = self.now()
            when = max(at or now, now)
            self._link(site_id).set_availability(state, when)
            self._run_due(now)

    def _is_online(self, site_id: str, at: datetime) -> bool:
        return self._link(site_id).availability_at(at) == ONLINE

    def note_immediate(self, site_id: str, duration_ms: int | None = None, at: datetime | None = None) -> None:
        """An immediate query ran at ``at`` (default now): it holds an idle link briefly.

        Callers that already caught the scheduler up (``now()``) pass that instant,
        which saves running it again on the hot path.
        """
        with self.lock:
            now = at if at is not None else self.now()
            if duration_ms is None:
                import random

                duration_ms = self.profile.draw(random.Random(f"{site_id}/{now.isoformat()}"), self.profile.immediate_hold_ms)
            self._link(site_id).hold(now, now + timedelta(milliseconds=duration_ms))

    # -- async queries -------------------------------------------------------
    def submit(
        self,
        *,
        site_id: str,
        integrator_id: str,
        command: Any,
        max_time_in_queue: int = DEFAULT_MAX_TIME_IN_QUEUE,
        command_size: int,
        request_size: int,
        sql_query_size: int | None = None,
        plan_override: PlanOverride | None = None,
    ) -> AsyncQuery:
        """``POST …/queries/async``: the new query; ``render(now)`` is the 201 body.

        Nothing runs now: the SQL executes when the clock passes the start of
        execution. ``max_time_in_queue`` must already be validated (0..7200000).
        """
        if not 0 <= max_time_in_queue <= MAX_TIME_IN_QUEUE_LIMIT:
            raise ValueError("max_time_in_queue must be 0..7200000 (validate it in the HTTP layer)")
        with self.lock:
            now = self.site_now(site_id)
            override = plan_override or PlanOverride()
            retention = self.limits.retention
            if override.retention_ms is not None:
                retention = timedelta(milliseconds=override.retention_ms)
            text = getattr(command, "text", "")
            query = AsyncQuery(
                id=self.ids.uuid(),
                integrator_id=integrator_id,
                site_id=site_id,
                max_time_in_queue=max_time_in_queue,
                command_size=command_size,
                request_size=request_size,
                sql_query_size=sql_query_size if sql_query_size is not None else len(text.encode("utf-8")),
                created_at=now,
                seq=next(self._seq),
                command=command,
                override=override,
                retention=retention,
            )
            link = self._link(site_id)
            initialise(query, self.profile, link.availability_at(now))
            self.store.add(query)
            if query.plan.decided:
                self._after_link(query)
            elif override.pinned:
                start = pinned_start(query)
                assert start is not None
                self._at(site_id, start, query.seq, lambda at, q=query: self._execute_pinned(q, at), owner=query)
            else:
                link.enqueue(query)
            return query

    def _execute_pinned(self, query: AsyncQuery, at: datetime) -> SqlJob | None:
        if self.store.get(query.site_id, query.id) is not query:
            return None  # reset
        return execution_job(query, at, self.profile, self.limits, lambda end: self._after_link(query))

    def _after_link(self, query: AsyncQuery) -> None:
        """Schedule completion and retention once a plan is decided (or known to stall in uploading)."""
        seq, timed = query.seq, self._site(query.site_id).timed
        self.store.account(query)  # its pages count against the store's byte cap from now
        if query.plan.decided:
            gone_at = query.gone_at
            assert gone_at is not None
            ending = query.plan.ending
            if ending.status == SUCCESSFUL and self._observers:
                timed.at(ending.at, seq, lambda at, q=query: self._completed_async(q, at), owner=query)
            timed.at(gone_at, seq, lambda at, q=query: self._drop_results(q), owner=query)
            timed.at(gone_at + self.limits.tombstone, seq, lambda at, q=query: self._forget(q), owner=query)
        elif query.plan.phase(UPLOADING) is not None:
            stalled = query.plan.phase(UPLOADING).start + query.retention + self.limits.tombstone
            timed.at(stalled, seq, lambda at, q=query: self._forget(q), owner=query)

    def _drop_results(self, query: AsyncQuery) -> None:
        query.drop_results()
        self.store.account(query)

    # -- completion observers (webhooks) ----------------------------------------------
    def on_completed(self, observer: CompletionObserver) -> None:
        """Call ``observer(source, query, at)`` when the clock passes the instant an async
        query turns successful, or a registered run uploads a changed result."""
        self._observers.append(observer)

    def _completed_async(self, query: AsyncQuery, at: datetime) -> None:
        if self.store.get(query.site_id, query.id) is query:  # not reset meanwhile
            self._completed("async", query, at)

    def _completed(self, source: str, query: Any, at: datetime) -> None:
        for observer in self._observers:
            observer(source, query, at)

    def _forget(self, query: AsyncQuery) -> None:
        if self.store.get(query.site_id, query.id) is query:
            self.store.remove(query.id)

    def get(self, site_id: str, query_id: str):
        """The stored query (async or immediate) or a 404 HaloError."""
        record = self.store.get(site_id, query_id)
        if record is None:
            raise errors.not_found(f"Query '{query_id}' was not found.")
        return record

    def status(self, site_id: str, query_id: str) -> dict[str, Any]:
        """``GET …/queries/{queryId}``: the body at now (200), or a 404 HaloError."""
        with self.lock:
            now = self.site_now(site_id)
            return self.get(site_id, query_id).render(now)

    def batch_status(self, site_id: str, query_ids: Iterable[str]) -> dict[str, Any]:
        """``POST /integrator/sites/{siteId}/queries/status`` (halo-facts 6.8)."""
        with self.lock:
            now = self.site_now(site_id)
            results = []
            for query_id in query_ids:
                record = self.store.get(site_id, query_id)
                if record is None:
                    results.append({"queryId": query_id, "status": "notFound"})
                else:
                    results.append({"queryId": query_id, "status": "found", "query": record.render(now)})
            return {"results": results}

    def page(self, site_id: str, query_id: str, page_number: int, at: datetime | None = None) -> PageDownload:
        """``GET …/queries/{queryId}/results/{pageNumber}``: body + headers, or 404/410 HaloError.

        ``at``: an instant the caller already brought the site up to (default: now)."""
        with self.lock:
            now = at or self.site_now(site_id)
            record = self.get(site_id, query_id)
            if not isinstance(record, AsyncQuery):
                raise errors.not_found(
                    f"Query '{query_id}' is an immediate query; its result was returned in the response."
                )
            return record.page(page_number, now)

    # -- registered queries --------------------------------------------------
    def create_registered(
        self,
        *,
        site_id: str,
        integrator_id: str,
        name: str,
        registered_query_type: str,
        frequency: int,
        duration: int,
        command: Any,
        request_size: int,
        fail_initialisation: bool = False,
        first_run_ms: int | None = None,
    ) -> RegisteredQuery:
        """``POST …/queries/registered``: validates (400 HaloError) and returns the query; body ``{"id"}``."""
        validate_registration(name, registered_query_type, frequency, duration)
        with self.lock:
            now = self.now()
            return self.registered.create(
                query_id=self.ids.uuid(), seq=next(self._seq), site_id=site_id, integrator_id=integrator_id,
                name=name, registered_query_type=registered_query_type, frequency=frequency, duration=duration,
                command=command, request_size=request_size, now=now,
                fail_initialisation=fail_initialisation, first_run_ms=first_run_ms,
            )

    def list_registered(self, site_id: str, integrator_id: str | None = None,
                        at: datetime | None = None) -> dict[str, Any]:
        with self.lock:
            now = at or self.now()
            return {"registeredQueries": [q.render(now) for q in self.registered.list(site_id, integrator_id)]}

    def get_registered(self, site_id: str, query_id: str, at: datetime | None = None) -> dict[str, Any]:
        with self.lock:
            now = at or self.now()
            return self.registered.get(site_id, query_id).render(now)

    def cancel_registered(self, site_id: str, query_id: str, at: datetime | None = None) -> None:
        """``DELETE …/registered/{queryId}``: 204 on return, or a 404 HaloError."""
        with self.lock:
            self.registered.cancel(site_id, query_id, at or self.now())

    def registered_result(self, site_id: str, query_id: str, at: datetime | None = None) -> dict[str, Any]:
        with self.lock:
            if at is None:
                self.now()
            return self.registered.get(site_id, query_id).result_body()

    # -- housekeeping ----------------------------------------------------------
    def reset(self, site_id: str | None = None) -> None:
        """Forget queries (all, or one site's) and restore availability. The clock stays.

        A job whose SQL is running elsewhere is forgotten: its result is ignored."""
        with self.lock:
            targets = [site_id] if site_id else list(self._sites)
            for sid in targets:
                site = self._site(sid)
                site.link.clear()
                site.link.set_availability(self._initial_availability.get(sid, ONLINE), site.link.free_at)
                site.timed.clear()
                site.scheduler.forget()
            self.registered.clear(site_id)
            self.store.clear(site_id)
            if site_id is None:
                self._seq = itertools.count()

    def rewind(self) -> None:
        """Forget every query and the scheduler's past, before the clock moves back.

        Sites start again from their configured availability and their watermarks
        go, so events can be scheduled at instants earlier than before.
        """
        with self.lock:
            self._sites = {}
            for site_id, state in self._initial_availability.items():
                self._site(site_id, state)
            self.registered.clear(None)
            self.store.clear()
            self._seq = itertools.count()

    def counts(self) -> dict[str, int]:
        """Sizes of everything that grows with traffic (for boundedness checks and /_mock/health)."""
        with self.lock:
            return {
                "queries": len(self.store),
                "registered": len(self.registered),
                "timedEvents": sum(len(site.timed) for site in self._sites.values()),
                "queued": sum(len(site.link.pending) for site in self._sites.values()),
            }

"""A site's Halo Link: its availability over time and its async queue.

Halo Link runs one async query at a time per site, first come first served
in submission order: Link receives each query a short modelled pickup after
its queued.start, and never before the query submitted before it (so writes
land in submission order even though initialising times vary). The head of the queue starts executing at
``max(its ready time, when the link is free)``, but only
while the site is online; if that is later than ``queued.start +
maxTimeInQueue`` it becomes ``expiredInQueue`` at that instant instead.

The link is busy while a query *executes* (uploads run beside it). An
immediate query jumps ahead: it holds an idle link for its own short duration
(:meth:`SiteLink.hold`); one that arrives while an async query executes runs
beside it and delays nobody (kept simple; documented).

Availability changes only at or after the scheduler's watermark, so the past
never changes. Queued queries wait while the site is offline or unreachable
(and may expire); queries already executing or uploading finish as planned.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mock_halo.lifecycle.asyncq import AsyncQuery, execution_job, expire
from mock_halo.lifecycle.profile import LifecycleLimits, TimingProfile
from mock_halo.lifecycle.sqlport import SqlJob

ONLINE = "online"
OFFLINE = "offline"
UNREACHABLE = "unreachable"
AVAILABILITIES = (ONLINE, OFFLINE, UNREACHABLE)
_BEGINNING = datetime.min.replace(tzinfo=UTC)


@dataclass
class LinkContext:
    """What a link needs to decide its queries' plans, shared by all sites."""

    profile: TimingProfile
    limits: LifecycleLimits
    decided: Callable[[AsyncQuery], None]  # told after the link grows a query's plan


class SiteLink:
    def __init__(self, site_id: str, availability: str, context: LinkContext) -> None:
        if availability not in AVAILABILITIES:
            raise ValueError(f"availability must be one of {AVAILABILITIES}")
        self.site_id = site_id
        self.context = context
        self._change_at: list[datetime] = [_BEGINNING]
        self._change_to: list[str] = [availability]
        self.pending: list[AsyncQuery] = []  # submission order; ready_at non-decreasing
        self.free_at: datetime = _BEGINNING
        self._last_ready: datetime | None = None
        self.executed = 0
        # What the last settle covered: at which watermark and state version,
        # how many queued queries, and the bound it reached after them. Only
        # appends happen without a new version, so a settle at the same
        # watermark resumes after the queries it already walked.
        self._version = 0
        self._settled: tuple[datetime, int] | None = None
        self._settled_count = 0
        self._settled_bound: datetime = _BEGINNING

    # -- availability ------------------------------------------------------
    def availability_at(self, t: datetime) -> str:
        return self._change_to[bisect.bisect_right(self._change_at, t) - 1]

    def availability_since(self, t: datetime) -> tuple[str, datetime | None]:
        """The availability at ``t`` and the instant it began (None: from the beginning)."""
        i = bisect.bisect_right(self._change_at, t) - 1
        return self._change_to[i], (self._change_at[i] if i else None)

    def set_availability(self, state: str, at: datetime) -> None:
        """From ``at`` on, the site is ``state`` (``at`` must not precede earlier changes)."""
        if state not in AVAILABILITIES:
            raise ValueError(f"availability must be one of {AVAILABILITIES}")
        if at < self._change_at[-1]:
            raise ValueError("availability changes must be in time order")
        if at == self._change_at[-1]:
            self._change_to[-1] = state
        else:
            self._change_at.append(at)
            self._change_to.append(state)
        self._version += 1

    def next_online(self, t: datetime) -> datetime | None:
        """The first instant >= ``t`` at which the site is online, as far as known."""
        i = bisect.bisect_right(self._change_at, t) - 1
        if self._change_to[i] == ONLINE:
            return t
        for j in range(i + 1, len(self._change_at)):
            if self._change_to[j] == ONLINE:
                return self._change_at[j]
        return None

    # -- the queue ---------------------------------------------------------
    def enqueue(self, query: AsyncQuery) -> None:
        assert query.ready_at is not None
        if self._last_ready is not None and query.ready_at < self._last_ready:
            query.ready_at = self._last_ready
        self._last_ready = query.ready_at
        self.pending.append(query)

    def hold(self, at: datetime, until: datetime) -> None:
        """An immediate query holds an idle link from ``at`` to ``until``."""
        if self.free_at <= at and until > self.free_at:
            self.free_at = until
            self._version += 1

    def _head_start(self) -> datetime | None:
        head = self.pending[0]
        return self.next_online(max(head.ready_at, self.free_at))

    # -- EventSource -------------------------------------------------------
    def next_event(self) -> tuple[datetime, int] | None:
        while self.pending and self.pending[0].abandoned:  # forgotten by the store
            self._pop()
        if not self.pending:
            return None
        head = self.pending[0]
        start = self._head_start()
        if start is None or start > head.expires_at:
            return (head.expires_at, head.seq)
        return (start, head.seq)

    def fire(self) -> SqlJob | None:
        """The head leaves the queue: it expires, or starts executing (the job runs its SQL)."""
        head = self.pending[0]
        start = self._head_start()
        self._pop()
        if start is None or start > head.expires_at:
            expire(head)
            self.context.decided(head)
            return None
        ctx = self.context

        def executed(end: datetime) -> None:
            self.free_at = max(self.free_at, end)
            self._version += 1  # the link's timeline changed
            self.executed += 1
            ctx.decided(head)

        return execution_job(head, start, ctx.profile, ctx.limits, executed)

    def settle(self, watermark: datetime) -> None:
        """Expire every waiting query that can no longer start before its deadline.

        Walks the queue with a lower bound of when the link can be free for each
        query; the bound stays valid whether or not earlier queries expire,
        because queries are ordered by their ready time.
        """
        if self._settled == (watermark, self._version):
            start, bound = self._settled_count, self._settled_bound  # only appended queries are new
        else:
            start, bound = 0, self.free_at
        if start >= len(self.pending):
            return
        keep: list[AsyncQuery] = self.pending[:start]
        expired: list[AsyncQuery] = []
        for query in self.pending[start:] if start else self.pending:
            if query.abandoned:
                continue
            base = max(query.ready_at, bound)
            online = self.next_online(base)
            earliest = online if online is not None else max(base, watermark)
            if earliest > query.expires_at:
                expired.append(query)
                continue
            keep.append(query)
            bound = earliest
        if expired or len(keep) != len(self.pending):
            self.pending = keep
            self._version += 1
            for query in expired:
                expire(query)
                self.context.decided(query)
        # The bound holds whether or not the expired queries had stayed (see above).
        self._settled = (watermark, self._version)
        self._settled_count = len(self.pending)
        self._settled_bound = bound

    def _pop(self) -> None:
        del self.pending[0]
        self._version += 1

    def clear(self) -> None:
        self._version += 1
        self.pending.clear()
        self.free_at = _BEGINNING
        self._last_ready = None
        del self._change_at[1:]
        del self._change_to[1:]

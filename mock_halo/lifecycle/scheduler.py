"""The scheduler of one site: performs due side effects in time order, exactly once.

Side effects are running an async query's SQL when its execution starts,
registered-query runs and retention. Each comes from an *event source* (the
site's link and its timed events); the scheduler repeatedly fires the earliest
due event over its sources, ordered by ``(time, seq)`` (``seq`` = submission
order), so writes land in plan order. After that, each source may *settle*:
decide facts that follow from time alone (e.g. a query that can no longer leave
the queue before its maxTimeInQueue).

An event that needs SQL does not run it: ``fire()`` hands back a
:class:`~mock_halo.lifecycle.sqlport.SqlJob`, which the scheduler holds as
``pending`` and returns from :meth:`Scheduler.advance`; nothing later fires
until :meth:`Scheduler.complete` is given the job's result. Whoever drives the
scheduler decides where the SQL runs: :meth:`Scheduler.run_due` runs it on the
calling thread; the app runs it on the site's worker thread and completes the
job on the event loop (``mock_halo/cloud/base.py``). One site's scheduler never
waits for another's.

It is idempotent and never goes backwards.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from mock_halo.lifecycle.sqlport import SqlJob

EventKey = tuple[datetime, int]
_COMPACT_MIN = 1024


class EventSource(Protocol):
    def next_event(self) -> EventKey | None:
        """The earliest pending event (time, seq), or None."""

    def fire(self) -> SqlJob | None:
        """Perform that earliest event; the SQL it needs, if any, as a job."""

    def settle(self, watermark: datetime) -> None:
        """Decide whatever is now certain, given that nothing can happen before ``watermark``."""


class TimedEvents:
    """A heap of callbacks at fixed instants (pinned executions, registered runs, retention).

    An event may name an ``owner``; once the owner is ``abandoned`` (the query
    store forgot it) the event is dead weight, and the heap sheds such events
    whenever it has doubled since it last did, so its size follows the store's.
    An action is called with its instant and may return the SQL it needs as a job.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, int, Callable[[datetime], SqlJob | None], Any]] = []
        self._tiebreak = itertools.count()
        self._compact_at = _COMPACT_MIN

    def at(self, when: datetime, seq: int, action: Callable[[datetime], SqlJob | None], owner: Any = None) -> None:
        """Run ``action(when)`` once the clock reaches ``when`` (unless ``owner`` is abandoned by then)."""
        heapq.heappush(self._heap, (when, seq, next(self._tiebreak), action, owner))
        if len(self._heap) > self._compact_at:
            self._heap = [e for e in self._heap if not getattr(e[4], "abandoned", False)]
            heapq.heapify(self._heap)
            self._compact_at = max(_COMPACT_MIN, 2 * len(self._heap))

    def next_event(self) -> EventKey | None:
        return (self._heap[0][0], self._heap[0][1]) if self._heap else None

    def fire(self) -> SqlJob | None:
        when, _, _, action, owner = heapq.heappop(self._heap)
        if getattr(owner, "abandoned", False):
            return None
        return action(when)

    def settle(self, watermark: datetime) -> None:
        pass

    def clear(self) -> None:
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)


class Scheduler:
    def __init__(self, lock: threading.RLock | None = None) -> None:
        self.lock = lock or threading.RLock()
        self._sources: list[EventSource] = []
        self.watermark: datetime | None = None
        self._running = False
        self.fired = 0
        #: the job whose SQL runs now: nothing after it fires until it completes.
        self.pending: SqlJob | None = None

    def add(self, source: EventSource) -> None:
        with self.lock:
            self._sources.append(source)

    def advance(self, now: datetime) -> SqlJob | None:
        """Fire the events due by ``now`` in order, up to the first that needs SQL: that job
        is returned (and stays ``pending``). None once everything due by ``now`` is done."""
        with self.lock:
            if self.pending is not None:
                return self.pending
            if self._running:  # an event's own side effect moved the clock: the outer loop continues
                return None
            if self.watermark is not None and now < self.watermark:
                now = self.watermark
            self._running = True
            try:
                while True:
                    best: EventSource | None = None
                    best_key: EventKey | None = None
                    for source in self._sources:
                        key = source.next_event()
                        if key is not None and key[0] <= now and (best_key is None or key < best_key):
                            best, best_key = source, key
                    if best is None:
                        break
                    job = best.fire()
                    self.fired += 1
                    if job is not None:
                        self.pending = job
                        return job
                self.watermark = now
                for source in self._sources:
                    source.settle(now)
            finally:
                self._running = False
            return None

    def complete(self, job: SqlJob, result: Any) -> None:
        """Hand a pending job what its SQL did (an outcome or the exception); a job that
        is no longer pending (completed already, or forgotten by a reset) is ignored."""
        with self.lock:
            if self.pending is not job:
                return
            self.pending = None
            job.finish(result)

    def run_due(self, now: datetime, perform: Callable[[SqlJob], Any]) -> datetime:
        """Everything due by ``now``, with each job's SQL run by ``perform`` on this thread."""
        with self.lock:
            while (job := self.advance(now)) is not None:
                self.complete(job, perform(job))
            return self.watermark if self.watermark is not None and self.watermark > now else now

    def forget(self) -> None:
        """A reset: drop the pending job (its result will be ignored)."""
        with self.lock:
            self.pending = None

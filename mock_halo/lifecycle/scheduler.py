"""The scheduler: performs due side effects in time order, exactly once.

Side effects are running an async query's SQL when its execution starts,
registered-query runs and retention. Each comes from an *event source*; the
scheduler repeatedly fires the earliest due event over all sources, ordered by
``(time, seq)`` (``seq`` = submission order), so writes land in plan order
across sites and kinds. After that, each source may *settle*: decide facts
that follow from time alone (e.g. a query that can no longer leave the queue
before its maxTimeInQueue).

Driving it: a virtual clock calls :meth:`Scheduler.run_due` on every move
(:meth:`attach`); with a real clock, call ``run_due(clock.now())`` before every
read (and from a background tick). It is idempotent and never goes backwards.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

EventKey = tuple[datetime, int]
_COMPACT_MIN = 1024


class EventSource(Protocol):
    def next_event(self) -> EventKey | None:
        """The earliest pending event (time, seq), or None."""

    def fire(self) -> None:
        """Perform that earliest event."""

    def settle(self, watermark: datetime) -> None:
        """Decide whatever is now certain, given that nothing can happen before ``watermark``."""


class TimedEvents:
    """A heap of callbacks at fixed instants (pinned executions, registered runs, retention).

    An event may name an ``owner``; once the owner is ``abandoned`` (the query
    store forgot it) the event is dead weight, and the heap sheds such events
    whenever it has doubled since it last did, so its size follows the store's.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, int, Callable[[datetime], None], Any]] = []
        self._tiebreak = itertools.count()
        self._compact_at = _COMPACT_MIN

    def at(self, when: datetime, seq: int, action: Callable[[datetime], None], owner: Any = None) -> None:
        """Run ``action(when)`` once the clock reaches ``when`` (unless ``owner`` is abandoned by then)."""
        heapq.heappush(self._heap, (when, seq, next(self._tiebreak), action, owner))
        if len(self._heap) > self._compact_at:
            self._heap = [e for e in self._heap if not getattr(e[4], "abandoned", False)]
            heapq.heapify(self._heap)
            self._compact_at = max(_COMPACT_MIN, 2 * len(self._heap))

    def next_event(self) -> EventKey | None:
        return (self._heap[0][0], self._heap[0][1]) if self._heap else None

    def fire(self) -> None:
        when, _, _, action, owner = heapq.heappop(self._heap)
        if not getattr(owner, "abandoned", False):
            action(when)

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
        #: while an event fires, its instant: what GETDATE() should see in SQL run late.
        self.current: datetime | None = None

    def add(self, source: EventSource) -> None:
        with self.lock:
            self._sources.append(source)

    def remove(self, source: EventSource) -> None:
        with self.lock:
            self._sources.remove(source)

    def attach(self, clock) -> None:
        """Run due events whenever the (virtual) clock moves."""
        clock.on_change(self.run_due)

    def run_due(self, now: datetime) -> datetime:
        """Fire every event at or before ``now``, in order; returns the watermark."""
        with self.lock:
            if self._running:  # an event's own side effect moved the clock: the outer loop continues
                return self.watermark or now
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
                    self.current = best_key[0]
                    try:
                        best.fire()
                    finally:
                        self.current = None
                    self.fired += 1
                self.watermark = now
                for source in self._sources:
                    source.settle(now)
            finally:
                self._running = False
            return now

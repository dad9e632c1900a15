"""Where a site's SQL runs: one worker thread per site, one piece of work at a time,
each under a real (wall-clock) deadline.

Halo Link runs a practice's queries one at a time, immediate ones ahead of async
ones (halo-facts 5.1, 6.1). A :class:`SiteRunner` does the same for a site of the
emulator: work is taken by priority (:data:`IMMEDIATE` before :data:`BACKGROUND`),
then in submission order, and runs on the site's own thread, so no SQL ever runs
on the event loop and one site's work never waits for another's.

While a piece of work runs, :func:`current_deadline` (its :class:`Deadline`) and
:func:`current_instant` (the emulator instant its SQL runs at, for GETDATE()) say
what it may take and when it happens; engines are given the deadline and stop a
statement once it has passed (SQLite's progress handler, ODBC's query timeout).
Cancelling work (:meth:`SiteRunner.cancel`, and :meth:`SiteRunner.cancel_all` for
a reset) ends its deadline at once, so queued work never starts and running work
stops at the engine's next check.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Immediate queries and FHIR requests: taken before any queued background work.
IMMEDIATE = 0
#: Async executions and registered runs, in plan order.
BACKGROUND = 1


class Cancelled(Exception):
    """The work was cancelled before or while it ran; what it returned is void."""


class Late(Exception):
    """The work's deadline passed while it waited for the site's thread: it never started."""


class Deadline:
    """When a piece of work must stop: at ``at`` (a ``time.monotonic()`` instant; None:
    no limit), or now once cancelled. Engines ask :meth:`passed` while a statement runs."""

    __slots__ = ("at", "cancelled")

    def __init__(self, at: float | None = None) -> None:
        self.at = at
        self.cancelled = False

    def passed(self) -> bool:
        return self.cancelled or (self.at is not None and time.monotonic() >= self.at)

    def remaining(self) -> float | None:
        if self.cancelled:
            return 0.0
        return None if self.at is None else max(0.0, self.at - time.monotonic())


@dataclass(eq=False)
class Work:
    fn: Callable[[], Any]
    priority: int
    deadline: Deadline
    #: seconds the work may run once started (its deadline is the earlier of the two)
    timeout: float | None
    #: the work only reads (other reads may run beside it: :attr:`SiteRunner.only_reads`)
    reads: bool = False
    future: Future = field(default_factory=Future)

    @property
    def cancelled(self) -> bool:
        return self.deadline.cancelled


_context = threading.local()


def current_deadline() -> Deadline | None:
    """The deadline of the work running on this thread (None outside a runner's work)."""
    return getattr(_context, "deadline", None)


def current_instant() -> datetime | None:
    """The emulator instant the work running on this thread happens at, if it has one."""
    return getattr(_context, "at", None)


@contextmanager
def working(deadline: Deadline | None, at: datetime | None) -> Iterator[None]:
    """Run a block as a piece of work: it sees ``deadline`` and ``at`` (restored after)."""
    saved = getattr(_context, "deadline", None), getattr(_context, "at", None)
    _context.deadline, _context.at = deadline, at
    try:
        yield
    finally:
        _context.deadline, _context.at = saved


class SiteRunner:
    """One site's worker thread (started on first use) and its queue of work."""

    def __init__(self, name: str, interrupt: Callable[[], None] | None = None) -> None:
        self.name = name
        self._interrupt = interrupt
        self._queue: list[tuple[int, int, Work]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running: Work | None = None
        self._closed = False

    def submit(self, fn: Callable[[], Any], *, priority: int, deadline: float | None = None,
               timeout: float | None = None, reads: bool = False) -> Work:
        """Queue ``fn``; its ``future`` gets what it returns or raises (or :class:`Cancelled`).

        ``deadline`` is a ``time.monotonic()`` instant from now on (queue wait included),
        ``timeout`` seconds from when the work starts; the earlier one applies. ``reads``: the
        work changes nothing (see :attr:`only_reads`).
        """
        work = Work(fn, priority, Deadline(deadline), timeout, reads)
        with self._cv:
            if self._closed:
                raise RuntimeError(f"the runner of site {self.name} is closed")
            heapq.heappush(self._queue, (priority, next(self._seq), work))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=f"site-{self.name}", daemon=True)
                self._thread.start()
            self._cv.notify()
        return work

    def cancel(self, work: Work) -> None:
        """Void one piece of work: skipped if still queued, interrupted if running."""
        with self._cv:
            work.deadline.cancelled = True
            running = self._running is work
        if running and self._interrupt is not None:
            self._interrupt()

    def cancel_all(self) -> None:
        """Void every queued piece and interrupt the running one (a reset)."""
        with self._cv:
            queued = [work for _, _, work in self._queue]
            self._queue.clear()
            running = self._running
            if running is not None:
                running.deadline.cancelled = True
        for work in queued:
            work.deadline.cancelled = True
            _settle(work.future, exception=Cancelled())
        if running is not None and self._interrupt is not None:
            self._interrupt()

    @property
    def busy(self) -> bool:
        with self._cv:
            return self._running is not None or bool(self._queue)

    @property
    def only_reads(self) -> bool:
        """Whether every piece running or queued only reads (True when idle): another read may
        then run beside them, one engine command at a time under the engine's own lock."""
        if self._running is None and not self._queue:
            return True  # idle (read without the lock: it may change the next moment either way)
        with self._cv:
            running = self._running
            return (running is None or running.reads) and all(work.reads for _, _, work in self._queue)

    def last(self) -> Future | None:
        """The future of the piece that will finish last of those running or queued now (None when idle)."""
        with self._cv:
            if self._queue:
                return max(self._queue, key=lambda entry: entry[:2])[2].future
            return self._running.future if self._running is not None else None

    def close(self) -> None:
        """Cancel everything and let the thread end (it is a daemon: never waited for long)."""
        self.cancel_all()
        with self._cv:
            self._closed = True
            self._cv.notify()

    # -- the worker thread ---------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    self._cv.wait()
                if self._closed and not self._queue:
                    return
                _, _, work = heapq.heappop(self._queue)
                if work.cancelled:
                    _settle(work.future, exception=Cancelled())
                    continue
                self._running = work
            result, exception = self._perform(work)
            with self._cv:
                self._running = None
            # Settled once the runner is idle again, so whoever waits sees it free.
            _settle(work.future, result=result, exception=exception)

    @staticmethod
    def _perform(work: Work) -> tuple[Any, BaseException | None]:
        deadline = work.deadline
        if work.timeout is not None:
            start_limit = time.monotonic() + work.timeout
            deadline.at = start_limit if deadline.at is None else min(deadline.at, start_limit)
        if deadline.passed():
            return None, Cancelled() if work.cancelled else Late()
        try:
            with working(deadline, None):
                result = work.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the work
            return None, Cancelled() if work.cancelled else exc
        return (None, Cancelled()) if work.cancelled else (result, None)


def _settle(future: Future, *, result: Any = None, exception: BaseException | None = None) -> None:
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)

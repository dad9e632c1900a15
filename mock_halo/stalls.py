"""One timer for everything on an event loop that must not stall: request heads and bodies.

A client that stops sending (a request head never finished, a body that stops arriving)
must not hold its connection forever. A timer per request (a handle made, moved and
cancelled: ``asyncio.timeout``, ``loop.call_later``) costs several microseconds each time,
which on the hottest path was 6% of an immediate query. A :class:`StallWatch` instead
notes what is waiting and since when; one timer, armed only while something waits, fires
at the earliest moment one of them could be overdue and hands those that are to
``overdue`` (close the connection, cancel the reading task).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any


class StallWatch:
    """What waits on one event loop, each with its own timeout."""

    def __init__(self, loop: asyncio.AbstractEventLoop, overdue: Callable[[Any], None]) -> None:
        self.loop = loop
        self.overdue = overdue
        #: key -> [time it last made progress, seconds it may wait, whether it was found overdue]
        self.waiting: dict[Hashable, list] = {}
        self._timer: Any = None
        self._due = 0.0  # when the armed timer fires

    def start(self, key: Hashable, timeout: float) -> list:
        """``key`` waits from now; its entry's first item is moved on as it makes progress (``progress``)."""
        entry = [self.loop.time(), timeout, False]
        self.waiting[key] = entry
        due = entry[0] + timeout
        if self._timer is None or due < self._due:  # a shorter timeout than the armed timer's
            self._arm(due)
        return entry

    def progress(self, entry: list) -> None:
        entry[0] = self.loop.time()

    def stop(self, key: Hashable) -> None:
        self.waiting.pop(key, None)

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(due, self._check)
        self._due = due

    def _check(self) -> None:
        self._timer = None
        now = self.loop.time()
        earliest = None
        for key, entry in list(self.waiting.items()):
            due = entry[0] + entry[1]
            if due <= now:
                entry[2] = True
                del self.waiting[key]
                self.overdue(key)
            elif earliest is None or due < earliest:
                earliest = due
        if earliest is not None and self._timer is None:
            self._arm(earliest)


_watches: dict[str, StallWatch] = {}


def watch_on(loop: asyncio.AbstractEventLoop, kind: str, overdue: Callable[[Any], None]) -> StallWatch:
    """The watch of ``kind`` on ``loop`` (made on first use; a test client may run the app on
    more than one loop: a watch replaced here keeps serving what it already watches)."""
    watch = _watches.get(kind)
    if watch is None or watch.loop is not loop:
        watch = _watches[kind] = StallWatch(loop, overdue)
    return watch

"""The one timer per event loop that closes stalled request heads and answers 408 to stalled bodies
(``mock_halo.stalls.StallWatch``).

The watch is driven here by a loop whose time the test moves, and ``read_body`` by calling the
watch's check once the read is overdue: nothing waits for wall time (``test_serve_limits`` shows
both on a real server with a 1 s timeout).
"""

from __future__ import annotations

import asyncio
import types

import pytest

from mock_halo import errors
from mock_halo import stalls
from mock_halo.api.common import read_body
from mock_halo.stalls import StallWatch


class FakeLoop:
    """``time()`` and ``call_at`` of a loop whose clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, object]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback):
        entry = (when, callback)
        self.timers.append(entry)
        return types.SimpleNamespace(cancel=lambda: self.timers.remove(entry) if entry in self.timers else None)

    def fire_due(self) -> None:
        due = [entry for entry in self.timers if entry[0] <= self.now]
        self.timers = [entry for entry in self.timers if entry[0] > self.now]
        for _, callback in due:
            callback()


class FakeTask:
    def __init__(self) -> None:
        self.cancelled = 0


def _cancel(task: FakeTask) -> None:
    task.cancelled += 1


def test_only_the_read_that_stalled_is_cancelled_and_the_timer_follows_the_next_due():
    loop = FakeLoop()
    watch = StallWatch(loop, _cancel)
    stalled, moving, late = FakeTask(), FakeTask(), FakeTask()
    stalled_entry = watch.start(stalled, 30)
    moving_entry = watch.start(moving, 30)
    assert len(loop.timers) == 1  # one timer however many reads
    loop.now += 20
    late_entry = watch.start(late, 30)
    watch.progress(moving_entry)  # a chunk arrived
    loop.now += 10  # the first reads' 30 s are up
    loop.fire_due()
    assert (stalled.cancelled, moving.cancelled, late.cancelled) == (1, 0, 0)
    assert stalled_entry[2] and not moving_entry[2] and not late_entry[2]
    assert set(watch.waiting) == {moving, late}
    assert [when for when, _ in loop.timers] == [150.0]  # the next due: the late read and the moved one
    watch.stop(moving)
    watch.stop(late)
    loop.now = 150.0
    loop.fire_due()
    assert loop.timers == [] and watch.waiting == {}  # nothing read: no timer left armed
    assert (moving.cancelled, late.cancelled) == (0, 0)
    watch.start(FakeTask(), 30)
    assert [when for when, _ in loop.timers] == [180.0]  # armed again by the next read


def test_a_shorter_timeout_than_the_armed_timers_moves_it_earlier():
    loop = FakeLoop()
    watch = StallWatch(loop, _cancel)
    slow, quick = FakeTask(), FakeTask()
    watch.start(slow, 30)
    watch.start(quick, 1)
    assert [when for when, _ in loop.timers] == [101.0]  # one timer, at the quick one's due
    loop.now += 1
    loop.fire_due()
    assert (quick.cancelled, slow.cancelled) == (1, 0)
    assert [when for when, _ in loop.timers] == [130.0]


def _request(receive, timeout: int = 30):
    emulator = types.SimpleNamespace(settings=types.SimpleNamespace(request_timeout_s=timeout))
    app = types.SimpleNamespace(state=types.SimpleNamespace(emulator=emulator))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b"", "app": app}
    from starlette.requests import Request

    return Request(scope, receive)


def test_a_stalled_read_is_a_408_and_other_cancels_stay_cancels():
    async def scenario():
        arrived = asyncio.Event()
        parts = [{"type": "http.request", "body": b'{"a":', "more_body": True}]

        async def receive():
            if parts:
                arrived.set()
                return parts.pop()
            await asyncio.Event().wait()  # the rest never comes

        stalled = asyncio.ensure_future(read_body(_request(receive), 1000))
        await arrived.wait()
        await asyncio.sleep(0)
        watch = stalls._watches["body"]
        task_entry = watch.waiting[stalled]
        task_entry[0] -= 31  # its last chunk is now older than the timeout
        watch._check()
        with pytest.raises(errors.HaloError) as caught:
            await stalled
        assert caught.value.status == 408 and "30 seconds" in caught.value.message
        assert stalled not in watch.waiting

        async def silent():
            await asyncio.Event().wait()

        shut = asyncio.ensure_future(read_body(_request(silent), 1000))
        await asyncio.sleep(0)
        shut.cancel()  # the server going away, not the watch
        with pytest.raises(asyncio.CancelledError):
            await shut
        assert shut not in watch.waiting

    asyncio.run(scenario())


def test_a_body_in_chunks_is_joined_and_kept_for_starlette():
    async def scenario():
        parts = [{"type": "http.request", "body": b"}", "more_body": False},
                 {"type": "http.request", "body": b'{"a": 1', "more_body": True}]

        async def receive():
            return parts.pop()

        request = _request(receive)
        assert await read_body(request, 1000) == b'{"a": 1}'
        assert await request.body() == b'{"a": 1}'  # no second read of a consumed stream
        over = [{"type": "http.request", "body": b"x" * 600, "more_body": True}] * 2

        async def big():
            return over.pop()

        with pytest.raises(errors.HaloError) as caught:
            await read_body(_request(big), 1000)
        assert caught.value.status == 413
        assert stalls._watches["body"].waiting == {}

    asyncio.run(scenario())

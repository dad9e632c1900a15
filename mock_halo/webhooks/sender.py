"""``WebhookSender``: posts the attempts that fall due, on the app's event loop.

Started by the app's lifespan. It sleeps until woken (a notification, a move
of the clock, a finished attempt, or the app's ticker with a running clock),
then takes what is due from :class:`~mock_halo.webhooks.outbox.Webhooks` and
posts it, at most ``max_in_flight`` at a time, so deliveries never hold up a
request handler and a slow receiver costs only its own attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mock_halo.webhooks.http import HttpClient
from mock_halo.webhooks.outbox import Send, Webhooks

log = logging.getLogger("mock_halo.webhooks")
MAX_IN_FLIGHT = 8


class WebhookSender:
    def __init__(self, webhooks: Webhooks, *, timeout_s: float, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.webhooks = webhooks
        self.timeout_s = timeout_s
        self.max_in_flight = max_in_flight
        self._http = HttpClient()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._progress: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._progress = asyncio.Event()
        self._runner = asyncio.create_task(self._run(), name="mock-halo-webhooks")
        self.webhooks.attach(self.wake)
        self.webhooks.sender = self
        self.wake()

    def wake(self) -> None:
        """Look for due attempts soon (safe from any thread)."""
        loop, event = self._loop, self._wakeup
        if loop is None or event is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # the loop is shutting down
            pass

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            free = self.max_in_flight - len(self._tasks)
            if free <= 0:
                continue  # a finishing attempt wakes us again
            try:
                sends = self.webhooks.release_due(self.webhooks.clock.now(), free)
            except Exception:  # keep delivering; the failure is logged
                log.exception("webhook scheduling failed")
                continue
            for send in sends:
                task = asyncio.create_task(self._attempt(send))
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        # Only once the task has left the in-flight set may the loop count its slot free.
        self._tasks.discard(task)
        assert self._wakeup is not None and self._progress is not None
        self._wakeup.set()
        self._progress.set()

    async def _attempt(self, send: Send) -> None:
        try:
            result = await self._http.post(send.url, send.headers, send.body, self.timeout_s)
            self.webhooks.record(send, result.status, result.error, result.latency_ms, result.response)
        except asyncio.CancelledError:
            self.webhooks.record(send, None, "the emulator stopped during the attempt", 0.0)
            raise
        except Exception as exc:  # never lose the in-flight count
            log.exception("webhook delivery %s failed unexpectedly", send.delivery_id)
            self.webhooks.record(send, None, f"{type(exc).__name__}: {exc}", 0.0)

    async def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` wall seconds) until no attempt is due by the clock's now or in flight."""
        assert self._progress is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.webhooks.settled(self.webhooks.clock.now()):
            left = deadline - loop.time()
            if left <= 0:
                return False
            self._progress.clear()
            self.wake()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), min(left, 0.05))
        return True

    async def stop(self) -> None:
        self.webhooks.attach(None)
        if self.webhooks.sender is self:
            self.webhooks.sender = None
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._http.close()

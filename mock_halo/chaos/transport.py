"""httpx transports that call an emulator's ASGI app in process: no socket, no thread.

A client under test makes real httpx requests; these transports hand each one
to the app directly and count how many requests the client has in flight, so
the journal records the client's own concurrency (``inFlight``) even though
the app serves one request at a time. Every request is checked against a
:class:`Budget` first, so a client that would poll or retry for ever stops
with :class:`BudgetExceeded` instead of hanging the test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx

from mock_halo.journal import IN_FLIGHT_KEY


class BudgetExceeded(BaseException):  # noqa: N818 - not an Exception: a client's `except Exception` must not swallow it
    """The client used more requests or emulator time than the run allows."""


class Budget:
    """Limits of one run: requests sent and emulator seconds waited."""

    def __init__(self, max_requests: int, max_wait_s: float) -> None:
        self.max_requests = max_requests
        self.max_wait_s = max_wait_s
        self.requests = 0
        self.waited_s = 0.0
        self.exceeded: str | None = None

    def request(self) -> None:
        self.requests += 1
        if self.requests > self.max_requests:
            self._stop(f"the client sent more than {self.max_requests} requests")

    def wait(self, seconds: float) -> None:
        self.waited_s += seconds
        if self.waited_s > self.max_wait_s:
            self._stop(f"the client waited more than {self.max_wait_s:g} s of emulator time")

    def _stop(self, reason: str) -> None:
        self.exceeded = self.exceeded or reason
        raise BudgetExceeded(reason)


class _InFlight:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def enter(self) -> int:
        with self._lock:
            self.count += 1
            return self.count

    def leave(self) -> None:
        with self._lock:
            self.count -= 1


async def call_app(app: Callable, request: httpx.Request, body: bytes, extra: dict[str, Any]) -> httpx.Response:
    """One request through the ASGI ``app``; ``extra`` goes into the scope."""
    url = request.url
    raw_path = url.raw_path.split(b"?", 1)[0]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "client": ("127.0.0.1", 50000),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        **extra,
    }
    sent = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)


class AppTransport(httpx.BaseTransport):
    """A synchronous transport into ``app``; safe to share between threads (calls run one at a time).

    Threads are counted in flight from the moment they hand over a request, so
    the count is as exact as the threads' timing: exact for asyncio clients
    (:class:`AsyncAppTransport`), approximate for threads.
    """

    def __init__(self, app: Callable, budget: Budget | None = None, in_flight: _InFlight | None = None) -> None:
        self.app = app
        self.budget = budget
        self.in_flight = in_flight or _InFlight()
        self._run = threading.Lock()
        self._loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.budget is not None:
            self.budget.request()
        body = request.read()
        count = self.in_flight.enter()
        try:
            with self._run:
                return self._loop.run_until_complete(call_app(self.app, request, body, {IN_FLIGHT_KEY: count}))
        finally:
            self.in_flight.leave()

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.close()


class AsyncAppTransport(httpx.AsyncBaseTransport):
    """The asynchronous twin of :class:`AppTransport`, for ``httpx.AsyncClient`` clients."""

    def __init__(self, app: Callable, budget: Budget | None = None, in_flight: _InFlight | None = None) -> None:
        self.app = app
        self.budget = budget
        self.in_flight = in_flight or _InFlight()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.budget is not None:
            self.budget.request()
        body = await request.aread()
        count = self.in_flight.enter()
        try:
            await asyncio.sleep(0)  # requests the client starts together are all in flight before any is served
            return await call_app(self.app, request, body, {IN_FLIGHT_KEY: count})
        finally:
            self.in_flight.leave()

"""The request journal: a bounded record of Halo API requests and their responses.

``JournalMiddleware`` wraps the app; it records every request outside
``/_mock`` (method, path, site, surface, status, duration, the emulator-clock
times at which it started and was answered, bodies truncated to
``body_limit`` bytes, a ``Retry-After`` it was answered with, how many
requests were in flight when it started and the scenario rules that fired).
``Journal`` is a ring buffer: the oldest entries drop out first.
Credentials never enter it: a ``subscription-key`` or ``access_token`` query
parameter and the token endpoint's ``access_token`` are stored as ``***``.

Client checks (:mod:`mock_halo.checks`) judge a client from these entries.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from mock_halo.clock import format_timestamp
from mock_halo.logs import CONTROL as CONTROL_LOG
from mock_halo.logs import REQUESTS as REQUEST_LOG
from mock_halo.logs import log_control, log_request
from mock_halo.request_paths import site_of, surface_of

DEFAULT_CAPACITY = 1000
DEFAULT_BODY_LIMIT = 2048
FIRED_KEY = "mock_halo.fired"
#: An in-process transport that knows how many requests its client has in
#: flight puts the count here (``mock_halo.chaos``); otherwise the journal
#: counts the requests the app is serving at once.
IN_FLIGHT_KEY = "mock_halo.in_flight"
#: Query parameters whose values are credentials (APIM's key parameter, OAuth's token).
_SECRET_QUERY = re.compile(rb"(?i)(^|&)(subscription-key|access_token)=[^&]*")
_ACCESS_TOKEN = re.compile(rb'("access_token"\s*:\s*")[^"]*(")')
REDACTED = b"***"


def redact_query(query: bytes) -> bytes:
    """The query string with credential values replaced by ``***``."""
    if b"=" not in query:
        return query
    return _SECRET_QUERY.sub(lambda m: m.group(1) + m.group(2) + b"=" + REDACTED, query)


def redact_token_response(body: bytes) -> bytes:
    """A token response with its ``access_token`` replaced by ``***`` (journal readers need no live tokens)."""
    return _ACCESS_TOKEN.sub(lambda m: m.group(1) + REDACTED + m.group(2), body)


class Journal:
    """A thread-safe ring buffer of journal entries, newest last.

    Entries are kept raw (a tuple of bytes and numbers) and rendered only when
    read, so recording costs the hot path a few microseconds.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        self.capacity = capacity
        self.body_limit = body_limit
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        #: Requests recorded since the start or the last :meth:`reset` (clearing keeps counting).
        self.recorded = 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, at: Any, method: str, path: str, query: bytes, status: int, seconds: float,
               request_body: bytes, response_body: bytes, fired: list[str],
               end: Any = None, retry_after: str | None = None, in_flight: int = 1) -> None:
        with self._lock:
            self._entries.append((next(self._ids), at, method, path, query, status, seconds, request_body, response_body,
                                  fired, end if end is not None else at, retry_after, in_flight))
            self.recorded += 1

    def clear(self) -> None:
        """Drop the entries (``DELETE /_mock/journal``); ``recorded`` still counts them."""
        with self._lock:
            self._entries.clear()

    def reset(self) -> None:
        """Drop the entries and the count (a full reset of the emulator)."""
        with self._lock:
            self._entries.clear()
            self.recorded = 0

    def entries(
        self,
        *,
        path: str | None = None,
        site: str | None = None,
        status: int | None = None,
        surface: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries oldest first, filtered by path substring, site, status and surface; the last ``limit``."""
        with self._lock:
            items = list(self._entries)
        site = site.lower() if site else None
        found = [
            e
            for e in items
            if (path is None or path in e[3])
            and (status is None or e[5] == status)
            and (site is None or site_of(e[3]) == site)
            and (surface is None or surface_of(e[3]) == surface)
        ]
        # Only what is returned is rendered (bodies decoded, times formatted).
        return [self._render(e) for e in (found[-limit:] if limit else found)]

    def _render(self, entry: tuple[Any, ...]) -> dict[str, Any]:
        entry_id, at, method, path, query, status, seconds, request_body, response_body, fired, end, retry_after, in_flight = entry
        return {
            "id": entry_id,
            "time": format_timestamp(at),
            "endTime": format_timestamp(end),
            "method": method,
            "path": path,
            "query": query.decode("latin-1"),
            "site": site_of(path),
            "surface": surface_of(path),
            "status": status,
            "durationMs": round(seconds * 1000, 3),
            "requestBody": self.truncate(request_body),
            "responseBody": self.truncate(response_body),
            "scenarios": list(fired),
            "retryAfter": retry_after,
            "inFlight": in_flight,
        }

    def truncate(self, body: bytes) -> str:
        text = body[: self.body_limit].decode("utf-8", errors="replace")
        return text + "…" if len(body) > self.body_limit else text


class JournalMiddleware:
    """ASGI middleware recording each non-``/_mock`` HTTP request into ``journal()``."""

    def __init__(self, app: Callable, journal: Callable[[], Journal], now: Callable[[], Any]) -> None:
        self.app = app
        self.journal = journal
        self.now = now
        self.serving = 0  # Halo API requests this app is answering right now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/docs"):  # the API docs page and its files: no Halo request
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/_mock"):
            if scope["method"] in ("GET", "HEAD") or not CONTROL_LOG.isEnabledFor(logging.INFO):
                await self.app(scope, receive, send)
            else:
                await _logged_control_call(self.app, scope, receive, send)
            return
        journal = self.journal()
        keep = journal.body_limit + 1  # one byte more marks truncation
        request_parts: list[bytes] = []
        response_parts: list[bytes] = []
        status = [500]
        retry_after: list[str | None] = [None]
        self.serving += 1
        in_flight = scope.get(IN_FLIGHT_KEY) or self.serving
        started = time.perf_counter()
        at = self.now()

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request":
                request_parts.append(message.get("body", b"")[:keep])
            return message

        async def recording_send(message):
            kind = message["type"]
            if kind == "http.response.body":
                response_parts.append(message.get("body", b"")[:keep])
            elif kind == "http.response.start":
                status[0] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"retry-after":
                        retry_after[0] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            self.serving -= 1
            response_body = b"".join(response_parts)[:keep]
            if scope["path"] == "/integrator/token":
                response_body = redact_token_response(response_body)
            journal.record(
                at, scope["method"], scope["path"][:keep], redact_query(scope.get("query_string", b"")[:keep]), status[0],
                time.perf_counter() - started, b"".join(request_parts)[:keep], response_body,
                scope.get(FIRED_KEY, ()), self.now(), retry_after[0], in_flight,
            )
            if REQUEST_LOG.isEnabledFor(logging.INFO):
                log_request(scope["method"], scope["path"], status[0], time.perf_counter() - started,
                            rules=scope.get(FIRED_KEY, ()))


async def _logged_control_call(app: Callable, scope, receive, send) -> None:
    """A ``/_mock`` call that changes state, logged on ``mock_halo.control`` once answered."""
    body: list[bytes] = []
    status = [500]
    started = time.perf_counter()

    async def recording_receive():
        message = await receive()
        if message["type"] == "http.request":
            body.append(message.get("body", b"")[:1024])
        return message

    async def recording_send(message):
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        await send(message)

    try:
        await app(scope, recording_receive, recording_send)
    finally:
        log_control(scope["method"], scope["path"], status[0], time.perf_counter() - started, b"".join(body))

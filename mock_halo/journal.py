"""The request journal: a bounded record of Halo API requests and their responses.

``JournalMiddleware`` wraps the app; it records every request outside
``/_mock`` (method, path, site, surface, status, duration, the emulator-clock
time, bodies truncated to ``body_limit`` bytes and the scenario rules that
fired). ``Journal`` is a ring buffer: the oldest entries drop out first.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from mock_halo.clock import format_timestamp

DEFAULT_CAPACITY = 1000
DEFAULT_BODY_LIMIT = 2048
FIRED_KEY = "mock_halo.fired"
_SITE_PATH = re.compile(r"^/(?:device|desktop|integrator)/sites/([^/]+)(/.*)?$")


def surface_of(path: str) -> str | None:
    """token / immediate / async / registered / fhir / query (status and pages), or None."""
    if path == "/integrator/token":
        return "token"
    match = _SITE_PATH.match(path)
    if match is None:
        return None
    rest = match.group(2) or ""
    if rest.startswith("/fhir/"):
        return "fhir"
    if rest.startswith("/queries/registered"):
        return "registered"
    if rest == "/queries/immediate":
        return "immediate"
    if rest == "/queries/async":
        return "async"
    return "query" if rest.startswith("/queries/") else None


def site_of(path: str) -> str | None:
    match = _SITE_PATH.match(path)
    return match.group(1).lower() if match else None


class Journal:
    """A thread-safe ring buffer of journal entries (plain dicts, newest last)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, body_limit: int = DEFAULT_BODY_LIMIT) -> None:
        self.capacity = capacity
        self.body_limit = body_limit
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["id"] = next(self._ids)
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

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
            if (path is None or path in e["path"])
            and (site is None or e["site"] == site)
            and (status is None or e["status"] == status)
            and (surface is None or e["surface"] == surface)
        ]
        return found[-limit:] if limit else found

    def truncate(self, body: bytes) -> str:
        text = body[: self.body_limit].decode("utf-8", errors="replace")
        return text + "…" if len(body) > self.body_limit else text


class JournalMiddleware:
    """ASGI middleware recording each non-``/_mock`` HTTP request into ``journal()``."""

    def __init__(self, app: Callable, journal: Callable[[], Journal], now: Callable[[], Any]) -> None:
        self.app = app
        self.journal = journal
        self.now = now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock"):
            await self.app(scope, receive, send)
            return
        journal = self.journal()
        limit = journal.body_limit
        request_body = bytearray()
        response_body = bytearray()
        state: dict[str, Any] = {"status": 500}
        started = time.perf_counter()
        at = self.now()

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= limit:
                request_body.extend(message.get("body", b"")[: limit + 1 - len(request_body)])
            return message

        async def recording_send(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body" and len(response_body) <= limit:
                response_body.extend(message.get("body", b"")[: limit + 1 - len(response_body)])
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            path = scope["path"]
            journal.record(
                {
                    "time": format_timestamp(at),
                    "method": scope["method"],
                    "path": path,
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "site": site_of(path),
                    "surface": surface_of(path),
                    "status": state["status"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 3),
                    "requestBody": journal.truncate(bytes(request_body)),
                    "responseBody": journal.truncate(bytes(response_body)),
                    "scenarios": scope.get(FIRED_KEY, []),
                }
            )

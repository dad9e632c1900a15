"""Readable logs: one line per Halo API request, control-plane actions, webhook deliveries.

Loggers (standard :mod:`logging`, so any handler works):

* ``mock_halo.requests`` – one line per Halo API request: method, path, status, milliseconds,
  site, surface and the scenario rules that fired (the journal's facts, logged as they happen);
* ``mock_halo.control`` – each ``/_mock`` call that changes something (method, path, status, body);
* ``mock_halo.webhooks`` – each webhook delivery attempt; emit with :func:`log_webhook_delivery`.

Each record carries its facts as ``record.mock_halo`` (a dict), which :class:`TextFormatter`
renders as one line and :class:`JsonFormatter` as one JSON object per line. ``mock-halo serve``
installs one of them on stderr (:func:`configure`); ``--quiet`` leaves these loggers silent.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any, TextIO

import orjson

from mock_halo.request_paths import site_of, surface_of

REQUESTS = logging.getLogger("mock_halo.requests")
CONTROL = logging.getLogger("mock_halo.control")
WEBHOOKS = logging.getLogger("mock_halo.webhooks")
FIELDS = "mock_halo"  # the record attribute holding the structured facts
FORMATS = ("text", "json")


#: ``log_request``'s default for ``site`` and ``surface``: read them from the path (where the
#: journal's own rules say), in the writer's thread rather than the request's.
FROM_PATH: Any = object()


def log_request(method: str, path: str, status: int, seconds: float, site: str | None = FROM_PATH,
                surface: str | None = FROM_PATH, rules: Iterable[str] = ()) -> None:
    """One Halo API request (called by the journal middleware when ``REQUESTS`` is enabled).

    Under ``mock-halo serve`` the request only queues its facts (:class:`LineWriter`), and the
    writer's thread formats them: a standard log record costs tens of microseconds, a
    measurable share of an immediate query. Anywhere else it is an ordinary record on
    ``mock_halo.requests``.
    """
    writer = _WRITER
    if writer is not None:
        writer.request(method, path, status, seconds, site, surface, rules)
        return
    if site is FROM_PATH or surface is FROM_PATH:
        site, surface = _where(path, site, surface)
    REQUESTS.info("%s %s %s", method, path, status, extra={FIELDS: {
        "kind": "request", "method": method, "path": path, "status": status, "ms": round(seconds * 1000, 1),
        "site": site, "surface": surface, "rules": list(rules)}})


def _where(path: str, site: Any, surface: Any) -> tuple[str | None, str | None]:
    """``site`` and ``surface``, each read from ``path`` where it is :data:`FROM_PATH`."""
    return (site_of(path) if site is FROM_PATH else site), (surface_of(path) if surface is FROM_PATH else surface)


def log_control(method: str, path: str, status: int, seconds: float, body: bytes) -> None:
    """A ``/_mock`` call that changes state (POST, PUT, DELETE)."""
    text = body[:300].decode("utf-8", errors="replace").strip()
    CONTROL.info("%s %s %s", method, path, status, extra={FIELDS: {
        "kind": "control", "method": method, "path": path, "status": status, "ms": round(seconds * 1000, 1),
        "body": text + ("…" if len(body) > 300 else "")}})


def log_webhook_delivery(url: str, event: str, status: int | None, seconds: float, *, attempt: int = 1,
                         site: str | None = None, query_id: str | None = None, error: str | None = None,
                         outcome: str | None = None) -> None:
    """One webhook delivery attempt: ``status`` is the receiver's HTTP status, or None with ``error``;
    ``outcome`` is what follows (delivered, retry, failed)."""
    WEBHOOKS.log(logging.INFO if error is None and status is not None and status < 400 else logging.WARNING,
                 "%s %s %s", event, url, status, extra={FIELDS: {
                     "kind": "webhook", "event": event, "url": url, "status": status, "ms": round(seconds * 1000, 1),
                     "attempt": attempt, "outcome": outcome, "site": site, "queryId": query_id, "error": error}})


_SECONDS: dict[tuple[int, bool], str] = {}


def _clock(created: float, utc: bool = False) -> str:
    """``12:00:01.123`` (local time), or ``2026-01-05T01:00:01.123Z`` with ``utc``; the second part is cached."""
    second = int(created)
    prefix = _SECONDS.get((second, utc))
    if prefix is None:
        if len(_SECONDS) > 64:
            _SECONDS.clear()
        prefix = _SECONDS[(second, utc)] = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) if utc
                                            else time.strftime("%H:%M:%S", time.localtime(second)))
    return f"{prefix}.{int(created * 1000) % 1000:03d}" + ("Z" if utc else "")


def request_line(method: str, path: str, status: int, ms: float, site: str | None, surface: str | None,
                 rules: Iterable[str]) -> str:
    """The text form of one request, after the time."""
    line = f"{method} {path} {status} {ms}ms"
    if site:
        line += f" site={site[:8]}"
    if surface:
        line += f" {surface}"
    rules = list(rules)
    if rules:
        line += " rules=" + ",".join(rules)
    return line


class TextFormatter(logging.Formatter):
    """``12:00:01.123 POST /device/sites/…/queries/immediate 200 3.1ms site=b0586976 immediate rules=rule-1``."""

    def format(self, record: logging.LogRecord) -> str:
        facts = getattr(record, FIELDS, None)
        stamp = _clock(record.created)
        if facts is None:
            return f"{stamp} {record.levelname.lower()} {record.name}: {record.getMessage()}"
        kind = facts["kind"]
        if kind == "request":
            return f"{stamp} " + request_line(facts["method"], facts["path"], facts["status"], facts["ms"], facts["site"],
                                             facts["surface"], facts["rules"])
        if kind == "control":
            line = f"{stamp} control {facts['method']} {facts['path']} {facts['status']} {facts['ms']}ms"
            return line + (f" {facts['body']}" if facts["body"] else "")
        if kind == "webhook":
            outcome = facts["error"] or facts["status"]
            line = f"{stamp} webhook {facts['event']} -> {facts['url']} {outcome} {facts['ms']}ms attempt {facts['attempt']}"
            if facts.get("outcome"):
                line += f" {facts['outcome']}"
            return line + (f" query={facts['queryId']}" if facts["queryId"] else "")
        return f"{stamp} {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601 UTC), ``level``, ``logger`` and the facts."""

    def format(self, record: logging.LogRecord) -> str:
        base = {"time": _clock(record.created, utc=True), "level": record.levelname.lower(), "logger": record.name}
        facts = getattr(record, FIELDS, None)
        base.update(facts if facts is not None else {"message": record.getMessage()})
        return orjson.dumps(base).decode()


#: Paths whose site and surface a :class:`LineWriter` remembers (then it starts again).
PATH_CACHE_SIZE = 4096


class LineWriter(logging.Handler):
    """Buffers finished log lines and writes them to ``stream`` from a background thread every
    ``interval`` seconds (and at exit), so a request pays for a string, not for a write.

    As a logging handler it takes the other records (control, webhooks, warnings) into the same
    buffer, so lines keep their order.
    """

    def __init__(self, stream: TextIO, fmt: str, interval: float = 0.1) -> None:
        super().__init__()
        self.stream = stream
        self.json = fmt == "json"
        self.setFormatter(JsonFormatter() if self.json else TextFormatter())
        self._pending: list[Any] = []  # finished lines, and requests' facts (tuples)
        self._paths: dict[str, tuple[str | None, str | None]] = {}  # path -> (site, surface)
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mock-halo-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def request(self, method: str, path: str, status: int, seconds: float, site: str | None, surface: str | None,
                rules: Iterable[str]) -> None:
        """Queue one request's facts; the line is formatted by the writer thread (:meth:`flush`)."""
        self._pending.append((time.time(), method, path, status, seconds, site, surface, rules))  # atomic under the GIL

    def _line(self, facts: tuple[Any, ...]) -> str:
        at, method, path, status, seconds, site, surface, rules = facts
        if site is FROM_PATH and surface is FROM_PATH:
            # Most lines repeat a path (a client's immediate queries, polls of one query): what
            # the path names is read from it once (the two patterns were half a line's cost).
            where = self._paths.get(path)
            if where is None:
                if len(self._paths) >= PATH_CACHE_SIZE:
                    self._paths.clear()
                where = self._paths[path] = _where(path, site, surface)
            site, surface = where
        elif site is FROM_PATH or surface is FROM_PATH:
            site, surface = _where(path, site, surface)
        ms = round(seconds * 1000, 1)
        if self.json:
            return orjson.dumps({"time": _clock(at, utc=True), "level": "info", "logger": REQUESTS.name, "kind": "request",
                                 "method": method, "path": path, "status": status, "ms": ms, "site": site,
                                 "surface": surface, "rules": list(rules)}).decode()
        return f"{_clock(at)} " + request_line(method, path, status, ms, site, surface, rules)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._pending.append(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            try:
                lines = [item if isinstance(item, str) else self._line(item) for item in pending]
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: drop the lines
                pass

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stopped.set()
        self.flush()
        super().close()


_WRITER: LineWriter | None = None


def configure(fmt: str = "text", *, quiet: bool = False, level: str = "info", stream: TextIO | None = None,
              interval: float = 0.1) -> LineWriter:
    """Send mock-halo's logs to ``stream`` (stderr) in ``fmt``, buffered by one :class:`LineWriter`
    that writes every ``interval`` seconds (returned); ``quiet`` keeps only warnings and errors."""
    global _WRITER
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}, not {fmt!r}")
    root = logging.getLogger("mock_halo")
    if _WRITER is not None:
        root.removeHandler(_WRITER)
        _WRITER.close()
    _WRITER = LineWriter(stream or sys.stderr, fmt, interval)
    root.addHandler(_WRITER)
    root.propagate = False
    root.setLevel(logging.WARNING if quiet else getattr(logging, level.upper(), logging.INFO))
    return _WRITER

"""A pure-Python load generator, used when ``wrk`` is not installed.

asyncio (uvloop when available) with raw keep-alive HTTP/1.1 connections: a
fixed number of connections, each sending the same request and waiting for the
whole response before the next (like wrk). Bounded in both request count and
time, and loopback only. It is slower than wrk, so its req/s are only
comparable with other runs of itself: which is all a ratio needs.
"""

from __future__ import annotations

import asyncio
import math
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from bench.model import LoadResult, RequestSpec
from bench.net import require_loopback

TOOL_NAME = "python"
DEFAULT_MAX_REQUESTS = 1_000_000
_NO_BODY_STATUSES = {204, 304}


def encode_request(request: RequestSpec, host: str, port: int) -> bytes:
    """The raw HTTP/1.1 bytes of ``request`` (adds Host and Content-Length when missing)."""
    lines = [f"{request.method} {request.path} HTTP/1.1"]
    if request.header("host") is None:
        lines.append(f"Host: {host}:{port}")
    if request.header("content-length") is None and (request.body or request.method in ("POST", "PUT", "PATCH")):
        lines.append(f"Content-Length: {len(request.body)}")
    lines.extend(f"{name}: {value}" for name, value in request.headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole HTTP/1.x response; return (status, connection reusable)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].split(b"\r\n")
    version, status_text = status_line.split(b" ", 2)[:2]
    status = int(status_text)
    headers: dict[bytes, bytes] = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    connection = headers.get(b"connection", b"")
    keep_alive = connection == b"keep-alive" if version == b"HTTP/1.0" else connection != b"close"
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            await reader.readexactly(size + 2)
    elif b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif status >= 200 and status not in _NO_BODY_STATUSES:
        await reader.read()  # body runs to end of connection
        keep_alive = False
    return status, keep_alive


@dataclass
class _Tally:
    """Counters shared by the connection tasks (one event loop, no locks needed)."""

    budget: int
    latencies: array
    non_2xx: int = 0
    socket_errors: int = 0

    def take(self) -> bool:
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True


async def _connection(host: str, port: int, payload: bytes, deadline: float, timeout_s: float, tally: _Tally) -> None:
    """One keep-alive connection sending ``payload`` until the deadline or the budget runs out."""
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    try:
        while time.perf_counter() < deadline and tally.take():
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
                assert reader is not None
                started = time.perf_counter()
                writer.write(payload)
                status, reusable = await asyncio.wait_for(read_response(reader), timeout_s)
                tally.latencies.append(time.perf_counter() - started)
                if status >= 400:
                    tally.non_2xx += 1
                if not reusable:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError):
                tally.socket_errors += 1
                if writer is not None:
                    writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def _drive(host: str, port: int, payload: bytes, duration_s: float, connections: int,
                 max_requests: int, timeout_s: float) -> LoadResult:
    tally = _Tally(budget=max_requests, latencies=array("d"))
    started = time.perf_counter()
    deadline = started + duration_s
    tasks = [asyncio.ensure_future(_connection(host, port, payload, deadline, timeout_s, tally))
             for _ in range(connections)]
    await asyncio.wait_for(asyncio.gather(*tasks), duration_s + 2 * timeout_s + 1)
    elapsed = time.perf_counter() - started
    ordered = sorted(tally.latencies)
    return LoadResult(
        tool=TOOL_NAME,
        requests=len(ordered),
        duration_s=elapsed,
        rps=len(ordered) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(ordered, 0.50) * 1000.0,
        p99_ms=percentile(ordered, 0.99) * 1000.0,
        non_2xx=tally.non_2xx,
        socket_errors=tally.socket_errors,
    )


def _loop_factory():  # type: ignore[no-untyped-def]
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_python_load(
    host: str, port: int, request: RequestSpec, *, duration_s: float, connections: int,
    max_requests: int = DEFAULT_MAX_REQUESTS, timeout_s: float = 5.0,
) -> LoadResult:
    """Load ``host:port`` with ``request`` for at most ``duration_s`` and ``max_requests``."""
    require_loopback(host)
    if connections < 1 or max_requests < 1 or duration_s <= 0:
        raise ValueError("connections, max_requests and duration must be positive")
    payload = encode_request(request, host, port)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_drive(host, port, payload, duration_s, connections, max_requests, timeout_s))

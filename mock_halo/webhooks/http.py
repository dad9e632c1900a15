"""A small HTTP/1.1 POST client on asyncio streams, with keep-alive.

Webhook deliveries share the event loop with the Halo API handlers, so each
one must cost little: a general client (httpx) spends about 0.9 ms of CPU per
POST here, this one a few tens of microseconds. It does only what delivery
needs: one POST with a body, the status, a bounded look at the answer, idle
connections reused per origin, ``https`` through the default trust store, and
one deadline over the whole exchange (connect, send, answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

#: How much of an answer is kept (for ``/_mock/webhooks``) and read before giving up the connection.
RESPONSE_KEEP = 256
RESPONSE_READ_LIMIT = 64 * 1024
HEADER_LIMIT = 64 * 1024
IDLE_PER_ORIGIN = 8
USER_AGENT = "mock-halo-webhooks"

Origin = tuple[str, str, int]


@dataclass(frozen=True)
class HttpResult:
    """What one attempt got: a status, or an error (connection refused, timeout, bad answer)."""

    status: int | None
    error: str | None
    latency_ms: float
    response: str = ""


class _BadResponse(Exception):
    pass


class HttpClient:
    def __init__(self) -> None:
        self._idle: dict[Origin, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, headers: list[tuple[str, str]], body: bytes, timeout: float) -> HttpResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                status, answer = await self._exchange(url, headers, body)
        except TimeoutError:
            return HttpResult(None, f"no answer within {timeout:g} s", _since(started))
        except _BadResponse as exc:
            return HttpResult(None, f"bad response: {exc}", _since(started))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError) as exc:
            return HttpResult(None, _describe(exc), _since(started))
        return HttpResult(status, None, _since(started), answer)

    async def _exchange(self, url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, str]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rsplit("@", 1)[-1]
        lines = [f"POST {target} HTTP/1.1", f"Host: {host_header}", f"User-Agent: {USER_AGENT}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        pooled = self._idle.get(origin)
        while pooled:
            reader, writer = pooled.pop()
            try:
                return await self._roundtrip(origin, reader, writer, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                # An idle connection the receiver closed meanwhile: try the next one.
                writer.close()
        reader, writer = await asyncio.open_connection(
            host, port, ssl=self._context() if scheme == "https" else None, limit=HEADER_LIMIT
        )
        return await self._roundtrip(origin, reader, writer, request)

    async def _roundtrip(self, origin: Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         request: bytes) -> tuple[int, str]:
        reuse = False
        try:
            writer.write(request)
            await writer.drain()
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                status, version, fields = _parse_head(head)
                if status >= 200:
                    break  # 1xx answers are interim
            answer, complete = await _read_body(reader, fields, status)
            connection = fields.get("connection", "").lower()
            reuse = complete and "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
            return status, answer
        finally:
            idle = self._idle.setdefault(origin, [])
            if reuse and len(idle) < IDLE_PER_ORIGIN:
                idle.append((reader, writer))
            else:
                writer.close()

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        self._idle.clear()


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or not code.isdigit():
        raise _BadResponse(f"not an HTTP status line: {lines[0][:80]!r}")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return int(code), version, fields


async def _read_body(reader: asyncio.StreamReader, fields: dict[str, str], status: int) -> tuple[str, bool]:
    """The first bytes of the answer, and whether it was read to its end (so the connection can be reused)."""
    if status in (204, 304):
        return "", True
    if "chunked" in fields.get("transfer-encoding", "").lower():
        data = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadResponse("bad chunk size") from None
            if size == 0:
                if await _has_trailers(reader):
                    await reader.readuntil(b"\r\n\r\n")
                return _keep(data), True
            if len(data) + size > RESPONSE_READ_LIMIT:
                return _keep(data), False
            data += await reader.readexactly(size)
            await reader.readexactly(2)
    length = fields.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise _BadResponse("bad Content-Length")
        size = int(length)
        if size > RESPONSE_READ_LIMIT:
            return "", False
        return _keep(await reader.readexactly(size)), True
    # No length: the answer runs to the end of the connection.
    return _keep(await reader.read(RESPONSE_READ_LIMIT)), False


async def _has_trailers(reader: asyncio.StreamReader) -> bool:
    """After the last chunk: a bare CRLF ends the message; anything else starts trailers."""
    end = await reader.readexactly(2)
    return end != b"\r\n"


def _keep(data: bytes | bytearray) -> str:
    return bytes(data[:RESPONSE_KEEP]).decode("utf-8", "replace")


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the receiver closed the connection before answering"
    if isinstance(exc, asyncio.LimitOverrunError):
        return "the answer's headers are too large"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"

"""Loopback networking helpers: free ports, the loopback guard, one-off requests.

The harness only ever talks to servers it started on this machine; every
address goes through :func:`require_loopback` before a socket is opened.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any

LOOPBACK_HOST = "127.0.0.1"


class NotLoopbackError(ValueError):
    """An address outside 127.0.0.0/8 and ::1 was given to the harness."""


def require_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback IP literal or ``localhost``; raise otherwise.

    Names other than ``localhost`` are refused rather than resolved, so no
    lookup can ever send traffic elsewhere.
    """
    if host == "localhost":
        return host
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError as exc:
        raise NotLoopbackError(f"not a loopback address: {host!r}") from exc
    if not address.is_loopback:
        raise NotLoopbackError(f"not a loopback address: {host!r}")
    return host


def free_port(host: str = LOOPBACK_HOST) -> int:
    """A TCP port that was free on ``host`` a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((require_loopback(host), 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Reply:
    """A complete HTTP response from :func:`http_request`."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.body)

    def text(self, limit: int = 300) -> str:
        """The body as text, shortened for error messages."""
        text = self.body.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "..."


def http_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    host: str = LOOPBACK_HOST,
    timeout: float = 10.0,
) -> Reply:
    """Send one request to ``host:port`` on a fresh connection and read the whole reply."""
    conn = http.client.HTTPConnection(require_loopback(host), port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()

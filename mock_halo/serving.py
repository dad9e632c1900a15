"""How ``mock-halo serve`` runs uvicorn: timeouts and limits no client can stretch.

uvicorn closes a keep-alive connection that stays idle after a response, but
not one that never finishes sending a request head: a client that connects
and goes quiet (or trickles a header a byte at a time) would hold its
connection forever, and a few thousand of them exhaust the process.
:class:`GuardedHttpToolsProtocol` gives every request head ``request_timeout``
seconds to arrive; a request *body* that stalls as long gets a 408 from the
app (:func:`mock_halo.api.common.read_body`). ``limit_concurrency`` makes
uvicorn answer 503 instead of accepting without bound.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mock_halo.stalls import watch_on

#: Connections and tasks served at once; beyond it uvicorn answers 503 Service Unavailable.
LIMIT_CONCURRENCY = 2048
#: Seconds an idle keep-alive connection stays open after a response (uvicorn's default).
KEEP_ALIVE_S = 5


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head does not arrive in time."""

    #: Seconds a request head may take (set from ``Settings.request_timeout_s`` by :func:`uvicorn_config`).
    head_timeout: float = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_watch = watch_on(self.loop, "head", _close_stalled)
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    # The loop's StallWatch times every connection's head (one timer, not one per request).
    def _arm_head_timer(self) -> None:
        self._head_watch.start(self, self.head_timeout)

    def _disarm_head_timer(self) -> None:
        watch = getattr(self, "_head_watch", None)
        if watch is not None:
            watch.stop(self)

    def _head_timed_out(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


def _close_stalled(protocol: GuardedHttpToolsProtocol) -> None:
    protocol._head_timed_out()


def uvicorn_config(app: Any, settings: Any, log_level: str | None = None) -> Any:
    """The ``uvicorn.Config`` ``serve`` runs: its bind and log level (uvicorn's own, ``settings.log_level``
    unless given), and the timeouts above."""
    import uvicorn

    protocol = type("HeadTimedHttpToolsProtocol", (GuardedHttpToolsProtocol,),
                    {"head_timeout": float(settings.request_timeout_s)})
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level or settings.log_level,
                          access_log=False, http=protocol, timeout_keep_alive=KEEP_ALIVE_S,
                          limit_concurrency=LIMIT_CONCURRENCY)

"""Helpers for the harness's own tests: an ASGI app served by uvicorn in a thread.

The load generators need a real socket to talk to; a server thread in the test
process is enough for correctness checks (never for measurements).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bench.net import LOOPBACK_HOST, free_port


@contextmanager
def serve_in_thread(app: Any, *, timeout_s: float = 10.0) -> Iterator[int]:
    """Serve ``app`` on a free loopback port for the duration of the block; yields the port."""
    port = free_port()
    config = uvicorn.Config(app, host=LOOPBACK_HOST, port=port, log_level="warning", access_log=False,
                            lifespan="off", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"bench-test-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"test server on port {port} did not start")
        time.sleep(0.005)  # polling for readiness, bounded by the deadline
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout_s)

"""An emulator served by uvicorn on a free loopback port, in a background thread.

For clients that are not Python (or not httpx): they talk HTTP to
``base_url`` like to any server. Used by the ``halo_server`` fixture and by
``halo_chaos`` runs with ``live=True``::

    with LiveServer(Emulator(settings)) as server:
        subprocess.run(["node", "client.js", server.base_url], check=True)
"""

from __future__ import annotations

import threading
import time
from typing import Any


class LiveServer:
    """Serve ``emulator`` on 127.0.0.1 (``port`` 0 picks a free one) until ``stop()``."""

    def __init__(self, emulator: Any, port: int = 0, start_timeout_s: float = 30.0) -> None:
        import uvicorn

        from mock_halo.app import create_app

        self.emulator = emulator
        config = uvicorn.Config(create_app(emulator=emulator), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="mock-halo-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + start_timeout_s
        while not self._server.started:  # startup takes milliseconds; poll for it
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock-halo server did not start")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

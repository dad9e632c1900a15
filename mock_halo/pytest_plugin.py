"""The mock-halo pytest plugin (entry point ``pytest11``: loaded once mock-halo is installed).

Fixtures, each fresh per test (nothing shared, so safe under pytest-xdist):

* ``halo_settings`` – the settings (virtual clock); override it in a conftest.
* ``halo_emulator`` / ``halo_app`` – an in-process emulator and its Starlette app.
* ``halo_client`` – a Starlette ``TestClient`` (an httpx client) over ``halo_app``.
* ``halo_control`` – a :class:`~mock_halo.client.MockHaloControl` over ``halo_client``.
* ``halo_clock`` – ``advance("10m")``, ``set_time(...)``, ``now()``, ``freeze()``, ``real_time()``.
* ``halo_scenarios`` – ``add({"surface": "async"}, status="expiredInQueue")``, ``list()``, ``clear()``.
* ``halo_server`` – a live uvicorn on a free loopback port in a background
  thread (``.base_url``, ``.control``, ``.emulator``) for non-Python clients.
* ``halo_chaos`` – a :class:`~mock_halo.chaos.ChaosRunner`: ``run(schedule,
  client)`` gives each hypothesis example a fresh emulator having that bad day
  and judges the client from the journal. Session-scoped (it holds no
  emulator between runs), so ``@given`` tests may use it; its settings come
  from ``halo_chaos_settings``.
* ``halo_webhook_receiver`` – a real HTTP receiver on a free loopback port
  (``.url``, ``.wait(n)``, ``.deliveries``, ``.respond(500, 200)``).
* ``halo_webhooks`` – that receiver, wired as the webhook of ``halo_control``'s
  integrators with ``.secret``: ``halo_clock.advance("1m"); [n] = halo_webhooks.wait(1); n.verify(...)``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # httpx is imported only when a fixture is used: the plugin
    # loads into every pytest session once mock-halo is installed.
    from mock_halo.client import ClockState, MockHaloControl


class HaloClock:
    """The emulator clock, as a test moves it."""

    def __init__(self, control: MockHaloControl) -> None:
        self._control = control

    def now(self) -> str:
        return self._control.clock().now

    def advance(self, duration: str | float) -> ClockState:
        return self._control.advance(duration)

    def set_time(self, instant: Any) -> ClockState:
        return self._control.set_time(instant)

    def freeze(self) -> ClockState:
        return self._control.freeze()

    def real_time(self, speed: float = 1.0) -> ClockState:
        """Let the clock run from the wall clock's now (a move back resets the emulator first)."""
        return self._control.real_time(speed)


class HaloScenarios:
    """Scenario rules for this test's emulator."""

    def __init__(self, control: MockHaloControl) -> None:
        self._control = control

    def add(self, match: dict[str, Any] | None = None, outcome: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        return self._control.add_scenario(match, outcome, **fields)

    def list(self) -> list[dict[str, Any]]:
        return self._control.scenarios()

    def delete(self, rule_id: str) -> None:
        self._control.delete_scenario(rule_id)

    def clear(self) -> None:
        self._control.clear_scenarios()


@pytest.fixture
def halo_settings():
    """Embedded defaults on a virtual clock (frozen at 2026-01-05 10:00 Sydney)."""
    from mock_halo.config import load_settings

    return load_settings(env={}, overrides={"clock": "virtual"})


@pytest.fixture
def halo_emulator(halo_settings) -> Iterator[Any]:
    from mock_halo.emulator import Emulator

    emulator = Emulator(halo_settings)
    yield emulator
    emulator.close()


@pytest.fixture
def halo_app(halo_emulator):
    from mock_halo.app import create_app

    return create_app(emulator=halo_emulator)


@pytest.fixture
def halo_client(halo_app) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(halo_app) as client:
        yield client


@pytest.fixture
def halo_control(halo_client) -> MockHaloControl:
    from mock_halo.client import MockHaloControl

    return MockHaloControl(client=halo_client)


@pytest.fixture
def halo_clock(halo_control) -> HaloClock:
    return HaloClock(halo_control)


@pytest.fixture
def halo_scenarios(halo_control) -> HaloScenarios:
    return HaloScenarios(halo_control)


@dataclass
class HaloServer:
    """A live emulator: ``base_url`` for any HTTP client, ``control`` for ``/_mock``."""

    base_url: str
    emulator: Any
    control: MockHaloControl


@pytest.fixture
def halo_server(halo_settings) -> Iterator[HaloServer]:
    """A uvicorn server on a free port of 127.0.0.1, its own emulator, stopped after the test."""
    from mock_halo.client import MockHaloControl
    from mock_halo.emulator import Emulator
    from mock_halo.live import LiveServer

    emulator = Emulator(halo_settings)
    server = LiveServer(emulator)
    control = MockHaloControl(server.base_url)
    try:
        yield HaloServer(base_url=server.base_url, emulator=emulator, control=control)
    finally:
        control.close()
        server.stop()
        emulator.close()


@pytest.fixture(scope="session")
def halo_chaos_settings():
    """The settings of every ``halo_chaos`` emulator (a virtual clock is forced); override in a conftest."""
    from mock_halo.config import load_settings

    return load_settings(env={}, overrides={"clock": "virtual"})


@pytest.fixture(scope="session")
def halo_chaos(halo_chaos_settings):
    """Runs a client function against a fresh emulator per generated schedule (see mock_halo.chaos)."""
    from mock_halo.chaos import ChaosRunner

    return ChaosRunner(halo_chaos_settings)


# -- webhooks -----------------------------------------------------------------------
@dataclass
class ReceivedWebhook:
    """One POST the receiver got, exactly as sent."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    def verify(self, secret: str, now: Any = None) -> dict[str, Any]:
        """``mock_halo.webhooks.verify`` over this request (``now``: the emulator's time on a virtual clock)."""
        from mock_halo.webhooks import verify

        return verify(self.body, self.headers, secret, now=now)


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers as scripted."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(ReceivedWebhook(self.path, dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._received: list[ReceivedWebhook] = []
        self._script: list[int] = []
        self._changed = threading.Condition()
        self.secret: str | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mock-halo-webhook-receiver", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks"

    def _record(self, received: ReceivedWebhook) -> int:
        with self._changed:
            self._received.append(received)
            status = self._script.pop(0) if self._script else 200
            self._changed.notify_all()
            return status

    def respond(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order (then 200 again)."""
        with self._changed:
            self._script = list(statuses)

    @property
    def deliveries(self) -> list[ReceivedWebhook]:
        with self._changed:
            return list(self._received)

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedWebhook]:
        """The requests received once there are at least ``count`` (AssertionError after ``timeout`` s)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"expected {count} webhook request(s), got {len(self._received)} within {timeout} s")
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()
            self._script.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def halo_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free loopback port, stopped after the test."""
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def halo_webhooks(halo_control, halo_webhook_receiver) -> WebhookReceiver:
    """``halo_webhook_receiver`` as every integrator's webhook (URL ``<url>/{source}/{siteId}/{queryId}``, ``.secret``)."""
    halo_webhook_receiver.secret = "mock-halo-test-secret"
    for entry in halo_control.webhook_config():
        halo_control.set_webhook(
            entry["integratorId"], url=halo_webhook_receiver.url + "/{source}/{siteId}/{queryId}", secret=halo_webhook_receiver.secret
        )
    return halo_webhook_receiver

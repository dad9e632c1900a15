"""Run an integrator's client against a fresh emulator having a generated bad day.

:class:`ChaosRunner` (the ``halo_chaos`` fixture) takes a
:class:`~mock_halo.chaos.schedule.Schedule` and a function ``client(halo)``.
For each run it builds a fresh emulator on a virtual clock, applies the
schedule through the control plane, calls the function with a
:class:`ChaosHalo` (where to send requests, and ``sleep``/``monotonic`` hooks
that move and read the emulator clock, so nothing really sleeps), then judges
what the client did from the journal (:mod:`mock_halo.checks`). The returned
:class:`ChaosRun` holds the function's result or exception, the journal and
the report.

In process (the default) requests go through an httpx transport straight into
the app: a run costs a few milliseconds plus the client's own work. With
``live=True`` the emulator listens on a free loopback port for clients in any
language; such a client waits by calling ``POST /_mock/clock/advance``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from mock_halo.chaos.schedule import Schedule
from mock_halo.chaos.transport import AppTransport, AsyncAppTransport, Budget, BudgetExceeded
from mock_halo.checks import CheckResult, Report, Violation, judge, judge_webhooks
from mock_halo.client import MockHaloControl
from mock_halo.clock import parse_duration, parse_timestamp
from mock_halo.journal import Journal

IN_PROCESS_URL = "http://mock-halo.test"
SETUP_GRANT = "urn:halo-connect:oauth:device-token"
SETUP_DEVICE = "mock-halo-chaos-setup"
FINISHES = "finishes"


class ChaosHalo:
    """What the client under test gets: where Halo is, and the emulator's clock.

    ``http`` is an ``httpx.Client`` already pointed at the emulator; a client
    that builds its own passes ``transport=halo.transport`` (or
    ``halo.async_transport`` to an ``httpx.AsyncClient``) and
    ``base_url=halo.base_url``. Give the client ``halo.sleep`` (or
    ``halo.async_sleep``) instead of ``time.sleep`` and ``halo.monotonic``
    instead of ``time.monotonic``: they move and read the emulator clock.
    """

    def __init__(self, *, base_url: str, site_id: str, subscription_key: str, control: MockHaloControl,
                 budget: Budget, transport: httpx.BaseTransport | None = None,
                 async_transport: httpx.AsyncBaseTransport | None = None, emulator: Any = None) -> None:
        self.base_url = base_url
        self.site_id = site_id
        self.subscription_key = subscription_key
        self.control = control
        self.transport = transport
        self.async_transport = async_transport
        self._budget = budget
        self._emulator = emulator
        self.http = httpx.Client(base_url=base_url, transport=transport)

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of emulator time pass (instantly)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self._budget.wait(seconds)
        if self._emulator is not None:
            self._emulator.clock.advance(seconds)
        elif seconds:
            self.control.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def now(self) -> datetime:
        if self._emulator is not None:
            return self._emulator.clock.now()
        return parse_timestamp(self.control.clock().now)

    def monotonic(self) -> float:
        """Emulator seconds (use in place of ``time.monotonic``)."""
        return self.now().timestamp()

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, transport=self.async_transport, **kwargs)

    def close(self) -> None:
        self.http.close()


@dataclass
class ChaosRun:
    """One run: the schedule, what the client returned or raised, and the checks' report."""

    schedule: Schedule
    result: Any
    error: BaseException | None
    report: Report
    entries: list[dict[str, Any]]
    rules: list[dict[str, Any]] = field(default_factory=list)
    #: Webhook deliveries (``GET /_mock/webhooks``), in live runs.
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def failed(self) -> list[str]:
        return self.report.failed

    @property
    def requests(self):
        return self.report.requests

    def assert_ok(self) -> None:
        """AssertionError naming the schedule, the client's outcome and every violation."""
        if not self.ok:
            raise AssertionError(str(self))

    def __str__(self) -> str:
        if self.error is not None:
            outcome = f"raised {type(self.error).__name__}: {self.error}"
        elif isinstance(self.result, (list, tuple, dict, set)):
            outcome = f"returned a {type(self.result).__name__} of {len(self.result)} item(s)"
        else:
            text = repr(self.result)
            outcome = f"returned {text if len(text) <= 200 else text[:200] + '…'}"
        return f"Halo's bad day:\n{self.schedule.describe()}\nThe client {outcome}\n{self.report}"


class ChaosRunner:
    """Runs client functions against fresh emulators, one schedule each (the ``halo_chaos`` fixture).

    ``settings`` are the emulator's (a virtual clock is forced); ``site_id``
    the site faults target (default: the first configured). The budget stops
    a client that never finishes: ``max_requests`` requests or ``max_wait``
    of emulator time. ``checks`` (default all) and their options are passed
    to :func:`mock_halo.checks.judge`.
    """

    def __init__(self, settings: Any = None, *, site_id: str | None = None, max_requests: int = 1000,
                 max_wait: str | float = "2d", checks: Iterable[str] | None = None, min_delay: float = 1.0,
                 min_poll_interval: float = 1.0, max_in_flight: int = 8, journal_body_limit: int = 65536) -> None:
        from mock_halo.config import load_settings

        base = settings if settings is not None else load_settings(env={})
        self.settings = dataclasses.replace(base, clock="virtual")
        self.site_id = (site_id or self.settings.sites[0].id).lower()
        self.max_requests = max_requests
        self.max_wait_s = parse_duration(max_wait).total_seconds()
        self.checks = list(checks) if checks is not None else None
        self.options = {"min_delay": min_delay, "min_poll_interval": min_poll_interval, "max_in_flight": max_in_flight}
        self.journal_body_limit = journal_body_limit

    @property
    def subscription_key(self) -> str:
        return self.settings.integrators[0].subscription_keys[0]

    def run(self, schedule: Schedule, client: Callable[[ChaosHalo], Any], *, live: bool = False) -> ChaosRun:
        """Apply ``schedule`` to a fresh emulator, call ``client(halo)``, judge the journal."""
        with self._emulator(schedule) as emulator, self._halo(emulator, live) as halo:
            self._apply(schedule, halo.control, halo.http)
            result, error = None, None
            try:
                result = client(halo)
            except BudgetExceeded as exc:
                error = exc
            except Exception as exc:  # the client's failure is part of what the run reports
                error = exc
            entries = halo.control.journal()
            rules = halo.control.scenarios()
            deliveries = halo.control.webhooks() if live else []
        report = judge(entries, self.checks, rules=rules, gave_up=error is not None, **self.options)
        if deliveries:  # the client's webhook receiver is judged too
            report.results.extend(judge_webhooks(deliveries))
        if isinstance(error, BudgetExceeded):
            last = (int(entries[-1]["id"]),) if entries else ()
            report.results.append(CheckResult(FINISHES, "the client finishes within the run's budget",
                                              [Violation(FINISHES, f"stopped: {error}", last)]))
        return ChaosRun(schedule, result, error, report, entries, rules, deliveries)

    # -- the parts of a run ----------------------------------------------------------
    def _run_sql(self, http: httpx.Client, statements: list[str]) -> None:
        form = {"grant_type": SETUP_GRANT, "device_id": SETUP_DEVICE, "site_id": self.site_id}
        token = http.post("/integrator/token", data=form, headers={"Ocp-Apim-Subscription-Key": self.subscription_key})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}", "DeviceId": SETUP_DEVICE}
        for sql in statements:
            answer = http.post(f"/device/sites/{self.site_id}/queries/immediate", json={"command": {"text": sql}}, headers=headers)
            if answer.status_code != 200:
                try:
                    why = answer.json().get("errorDetails") or answer.json().get("error")
                except ValueError:
                    why = answer.text[:500]
                raise ValueError(f"the schedule's data edit failed ({answer.status_code}): {sql}: {why}")

    @contextmanager
    def _emulator(self, schedule: Schedule) -> Iterator[Any]:
        from mock_halo.emulator import Emulator

        emulator = Emulator(dataclasses.replace(self.settings, **schedule.settings()))
        # Status bodies list every result page: keep them whole for the checks.
        emulator.journal = Journal(capacity=max(self.max_requests + 100, 1000), body_limit=self.journal_body_limit)
        try:
            yield emulator
        finally:
            emulator.close()

    @contextmanager
    def _halo(self, emulator: Any, live: bool) -> Iterator[ChaosHalo]:
        budget = Budget(self.max_requests, self.max_wait_s)
        common = {"site_id": self.site_id, "subscription_key": self.subscription_key, "budget": budget}
        if live:
            from mock_halo.live import LiveServer

            with LiveServer(emulator) as server, MockHaloControl(server.base_url) as control:
                halo = ChaosHalo(base_url=server.base_url, control=control, **common)
                try:
                    yield halo
                finally:
                    halo.close()
            return
        from mock_halo.app import create_app

        app = create_app(emulator=emulator)
        transport = AppTransport(app, budget)
        control_transport = AppTransport(app)  # control calls count toward no budget and no concurrency
        control_http = httpx.Client(base_url=IN_PROCESS_URL, transport=control_transport)
        halo = ChaosHalo(base_url=IN_PROCESS_URL, control=MockHaloControl(client=control_http), transport=transport,
                         async_transport=AsyncAppTransport(app, budget, transport.in_flight), emulator=emulator, **common)
        try:
            yield halo
        finally:
            halo.close()
            control_http.close()
            transport.close()
            control_transport.close()

    def _apply(self, schedule: Schedule, control: MockHaloControl, http: httpx.Client) -> None:
        statements = schedule.setup_sql()
        if statements:  # the data the client will see, written through the Halo API first
            self._run_sql(http, statements)
            control.clear_journal()
        rules = schedule.rules()
        if rules:
            control.add_scenarios(rules)
        for offset, state in schedule.availability_changes():
            control.set_availability(self.site_id, state, after=offset)

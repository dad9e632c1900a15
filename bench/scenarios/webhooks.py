"""``webhook-deliveries``: 1,000 webhook deliveries while immediate queries run.

Issue 12's target: 1,000 webhook deliveries to a local receiver complete once
the clock is moved, without slowing concurrent immediate queries by more than
10%. The emulator (``mock-halo serve``, virtual clock) sends its first
integrator's notifications to a receiver in its own process
(:mod:`bench.webhook_receiver`). Each round submits 1,000 async queries whose
notifications are held back an hour (``/* mock-halo: webhook=delay:1h */``) and
moves the clock 30 minutes so they all complete; nothing is due yet. Then two
load runs of ``immediate-select``'s request, in alternating order:

* **quiet**: nothing is due, so nothing is sent;
* **delivering**: the clock moves an hour as the load starts, so all 1,000
  notifications fall due at once and go out while the queries run.

Both runs last ``--duration`` seconds, or less when a first, unmeasured
delivering run shows the deliveries finish sooner under load (whole seconds,
at least one): the delivering run then measures only queries that ran beside
deliveries, not a mostly quiet window.

Rows: the time from the clock move until the receiver has all 1,000 (under
load), and the mean immediate query time (1 / req/s) delivering vs quiet,
whose ratio must stay below 1.10.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
import urllib.parse
from typing import Any

from bench.model import LoadResult, RequestSpec, Target, TimingComparison
from bench.net import http_request
from bench.registry import RunContext, ScenarioFailure, SetupContext, Skip, timing
from bench.scenarios.emulator import DEVICE_GRANT, DEVICE_ID, NOT_BUILT_MARKERS, PACKAGE_DIR, device_login, immediate_select
from bench.servers import LaunchSpec, ServerProcess

DELIVERIES = 1000
QUICK_DELIVERIES = 200
SECRET = "bench-secret"
DELIVERY_TARGET = Target.max_seconds(10.0)
SLOWDOWN_TARGET = Target.max_ratio(1.10)
DELIVERY_DEADLINE_S = 120.0
SUBMIT_SQL = "SELECT 1 AS one /* mock-halo: webhook=delay:1h */"


def receiver_launch() -> LaunchSpec:
    return LaunchSpec("webhook receiver", (sys.executable, "-m", "bench.webhook_receiver", "--host", "{host}", "--port", "{port}"))


def emulator_launch(receiver_port: int) -> LaunchSpec:
    """``mock-halo serve`` on a virtual clock, its first integrator's webhook at the receiver."""
    return LaunchSpec(
        name="mock-halo serve (webhooks)",
        argv=(sys.executable, "-m", "mock_halo", "serve", "--host", "{host}", "--port", "{port}"),
        env={
            "MOCK_HALO_LOG_LEVEL": "warning",
            "MOCK_HALO_CLOCK": "virtual",
            "MOCK_HALO_WEBHOOK_URL": f"http://127.0.0.1:{receiver_port}/halo/{{source}}/{{siteId}}",
            "MOCK_HALO_WEBHOOK_SECRET": SECRET,
            # The clock moves 90 minutes a round: the load's device token must outlive them.
            "MOCK_HALO_TOKEN_LIFETIME": str(7 * 86400),
        },
        scrub_env_prefixes=("MOCK_HALO_",),
        unavailable_markers=NOT_BUILT_MARKERS,
    )


class Bench:
    """The started receiver and emulator, and the calls a round makes."""

    def __init__(self, ctx: RunContext, receiver: ServerProcess, emulator: ServerProcess) -> None:
        self.ctx = ctx
        self.receiver = receiver
        self.emulator = emulator
        setup = SetupContext(emulator, ctx)
        self.load_request: RequestSpec = immediate_select(setup)
        login = device_login(setup)
        info = self.json("GET", "/_mock/info")
        if "webhooks" not in info:
            raise Skip("this emulator has no webhooks (no 'webhooks' in /_mock/info)")
        sites = next(i["sites"] for i in info["integrators"] if login.site_id in i["sites"])
        self.tokens = {site: self.token(site, login.subscription_key) for site in sites}

    def json(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        merged = {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
        reply = http_request(self.emulator.port, method, path, merged, data, host=self.emulator.host, timeout=120)
        if reply.status >= 300:
            raise ScenarioFailure(f"{method} {path} answered {reply.status}: {reply.text()}")
        return reply.json() if reply.body else None

    def token(self, site: str, key: str) -> str:
        form = urllib.parse.urlencode({"grant_type": DEVICE_GRANT, "device_id": DEVICE_ID, "site_id": site})
        reply = http_request(self.emulator.port, "POST", "/integrator/token", {
            "Ocp-Apim-Subscription-Key": key, "Content-Type": "application/x-www-form-urlencoded"}, form.encode(),
            host=self.emulator.host)
        if reply.status != 200:
            raise ScenarioFailure(f"no device token for site {site}: {reply.status} {reply.text()}")
        return str(reply.json()["access_token"])

    def received(self) -> tuple[int, float]:
        """How many POSTs the receiver got, and when the latest arrived (``time.monotonic()``)."""
        body = http_request(self.receiver.port, "GET", "/count", host=self.receiver.host).json()
        return int(body["received"]), float(body["last"])

    def prepare(self, count: int) -> None:
        """``count`` async queries, completed, their notifications due an hour from now."""
        self.json("DELETE", "/_mock/webhooks")
        sites = list(self.tokens)
        for n in range(count):
            site = sites[n % len(sites)]
            headers = {"Authorization": f"Bearer {self.tokens[site]}", "DeviceId": DEVICE_ID}
            self.json("POST", f"/device/sites/{site}/queries/async", {"command": {"text": SUBMIT_SQL}}, headers)
        self.json("POST", "/_mock/clock/advance", {"duration": "30m"})
        waiting = self.json("GET", "/_mock/webhooks?limit=0")["waiting"]
        if waiting != count:
            raise ScenarioFailure(f"{count} async queries gave {waiting} waiting webhook deliveries")

    def load(self, seconds: float) -> LoadResult:
        result = self.ctx.tool.run(self.emulator.host, self.emulator.port, self.load_request,
                                   duration_s=seconds, connections=self.ctx.options.connections)
        if result.errors:
            raise ScenarioFailure(f"the immediate query load had {result.errors} errors")
        return result

    def delivering(self, seconds: float, count: int) -> tuple[LoadResult, float]:
        """Load for ``seconds`` while the clock moves an hour: (load result, seconds until all ``count`` arrived)."""
        before, _ = self.received()
        outcome: dict[str, LoadResult] = {}
        runner = threading.Thread(target=lambda: outcome.setdefault("load", self.load(seconds)))
        runner.start()
        time.sleep(min(0.2, seconds / 10))  # let the load reach full speed first
        moved = time.monotonic()
        self.json("POST", "/_mock/clock/advance", {"duration": "1h"})
        while True:
            # Polled gently (the bench shares the cores); the receiver stamps the last arrival.
            time.sleep(0.1)
            received, last = self.received()
            if received - before >= count:
                break
            if time.monotonic() - moved > DELIVERY_DEADLINE_S:
                raise ScenarioFailure(f"only {received - before} of {count} webhooks arrived in {DELIVERY_DEADLINE_S:g} s")
        took = last - moved
        runner.join()
        if "load" not in outcome:
            raise ScenarioFailure("the load run during deliveries failed")
        return outcome["load"], took


@timing("webhook-deliveries")
def webhook_deliveries(ctx: RunContext) -> list[TimingComparison]:
    """1,000 webhook deliveries after a clock move, and immediate queries beside them vs without."""
    if not (PACKAGE_DIR / "webhooks" / "__init__.py").is_file():
        raise Skip("mock_halo/webhooks does not exist yet")
    count = QUICK_DELIVERIES if ctx.options.quick else DELIVERIES
    rounds = 1 if ctx.options.quick else ctx.options.rounds
    with ServerProcess(receiver_launch()) as receiver:
        receiver.wait_ready("/")
        with ServerProcess(emulator_launch(receiver.port)) as emulator:
            emulator.wait_ready("/_mock/health", timeout_s=60)
            bench = Bench(ctx, receiver, emulator)
            # Calibration: the deliveries must last the whole measured window under load.
            longest = max(1.0, float(math.floor(ctx.options.duration_s)))
            bench.prepare(count)
            _, first = bench.delivering(longest + 1, count)
            window = max(1.0, min(longest, float(math.floor(first))))
            deliveries: list[float] = []
            quiet: list[float] = []
            busy: list[float] = []
            for n in range(rounds):
                bench.prepare(count)
                for kind in (("quiet", "delivering") if n % 2 == 0 else ("delivering", "quiet")):
                    if kind == "quiet":
                        quiet.append(1.0 / bench.load(window).rps)
                    else:
                        result, took = bench.delivering(window, count)
                        busy.append(1.0 / result.rps)
                        deliveries.append(took)
    ctx.details.update(deliveries=count, rounds=rounds, window_s=window, calibration_s=first, webhook_secret=SECRET)
    return [
        TimingComparison(f"{count} deliveries after the clock moves (under load)", tuple(deliveries), (), DELIVERY_TARGET,
                         note="from POST /_mock/clock/advance to the receiver holding all of them"),
        TimingComparison("immediate query, delivering vs quiet", tuple(busy), tuple(quiet), SLOWDOWN_TARGET,
                         note=f"1 / req/s over {window:g} s windows; ratio = slowdown while webhooks go out"),
    ]

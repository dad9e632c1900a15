"""Child process of the ``console-pages`` scenario: the server time of the console's pages with
10,000 queries in the store.

Run as ``python -m bench.console_worker --iterations N --queries 10000``; prints one JSON object on
its last stdout line: ``{"skip": reason}``, ``{"error": traceback}`` or the samples (seconds) per
page. The app is called as ASGI directly (no socket, no HTTP client), so a sample is the server's
own time. The store is filled through the Halo API: immediate queries, and async ones of which most
have finished and the newest are still going; the journal is full.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from typing import Any

from bench.integrator_worker import call_asgi
from bench.worker import report

SQL = "SELECT TOP 5 Firstname, Surname FROM BPS_Patients ORDER BY InternalID"
ASYNC_EVERY = 5  # one async query in five
#: label -> console path ({query}: a finished async query).
PAGES = {
    "overview": "/_mock/ui",
    "queries": "/_mock/ui/queries",
    "queries, live part": "/_mock/ui/queries?partial=1",
    "queries filtered to a rare status": "/_mock/ui/queries?status=executing",
    "one query": "/_mock/ui/queries/{query}",
    "journal": "/_mock/ui/journal",
    "scenarios": "/_mock/ui/scenarios",
    "webhooks": "/_mock/ui/webhooks",
}


async def measure(iterations: int, queries: int) -> dict[str, Any]:
    try:
        from mock_halo.app import create_app
        from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, load_settings
    except ImportError as exc:
        return {"skip": f"cannot import the emulator: {exc}"}
    app = create_app(load_settings(env={}, overrides={"clock": "virtual"}))
    emulator = app.state.emulator
    site = DEFAULT_SITE_IDS[0]
    key = {"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY, "Content-Type": "application/json"}
    base = f"/integrator/sites/{site}/queries"
    body = json.dumps({"command": {"text": SQL}}).encode()
    finished = None
    for number in range(queries):
        if number == queries - 50:  # the last 50 stay in flight
            emulator.clock.advance(timedelta(minutes=30))
        mode = "async" if number % ASYNC_EVERY == 0 else "immediate"
        status, answer = await call_asgi(app, "POST", f"{base}/{mode}", key, body)
        if status not in (200, 201, 202):
            return {"error": f"POST {base}/{mode} answered {status}: {answer[:300]!r}"}
        if mode == "async" and finished is None:
            finished = json.loads(answer)["id"]
    emulator.clock.advance(timedelta(seconds=1))
    if len(emulator.queries) != queries:
        return {"error": f"the store holds {len(emulator.queries)} queries, not {queries}"}
    await call_asgi(app, "POST", "/_mock/scenarios", {"Content-Type": "application/json"},
                json.dumps({"match": {"surface": "immediate", "sql": "BPS_Appointments"}, "outcome": {"error": 429}}).encode())
    samples: dict[str, list[float]] = {label: [] for label in PAGES}
    sizes: dict[str, int] = {}
    health: list[float] = []
    for _ in range(iterations):
        for label, path in PAGES.items():
            started = time.perf_counter()
            status, page = await call_asgi(app, "GET", path.format(query=finished), {})
            samples[label].append(time.perf_counter() - started)
            if status != 200:
                return {"error": f"GET {path} answered {status}: {page[:300]!r}"}
            sizes[label] = len(page)
        started = time.perf_counter()
        await call_asgi(app, "GET", "/_mock/health", {})
        health.append(time.perf_counter() - started)
    return {"pages": samples, "health_s": health, "bytes": sizes, "journal": len(emulator.journal)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--queries", type=int, default=10_000)
    args = parser.parse_args()
    report(measure(args.iterations, args.queries))


if __name__ == "__main__":
    main()

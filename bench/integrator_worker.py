"""Child process of the ``integrator-batch-status`` scenario: the server time of batch status.

Run as ``python -m bench.integrator_worker --iterations N --ids 100``; prints one JSON object on its
last stdout line: ``{"skip": reason}``, ``{"error": traceback}`` or the samples (seconds). The app
is called as ASGI directly (no socket, no HTTP client), so a sample is the server's own time:
routing, the key check, reading and validating the body, rendering every query and the answer.
The ids are those of finished async queries (each renders its whole status body).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from bench.worker import report

SQL = "SELECT TOP 5 Firstname, Surname FROM BPS_Patients ORDER BY InternalID"


async def call_asgi(app: Any, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """One request to ``app`` as ASGI from a loopback client; ``target`` is a path with an optional ``?query``."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(iterations: int, ids: int) -> dict[str, Any]:
    try:
        from mock_halo.app import create_app
        from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, load_settings
    except ImportError as exc:
        return {"skip": f"cannot import the emulator: {exc}"}
    app = create_app(load_settings(env={}, overrides={"clock": "virtual"}))
    site = DEFAULT_SITE_IDS[0]
    key = {"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY, "Content-Type": "application/json"}
    base = f"/integrator/sites/{site}/queries"
    query_ids = []
    for _ in range(ids):
        status, body = await call_asgi(app, "POST", f"{base}/async", key, json.dumps({"command": {"text": SQL}}).encode())
        if status == 404:
            return {"skip": f"POST {base}/async answered 404 (no Integrator API yet)"}
        query_ids.append(json.loads(body)["id"])
    app.state.emulator.clock.advance(__import__("datetime").timedelta(minutes=30))
    request = json.dumps({"queryIds": query_ids}).encode()
    status, body = await call_asgi(app, "POST", f"{base}/status", key, request)
    if status != 200:
        return {"error": f"batch status answered {status}: {body[:300]!r}"}
    statuses = {r["query"]["status"] for r in json.loads(body)["results"]}
    if statuses != {"successful"}:
        return {"error": f"the queries are not all successful: {sorted(statuses)}"}
    single = f"{base}/{query_ids[0]}"
    batch_s, single_s = [], []
    for _ in range(iterations):
        started = time.perf_counter()
        await call_asgi(app, "POST", f"{base}/status", key, request)
        batch_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        await call_asgi(app, "GET", single, key)
        single_s.append(time.perf_counter() - started)
    return {"batch_s": batch_s, "single_s": single_s, "response_bytes": len(body)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--ids", type=int, default=100)
    args = parser.parse_args()
    report(measure(args.iterations, args.ids))


if __name__ == "__main__":
    main()

"""Child process of the ``async-lifecycle-scale`` scenario.

Run as ``python -m bench.lifecycle_worker --queries N --sites S``; prints one
JSON object on its last stdout line (``{"error": traceback}`` or the facts).

One emulator with ``S`` Bp Premier sites on a virtual clock; ``N`` async
queries submitted round-robin over the sites through the lifecycle (the domain
calls the HTTP handlers make), then the clock is moved in steps, every site is
caught up as the app does on a clock move (each due execution's SQL on its
site's worker thread), and pending queries are polled, until every query is
terminal. Every query must end
``successful`` having been ``initialising``, ``queued``, ``executing`` and
``uploading`` (its ``statusTiming``), and every page of every result is
downloaded and its rows counted. Wall time and peak RSS are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import resource
import time
import traceback
from typing import Any

SQL = "SELECT TOP 12 InternalID, Firstname, Surname, DOB FROM BPS_Patients ORDER BY InternalID"
PHASES = ("initialising", "queued", "executing", "uploading")
TERMINAL = {"successful", "executionFailed", "uploadFailed", "expiredInQueue", "initialisationFailedCacheError",
            "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable"}
STEP_S = 1.0
POLLS_PER_STEP = 2000


def _settings(sites: int):
    from mock_halo.config import settings_from_mapping

    return settings_from_mapping({
        "clock": "virtual", "patients": 30, "page_size_bytes": 400,
        "sites": [{"name": f"Scale Practice {i}", "pms_site_id": str(20000 + i)} for i in range(sites)],
    })


def measure(queries: int, sites: int) -> dict[str, Any]:
    return asyncio.run(_measure(queries, sites))


async def _measure(queries: int, sites: int) -> dict[str, Any]:
    from mock_halo.cloud.base import SiteWork
    from mock_halo.emulator import Emulator
    from mock_halo.sql import SqlCommand

    started = time.perf_counter()
    emulator = Emulator(_settings(sites))
    emulator.warm()
    setup_s = time.perf_counter() - started
    lifecycle = emulator.lifecycle
    work = SiteWork(emulator)
    integrator = emulator.settings.integrators[0].id
    site_ids = list(emulator.sites)
    command = SqlCommand(text=SQL, execution_mode="reader", command_type="text", parameters=[], catalogue=None)
    size = len(SQL) + 30

    begun = time.perf_counter()
    submitted = []
    for i in range(queries):
        site = site_ids[i % len(site_ids)]
        query = lifecycle.submit(site_id=site, integrator_id=integrator, command=command,
                                 command_size=size, request_size=size)
        submitted.append((site, query.id))
    submit_s = time.perf_counter() - begun

    seen: dict[str, int] = {}
    pending = list(range(queries))
    polls = steps = 0
    cursor = 0
    while pending:
        emulator.clock.advance(STEP_S)
        await work.catch_up_all()
        steps += 1
        still: list[int] = []
        chunk = set(pending[cursor:cursor + POLLS_PER_STEP])
        for index in pending:
            if index not in chunk:
                still.append(index)
                continue
            site, query_id = submitted[index]
            status = lifecycle.status(site, query_id)["status"]
            polls += 1
            seen[status] = seen.get(status, 0) + 1
            if status not in TERMINAL:
                still.append(index)
        cursor = (cursor + POLLS_PER_STEP) % max(1, len(still))
        pending = still
        if steps > 100_000:
            raise RuntimeError("queries never finished")

    pages = rows = 0
    for site, query_id in submitted:
        body = lifecycle.status(site, query_id)
        if body["status"] != "successful" or any(p not in body["statusTiming"] for p in PHASES):
            raise RuntimeError(f"query {query_id} ended {body['status']} with phases {sorted(body['statusTiming'])}")
        for page in body["result"]["pages"]:
            download = lifecycle.page(site, query_id, page["pageNumber"])
            rows += len(json.loads(base64.b64decode(download.body["data"])))
            pages += 1
        if rows and body["result"]["rows"] != 12:
            raise RuntimeError(f"query {query_id} has {body['result']['rows']} rows")
    if rows != 12 * queries:
        raise RuntimeError(f"downloaded {rows} rows, expected {12 * queries}")
    total_s = time.perf_counter() - begun
    emulator.close()
    return {
        "setup_s": setup_s, "submit_s": submit_s, "total_s": total_s, "steps": steps, "polls": polls,
        "pages": pages, "rows": rows, "statuses_seen": seen, "virtual_s": steps * STEP_S,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=10)
    args = parser.parse_args()
    try:
        result = measure(args.queries, args.sites)
    except Exception:  # reported to the harness as data
        result = {"error": traceback.format_exc()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

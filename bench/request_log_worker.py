"""Child process of the ``request-log-cost`` scenario: what the request log adds to the CPU time
the server spends on an immediate query, measured in-process so the shared machine's noise (which
swamps a 5% difference in a throughput run) stays out.

Run as ``python -m bench.request_log_worker --batches N --size K``. The app is called as ASGI
(no socket); the log is ``mock-halo serve``'s (:func:`mock_halo.logs.configure`, text lines to a
file). A sample is the process's CPU time (all its threads: ``time.process_time``, which other
processes' load leaves alone, unlike the wall clock) for one batch of K immediate-select requests,
per request: with the log on, the batch also flushes the K lines it queued (formatted and
written, the writer thread's work, so the whole cost is counted); with it off (``--quiet``'s
level) nothing is logged. Batches alternate. Prints one JSON object on its last stdout line
(see :mod:`bench.worker`).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from typing import Any

from bench.integrator_worker import call_asgi
from bench.worker import report

SQL = "SELECT TOP 1 InternalID FROM BPS_Patients ORDER BY InternalID"


async def measure(batches: int, size: int) -> dict[str, Any]:
    try:
        from mock_halo import logs
        from mock_halo.app import create_app
        from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, load_settings
    except ImportError as exc:
        return {"skip": f"cannot import the emulator: {exc}"}
    app = create_app(load_settings(env={}, overrides={"clock": "virtual"}))
    path = f"/integrator/sites/{DEFAULT_SITE_IDS[0]}/queries/immediate"
    headers = {"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY, "Content-Type": "application/json"}
    body = json.dumps({"command": {"text": SQL}}).encode()
    root = logging.getLogger("mock_halo")
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        writer = logs.configure("text", stream=out, interval=3600)  # flushed by the batches themselves

        async def batch(logged: bool) -> float:
            root.setLevel(logging.INFO if logged else logging.WARNING)
            started = time.process_time()
            for _ in range(size):
                status, answer = await call_asgi(app, "POST", path, headers, body)
                if status != 200:
                    raise RuntimeError(f"POST {path} answered {status}: {answer[:300]!r}")
            writer.flush()
            return (time.process_time() - started) / size

        await batch(True)  # warm: the translation cache, the first token check
        await batch(False)
        on: list[float] = []
        off: list[float] = []
        for number in range(batches):
            for logged in ((True, False) if number % 2 else (False, True)):
                (on if logged else off).append(await batch(logged))
        out.seek(0)
        lines = sum(1 for _ in out)
        writer.close()
    expected = size * (batches + 1)
    if lines != expected:
        return {"error": f"the log has {lines} lines, not one per logged request ({expected})"}
    return {"on_s": on, "off_s": off, "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--size", type=int, default=50)
    args = parser.parse_args()
    report(measure(args.batches, args.size))


if __name__ == "__main__":
    main()

"""Child process of the ``chaos-example`` scenario: times generated-example runs in-process.

Run as ``python -m bench.chaos_worker --iterations N``; prints one JSON object
on its last stdout line: ``{"skip": reason}``, ``{"error": traceback}`` or the
samples. Measured, interleaved per iteration:

* subject: ``ChaosRunner.run(schedule, careful client)``: a fresh emulator,
  a schedule (a patient's surname set to an awkward one through the Halo API,
  a 429 on the first status poll and 2 KiB result pages) applied, the example careful client, the journal
  read and judged by every check;
* baseline: the same client on a fresh emulator through Starlette's
  ``TestClient`` (what a hand-written test with the plugin's ``halo_client``
  does), with no schedule and no checks.
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections.abc import Sequence
from typing import Any


def measure(iterations: int) -> dict[str, Any]:
    try:
        from examples.careful_client import fetch_patients
        from mock_halo.app import create_app
        from mock_halo.chaos import ChaosRunner, HttpError, PageUploads, Schedule, TextValue
        from mock_halo.config import load_settings
        from mock_halo.emulator import Emulator
    except ImportError as exc:
        return {"skip": f"cannot import the chaos runner or the example client: {exc}"}
    from starlette.testclient import TestClient

    settings = load_settings(env={}, overrides={"clock": "virtual"})
    name = TextValue(table="PATIENTS", key="INTERNALID", row=1, column="SURNAME", value="O'Brien-Nguyễn 🙂")
    schedule = Schedule((name, HttpError(surface="query", status=429, retry_after=2), PageUploads(page_size_bytes=2048)))
    runner = ChaosRunner(settings)

    def subject() -> int:
        run = runner.run(schedule, lambda halo: fetch_patients(
            halo.http, site_id=halo.site_id, subscription_key=halo.subscription_key, sleep=halo.sleep, clock=halo.monotonic))
        if not run.ok or run.error is not None:
            raise RuntimeError(f"the careful client did not pass: {run}")
        if run.result[0]["Surname"] != name.value:
            raise RuntimeError(f"the client read {run.result[0]['Surname']!r}, not the schedule's {name.value!r}")
        return len(run.entries)

    def baseline() -> int:
        emulator = Emulator(settings)
        clock = emulator.clock
        with TestClient(create_app(emulator=emulator), base_url="http://mock-halo.test") as client:
            rows = fetch_patients(client, site_id=settings.sites[0].id,
                                  subscription_key=settings.integrators[0].subscription_keys[0],
                                  sleep=clock.advance, clock=lambda: clock.now().timestamp())
        emulator.close()
        return len(rows)

    out: dict[str, Any] = {"requests_per_run": subject(), "rows": baseline()}
    subject_s: list[float] = []
    baseline_s: list[float] = []
    for _ in range(iterations):
        for call, samples in ((subject, subject_s), (baseline, baseline_s)):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    out.update(subject_s=subject_s, baseline_s=baseline_s)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos_worker")
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        result = measure(max(1, args.iterations))
    except Exception:
        result = {"error": traceback.format_exc()}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

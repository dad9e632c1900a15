"""The web console as a subject: ``console-pages``.

Issue 15's target: each console page answers in under 50 ms with 10,000 queries in the store
(timed in-process by :mod:`bench.console_worker`; baseline: ``GET /_mock/health``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.model import Target, TimingComparison
from bench.registry import RunContext, ScenarioFailure, Skip, timing
from bench.scenarios.emulator import EMULATOR_ENV
from bench.servers import REPO_ROOT, child_env

QUERIES = 10_000
WORKER_TIMEOUT_S = 600.0


@timing("console-pages")
def console_pages(ctx: RunContext) -> list[TimingComparison]:
    """Server time of each console page with 10,000 queries stored and a full journal."""
    iterations = ctx.samples(default=30, quick=5)
    env = child_env(("MOCK_HALO_",), EMULATOR_ENV)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.console_worker", "--iterations", str(iterations), "--queries", str(QUERIES)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"bench.console_worker exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    result = json.loads(lines[-1])
    if "skip" in result:
        raise Skip(result["skip"])
    if "error" in result:
        raise ScenarioFailure(f"in-process measurement failed:\n{result['error']}")
    ctx.details.update(iterations=iterations, queries=QUERIES, journal_entries=result["journal"], page_bytes=result["bytes"])
    return [TimingComparison(f"console {label}", tuple(samples), tuple(result["health_s"]), Target.max_seconds(0.050),
                             note="baseline: GET /_mock/health (in-process ASGI)")
            for label, samples in result["pages"].items()]

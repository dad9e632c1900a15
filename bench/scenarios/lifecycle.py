"""``async-lifecycle-scale``: 10k async queries over 10 sites through every status, on the virtual clock.

Issue 14's targets: the whole lifecycle (submit, poll, every page downloaded)
in under 20 s, with a peak RSS under 500 MB. The work happens in a child
interpreter (:mod:`bench.lifecycle_worker`) through the lifecycle's domain calls.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.model import Target, TimingComparison
from bench.registry import RunContext, ScenarioFailure, timing
from bench.scenarios.emulator import EMULATOR_ENV
from bench.servers import REPO_ROOT, child_env

QUERIES = 10_000
SITES = 10
TIME_TARGET = Target.max_seconds(20.0)
RSS_TARGET = Target.max_megabytes(500)
WORKER_TIMEOUT_S = 600.0


def run_lifecycle_worker(queries: int, sites: int) -> dict:
    """Run the child and return its JSON result (ScenarioFailure on an error)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.lifecycle_worker", "--queries", str(queries), "--sites", str(sites)],
        cwd=REPO_ROOT, env=child_env(("MOCK_HALO_",), EMULATOR_ENV), capture_output=True, text=True,
        timeout=WORKER_TIMEOUT_S,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"bench.lifecycle_worker exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    result = json.loads(lines[-1])
    if "error" in result:
        raise ScenarioFailure(f"the lifecycle run failed:\n{result['error']}")
    return result


@timing("async-lifecycle-scale")
def async_lifecycle_scale(ctx: RunContext) -> list[TimingComparison]:
    """10k async queries over 10 sites, polled through every status, every page downloaded."""
    samples = ctx.samples(default=1, quick=1)
    results = [run_lifecycle_worker(QUERIES, SITES) for _ in range(samples)]
    for key in ("setup_s", "submit_s", "steps", "polls", "pages", "rows", "statuses_seen", "virtual_s"):
        ctx.details[key] = results[-1][key]
    return [
        TimingComparison(f"{QUERIES:,} queries / {SITES} sites", tuple(r["total_s"] for r in results), (), TIME_TARGET,
                         note="submit, poll to terminal, download every page (virtual clock)"),
        TimingComparison("peak RSS", tuple(r["max_rss_mb"] for r in results), (), RSS_TARGET, unit="MB"),
    ]

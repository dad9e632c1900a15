"""``chaos-example``: one generated example of a client property test, timed in-process.

The timing happens in a child interpreter (:mod:`bench.chaos_worker`). Issue 17's
target: a generated example (fresh emulator, schedule applied, client run,
checks) costs under 50 ms, so 200 examples run in seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.model import Target, TimingComparison
from bench.registry import RunContext, ScenarioFailure, Skip, timing
from bench.scenarios.emulator import EMULATOR_ENV, PACKAGE_DIR
from bench.servers import REPO_ROOT, child_env

TARGET = Target.max_seconds(0.050)
WORKER_TIMEOUT_S = 300.0


def run_worker(iterations: int) -> dict:
    """Run the child and return its JSON result."""
    env = child_env(("MOCK_HALO_",), EMULATOR_ENV)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.chaos_worker", "--iterations", str(iterations)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"bench.chaos_worker exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


@timing("chaos-example")
def chaos_example(ctx: RunContext) -> list[TimingComparison]:
    """A halo_chaos run of the careful example client vs the same client over TestClient."""
    if not (PACKAGE_DIR / "chaos" / "runner.py").is_file():
        raise Skip("mock_halo/chaos does not exist yet")
    iterations = ctx.samples(default=30, quick=5)
    result = run_worker(iterations)
    if "skip" in result:
        raise Skip(result["skip"])
    if "error" in result:
        raise ScenarioFailure(f"in-process measurement failed:\n{result['error']}")
    ctx.details.update(iterations=iterations, requests_per_run=result["requests_per_run"], rows=result["rows"])
    return [TimingComparison(
        "halo_chaos.run()", tuple(result["subject_s"]), tuple(result["baseline_s"]), TARGET,
        note="baseline: the same client over TestClient on a fresh emulator, no schedule, no checks",
    )]

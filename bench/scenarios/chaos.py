"""``chaos-example``: one generated example of a client property test, timed in-process.

The timing happens in a child interpreter (:mod:`bench.chaos_worker`). Issue 17's
target: a generated example (fresh emulator, schedule applied, client run,
checks) costs under 50 ms, so 200 examples run in seconds.
"""

from __future__ import annotations

from bench import worker
from bench.model import Target, TimingComparison
from bench.registry import RunContext, Skip, timing
from bench.scenarios.emulator import PACKAGE_DIR

TARGET = Target.max_seconds(0.050)
WORKER_TIMEOUT_S = 300.0


def run_worker(iterations: int) -> dict:
    """The child's JSON result (its skip or error raised as Skip or ScenarioFailure)."""
    return worker.run_worker("bench.chaos_worker", "--iterations", str(iterations), timeout=WORKER_TIMEOUT_S)


@timing("chaos-example")
def chaos_example(ctx: RunContext) -> list[TimingComparison]:
    """A halo_chaos run of the careful example client vs the same client over TestClient."""
    if not (PACKAGE_DIR / "chaos" / "runner.py").is_file():
        raise Skip("mock_halo/chaos does not exist yet")
    iterations = ctx.samples(default=30, quick=5)
    result = run_worker(iterations)
    ctx.details.update(iterations=iterations, requests_per_run=result["requests_per_run"], rows=result["rows"])
    return [TimingComparison(
        "halo_chaos.run()", tuple(result["subject_s"]), tuple(result["baseline_s"]), TARGET,
        note="baseline: the same client over TestClient on a fresh emulator, no schedule, no checks",
    )]

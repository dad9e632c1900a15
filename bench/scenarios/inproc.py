"""``app-create-reset``: ``create_app()`` and ``emulator.reset()`` timed in-process.

The timing happens in a child interpreter (:mod:`bench.inproc_worker`); this
module runs it, turns its JSON into timing rows, and reports a skip when the
emulator's app or its ``reset()`` does not exist yet.
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
    return worker.run_worker("bench.inproc_worker", "--iterations", str(iterations), timeout=WORKER_TIMEOUT_S)


@timing("app-create-reset")
def app_create_reset(ctx: RunContext) -> list[TimingComparison]:
    """Time create_app() (vs a bare Starlette app) and emulator.reset(), in-process."""
    if not (PACKAGE_DIR / "app.py").is_file():
        raise Skip("mock_halo/app.py does not exist yet")
    iterations = ctx.samples(default=20, quick=5)
    result = run_worker(iterations)
    for key in ("import_s", "first_create_s", "first_reset_s", "warm_s", "warm_error", "emulator_attribute"):
        if key in result:
            ctx.details[key] = result[key]
    ctx.details["iterations"] = iterations
    reset_note = "after warm()" if "warm_s" in result else "on a cold emulator (warm() unavailable)"
    return [
        TimingComparison("create_app()", tuple(result["create_app_s"]), tuple(result["bare_create_s"]), TARGET,
                         note="baseline: creating the bare Starlette app"),
        TimingComparison("reset()", tuple(result["reset_s"]), (), TARGET, note=reset_note),
    ]

"""``app-create-reset``: ``create_app()`` and ``emulator.reset()`` timed in-process.

The timing happens in a child interpreter (:mod:`bench.inproc_worker`); this
module runs it, turns its JSON into timing rows, and reports a skip when the
emulator's app or its ``reset()`` does not exist yet.
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
        [sys.executable, "-m", "bench.inproc_worker", "--iterations", str(iterations)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"bench.inproc_worker exited with {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


@timing("app-create-reset")
def app_create_reset(ctx: RunContext) -> list[TimingComparison]:
    """Time create_app() (vs a bare Starlette app) and emulator.reset(), in-process."""
    if not (PACKAGE_DIR / "app.py").is_file():
        raise Skip("mock_halo/app.py does not exist yet")
    iterations = ctx.samples(default=20, quick=5)
    result = run_worker(iterations)
    if "skip" in result:
        raise Skip(result["skip"])
    if "error" in result:
        raise ScenarioFailure(f"in-process measurement failed:\n{result['error']}")
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

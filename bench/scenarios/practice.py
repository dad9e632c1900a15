"""Large practices: ``practice-build`` (generating 100,000 patients) and ``startup-10k`` (serving 10,000).

``practice-build`` builds the ``BPSPatients`` template of a 100,000-patient practice in a child interpreter
with the disk cache off (``mock_halo.practice.build_catalogue``: generation, loading, indexes, statistics),
against building the default 200-patient practice the same way, so the ratio says how the build scales.
``startup-10k`` launches ``mock-halo serve --patients 10000`` to its first ``200`` of ``/_mock/health`` with
the practice disk cache in a fresh directory: one unmeasured launch fills it, then every measured launch
reads the image (issue 14's target: under 1.5 s after the first), against the default ``serve`` launch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from bench.model import Target, TimingComparison
from bench.registry import RunContext, ScenarioFailure, timing
from bench.scenarios.emulator import EMULATOR_ENV, cli_launch
from bench.scenarios.startup import time_to_healthy
from bench.servers import REPO_ROOT, LaunchSpec, child_env

BUILD_PATIENTS = 100_000
BUILD_TARGET = Target.max_seconds(15.0)
START_PATIENTS = 10_000
START_TARGET = Target.max_seconds(1.5)
_BUILD = """
import json, sys, time
from mock_halo.practice import build_catalogue, clear_cache
n = int(sys.argv[1])
started = time.perf_counter()
conn = build_catalogue("BestPractice", "BPSPatients", 1, n)
elapsed = time.perf_counter() - started
assert conn.execute("SELECT COUNT(*) FROM PATIENTS").fetchone()[0] == n
print(json.dumps({"seconds": elapsed}))
"""


def _build_seconds(patients: int) -> float:
    env = child_env(("MOCK_HALO_",), {**EMULATOR_ENV, "MOCK_HALO_CACHE_DIR": ""})
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(patients)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ScenarioFailure(f"building {patients} patients failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return float(json.loads(lines[-1])["seconds"])


@timing("practice-build", default=False)
def practice_build(ctx: RunContext) -> list[TimingComparison]:
    """Build a 100,000-patient BPSPatients (no disk cache) vs the default 200 patients; only with --only."""
    samples = ctx.samples(default=1, quick=1)
    big: list[float] = []
    small: list[float] = []
    for n in range(1, samples + 1):
        small.append(_build_seconds(200))
        big.append(_build_seconds(BUILD_PATIENTS))
        ctx.log(f"practice-build: {n}/{samples}: 200 patients {small[-1]:.2f} s, {BUILD_PATIENTS} {big[-1]:.2f} s")
    return [TimingComparison(f"build {BUILD_PATIENTS:,} patients", tuple(big), tuple(small), BUILD_TARGET,
                             note="baseline: the default 200-patient practice, built the same way")]


@timing("startup-10k")
def startup_10k(ctx: RunContext) -> list[TimingComparison]:
    """Launch `mock-halo serve --patients 10000` (practice read from the disk cache) vs the default serve."""
    default = cli_launch()
    launches = ctx.samples(default=3, quick=1)
    with tempfile.TemporaryDirectory(prefix="mock-halo-bench-cache-") as cache:
        big = LaunchSpec(f"mock-halo serve --patients {START_PATIENTS}",
                         (*default.argv, "--patients", str(START_PATIENTS)),
                         {**default.env, "MOCK_HALO_CACHE_DIR": cache}, default.scrub_env_prefixes,
                         default.unavailable_markers)
        first = time_to_healthy(big, timeout_s=600.0)
        ctx.log(f"startup-10k: first launch (builds and caches the practice) {first:.2f} s")
        ctx.details["first_launch_s"] = round(first, 3)
        subject: list[float] = []
        baseline: list[float] = []
        for n in range(1, launches + 1):
            baseline.append(time_to_healthy(default))
            subject.append(time_to_healthy(big))
            ctx.log(f"startup-10k: launch {n}/{launches}: default {baseline[-1]:.3f} s, 10k {subject[-1]:.3f} s")
    return [TimingComparison(f"launch with {START_PATIENTS:,} patients, cached", tuple(subject), tuple(baseline),
                             START_TARGET, note="baseline: python -m mock_halo serve (default practice)")]

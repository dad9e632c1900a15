"""The Integrator API's bench scenarios: the batch-status worker measures what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_batch_status_worker_times_a_batch_of_finished_queries() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.integrator_worker", "--iterations", "3", "--ids", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result and "skip" not in result, result
    assert len(result["batch_s"]) == len(result["single_s"]) == 3
    assert all(0 < s < 1 for s in result["batch_s"])
    assert result["response_bytes"] > 5 * 300  # five whole successful status bodies


def test_the_integrator_scenarios_are_registered() -> None:
    import bench.scenarios  # noqa: F401 - registers them
    from bench.registry import all_scenarios

    names = set(all_scenarios())
    assert {"integrator-immediate-select", "integrator-batch-status"} <= names

"""End to end: ``python -m bench`` on the baseline-only (A/A) path, with tiny settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("tool", ["auto", "python"])
def test_baseline_only_quick_run_writes_results(tmp_path: Path, tool: str) -> None:
    out = tmp_path / "results.json"
    proc = bench("--only", "baseline", "--quick", "--connections", "8", "--tool", tool, "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Throughput" in proc.stdout and "baseline" in proc.stdout
    document = json.loads(out.read_text())
    assert document["machine"]["nproc"] >= 1
    assert document["machine"]["python"] == sys.version.split()[0]
    assert document["settings"]["duration_s"] == 1.0 and document["settings"]["rounds"] == 1
    if tool == "python":
        assert document["load_tool"]["name"] == "python"
    [scenario] = document["scenarios"]
    assert (scenario["name"], scenario["status"]) == ("baseline", "ok")
    throughput = scenario["throughput"]
    assert throughput["ratio"] > 0
    for side in ("subject", "baseline"):
        assert throughput[side]["rps"] > 0
        assert throughput[side]["errors"] == 0
        assert len(throughput[side]["runs"]) == 1


def test_help_describes_the_options() -> None:
    proc = bench("--help")
    assert proc.returncode == 0
    for option in ("--duration", "--connections", "--rounds", "--only", "--quick", "--json", "--tool"):
        assert option in proc.stdout


def test_list_names_every_scenario() -> None:
    proc = bench("--list")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert [n for n in names if n != "request-log"][:4] == ["immediate-select", "fhir-patient-family", "startup", "app-create-reset"]
    assert {"baseline", "request-log", "request-log-cost", "console-pages"} <= set(names)


def test_unknown_scenario_is_a_usage_error() -> None:
    proc = bench("--only", "no-such-scenario")
    assert proc.returncode == 2
    assert "unknown scenario" in proc.stderr

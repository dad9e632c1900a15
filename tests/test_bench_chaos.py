"""The ``chaos-example`` bench scenario: a halo_chaos run timed in-process against a TestClient baseline."""

from __future__ import annotations

from bench import chaos_worker
from bench.registry import RunContext, RunOptions
from bench.scenarios import chaos as scenario


def test_worker_times_both_sides():
    result = chaos_worker.measure(1)
    assert "error" not in result and "skip" not in result, result
    assert len(result["subject_s"]) == len(result["baseline_s"]) == 1
    assert result["requests_per_run"] > 5 and result["rows"] > 50
    assert all(0 < s < 5 for s in result["subject_s"] + result["baseline_s"])


def test_scenario_row(monkeypatch):
    fake = {"subject_s": [0.02, 0.03, 0.025], "baseline_s": [0.03, 0.04, 0.05], "requests_per_run": 9, "rows": 198}
    monkeypatch.setattr(scenario, "run_worker", lambda iterations: fake)
    ctx = RunContext(options=RunOptions(quick=True), tool=None)
    (row,) = scenario.chaos_example(ctx)
    assert row.subject_median == 0.025 and row.ratio == 0.025 / 0.04 and row.verdict == "PASS"
    assert ctx.details["requests_per_run"] == 9 and ctx.details["iterations"] == 5

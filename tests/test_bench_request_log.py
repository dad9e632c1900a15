"""The request log's in-process bench scenario: the worker counts what it says."""

from __future__ import annotations

from bench.worker import run_worker


def test_the_request_log_worker_times_both_sides_and_logs_every_request_of_its_side() -> None:
    result = run_worker("bench.request_log_worker", "--batches", "4", "--size", "5", timeout=120)
    assert len(result["on_s"]) == len(result["off_s"]) == 4
    assert all(0 < s < 1 for s in result["on_s"] + result["off_s"])
    assert result["lines"] == 5 * 5  # four logged batches and the warm-up one; none from the quiet side


def test_the_request_log_scenarios_are_registered() -> None:
    import bench.scenarios  # noqa: F401 - registers them
    from bench.registry import all_scenarios

    assert {"request-log", "request-log-cost"} <= set(all_scenarios())

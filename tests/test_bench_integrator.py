"""The Integrator API's bench scenarios: the batch-status worker measures what it says."""

from __future__ import annotations

from bench.worker import run_worker


def test_the_batch_status_worker_times_a_batch_of_finished_queries() -> None:
    result = run_worker("bench.integrator_worker", "--iterations", "3", "--ids", "5", timeout=120)
    assert len(result["batch_s"]) == len(result["single_s"]) == 3
    assert all(0 < s < 1 for s in result["batch_s"])
    assert result["response_bytes"] > 5 * 300  # five whole successful status bodies


def test_the_integrator_scenarios_are_registered() -> None:
    import bench.scenarios  # noqa: F401 - registers them
    from bench.registry import all_scenarios

    names = set(all_scenarios())
    assert {"integrator-immediate-select", "integrator-batch-status"} <= names

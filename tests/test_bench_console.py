"""The console's bench scenario: the worker fills the store and times every page."""

from __future__ import annotations

from bench.worker import run_worker


def test_the_console_worker_times_every_page_over_a_filled_store() -> None:
    result = run_worker("bench.console_worker", "--iterations", "2", "--queries", "120", timeout=300)
    from bench.console_worker import PAGES

    assert set(result["pages"]) == set(PAGES)
    assert all(len(samples) == 2 and all(s > 0 for s in samples) for samples in result["pages"].values())
    assert len(result["health_s"]) == 2 and result["journal"] >= 120
    # The list shows the newest 100 of the 120; the filtered list almost nothing.
    assert result["bytes"]["queries"] > 10 * result["bytes"]["queries filtered to a rare status"]


def test_the_console_scenario_is_registered() -> None:
    import bench.scenarios  # noqa: F401 - registers them
    from bench.registry import all_scenarios

    assert "console-pages" in all_scenarios()

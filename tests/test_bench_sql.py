"""The ``sql-cached-select`` bench scenario: engine vs raw sqlite3 in-process, translation cache hit rate."""

from __future__ import annotations

from bench import sql_worker
from bench.model import RequestSpec  # noqa: F401 - the bench package imports cleanly
from bench.registry import RunContext, RunOptions
from bench.scenarios import sql as scenario


def test_worker_times_both_sides_and_reports_the_cache():
    result = sql_worker.measure(2)
    assert "error" not in result and "skip" not in result, result
    assert len(result["engine_s"]) == len(result["raw_s"]) == 2
    assert all(0 < s < 0.05 for s in result["engine_s"] + result["raw_s"])
    assert result["sql"].startswith("SELECT") and "?1" in result["sql"]
    select = result["select_cache"]
    assert select["misses"] == 2 and select["hits"] == 2 * sql_worker.CALLS + 1
    mixed = result["cache"]
    assert mixed["misses"] == select["misses"] + len(sql_worker.MIX)
    assert mixed["hits"] == select["hits"] + len(sql_worker.MIX) * (sql_worker.MIX_REPEATS - 1)


def test_scenario_rows_and_notes(monkeypatch):
    fake = {"engine_s": [30e-6, 10e-6, 20e-6], "raw_s": [3e-6, 2e-6, 1e-6], "calls_per_sample": 200,
            "sql": "SELECT 1", "mix": {}, "select_cache": {"hits": 9, "misses": 1, "size": 1, "maxsize": 8},
            "cache": {"hits": 0, "misses": 0, "size": 0, "maxsize": 8}}
    monkeypatch.setattr(scenario, "run_worker", lambda samples: fake)
    ctx = RunContext(options=RunOptions(quick=True), tool=None)
    engine, overhead = scenario.sql_cached_select(ctx)
    assert engine.ratio == 20e-6 / 2e-6
    assert abs(overhead.subject_median - 18e-6) < 1e-12 and overhead.verdict == "PASS"
    assert ctx.details["cache_hit_rate"] is None
    assert ctx.details["notes"][0].startswith("cached SELECT loop: translation cache hit rate 90.0% (9 hits, 1 misses")
    assert "hit rate -" in ctx.details["notes"][1]
    assert ctx.details["notes"][2].startswith("fastest samples: engine 10.0 us - raw 1.0 us = 9.0 us overhead")

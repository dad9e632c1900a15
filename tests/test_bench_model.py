"""Ratios, targets, verdicts, option resolution and scenario outcomes of the harness."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package

from bench.cli import build_parser, resolve_options  # noqa: E402
from bench.load import LoadTool  # noqa: E402
from bench.model import (  # noqa: E402
    LoadResult,
    LoadSummary,
    RequestSpec,
    ScenarioResult,
    Target,
    ThroughputComparison,
    TimingComparison,
    ratio,
)
from bench.registry import RunContext, RunOptions, ScenarioFailure, Skip, TimingScenario  # noqa: E402
from bench.runner import run_scenario  # noqa: E402


def run(rps: float, *, p50: float = 1.0, p99: float = 2.0, non_2xx: int = 0, socket_errors: int = 0) -> LoadResult:
    return LoadResult("wrk", int(rps), 1.0, rps, p50, p99, non_2xx, socket_errors)


def summary(*rps: float, errors: int = 0) -> LoadSummary:
    return LoadSummary.of([run(v, non_2xx=errors if i == 0 else 0) for i, v in enumerate(rps)])


def test_min_ratio_target_passes_at_and_above_the_threshold() -> None:
    target = Target.min_ratio(0.30)
    assert target.check(0.30) == "PASS"
    assert target.check(0.95) == "PASS"
    assert target.check(0.29) == "FAIL"
    assert target.check(None) == "n/a"
    assert target.describe() == ">= 0.30"


def test_max_seconds_target_passes_strictly_below_the_threshold() -> None:
    target = Target.max_seconds(1.5)
    assert target.check(1.49) == "PASS"
    assert target.check(1.5) == "FAIL"
    assert target.describe() == "< 1.5 s"
    assert Target.max_seconds(0.05).describe() == "< 50 ms"


def test_ratio_is_subject_over_baseline() -> None:
    assert ratio(3000, 10000) == pytest.approx(0.3)
    assert ratio(1, 0) is None


def test_load_summary_takes_medians_per_side_and_sums_errors() -> None:
    runs = [run(100, p50=1, p99=9, non_2xx=1), run(300, p50=3, p99=7), run(200, p50=2, p99=8, socket_errors=2)]
    s = LoadSummary.of(runs)
    assert (s.rps, s.p50_ms, s.p99_ms, s.errors) == (200, 2, 8, 3)


def test_throughput_ratio_compares_medians() -> None:
    comparison = ThroughputComparison(summary(900, 1000, 3000), summary(2000, 3000, 10000), Target.min_ratio(0.30))
    assert comparison.ratio == pytest.approx(1000 / 3000)
    assert comparison.verdict == "PASS"


def test_throughput_below_target_fails() -> None:
    comparison = ThroughputComparison(summary(500), summary(2000), Target.min_ratio(0.30))
    assert comparison.ratio == pytest.approx(0.25)
    assert comparison.verdict == "FAIL"


def test_throughput_with_errors_never_passes() -> None:
    comparison = ThroughputComparison(summary(2000, errors=1), summary(2000), Target.min_ratio(0.30))
    assert comparison.verdict == "FAIL"


def test_throughput_without_target_has_no_verdict() -> None:
    assert ThroughputComparison(summary(1), summary(1), None).verdict == "n/a"


def test_timing_ratio_and_verdict() -> None:
    timing = TimingComparison("startup", (0.9, 1.1, 1.0), (0.4, 0.5, 0.6), Target.max_seconds(1.5))
    assert timing.subject_median == 1.0
    assert timing.ratio == pytest.approx(2.0)
    assert timing.verdict == "PASS"
    assert TimingComparison("reset", (0.2,), (), Target.max_seconds(0.05)).verdict == "FAIL"
    assert TimingComparison("x", (0.2,)).ratio is None


def test_a_timing_with_a_ratio_target_is_judged_on_its_ratio() -> None:
    slower = TimingComparison("busy vs quiet", (1.2, 1.3), (1.0, 1.0), Target.max_ratio(1.10))
    assert slower.ratio == pytest.approx(1.25) and slower.verdict == "FAIL"
    assert TimingComparison("busy vs quiet", (1.05,), (1.0,), Target.max_ratio(1.10)).verdict == "PASS"
    assert TimingComparison("no baseline", (1.05,), (), Target.max_ratio(1.10)).verdict == "n/a"
    assert Target.max_ratio(1.10).describe() == "< 1.10"


def test_scenario_verdict_fails_when_any_part_fails() -> None:
    result = ScenarioResult("s", "timing", timings=[
        TimingComparison("a", (0.01,), target=Target.max_seconds(0.05)),
        TimingComparison("b", (0.09,), target=Target.max_seconds(0.05)),
    ])
    assert result.verdict == "FAIL"
    document = result.to_json()
    assert document["verdict"] == "FAIL"
    assert [t["verdict"] for t in document["timings"]] == ["PASS", "FAIL"]


def test_results_json_elides_credentials() -> None:
    request = RequestSpec.json("POST", "/q", {}, {"Authorization": "Bearer secret", "DeviceId": "d"})
    described = request.describe()
    assert described["headers"]["Authorization"] == "<elided>"
    assert described["headers"]["DeviceId"] == "d"
    assert "secret" not in str(described)


def test_quick_shrinks_runs_but_explicit_options_win() -> None:
    parser = build_parser()
    quick = resolve_options(parser.parse_args(["--quick"]))
    assert (quick.duration_s, quick.rounds, quick.warmup_s, quick.connections) == (1.0, 1, 0.0, 64)
    mixed = resolve_options(parser.parse_args(["--quick", "--rounds", "2", "--connections", "8"]))
    assert (mixed.duration_s, mixed.rounds, mixed.connections) == (1.0, 2, 8)
    default = resolve_options(parser.parse_args([]))
    assert (default.duration_s, default.rounds, default.connections, default.warmup_s) == (5.0, 3, 64, 1.0)


def _context() -> RunContext:
    return RunContext(RunOptions(), LoadTool("python", "test"), log=lambda line: None)


def _timing_scenario(measure) -> TimingScenario:  # type: ignore[no-untyped-def]
    return TimingScenario("fake", "a fake scenario", measure)


def test_a_scenario_that_skips_is_reported_as_skipped() -> None:
    def measure(ctx: RunContext) -> list[TimingComparison]:
        raise Skip("mock_halo/thing.py does not exist yet")

    result = run_scenario(_timing_scenario(measure), _context())
    assert (result.status, result.reason) == ("skipped", "mock_halo/thing.py does not exist yet")
    assert result.to_json()["verdict"] == "n/a"


def test_a_failing_scenario_is_an_error_not_a_crash() -> None:
    def measure(ctx: RunContext) -> list[TimingComparison]:
        raise ScenarioFailure("immediate query answered 500")

    result = run_scenario(_timing_scenario(measure), _context())
    assert (result.status, result.reason) == ("error", "immediate query answered 500")


def test_a_bug_in_a_scenario_is_an_error_with_its_traceback() -> None:
    def measure(ctx: RunContext) -> list[TimingComparison]:
        return [][0]  # IndexError

    result = run_scenario(_timing_scenario(measure), _context())
    assert result.status == "error"
    assert result.reason.startswith("IndexError")
    assert "Traceback" in result.details["traceback"]

"""Running scenarios: interleaved load runs for throughput, the measure call for timing.

Throughput: the baseline app and the subject are started side by side (each
idle while the other is loaded), the request is checked once against both,
both get a short warm-up, then rounds interleave baseline and subject
(B S, S B, B S, ...) and each side's median is compared. Nothing here raises for a
scenario's sake: every outcome becomes a :class:`ScenarioResult`.
"""

from __future__ import annotations

import http.client
import traceback

from bench.model import LoadResult, LoadSummary, RequestSpec, ScenarioResult, ThroughputComparison
from bench.net import http_request
from bench.registry import RunContext, Scenario, ScenarioFailure, SetupContext, Skip, ThroughputScenario
from bench.servers import LaunchSpec, ServerError, ServerProcess, baseline_launch
from bench.wrk import WrkError


def run_scenario(scenario: Scenario, ctx: RunContext) -> ScenarioResult:
    """Run one scenario; skips and failures are reported in the result, never raised."""
    result = ScenarioResult(name=scenario.name, kind=scenario.kind, details=ctx.details)
    try:
        if isinstance(scenario, ThroughputScenario):
            result.throughput = _run_throughput(scenario, ctx)
        else:
            result.timings = scenario.measure(ctx)
    except Skip as exc:
        result.status, result.reason = "skipped", str(exc)
    except (ScenarioFailure, ServerError, WrkError) as exc:
        result.status, result.reason = "error", str(exc)
    except Exception as exc:  # a bug in a scenario must not take the others down
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
        result.details["traceback"] = traceback.format_exc()
    return result


def wait_until_serving(spec: LaunchSpec, server: ServerProcess, path: str = "/") -> None:
    """Wait until the started ``server`` answers; an early exit that means "not there yet" is a Skip."""
    try:
        server.wait_ready(path)
    except ServerError as exc:
        if spec.unavailable(str(exc)):
            raise Skip(f"{spec.name} is not available yet: {server.output_tail(1).strip()}") from exc
        raise


def check_answer(server: ServerProcess, request: RequestSpec, who: str) -> None:
    """Send ``request`` once; anything but a 2xx answer is a :class:`ScenarioFailure`."""
    try:
        reply = http_request(server.port, request.method, request.path, dict(request.headers), request.body,
                             host=server.host)
    except (OSError, http.client.HTTPException) as exc:
        raise ScenarioFailure(f"{who} did not answer {request.method} {request.path}: {exc}") from exc
    if not 200 <= reply.status < 300:
        raise ScenarioFailure(f"{who} answered {reply.status} to {request.method} {request.path}: {reply.text()}")


def _run_throughput(scenario: ThroughputScenario, ctx: RunContext) -> ThroughputComparison:
    options = ctx.options
    subject_spec = scenario.launch(ctx)
    ctx.details["subject_server"] = subject_spec.name
    baseline_spec = scenario.baseline(ctx) if scenario.baseline else baseline_launch()
    ctx.details["baseline_server"] = baseline_spec.name
    with ServerProcess(baseline_spec) as baseline, ServerProcess(subject_spec) as subject:
        if scenario.baseline:
            wait_until_serving(baseline_spec, baseline, scenario.ready_path)
        else:
            baseline.wait_ready()
        wait_until_serving(subject_spec, subject, scenario.ready_path)
        request = scenario.setup(SetupContext(subject, ctx))
        ctx.details["request"] = request.describe()
        check_answer(baseline, request, "the baseline app")
        check_answer(subject, request, subject_spec.name)

        def load(server: ServerProcess, duration_s: float) -> LoadResult:
            return ctx.tool.run(server.host, server.port, request, duration_s=duration_s,
                                connections=options.connections)

        if options.warmup_s > 0:
            ctx.log(f"{scenario.name}: warm-up {options.warmup_s:g} s per side")
            load(baseline, options.warmup_s)
            load(subject, options.warmup_s)
        base_runs: list[LoadResult] = []
        subject_runs: list[LoadResult] = []
        for round_no in range(1, options.rounds + 1):
            # Alternate who goes first (B S, S B, B S, ...) so neither side always
            # runs right after the other: position effects cancel like drift does.
            if round_no % 2:
                base_runs.append(load(baseline, options.duration_s))
                subject_runs.append(load(subject, options.duration_s))
            else:
                subject_runs.append(load(subject, options.duration_s))
                base_runs.append(load(baseline, options.duration_s))
            ctx.log(f"{scenario.name}: round {round_no}/{options.rounds}: "
                    f"baseline {base_runs[-1].rps:,.0f} req/s, subject {subject_runs[-1].rps:,.0f} req/s")
    return ThroughputComparison(LoadSummary.of(subject_runs), LoadSummary.of(base_runs), scenario.target)

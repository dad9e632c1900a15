"""``startup``: launch to first ``200`` of ``GET /_mock/health``, against the bare app.

Each sample launches a fresh process on a free port and polls the health path
with short connection attempts; the clock starts just before the launch. The
bare baseline app is launched the same way (``python -m uvicorn ...``) and
polled on the same path, interleaved with the emulator (B S B S ...).
"""

from __future__ import annotations

import time

from bench.model import Target, TimingComparison
from bench.net import Reply
from bench.registry import RunContext, Skip, timing
from bench.scenarios.emulator import cli_launch
from bench.servers import LaunchSpec, ServerError, ServerProcess, baseline_launch

HEALTH_PATH = "/_mock/health"
TARGET = Target.max_seconds(1.5)


def _settled(reply: Reply) -> bool:
    # 404/501 end the wait too: the route is missing and will not appear.
    return reply.status in (200, 404, 501)


def time_to_healthy(spec: LaunchSpec, path: str = HEALTH_PATH, timeout_s: float = 60.0) -> float:
    """Seconds from launching ``spec`` to the first 200 on ``path`` (the server is stopped after)."""
    with ServerProcess(spec) as server:
        assert server.started_at is not None
        try:
            reply = server.wait_ready(path, timeout_s=timeout_s, accept=_settled)
        except ServerError as exc:
            if spec.unavailable(str(exc)):
                raise Skip(f"{spec.name} is not available yet: {server.output_tail(1).strip()}") from exc
            raise
        elapsed = time.perf_counter() - server.started_at
        if reply.status != 200:
            raise Skip(f"GET {path} answered {reply.status} on {spec.name}")
        return elapsed


@timing("startup")
def startup(ctx: RunContext) -> list[TimingComparison]:
    """Launch `python -m mock_halo serve` until GET /_mock/health answers 200."""
    subject = cli_launch()
    launches = ctx.samples(default=5, quick=1)
    baseline_times: list[float] = []
    subject_times: list[float] = []
    for n in range(1, launches + 1):
        baseline_times.append(time_to_healthy(baseline_launch()))
        subject_times.append(time_to_healthy(subject))
        ctx.log(f"startup: launch {n}/{launches}: baseline {baseline_times[-1]:.3f} s, "
                f"mock-halo {subject_times[-1]:.3f} s")
    ctx.details["launches"] = launches
    return [TimingComparison("launch to 200 health", tuple(subject_times), tuple(baseline_times),
                             TARGET, note="python -m mock_halo serve vs python -m uvicorn (bare app)")]

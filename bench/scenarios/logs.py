"""The request log's cost in the server's own time: ``request-log-cost``.

Issue 15's target: the log costs under 5% of immediate-query throughput. The throughput
scenario ``request-log`` (in :mod:`bench.scenarios.emulator`) measures it end to end, but on a
shared two-core machine its same-run ratio strays by 10-20%; this one counts the CPU time of
the same work in-process (:mod:`bench.request_log_worker`), where a 5% difference shows.
"""

from __future__ import annotations

from bench.model import Target, TimingComparison
from bench.registry import RunContext, timing
from bench.worker import run_worker

BATCH = 50
WORKER_TIMEOUT_S = 300.0


@timing("request-log-cost")
def request_log_cost(ctx: RunContext) -> list[TimingComparison]:
    """CPU time per immediate query with the request log on (lines formatted and written) vs off."""
    batches = ctx.samples(default=100, quick=20)
    result = run_worker("bench.request_log_worker", "--batches", str(batches), "--size", str(BATCH),
                        timeout=WORKER_TIMEOUT_S)
    ctx.details.update(batches=batches, batch=BATCH, lines=result["lines"])
    return [TimingComparison("immediate query, log on vs --quiet", tuple(result["on_s"]), tuple(result["off_s"]),
                             Target.max_ratio(1.05), note=f"CPU time per request, batches of {BATCH} (in-process ASGI)")]

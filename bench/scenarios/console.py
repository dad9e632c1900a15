"""The web console as a subject: ``console-pages``.

Issue 15's target: each console page answers in under 50 ms with 10,000 queries in the store
(timed in-process by :mod:`bench.console_worker`; baseline: ``GET /_mock/health``).
"""

from __future__ import annotations

from bench.model import Target, TimingComparison
from bench.registry import RunContext, timing
from bench.worker import run_worker

QUERIES = 10_000
WORKER_TIMEOUT_S = 600.0


@timing("console-pages")
def console_pages(ctx: RunContext) -> list[TimingComparison]:
    """Server time of each console page with 10,000 queries stored and a full journal."""
    iterations = ctx.samples(default=30, quick=5)
    result = run_worker("bench.console_worker", "--iterations", str(iterations), "--queries", str(QUERIES),
                        timeout=WORKER_TIMEOUT_S)
    ctx.details.update(iterations=iterations, queries=QUERIES, journal_entries=result["journal"], page_bytes=result["bytes"])
    return [TimingComparison(f"console {label}", tuple(samples), tuple(result["health_s"]), Target.max_seconds(0.050),
                             note="baseline: GET /_mock/health (in-process ASGI)")
            for label, samples in result["pages"].items()]

"""``async-lifecycle-scale``: 10k async queries over 10 sites through every status, on the virtual clock.

Issue 14's targets: the whole lifecycle (submit, poll, every page downloaded)
in under 20 s, with a peak RSS under 500 MB. The work happens in a child
interpreter (:mod:`bench.lifecycle_worker`) through the lifecycle's domain calls.
"""

from __future__ import annotations

from bench.model import Target, TimingComparison
from bench.registry import RunContext, timing
from bench.worker import run_worker

QUERIES = 10_000
SITES = 10
TIME_TARGET = Target.max_seconds(20.0)
RSS_TARGET = Target.max_megabytes(500)
WORKER_TIMEOUT_S = 600.0


def run_lifecycle_worker(queries: int, sites: int) -> dict:
    """Run the child and return its JSON result (ScenarioFailure on an error)."""
    return run_worker("bench.lifecycle_worker", "--queries", str(queries), "--sites", str(sites),
                      timeout=WORKER_TIMEOUT_S)


@timing("async-lifecycle-scale")
def async_lifecycle_scale(ctx: RunContext) -> list[TimingComparison]:
    """10k async queries over 10 sites, polled through every status, every page downloaded."""
    samples = ctx.samples(default=1, quick=1)
    results = [run_lifecycle_worker(QUERIES, SITES) for _ in range(samples)]
    for key in ("setup_s", "submit_s", "steps", "polls", "pages", "rows", "statuses_seen", "virtual_s"):
        ctx.details[key] = results[-1][key]
    return [
        TimingComparison(f"{QUERIES:,} queries / {SITES} sites", tuple(r["total_s"] for r in results), (), TIME_TARGET,
                         note="submit, poll to terminal, download every page (virtual clock)"),
        TimingComparison("peak RSS", tuple(r["max_rss_mb"] for r in results), (), RSS_TARGET, unit="MB"),
    ]

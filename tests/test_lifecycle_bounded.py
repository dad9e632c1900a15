"""Memory stays bounded: 100k async queries over a simulated day (virtual clock, fake engine)."""

from __future__ import annotations

from datetime import timedelta

from mock_halo.lifecycle.plan import PlanOverride
from mock_halo.lifecycle.profile import LifecycleLimits
from mock_halo.lifecycle.testing import World

TOTAL = 100_000
DAY = 86_400.0


def test_hundred_thousand_queries_over_a_day_stay_bounded() -> None:
    retention = timedelta(hours=1)
    world = World("site-a", "site-b", limits=LifecycleLimits(retention=retention, tombstone=retention))
    step = DAY / TOTAL  # ~0.86 s between submissions, alternating sites
    per_hour = 3600 / step
    # at most ~2 h of queries are retained (retention + tombstone), plus what is still in flight
    bound = int(per_hour * 2.05) + 50
    peak = {"queries": 0, "timedEvents": 0, "queued": 0}
    stalled = PlanOverride(stall_after_pages=0)
    for i in range(TOTAL):
        text = "error:208" if i % 50 == 0 else "rows:3 ms:40"
        world.submit(text, site=("site-a", "site-b")[i % 2], plan_override=stalled if i % 997 == 0 else None)
        world.advance(step)
        if i % 500 == 0:
            counts = world.lifecycle.counts()
            for key in peak:
                peak[key] = max(peak[key], counts[key])
    assert peak["queries"] <= bound, peak
    assert peak["timedEvents"] <= 2 * bound, peak
    assert peak["queued"] <= 10, peak
    executed = sum(len(e.calls) for e in world.executors.values())
    assert executed == TOTAL  # every query ran exactly once
    world.advance(3 * 3600)
    assert world.lifecycle.counts() == {"queries": 0, "registered": 0, "timedEvents": 0, "queued": 0}

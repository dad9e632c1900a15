"""Halo's async-query lifecycle contract, as a hypothesis state machine, against any target.

The machine (``mock_halo.contract.lifecycle.LifecycleContract``) submits async
queries (SQL that runs on Bp Premier data, and SQL that fails), polls them,
fetches their result pages and checks, on every observation: statuses are
Halo's, transitions never go backwards, terminal statuses are sticky, the body
fits its status (statusTiming, completedAt, result, errors), pages download only
when successful and cached, their rows add up and equal the equivalent immediate
query, results answer 410 after retention, errors use Halo's envelope. Where writes
are allowed it also registers (and cancels) recurring queries and checks those.

With a control plane it moves the virtual clock, takes the site offline and
forces failure statuses with scenario rules; without one it polls with
exponential backoff inside a time budget (``MOCK_HALO_LIFECYCLE_TIME`` seconds,
default 60). On a real Halo it submits only SELECTs (read-only on the practice
database) and stops, skipping, when the request budget runs out. Run size:
``MOCK_HALO_LIFECYCLE_EXAMPLES`` / ``MOCK_HALO_LIFECYCLE_STEPS``.
"""

from __future__ import annotations

import pytest

from mock_halo.contract.lifecycle import run_lifecycle_contract


def test_async_query_lifecycle(target, record_property):
    run = run_lifecycle_contract(target)
    # What the run saw, in the JUnit report: a short run against a real Halo is visible as such.
    record_property("lifecycle_observations", run.observations)
    record_property("lifecycle_statuses", ",".join(sorted(run.statuses_seen)))
    if run.stopped:
        pytest.skip(f"lifecycle contract stopped early after {run.observations} observations: {run.stopped}")
    assert run.observations > 0
    assert "initialising" in run.statuses_seen

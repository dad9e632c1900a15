"""The query store keeps finished immediate queries out of the garbage collector's sight, so a store of
100k queries adds nothing to a full collection (it made pauses of 100 ms and more under load)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

from mock_halo.lifecycle.model import QueryRecord, SealedRecord
from mock_halo.lifecycle.store import QueryStore


def sealed(n: int, site: str = "site-a") -> SealedRecord:
    return SealedRecord(QueryRecord(id=f"q-{n}", integrator_id="i", site_id=site, mode="immediate",
                                    max_time_in_queue=0, command_size=10, request_size=20, sql_query_size=10,
                                    created_at=datetime(2026, 1, 5, 9, 0, n % 60, tzinfo=UTC), status="successful"))


def test_stored_immediate_queries_add_nothing_for_the_collector() -> None:
    store = QueryStore()
    gc.collect()
    before = len(gc.get_objects())
    for n in range(5000):
        store.add(sealed(n))
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_a_packed_record_reads_back_as_it_was_stored() -> None:
    store = QueryStore(capacity=3)
    records = [sealed(n, "site-a" if n % 2 else "site-b") for n in range(5)]
    for record in records:
        store.add(record)
    assert store.get("site-b", "q-0") is None  # evicted by the count cap
    got = store.get("site-b", "Q-4")
    assert got is not None and got.rendered() == records[4].rendered() and got.integrator_id == "i"
    assert store.get("site-a", "q-4") is None  # another site's
    assert [r.id for r in store.newest(5)] == ["q-4", "q-3", "q-2"]
    assert [r.id for r in store.records()] == ["q-2", "q-3", "q-4"]
    assert store.remove("q-3") and not store.remove("q-3")
    store.clear("site-b")
    assert [r.id for r in store.records()] == []

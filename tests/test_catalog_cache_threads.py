"""The cache of read schemas is shared by every site's worker thread (engines open there): a lookup and an
eviction by another thread never interleave, so a site opening its engine never fails with a KeyError."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict

from mock_halo.sql.frontend import schema


def _connection(n: int) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(f"CREATE TABLE T{n} (ID int NOT NULL PRIMARY KEY, NAME varchar(20))")
    return conn


class _InterleavingCache(OrderedDict):
    """Right after a lookup finds an entry, another thread reads enough new schemas to evict it: the
    interleaving a loaded machine produces now and then, made to happen every time."""

    def __init__(self, others: list[sqlite3.Connection]) -> None:
        super().__init__()
        self.others = others
        self.armed = False
        self.evictor: threading.Thread | None = None

    def get(self, key, default=None):
        found = super().get(key, default)
        if found is not None and self.armed:
            self.armed = False
            self.evictor = threading.Thread(target=self._evict, daemon=True)
            self.evictor.start()
            self.evictor.join(timeout=0.5)  # blocked on the cache's lock when there is one; then it runs after us
        return found

    def _evict(self) -> None:
        for conn in self.others:
            schema.read_catalog(conn, {"Main": "main"}, "Main")


def test_an_entry_evicted_by_another_thread_during_a_lookup(monkeypatch):
    first = _connection(0)
    others = [_connection(n) for n in range(1, 20)]
    cache = _InterleavingCache(others)
    monkeypatch.setattr(schema, "_READ", cache)
    catalog = schema.read_catalog(first, {"Main": "main"}, "Main")

    cache.armed = True
    again = schema.read_catalog(first, {"Main": "main"}, "Main")

    assert again is catalog
    assert again.table("main", "T0") is not None
    cache.evictor.join(timeout=30)  # it read its schemas once the lookup was done
    assert not cache.evictor.is_alive()
    assert len(cache) <= 16

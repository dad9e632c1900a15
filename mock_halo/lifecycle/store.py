"""The query store: every query the emulator has answered, by site and id."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Protocol

from mock_halo.lifecycle.model import QueryRecord


class StoredQuery(Protocol):
    """What the store needs of a query: ``QueryRecord`` (immediate) and ``AsyncQuery`` both fit."""

    id: str
    site_id: str
    created_at: datetime

    def render(self, now: datetime) -> dict[str, Any]: ...

#: Records kept at most; the oldest go first. Halo keeps results ~24 h.
DEFAULT_CAPACITY = 100_000
DEFAULT_RETENTION = timedelta(hours=24)


class QueryStore:
    """Bounded in capacity and in age, so a long run cannot grow without limit."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._records: OrderedDict[str, QueryRecord | StoredQuery] = OrderedDict()
        self.capacity = capacity
        self.retention = retention

    def add(self, record: QueryRecord | StoredQuery) -> None:
        self._records[record.id] = record
        while len(self._records) > self.capacity:
            self._records.popitem(last=False)

    def get(self, site_id: str, query_id: str) -> QueryRecord | StoredQuery | None:
        """The record, only if it belongs to ``site_id`` (ids are case-insensitive GUIDs)."""
        record = self._records.get(query_id.lower())
        if record is None or record.site_id != site_id:
            return None
        return record

    def evict_older_than(self, now: datetime) -> int:
        """Drop records created before ``now - retention``; returns how many went."""
        cutoff = now - self.retention
        dropped = 0
        while self._records:
            first = next(iter(self._records.values()))
            if first.created_at >= cutoff:
                break
            self._records.popitem(last=False)
            dropped += 1
        return dropped

    def remove(self, query_id: str) -> bool:
        """Forget one record (retention); True if it was there."""
        return self._records.pop(query_id.lower(), None) is not None

    def clear(self, site_id: str | None = None) -> None:
        if site_id is None:
            self._records.clear()
            return
        for key in [k for k, r in self._records.items() if r.site_id == site_id]:
            del self._records[key]

    def __len__(self) -> int:
        return len(self._records)

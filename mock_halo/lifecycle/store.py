"""The query store: every query the emulator has answered, by site and id."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, Protocol

from mock_halo.lifecycle.model import QueryRecord


class StoredQuery(Protocol):
    """What the store needs of a query: ``QueryRecord`` (immediate) and ``AsyncQuery`` both fit."""

    id: str
    site_id: str
    created_at: datetime

    def render(self, now: datetime) -> dict[str, Any]: ...

#: Records kept at most; the oldest go first.
DEFAULT_CAPACITY = 100_000


class QueryStore:
    """Bounded in capacity, so a long run cannot grow without limit.

    Age is the lifecycle's business: it removes each async query when its
    retention (and the 410 window after it) has passed. Immediate records
    simply give way to newer ones once ``capacity`` is reached.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._records: OrderedDict[str, QueryRecord | StoredQuery] = OrderedDict()
        self.capacity = capacity

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

"""The query store: every query the emulator has answered, by site and id.

Bounded twice, so a long run under any load keeps its memory flat:

* by count (``capacity`` records): the oldest record goes first, and its id
  answers 404 afterwards, as a record past its retention window does;
* by the bytes of results it holds (``max_bytes``): the oldest results go
  first. An async query keeps its record but its pages answer 410, Halo's
  "no longer available" for a result past retention; an immediate record
  (whose result is part of its body) goes whole (404).

Age is the lifecycle's business: it removes each async query when its
retention (and the 410 window after it) has passed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from mock_halo.lifecycle.model import QueryRecord, SealedRecord

#: Records kept at most; the oldest go first.
DEFAULT_CAPACITY = 100_000
#: Bytes of results kept at most (immediate bodies, async pages).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class StoredQuery(Protocol):
    """What the store needs of a query: ``SealedRecord`` (immediate) and ``AsyncQuery`` both fit.

    ``held_bytes()`` is what the record holds of results; ``shed_results()``
    (optional) lets go of them while keeping the record; ``abandon()``
    (optional) is called when the record is forgotten.
    """

    id: str
    site_id: str
    created_at: datetime

    def render(self, now: datetime) -> dict[str, Any]: ...

    def rendered(self, now: datetime) -> bytes:
        """``render(now)`` as JSON bytes (a record may keep them once they cannot change)."""
        ...


def _opened(kept: Any) -> Any:
    """A stored value as its record: immediate records are kept packed (:meth:`SealedRecord.packed`)."""
    return SealedRecord.unpacked(kept) if type(kept) is tuple else kept


def held_bytes(record: Any) -> int:
    measure = getattr(record, "held_bytes", None)
    return measure() if measure is not None else 0


class QueryStore:
    """Records by id, bounded by count and by the bytes of results they hold."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._records: OrderedDict[str, QueryRecord | StoredQuery] = OrderedDict()
        #: ids of records holding result bytes, oldest first, with what each holds.
        self._held: OrderedDict[str, int] = OrderedDict()
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        #: records forgotten for the count cap, results let go for the byte cap.
        self.evicted_records = 0
        self.evicted_results = 0

    def add(self, record: QueryRecord | StoredQuery) -> None:
        self._records[record.id] = record.packed() if type(record) is SealedRecord else record
        self.account(record)
        while len(self._records) > self.capacity:
            _, oldest = self._records.popitem(last=False)
            self._release(_opened(oldest))
            self.evicted_records += 1

    def account(self, record: QueryRecord | StoredQuery) -> None:
        """Measure what ``record`` holds now (after it gained or lost results) and keep within ``max_bytes``."""
        if record.id not in self._records:
            return
        size = held_bytes(record)
        self.bytes += size - self._held.pop(record.id, 0)
        if size:
            self._held[record.id] = size
        while self.bytes > self.max_bytes and self._held:
            key, size = self._held.popitem(last=False)
            self.bytes -= size
            self.evicted_results += 1
            victim = _opened(self._records[key])
            shed = getattr(victim, "shed_results", None)
            if shed is not None:
                shed()
            else:
                del self._records[key]
                self._abandon(victim)

    def get(self, site_id: str, query_id: str) -> QueryRecord | StoredQuery | None:
        """The record, only if it belongs to ``site_id`` (ids are case-insensitive GUIDs)."""
        kept = self._records.get(query_id.lower())
        if kept is None:
            return None
        record = _opened(kept)
        return record if record.site_id == site_id else None

    def find(self, query_id: str) -> QueryRecord | StoredQuery | None:
        """The record with this id, whatever its site (the console looks queries up by id alone)."""
        kept = self._records.get(query_id.lower())
        return None if kept is None else _opened(kept)

    def newest(self, limit: int, keep: Callable[[Any], bool] | None = None) -> list[QueryRecord | StoredQuery]:
        """Up to ``limit`` records, newest first, that ``keep`` accepts (all without it)."""
        found: list[QueryRecord | StoredQuery] = []
        if limit <= 0:
            return found
        for kept in reversed(self._records.values()):
            record = _opened(kept)
            if keep is None or keep(record):
                found.append(record)
                if len(found) >= limit:
                    break
        return found

    def remove(self, query_id: str) -> bool:
        """Forget one record (retention); True if it was there."""
        key = query_id.lower()
        if self._records.pop(key, None) is None:
            return False
        self.bytes -= self._held.pop(key, 0)
        return True

    def clear(self, site_id: str | None = None) -> None:
        if site_id is None:
            for kept in self._records.values():
                self._abandon(_opened(kept))
            self._records.clear()
            self._held.clear()
            self.bytes = 0
            return
        for key in [k for k, r in self._records.items() if _opened(r).site_id == site_id]:
            self._release(_opened(self._records.pop(key)))

    def _release(self, record: QueryRecord | StoredQuery) -> None:
        self.bytes -= self._held.pop(record.id, 0)
        self._abandon(record)

    @staticmethod
    def _abandon(record: QueryRecord | StoredQuery) -> None:
        abandon = getattr(record, "abandon", None)
        if abandon is not None:
            abandon()

    def records(self) -> list[QueryRecord | StoredQuery]:
        """Every record, oldest first (a snapshot of the state)."""
        return [_opened(kept) for kept in self._records.values()]

    def __len__(self) -> int:
        return len(self._records)

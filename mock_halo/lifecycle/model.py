"""Query records and how they render as Halo's JSON (halo-facts 5.2, 5.3, 6.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from mock_halo.clock import format_timestamp
from mock_halo.lifecycle.plan import SUCCESSFUL

IMMEDIATE = "immediate"
ASYNC = "async"


@dataclass
class PhaseTiming:
    start: datetime
    end: datetime | None = None

    def render(self, with_end: bool) -> dict[str, str]:
        out = {"startTime": format_timestamp(self.start)}
        if with_end and self.end is not None:
            out["endTime"] = format_timestamp(self.end)
        return out


@dataclass
class QueryRecord:
    """One query as Halo Cloud stores it."""

    id: str
    integrator_id: str
    site_id: str
    mode: str
    max_time_in_queue: int
    command_size: int
    request_size: int
    sql_query_size: int
    created_at: datetime
    status: str
    timing: dict[str, PhaseTiming] = field(default_factory=dict)
    completed_at: datetime | None = None
    metrics: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    result_size: int | None = None
    error_details: dict[str, Any] | None = None
    #: the last change, when it is neither completion nor creation (async snapshots).
    updated: datetime | None = None

    @property
    def updated_at(self) -> datetime:
        return self.updated or self.completed_at or self.created_at

    def render(self, now: datetime | None = None) -> dict[str, Any]:
        """The JSON body; ``now`` is accepted for symmetry with ``AsyncQuery.render``."""
        body: dict[str, Any] = {
            "id": self.id,
            "integratorId": self.integrator_id,
            "siteId": self.site_id,
            "mode": self.mode,
            "maxTimeInQueue": self.max_time_in_queue,
            "sqlQuerySize": self.sql_query_size,
            "commandSize": self.command_size,
            "requestSize": self.request_size,
            "createdAt": format_timestamp(self.created_at),
            "updatedAt": format_timestamp(self.updated_at),
            "status": self.status,
        }
        # Successful immediate queries carry StatusTimingImmediate (start times
        # only); failures carry the full StatusTiming with start and end.
        with_end = not (self.mode == IMMEDIATE and self.status == SUCCESSFUL)
        body["statusTiming"] = {name: phase.render(with_end) for name, phase in self.timing.items()}
        if self.metrics is not None:
            body["metrics"] = self.metrics
        if self.result is not None:
            body["result"] = self.result
        if self.result_size is not None:
            body["resultSize"] = self.result_size
        if self.error_details is not None:
            # errorCode/errorMessage at the root are deprecated but still sent.
            body["errorCode"] = self.error_details["errorCode"]
            body["errorMessage"] = self.error_details["errorMessage"]
            body["errorDetails"] = self.error_details
        if self.completed_at is not None:
            body["completedAt"] = format_timestamp(self.completed_at)
        return body


class SealedRecord:
    """A finished query kept as its rendered JSON.

    Immediate queries never change once answered. Holding the bytes instead of
    a tree of dicts and timing objects keeps memory small and, more to the
    point, gives the garbage collector nothing to look at once the store holds it
    :meth:`packed`, so a store of 100k queries causes no long collection pauses.
    """

    __slots__ = ("id", "site_id", "integrator_id", "created_at", "mode", "status", "body")

    def __init__(self, record: QueryRecord) -> None:
        self.id = record.id
        self.site_id = record.site_id
        self.integrator_id = record.integrator_id
        self.created_at = record.created_at
        self.mode = record.mode
        self.status = record.status
        self.body = orjson.dumps(record.render())

    @classmethod
    def of(cls, id: str, site_id: str, integrator_id: str, created_at: datetime, mode: str, status: str,
           body: bytes) -> SealedRecord:
        """A record whose body is rendered already (a successful immediate query's)."""
        return cls.unpacked((id, site_id, integrator_id, created_at, mode, status, body))

    def packed(self) -> tuple:
        """The record as a plain tuple of its fields. The store keeps it so: the collector stops looking
        at a tuple of strings, bytes and a datetime after one pass, while it looks at every object
        with slots on each full collection (100k stored queries made pauses of 100 ms and more)."""
        return (self.id, self.site_id, self.integrator_id, self.created_at, self.mode, self.status, self.body)

    @classmethod
    def unpacked(cls, fields: tuple) -> SealedRecord:
        record = cls.__new__(cls)
        record.id, record.site_id, record.integrator_id, record.created_at, record.mode, record.status, \
            record.body = fields
        return record

    def render(self, now: datetime | None = None) -> dict[str, Any]:
        return orjson.loads(self.body)

    def rendered(self, now: datetime | None = None) -> bytes:
        """The JSON body as stored."""
        return self.body

    def held_bytes(self) -> int:
        """What the store counts against its byte cap: the rendered body (its result included)."""
        return len(self.body)

"""A query's lifecycle as segments on a time line, read from its ``statusTiming``.

Halo's status body gives each phase a ``startTime`` and, once it is over, an ``endTime``
(a successful immediate query's phases carry start times only). A phase without an end runs
until the next phase starts, or until ``completedAt``, or, while the query is still going,
until now: so the last segment of a running query grows as the clock moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_halo.clock import parse_timestamp
from mock_halo.lifecycle.plan import SUCCESSFUL, TERMINAL


@dataclass(frozen=True)
class Segment:
    phase: str
    start: datetime
    end: datetime
    open: bool  # still going at ``now``

    @property
    def ms(self) -> float:
        return max((self.end - self.start).total_seconds() * 1000, 0.0)


def segments(body: dict[str, Any], now: datetime) -> list[Segment]:
    """The phases of a rendered query in time order, each with where it ends."""
    timing = body.get("statusTiming") or {}
    starts = sorted(
        ((parse_timestamp(t["startTime"]), name, t.get("endTime")) for name, t in timing.items() if t.get("startTime")),
        key=lambda item: item[0],
    )
    done = parse_timestamp(body["completedAt"]) if body.get("completedAt") else None
    out: list[Segment] = []
    for index, (start, name, end_text) in enumerate(starts):
        if end_text:
            end, still = parse_timestamp(end_text), False
        elif index + 1 < len(starts):
            end, still = starts[index + 1][0], False
        elif done is not None:
            end, still = done, False
        else:
            end, still = max(now, start), True
        out.append(Segment(name, start, end, still))
    return out


def outcome(status: str) -> str:
    """``ok``, ``failed`` or ``running``: how a status is drawn."""
    if status == SUCCESSFUL:
        return "ok"
    return "failed" if status in TERMINAL else "running"

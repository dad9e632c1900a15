"""Schedule (one per practitioner with sessions) and Slot (free slots of the sessions' length).

Slots are not stored: they are the SESSIONS of a practitioner on a day minus the
non-cancelled APPOINTMENTS (none on a day the practitioner is away), computed by
:func:`mock_halo.practice.procedures.free_slots`, the very rule ``BP_GetFreeAppointments``
answers with. Slot ids are deterministic:
``{userid}-{yyyymmdd}-{seconds since midnight}``. Slot searches need a bounded ``start``
range (at most :data:`MAX_WINDOW_DAYS` days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from mock_halo.fhir import mapping as m
from mock_halo.fhir import outcome
from mock_halo.fhir.params import DateRange, SearchParam, parse_date, parse_int, parse_reference
from mock_halo.fhir.query import Binder, Engine, read
from mock_halo.fhir.spec import Context, ParamDef, ResourceSpec, id_param, reference_param
from mock_halo.practice.procedures import free_slots
from mock_halo.sql.procedures import ProcedureCall

MAX_WINDOW_DAYS = 31
SLOT_STATUSES = ("busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error")
SLOT_ID = re.compile(r"^(\d{1,9})-(\d{8})-(\d{1,5})$")
HAS_SESSIONS = "EXISTS (SELECT 1 FROM SESSIONS S WHERE S.USERID = U.USERID AND S.RECORDSTATUS = 1)"
Free = tuple[int, int]  # (start in seconds since midnight, length in seconds)


# -- Schedule ------------------------------------------------------------------


def schedule(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A USERS row with sessions -> the practitioner's Schedule (id = USERID)."""
    doctor = m.display_name(row.get("TITLE"), row.get("FIRSTNAME"), row.get("SURNAME"))
    resource: dict[str, Any] = {
        "resourceType": "Schedule",
        "id": str(row["USERID"]),
        "active": row.get("RECORDSTATUS") == 1,
        "actor": [m.reference("Practitioner", row["USERID"], doctor or None)],
        "comment": "Appointment book sessions; free slots are the sessions' slot length",
    }
    return resource


SCHEDULE = ResourceSpec(
    type="Schedule",
    columns="U.USERID, U.RECORDSTATUS, T.TITLE, U.FIRSTNAME, U.SURNAME",
    tables="USERS U LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE",
    base_filter=f"U.RECORDSTATUS = 1 AND {HAS_SESSIONS}",
    id_column="U.USERID",
    to_resource=schedule,
    params={
        "_id": id_param("U.USERID"),
        "actor": reference_param("actor", "U.USERID", "Practitioner", "The practitioner whose sessions these are"),
    },
    sorts={"_id": "U.USERID"},
    includes={"Schedule:actor": ("Practitioner", "USERID")},
    profile="http://hl7.org/fhir/StructureDefinition/Schedule",
    documentation="One per practitioner with appointment-book sessions (Bp Premier SESSIONS); id = UserID",
)


# -- Slot ----------------------------------------------------------------------


class _EngineCall:
    """Just enough of a :class:`ProcedureCall` for ``free_slots``: ``query(sql, params)`` over the site engine
    (the SQL is SQLite's and the engines' common subset; an int is bound as Int, anything else as DateTime)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        binder = Binder()
        pieces = sql.split("?")
        text = pieces[0]
        for value, piece in zip(params, pieces[1:], strict=True):
            text += (binder.int(value) if isinstance(value, int) else binder.datetime(str(value))) + piece
        return [tuple(row.values()) for row in read(self.engine, text, binder)]


def slot_id(userid: int, day: date, seconds: int) -> str:
    return f"{userid}-{day:%Y%m%d}-{seconds}"


def slot(userid: int, day: date, seconds: int, length: int) -> dict[str, Any]:
    start = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
    return {
        "resourceType": "Slot",
        "id": slot_id(userid, day, seconds),
        "schedule": m.reference("Schedule", userid),
        "status": "free",
        "start": m.local_to_fhir(start),
        "end": m.local_to_fhir(start + timedelta(seconds=length)),
    }


def _free_on(engine: Engine, userid: int, day: date) -> dict[int, int]:
    """{start: length} of the practitioner's free slots on ``day``."""
    return dict(free_slots(cast(ProcedureCall, _EngineCall(engine)), userid, day.isoformat()))


def read_slot(engine: Engine, resource_id: str) -> dict[str, Any]:
    """``Slot/{id}``: the slot while it is free, else 404."""
    match = SLOT_ID.match(resource_id)
    if match is None:
        raise outcome.unknown_id("Slot", resource_id)
    userid, seconds = int(match[1]), int(match[3])
    try:
        day = datetime.strptime(match[2], "%Y%m%d").date()
    except ValueError:
        raise outcome.unknown_id("Slot", resource_id) from None
    free = _free_on(engine, userid, day)
    if seconds not in free:
        raise outcome.unknown_id("Slot", resource_id)
    return slot(userid, day, seconds, free[seconds])


def _bounds(ranges: list[DateRange]) -> tuple[datetime, datetime]:
    """The ``[lower, upper)`` window the ``start`` values give; 400 unless bounded and at most 31 days."""
    lower: datetime | None = None
    upper: datetime | None = None
    for rng in ranges:
        lows = {"eq": rng.start, "ge": rng.start, "gt": rng.end, "sa": rng.end}
        highs = {"eq": rng.end, "le": rng.end, "lt": rng.start, "eb": rng.start}
        if rng.prefix not in lows and rng.prefix not in highs:
            raise outcome.invalid(f"Prefix \"{rng.prefix}\" is not supported for Slot start; use eq, ge, gt, le, lt")
        if rng.prefix in lows:
            lower = max(lower or lows[rng.prefix], lows[rng.prefix])
        if rng.prefix in highs:
            upper = min(upper or highs[rng.prefix], highs[rng.prefix])
    if lower is None or upper is None:
        raise outcome.invalid(f"Slot searches need a start range with a lower and an upper bound "
                              f"(e.g. start=ge2026-01-05&start=lt2026-01-06) of at most {MAX_WINDOW_DAYS} days")
    if upper - lower > timedelta(days=MAX_WINDOW_DAYS):
        raise outcome.invalid(f"The Slot start range is longer than {MAX_WINDOW_DAYS} days")
    return lower, upper


def _schedules(engine: Engine, wanted: set[int] | None) -> list[int]:
    binder = Binder()
    where = f" AND U.USERID IN {binder.ints(sorted(wanted))}" if wanted else ""
    if wanted is not None and not wanted:
        return []
    rows = read(engine, f"SELECT U.USERID FROM USERS U WHERE {SCHEDULE.base_filter}{where} ORDER BY U.USERID", binder)
    return [int(r["USERID"]) for r in rows]


@dataclass(frozen=True)
class SlotSearch:
    """A Slot search's page: every match count, and the resources of the page."""

    total: int
    offset: int
    count: int
    matches: list[dict[str, Any]]


def search_slots(engine: Engine, params: list[SearchParam], default_count: int, max_count: int) -> SlotSearch:
    """``Slot?schedule=&start=&status=``: free slots in a bounded window, ordered by start then schedule."""
    wanted: set[int] | None = None
    ranges: list[DateRange] = []
    free = True
    count, offset = default_count, 0
    for param in params:
        if param.modifier is not None:
            raise outcome.invalid(f"Modifier \":{param.modifier}\" is not supported on Slot.{param.name}")
        if param.name == "schedule":
            ids = {i for v in param.values if (i := parse_reference(v, "Schedule", param="schedule")) is not None}
            wanted = ids if wanted is None else wanted & ids
        elif param.name == "start":
            if len(param.values) != 1:
                raise outcome.invalid("Slot start takes one value per occurrence (repeat the parameter)")
            ranges.append(parse_date(param.values[0], param="start"))
        elif param.name == "status":
            unknown = [v for v in param.values if v not in SLOT_STATUSES]
            if unknown:
                raise outcome.invalid(f"Unknown Slot status \"{unknown[0]}\"; known: {', '.join(SLOT_STATUSES)}")
            free = free and "free" in param.values
        elif param.name == "_count":
            count = min(parse_int(param.values[0], param="_count"), max_count)
        elif param.name == "_getpagesoffset":
            offset = parse_int(param.values[0], param="_getpagesoffset")
        elif param.name not in ("_format", "_pretty"):
            raise outcome.unknown_parameter("Slot", param.name, [*SLOT_PARAMS, "_count", "_getpagesoffset"])
    lower, upper = _bounds(ranges)
    found: list[tuple[datetime, int, date, int, int]] = []
    if free:
        users = _schedules(engine, wanted)
        day = lower.date()
        while datetime.combine(day, datetime.min.time()) < upper:
            for userid in users:
                for seconds, length in _free_on(engine, userid, day).items():
                    start = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
                    if lower <= start < upper:
                        found.append((start, userid, day, seconds, length))
            if day == date.max:  # the last day there is
                break
            day += timedelta(days=1)
    found.sort()
    page = found[offset:offset + count] if count else []
    return SlotSearch(total=len(found), offset=offset, count=count,
                      matches=[slot(userid, day, seconds, length) for _, userid, day, seconds, length in page])


def _never(param: SearchParam, binder: Binder, ctx: Context) -> str:
    raise AssertionError("Slot is searched by search_slots, not SQL")  # pragma: no cover


SLOT_PARAMS: dict[str, ParamDef] = {
    "schedule": ParamDef("schedule", "reference", "The Schedule (practitioner) the slot belongs to", _never),
    "start": ParamDef("start", "date", "Slot start, practice-local; a range of at most 31 days is required", _never),
    "status": ParamDef("status", "token", "Slot status (only free slots exist)", _never),
}

#: Slot in the CapabilityStatement; reads and searches go through :func:`read_slot`/:func:`search_slots`.
SLOT_SPEC = ResourceSpec(
    type="Slot",
    columns="",
    tables="",
    base_filter="",
    id_column="",
    to_resource=lambda row, ctx: {},
    params=SLOT_PARAMS,
    profile="http://hl7.org/fhir/StructureDefinition/Slot",
    operations=(("find-free", "http://hl7.org/fhir/uv/scheduling/OperationDefinition/find-free"),),
    documentation="Free slots: sessions minus non-cancelled appointments, none while the practitioner is away (as "
                  "BP_GetFreeAppointments); id = {userid}-{yyyymmdd}-{seconds since midnight}",
)

SPECS = [SCHEDULE, SLOT_SPEC]

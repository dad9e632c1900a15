"""State that survives a restart, when asked: ``serve --state FILE`` and ``POST /_mock/snapshot``.

A snapshot is a zip file holding ``state.json`` and, for each site on the
embedded engine, each catalogue's SQLite database image
(``sites/<site>/<catalogue>.sqlite``). ``state.json`` keeps the clock, the id
source (so ids go on where they left off instead of repeating), each site's
availability and added latency, the scenario rules with their counters, and
the *finished* queries: immediate records, and async queries that reached their
terminal status with their pages, timings and retention. Left out, and said so
in the README: async queries still in flight (their SQL would have to run
again), registered queries, the journal, tokens (a configured ``jwt_secret``
keeps them valid across a restart) and the data of sites on a real database
(it is the database's to keep).

The file is written to a temporary name and renamed, so a crash mid-write
never leaves half a snapshot; loading checks the format and the sites.
"""

from __future__ import annotations

import base64
import json
import os
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mock_halo.clock import format_timestamp
from mock_halo.lifecycle.asyncq import AsyncQuery, AsyncResult
from mock_halo.lifecycle.model import SealedRecord
from mock_halo.lifecycle.pages import Page
from mock_halo.lifecycle.plan import Ending, Phase, Plan, PlanOverride

FORMAT = "mock-halo-state/1"
STATE = "state.json"


class SnapshotError(ValueError):
    """A state file that cannot be read or does not fit this emulator's sites."""


def save(emulator: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the emulator's state to ``path``; a summary of what was written."""
    lifecycle = emulator.lifecycle
    with lifecycle.lock:
        now = lifecycle.now()
        queries = [q for q in (_query_state(r, now) for r in lifecycle.store.records()) if q]
        images = {
            (site_id, name): data
            for site_id, site in emulator.sites.items() if site._engine is not None
            for name, data in (getattr(site._engine, "snapshot", dict)() or {}).items()
        }
        state = {
            "format": FORMAT,
            "savedAt": format_timestamp(now),
            "clock": _ts(now),
            "ids": _random_state(emulator.ids._random.getstate()),
            "seed": emulator.settings.seed,
            "sites": {site_id: {"availability": emulator.availability(site_id),
                                "latencyMs": emulator.site_latency_ms.get(site_id, 0)}
                      for site_id in emulator.sites},
            "rules": emulator.scenarios.list(),
            "queries": queries,
        }
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(STATE, json.dumps(state))
        for (site_id, name), data in images.items():
            archive.writestr(f"sites/{site_id}/{name}.sqlite", data)
    os.replace(temporary, target)
    return {"path": str(target), "bytes": target.stat().st_size, "savedAt": state["savedAt"],
            "queries": len(queries), "rules": len(state["rules"]),
            "databases": sorted(f"{site}/{name}" for site, name in images)}


def load(emulator: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Restore the state in ``path`` into a freshly started ``emulator`` (SnapshotError if it does not fit)."""
    try:
        with zipfile.ZipFile(path) as archive:
            state = json.loads(archive.read(STATE))
            images = {name: archive.read(name) for name in archive.namelist() if name.startswith("sites/")}
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not a mock-halo state file ({exc})") from None
    if state.get("format") != FORMAT:
        raise SnapshotError(f"{path}: format {state.get('format')!r}, expected {FORMAT!r}")
    unknown = sorted(set(state["sites"]) - set(emulator.sites))
    if unknown:
        raise SnapshotError(f"{path}: sites {unknown} are not configured here; start with the same sites")
    by_site: dict[str, dict[str, bytes]] = {}
    for name, data in images.items():
        _, site_id, file = name.split("/", 2)
        by_site.setdefault(site_id, {})[file.removesuffix(".sqlite")] = data
    for site_id, catalogues in by_site.items():
        engine = emulator.engine(emulator.sites[site_id])
        restore = getattr(engine, "restore", None)
        if restore is None:
            raise SnapshotError(f"{path}: site {site_id} has database images but runs on a real database here")
        restore(catalogues)
    clock = _at(state["clock"])
    if clock > emulator.clock.now():
        emulator.clock.set(clock)
    emulator.ids._random.setstate(_random_tuple(state["ids"]))
    for site_id, site in state["sites"].items():
        emulator.set_availability(site_id, site["availability"])
        if site["latencyMs"]:
            emulator.site_latency_ms[site_id] = site["latencyMs"]
    emulator.scenarios.restore(state["rules"])
    lifecycle = emulator.lifecycle
    with lifecycle.lock:
        for data in state["queries"]:
            record = _query_from(data, lifecycle)
            lifecycle.store.add(record)
            if isinstance(record, AsyncQuery):
                lifecycle._after_link(record)  # its retention (410) and forgetting, from where they stood
    return {"queries": len(state["queries"]), "rules": len(state["rules"]), "savedAt": state["savedAt"],
            "databases": sorted(images)}


# -- queries ---------------------------------------------------------------------------------------
def _query_state(record: Any, now: datetime) -> dict[str, Any] | None:
    if isinstance(record, SealedRecord):
        return {"kind": "immediate", "id": record.id, "siteId": record.site_id,
                "integratorId": record.integrator_id, "createdAt": _ts(record.created_at),
                "mode": record.mode, "body": record.body.decode("utf-8")}
    if isinstance(record, AsyncQuery) and record.plan.decided and record.completed_at <= now:
        return _async_state(record)
    return None  # in flight: its SQL has not run yet


def _async_state(query: AsyncQuery) -> dict[str, Any]:
    result = query.result
    return {
        "kind": "async", "id": query.id, "siteId": query.site_id, "integratorId": query.integrator_id,
        "maxTimeInQueue": query.max_time_in_queue, "commandSize": query.command_size,
        "requestSize": query.request_size, "sqlQuerySize": query.sql_query_size,
        "createdAt": _ts(query.created_at), "seq": query.seq,
        "retentionMs": int(query.retention.total_seconds() * 1000),
        "phases": [[p.name, _ts(p.start), _ts(p.end)] for p in query.plan.phases],
        "ending": [query.plan.ending.status, _ts(query.plan.ending.at), query.plan.ending.error],
        "sqlExecutionMs": query.sql_execution_ms,
        "resultsDropped": query.results_dropped,
        "result": None if result is None else {
            "nonquery": result.nonquery, "rows": result.rows, "rowsAffected": result.rows_affected,
            "size": result.size, "parameters": result.parameters,
            "pages": [[p.number, p.range_start, p.count, p.size,
                       None if p.data is None else base64.b64encode(p.data).decode("ascii"),
                       _ts(p.upload_start), _ts(p.upload_end)] for p in result.pages],
        },
    }


def _query_from(data: dict[str, Any], lifecycle: Any) -> Any:
    if data["kind"] == "immediate":
        record = SealedRecord.__new__(SealedRecord)
        record.id, record.site_id, record.integrator_id = data["id"], data["siteId"], data["integratorId"]
        record.created_at, record.mode = _at(data["createdAt"]), data["mode"]
        record.body = data["body"].encode("utf-8")
        record.status = json.loads(data["body"])["status"]
        return record
    plan = Plan(phases=[Phase(name, _at(start), _at(end)) for name, start, end in data["phases"]])
    status, at, error = data["ending"]
    plan.ending = Ending(status, _at(at), error)
    query = AsyncQuery(
        id=data["id"], integrator_id=data["integratorId"], site_id=data["siteId"],
        max_time_in_queue=data["maxTimeInQueue"], command_size=data["commandSize"],
        request_size=data["requestSize"], sql_query_size=data["sqlQuerySize"],
        created_at=_at(data["createdAt"]), seq=next(lifecycle._seq), command=None,
        override=PlanOverride(), retention=timedelta(milliseconds=data["retentionMs"]), plan=plan,
        sql_execution_ms=data["sqlExecutionMs"], results_dropped=data["resultsDropped"],
    )
    result = data["result"]
    if result is not None:
        query.result = AsyncResult(
            nonquery=result["nonquery"], rows=result["rows"], rows_affected=result["rowsAffected"],
            size=result["size"], parameters=result["parameters"],
            pages=[Page(number, start, count, size, None if page is None else base64.b64decode(page),
                        _at(upload_start), _at(upload_end))
                   for number, start, count, size, page, upload_start, upload_end in result["pages"]],
        )
    return query


def _ts(value: datetime | None) -> str | None:
    """An instant, exactly (microseconds: a status boundary must not move)."""
    return None if value is None else value.isoformat()


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _random_state(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _random_tuple(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)

"""Running reads and searches of a :class:`ResourceSpec` against the site's SQL engine."""

from __future__ import annotations

from collections import OrderedDict

from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from mock_halo.fhir import outcome
from mock_halo.fhir.params import SearchParam, parse_int
from mock_halo.fhir.query import Binder, Engine, Rows, fetch, read
from mock_halo.fhir.spec import Context, ResourceSpec, no_modifier_check

DEFAULT_COUNT = 50
MAX_COUNT = 1000
#: Result parameters accepted on every search (besides each spec's own parameters).
CONTROL = ("_count", "_sort", "_getpagesoffset", "_include", "_revinclude", "_format", "_pretty", "_summary",
           "_total", "_elements")


class Mapped(NamedTuple):
    """A mapped resource as JSON: a Bundle embeds ``json`` as it is (``orjson.Fragment``), so a
    search never parses and re-serialises its matches; ``resource()`` is the resource as a dict."""

    type: str
    id: str
    json: bytes

    def resource(self) -> dict[str, Any]:
        return orjson.loads(self.json)


@dataclass(frozen=True)
class SearchResult:
    total: int
    offset: int
    count: int
    matches: list[Mapped]
    included: list[Mapped]


#: Mapped resources (type, id, JSON) by (type, columns, row as fetched). Mapping is a pure
#: function of the row (the context only matters for searching), so a row changed by a
#: SQL write simply misses, and a row seen before is neither decoded nor mapped again. Kept
#: as JSON bytes: the garbage collector never scans them (20k resource trees would make
#: full collections pause requests), and every ``resource()`` is a fresh dict.
_MAPPED: OrderedDict[tuple[str, int, tuple[Any, ...]], tuple[str, str, bytes]] = OrderedDict()
MAPPED_CACHE_SIZE = 20_000


def mapped(spec: ResourceSpec, rows: Rows, ctx: Context) -> list[Mapped]:
    """``spec.to_resource(row)`` of each row as JSON, remembered: the same row maps to the same resource."""
    out = []
    for index, raw in enumerate(rows.raw):
        key = (spec.type, rows.shape, raw)
        cached = _MAPPED.get(key)
        if cached is None:
            resource = spec.to_resource(rows.objects()[index], ctx)
            cached = _MAPPED[key] = (resource["resourceType"], resource["id"], orjson.dumps(resource))
            if len(_MAPPED) > MAPPED_CACHE_SIZE:
                _MAPPED.popitem(last=False)
        out.append(Mapped(*cached))
    return out


def read_one(engine: Engine, spec: ResourceSpec, resource_id: str, ctx: Context) -> dict[str, Any]:
    """``Type/id``: the resource, or 404."""
    if not resource_id.isdigit() or len(resource_id) > 10:
        raise outcome.unknown_id(spec.type, resource_id)
    binder = Binder()
    rows = fetch(engine, spec.select(f"{spec.id_column} = {binder.int(int(resource_id))}"), binder)
    if not rows.raw:
        raise outcome.unknown_id(spec.type, resource_id)
    return mapped(spec, rows, ctx)[0].resource()


def fetch_by_ids(engine: Engine, spec: ResourceSpec, column: str, ids: list[int], ctx: Context) -> list[Mapped]:
    """Resources of ``spec`` whose ``column`` is one of ``ids`` (for _include/_revinclude)."""
    if not ids:
        return []
    binder = Binder()
    where = f"{column} IN {binder.ints(sorted(set(ids)))}"
    return mapped(spec, fetch(engine, spec.select(where) + f" ORDER BY {spec.id_column}", binder), ctx)


def _order_by(spec: ResourceSpec, sort_values: list[str]) -> str:
    terms: list[str] = []
    for value in sort_values:
        descending = value.startswith("-")
        name = value.lstrip("-")
        if name not in spec.sorts:
            raise outcome.invalid(
                f"Unknown _sort parameter value \"{name}\" for resource type \"{spec.type}\"; "
                f"sortable: {', '.join(sorted(spec.sorts))}"
            )
        terms.extend(f"{column}{' DESC' if descending else ''}" for column in spec.sorts[name].split(", "))
    terms.append(spec.id_column)
    return ", ".join(terms)


def search(engine: Engine, spec: ResourceSpec, params: list[SearchParam], ctx: Context,
           registry: dict[str, ResourceSpec]) -> SearchResult:
    """Run a search: conditions AND'd per occurrence, COUNT for ``total``, one page, then includes."""
    binder = Binder()
    conditions: list[str] = []
    count, offset = DEFAULT_COUNT, 0
    sort_values: list[str] = []
    includes: list[str] = []
    revincludes: list[str] = []
    for param in params:
        if param.name == "_count":
            count = min(parse_int(param.values[0], param="_count"), MAX_COUNT)
        elif param.name == "_getpagesoffset":
            offset = parse_int(param.values[0], param="_getpagesoffset")
        elif param.name == "_sort":
            sort_values.extend(v for v in param.values if v)
        elif param.name == "_include":
            includes.extend(param.values if param.modifier is None else [f"{v}" for v in param.values])
        elif param.name == "_revinclude":
            revincludes.extend(param.values)
        elif param.name in CONTROL:
            continue
        elif param.name in spec.params:
            definition = spec.params[param.name]
            no_modifier_check(param, definition.modifiers, spec.type)
            conditions.append(definition.build(param, binder, ctx))
        else:
            raise outcome.unknown_parameter(spec.type, param.name, [*spec.params, *CONTROL])
    for name in includes:
        if name not in spec.includes:
            raise outcome.invalid(f"Unsupported _include \"{name}\" for {spec.type}; supported: {sorted(spec.includes)}")
    for name in revincludes:
        if name not in spec.revincludes:
            raise outcome.invalid(
                f"Unsupported _revinclude \"{name}\" for {spec.type}; supported: {sorted(spec.revincludes)}"
            )
    order = _order_by(spec, sort_values)
    where = " AND ".join(conditions)
    condition = spec.base_filter + (f" AND {where}" if where else "")
    rows: Rows | None = None
    total: int | None = None
    if count > 0:
        page_binder = Binder()
        page_binder.parameters.extend(binder.parameters)
        sql = (f"{spec.select(where)} ORDER BY {order} OFFSET {page_binder.int(offset)} ROWS "
               f"FETCH NEXT {page_binder.int(count)} ROWS ONLY")
        rows = fetch(engine, sql, page_binder)
        if len(rows) < count and (rows.raw or offset == 0):
            total = offset + len(rows)  # the last page: its rows tell the total, no COUNT needed
    if total is None:
        total = read(engine, f"SELECT COUNT(*) AS n FROM {spec.tables} WHERE {condition}", binder)[0]["n"]
    matches = mapped(spec, rows, ctx) if rows is not None else []
    included = _included(engine, spec, rows, matches, includes, revincludes, ctx, registry)
    return SearchResult(total=total, offset=offset, count=count, matches=matches, included=included)


def _included(engine: Engine, spec: ResourceSpec, rows: Rows | None, matches: list[Mapped],
              includes: list[str], revincludes: list[str], ctx: Context,
              registry: dict[str, ResourceSpec]) -> list[Mapped]:
    included: list[Mapped] = []
    seen: set[tuple[str, str]] = {(r.type, r.id) for r in matches}
    for name in dict.fromkeys(includes):
        target, key = spec.includes[name]
        target_spec = registry[target]
        ids = [int(r[key]) for r in (rows.objects() if rows is not None else ()) if r.get(key) is not None]
        for resource in fetch_by_ids(engine, target_spec, target_spec.id_column, ids, ctx):
            if (resource.type, resource.id) not in seen:
                seen.add((resource.type, resource.id))
                included.append(resource)
    ids = [int(r.id) for r in matches]
    for name in dict.fromkeys(revincludes):
        source, column = spec.revincludes[name]
        for resource in fetch_by_ids(engine, registry[source], column, ids, ctx):
            if (resource.type, resource.id) not in seen:
                seen.add((resource.type, resource.id))
                included.append(resource)
    return included

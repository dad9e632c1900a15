"""How a FHIR resource type maps onto practice SQL: the :class:`ResourceSpec` and search-parameter builders.

A parameter builder turns one occurrence of a search parameter (its values OR'd)
into a SQL condition with bound values; occurrences are AND'd by the searcher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mock_halo.fhir import outcome
from mock_halo.fhir.params import DateRange, SearchParam, approximate, format_local, parse_date, parse_reference, shift
from mock_halo.fhir.query import Binder


@dataclass(frozen=True)
class Context:
    """What mapping and searching may need besides rows: the practice-local now and the site."""

    now: datetime
    site_id: str


Builder = Callable[[SearchParam, Binder, Context], str]


@dataclass(frozen=True)
class ParamDef:
    """A supported search parameter: FHIR type (for metadata), its SQL builder and allowed modifiers."""

    name: str
    type: str
    documentation: str
    build: Builder
    modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceSpec:
    """One resource type over SQL.

    ``columns``/``tables``/``base_filter`` give ``SELECT columns FROM tables WHERE base_filter``;
    ``id_column`` is the SQL expression of the logical id (an INT key);
    ``includes`` map ``Type:param`` to (target type, row key holding the target id);
    ``revincludes`` map ``Source:param`` to (source type, SQL column of the source referring here).
    """

    type: str
    columns: str
    tables: str
    base_filter: str
    id_column: str
    to_resource: Callable[[dict[str, Any], Context], dict[str, Any]]
    params: dict[str, ParamDef]
    sorts: dict[str, str] = field(default_factory=dict)
    profile: str | None = None
    supported_profiles: tuple[str, ...] = ()
    includes: dict[str, tuple[str, str]] = field(default_factory=dict)
    revincludes: dict[str, tuple[str, str]] = field(default_factory=dict)
    interactions: tuple[str, ...] = ("read", "search-type")
    #: (name, canonical OperationDefinition) of the type's operations, for the CapabilityStatement.
    operations: tuple[tuple[str, str], ...] = ()
    documentation: str = ""

    def select(self, where: str = "") -> str:
        condition = self.base_filter + (f" AND {where}" if where else "")
        return f"SELECT {self.columns} FROM {self.tables} WHERE {condition}"


# -- builders ----------------------------------------------------------------


def any_of(parts: list[str]) -> str:
    if not parts:
        return "1 = 0"
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("[", "\\[")


def _like(column: str, binder: Binder, pattern: str, value: str) -> str:
    """LIKE, with an ESCAPE clause only when needed (SQLite's prefix-index optimisation refuses ESCAPE)."""
    if _like_escape(value) == value:
        return f"{column} LIKE {binder.text(pattern)}"
    return f"{column} LIKE {binder.text(pattern)} ESCAPE '\\'"


def string_param(name: str, columns: list[str], documentation: str) -> ParamDef:
    """A FHIR string: starts-with, case-insensitive (default); ``:contains``; ``:exact`` (case-sensitive)."""

    def build(param: SearchParam, binder: Binder, ctx: Context) -> str:
        parts = []
        for value in param.values:
            for column in columns:
                if param.modifier == "exact":
                    parts.append(f"{column} = {binder.text(value)} COLLATE Latin1_General_CS_AS")
                elif param.modifier == "contains":
                    parts.append(_like(column, binder, "%" + _like_escape(value) + "%", value))
                else:
                    # Starts-with as a range on the NOCASE column: index-friendly, unlike the engine's LIKE.
                    parts.append(f"({column} >= {binder.text(value)} AND {column} < {binder.text(_prefix_end(value))})")
        return any_of(parts)

    return ParamDef(name, "string", documentation, build, frozenset({"exact", "contains"}))


def _prefix_end(value: str) -> str:
    """The least string above every string starting with ``value`` (case-insensitively).

    For ASCII, the lower-cased prefix with its last character raised by one
    (``smi`` -> ``smj``): the bound stays ASCII, so the engine compares it on
    the column's NOCASE index. A bound with a non-ASCII character would make it
    compare every row through its Unicode collation instead (100x slower on a
    10k-patient practice). Other prefixes get the highest code point appended.
    """
    lowered = value.lower()
    last = lowered[-1:]
    if lowered.isascii() and last and last not in ("@", "\x7f"):  # '@' + 1 is 'A', which NOCASE reads as 'a'
        return lowered[:-1] + chr(ord(last) + 1)
    return value + chr(0x10FFFF)


def id_param(column: str, documentation: str = "Logical id of this artifact") -> ParamDef:
    """``_id``: integer ids; a non-numeric id matches nothing."""

    def build(param: SearchParam, binder: Binder, ctx: Context) -> str:
        ids = [int(v) for v in param.values if v.isdigit()]
        return f"{column} IN {binder.ints(ids)}" if ids else "1 = 0"

    return ParamDef("_id", "token", documentation, build)


def reference_param(name: str, column: str, target: str, documentation: str) -> ParamDef:
    """A reference to ``target`` held as an INT column (``123``, ``Target/123``)."""

    def build(param: SearchParam, binder: Binder, ctx: Context) -> str:
        ids = [i for v in param.values if (i := parse_reference(v, target, param=param.name)) is not None]
        return f"{column} IN {binder.ints(ids)}" if ids else "1 = 0"

    return ParamDef(name, "reference", documentation, build, frozenset({target}))


def token_map_param(name: str, column: str, codes: dict[str, list[int]], documentation: str,
                    system: str | None = None) -> ParamDef:
    """A token whose codes map to integer lookup codes in ``column`` (gender, status)."""

    def build(param: SearchParam, binder: Binder, ctx: Context) -> str:
        wanted: list[int] = []
        for value in param.values:
            sys_, _, code = value.rpartition("|")
            if sys_ and system and sys_ != system:
                continue
            wanted.extend(codes.get(code, []))
        condition = f"{column} IN {binder.ints(sorted(set(wanted)))}" if wanted else "1 = 0"
        return f"NOT {condition}" if param.modifier == "not" else condition

    return ParamDef(name, "token", documentation, build, frozenset({"not"}))


DateSide = Callable[[Binder, datetime], str]


def date_param(name: str, at_or_after: DateSide, before: DateSide, documentation: str,
               day_precision: bool = False) -> ParamDef:
    """A FHIR date compared with a point value (a birth date's day, an appointment's start).

    ``at_or_after(b, t)`` is the SQL for "target >= t", ``before(b, t)`` for "target < t".
    With ``day_precision`` the target is a whole day (birthDate), so bounds are days too.
    """

    def one(rng: DateRange, binder: Binder, ctx: Context) -> str:
        start, end = rng.start, rng.end
        if day_precision:
            start = _floor_day(start)
            end = end if end == _floor_day(end) else shift(_floor_day(end), timedelta(days=1))
        p = rng.prefix
        if p == "eq":
            return f"({at_or_after(binder, start)} AND {before(binder, end)})"
        if p == "ne":
            return f"NOT ({at_or_after(binder, start)} AND {before(binder, end)})"
        if p in ("gt", "sa"):
            return at_or_after(binder, end)
        if p in ("lt", "eb"):
            return before(binder, start)
        if p == "ge":
            return at_or_after(binder, start)
        if p == "le":
            return before(binder, end)
        low, high = approximate(DateRange(p, start, end), ctx.now)
        if day_precision:
            low = _floor_day(low)
        return f"({at_or_after(binder, low)} AND {before(binder, high)})"

    def build(param: SearchParam, binder: Binder, ctx: Context) -> str:
        return any_of([one(parse_date(v, param=param.name), binder, ctx) for v in param.values])

    return ParamDef(name, "date", documentation, build)


def datetime_column(column: str) -> tuple[DateSide, DateSide]:
    """Date sides for a DATETIME column stored as local time."""
    return (lambda b, t: f"{column} >= {b.datetime(format_local(t))}",
            lambda b, t: f"{column} < {b.datetime(format_local(t))}")


def no_modifier_check(param: SearchParam, allowed: frozenset[str], resource: str) -> None:
    if param.modifier is not None and param.modifier not in allowed:
        raise outcome.invalid(
            f"Unsupported modifier \":{param.modifier}\" for search parameter \"{param.name}\" of {resource}"
        )


def _floor_day(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day)

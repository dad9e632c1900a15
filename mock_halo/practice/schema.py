"""The fixture DDL (T-SQL) and its SQLite translation.

``fixtures/bp_premier/*.sql`` is the single source of the schema: T-SQL that a
real SQL Server 2022 accepts, in ``GO``-separated batches. For the embedded
engine it is parsed with sqlglot (``read="tsql"``) and written for SQLite with
these changes, following docs/architecture.md:

* declared column types keep SQL Server's spelling (``NVARCHAR(50)``,
  ``DATETIME``, ``BIT``, ``UNIQUEIDENTIFIER``, ...), so ``PRAGMA table_info``
  still tells the T-SQL type; the one exception is an ``INT IDENTITY`` primary
  key, declared ``INTEGER PRIMARY KEY`` (a synonym SQL Server accepts) so that
  SQLite numbers new rows itself, as IDENTITY does;
* text columns (and ``UNIQUEIDENTIFIER``) get ``COLLATE NOCASE``, like SQL
  Server's case-insensitive default collation;
* the ``dbo.`` schema is dropped from object names (the engine maps ``dbo`` to
  the current catalogue);
* computed view columns (all written as ``CAST(... AS NVARCHAR(n))``) get
  ``COLLATE NOCASE`` as well, since SQLite gives expressions binary collation.

:func:`column_types` gives the T-SQL type of every table and view column,
including computed view columns whose type SQLite cannot report.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

SUPPORTED_PMS_TYPES = ("BestPractice",)
_FIXTURE_DIRS = {"BestPractice": "bp_premier"}
_GO = re.compile(r"(?im)^[ \t]*GO[ \t]*;?[ \t]*$")
_TEXT_TYPES = frozenset({
    exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR, exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.TEXT, exp.DataType.Type.UUID,
})


def check_pms_type(pms_type: str) -> str:
    """``pms_type`` if fake databases exist for it, else a ValueError that says what does."""
    if pms_type not in SUPPORTED_PMS_TYPES:
        raise ValueError(
            f"no fake practice databases for pms_type {pms_type!r}: only {', '.join(SUPPORTED_PMS_TYPES)} "
            "is supported (Zedmed and D4w schemas are not public)"
        )
    return pms_type


def fixtures_dir(pms_type: str = "BestPractice") -> Path:
    """Where the DDL lives: the source tree's ``fixtures/`` or the wheel's ``_data/fixtures``."""
    name = _FIXTURE_DIRS[check_pms_type(pms_type)]
    here = Path(__file__).resolve()
    for root in (here.parents[2] / "fixtures", here.parents[1] / "_data" / "fixtures"):
        if (root / name).is_dir():
            return root / name
    raise FileNotFoundError(f"fixture DDL directory {name!r} not found next to {here.parents[1]}")


def split_batches(script: str) -> list[str]:
    """Split a T-SQL script on ``GO`` lines (what sqlcmd and SSMS do), dropping empty batches."""
    return [b.strip() for b in _GO.split(script) if b.strip() and not _only_comments(b)]


def _only_comments(batch: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in batch.splitlines())


@functools.cache
def tsql_batches(pms_type: str = "BestPractice") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """((file name, batches), ...) of the fixture DDL, files in name order."""
    return tuple((f.name, tuple(split_batches(f.read_text(encoding="utf-8"))))
                 for f in sorted(fixtures_dir(pms_type).glob("*.sql")))


@functools.cache
def tsql_ddl(pms_type: str = "BestPractice") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(batches to run before loading data: tables; batches to run after: indexes and views)."""
    before: list[str] = []
    after: list[str] = []
    for _name, batches in tsql_batches(pms_type):
        for batch in batches:
            kinds = {s.args.get("kind") for s in sqlglot.parse(batch, read="tsql") if s is not None}
            (before if kinds <= {"TABLE"} else after).append(batch)
    return tuple(before), tuple(after)


def parse_statements(pms_type: str = "BestPractice") -> list[exp.Expression]:
    """Every DDL statement freshly parsed as T-SQL, in file order (the caller may change the trees)."""
    out: list[exp.Expression] = []
    for _name, batches in tsql_batches(pms_type):
        for batch in batches:
            out.extend(s for s in sqlglot.parse(batch, read="tsql") if s is not None)
    return out


@dataclass(frozen=True)
class SqliteSchema:
    """The DDL for SQLite, in the order to apply it."""

    tables: tuple[str, ...]
    indexes: tuple[str, ...]
    views: tuple[str, ...]
    table_names: tuple[str, ...]
    view_names: tuple[str, ...]
    #: Tables with an IDENTITY column (they need SET IDENTITY_INSERT on SQL Server).
    identity_tables: frozenset[str]


def _strip_schema(node: exp.Expression) -> None:
    for table in node.find_all(exp.Table):
        table.set("db", None)
        table.set("catalog", None)


def _is_text(dt: exp.DataType) -> bool:
    return dt.this in _TEXT_TYPES


def tsql_type_name(dt: exp.DataType) -> str:
    """How SQL Server spells a type (sqlglot's T-SQL generator writes INT as INTEGER)."""
    key = (dt.this, tuple(p.name for p in dt.expressions))
    name = _TYPE_NAMES.get(key)
    if name is None:  # generating SQL is slow enough to be worth remembering per type
        name = _TYPE_NAMES[key] = "INT" if dt.this == exp.DataType.Type.INT else dt.sql("tsql")
    return name


_TYPE_NAMES: dict[tuple[exp.DataType.Type, tuple[str, ...]], str] = {}


def _declared(dt: exp.DataType) -> exp.DataType:
    """A data type that SQLite's generator prints exactly as T-SQL spells it."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=tsql_type_name(dt))


def _nocase() -> exp.ColumnConstraint:
    return exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.Var(this="NOCASE")))


def _table_for_sqlite(tree: exp.Create) -> tuple[str, bool]:
    """SQLite DDL for a CREATE TABLE (changes ``tree``); and whether it has an IDENTITY column."""
    _strip_schema(tree)
    has_identity = False
    for col in tree.find_all(exp.ColumnDef):
        constraints = col.args.get("constraints") or []
        identity = [k for k in constraints if isinstance(k.args.get("kind"), exp.GeneratedAsIdentityColumnConstraint)]
        dt = col.args["kind"]
        if identity:
            has_identity = True
            if not any(isinstance(k.args.get("kind"), exp.PrimaryKeyColumnConstraint) for k in constraints):
                raise ValueError(f"IDENTITY column {col.name} must be the PRIMARY KEY")
            col.set("constraints", [k for k in constraints if k not in identity])
            col.set("kind", exp.DataType(this=exp.DataType.Type.USERDEFINED, kind="INTEGER"))
            continue
        col.set("kind", _declared(dt))
        if _is_text(dt):
            col.append("constraints", _nocase())
    return tree.sql(dialect="sqlite", comments=False), has_identity


def _view_for_sqlite(tree: exp.Create) -> str:
    """SQLite DDL for a CREATE VIEW (changes ``tree``)."""
    _strip_schema(tree)
    select = tree.expression
    for projection in select.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(inner, exp.Cast) and _is_text(inner.to):
            projection.set("this", exp.Collate(this=inner, expression=exp.Var(this="NOCASE")))
    return tree.sql(dialect="sqlite", comments=False)


@functools.cache
def _compile(pms_type: str) -> tuple[SqliteSchema, dict[str, tuple[tuple[str, str], ...]]]:
    """Parse the DDL once: the T-SQL column types, then the SQLite translation."""
    tables, indexes, views, table_names, view_names = [], [], [], [], []
    identity: set[str] = set()
    types: dict[str, tuple[tuple[str, str], ...]] = {}
    for stmt in parse_statements(pms_type):
        if not isinstance(stmt, exp.Create):
            raise ValueError(f"unexpected statement in fixture DDL: {stmt.sql('tsql')[:80]}")
        kind = stmt.args.get("kind")
        if kind == "TABLE":
            name = stmt.this.this.name
            types[name] = tuple((c.name, tsql_type_name(c.args["kind"])) for c in stmt.this.expressions
                                if isinstance(c, exp.ColumnDef))
            sql, has_identity = _table_for_sqlite(stmt)
            tables.append(sql)
            table_names.append(name)
            if has_identity:
                identity.add(name)
        elif kind == "INDEX":
            _strip_schema(stmt)
            indexes.append(stmt.sql(dialect="sqlite", comments=False))
        elif kind == "VIEW":
            name = stmt.this.name
            types[name] = _view_types(stmt.expression, types)
            views.append(_view_for_sqlite(stmt))
            view_names.append(name)
        else:
            raise ValueError(f"unexpected CREATE {kind} in fixture DDL")
    schema = SqliteSchema(tuple(tables), tuple(indexes), tuple(views), tuple(table_names), tuple(view_names),
                          frozenset(identity))
    return schema, types


def sqlite_schema(pms_type: str = "BestPractice") -> SqliteSchema:
    """The fixture DDL translated for SQLite (parsed once per process)."""
    return _compile(check_pms_type(pms_type))[0]


def column_types(pms_type: str = "BestPractice") -> dict[str, tuple[tuple[str, str], ...]]:
    """{table or view name: ((column, T-SQL type), ...)} in declaration order.

    IDENTITY columns are reported as ``INT`` (their T-SQL type); view columns
    have the type of the base column they show or of their ``CAST``. The same
    dict is returned on every call: do not change it.
    """
    return _compile(check_pms_type(pms_type))[1]


def _view_types(select: exp.Select, known: dict[str, tuple[tuple[str, str], ...]]) -> tuple[tuple[str, str], ...]:
    aliases = {t.alias_or_name.upper(): t.name.upper() for t in select.find_all(exp.Table)}
    upper = {name.upper(): {c.upper(): t for c, t in cols} for name, cols in known.items()}
    result = []
    for projection in select.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(inner, exp.Cast):
            result.append((projection.alias_or_name, tsql_type_name(inner.to)))
        elif isinstance(inner, exp.Column):
            table = aliases[inner.table.upper()]
            result.append((projection.alias_or_name, upper[table][inner.name.upper()]))
        else:
            raise ValueError(f"view column {projection.alias_or_name} needs a CAST to declare its type")
    return tuple(result)

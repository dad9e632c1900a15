"""The site's schema as the translator sees it: catalogues, tables, typed columns.

Read once per engine from SQLite (``sqlite_master`` and ``PRAGMA table_info``);
column declared types keep SQL Server's names (architecture.md), so each
column's :mod:`kind <mock_halo.sql.semantics.kinds>` is known. Names match
case-insensitively, as under SQL Server's default collation.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from mock_halo.sql.semantics import kinds as K

_PK_NAME_RE = re.compile(r"CONSTRAINT\s+\[?(\w+)\]?\s+PRIMARY\s+KEY", re.IGNORECASE)
_UNIQUE_NAME_RE = re.compile(r"CONSTRAINT\s+\[?(\w+)\]?\s+UNIQUE", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    decl: str  # compact SQL Server type name, e.g. 'nvarchar(50)'
    kind: K.Kind
    notnull: bool = False
    pk: bool = False


@dataclass(frozen=True, slots=True)
class OutCol:
    """One output column of a query: name as written, kind, declared type."""

    name: str
    kind: K.Kind
    decl: str


@dataclass(frozen=True)
class Table:
    name: str
    db: str  # SQLite schema name: 'main' or an attached catalogue
    catalogue: str  # the catalogue's display name, e.g. 'BPSPatients'
    columns: tuple[Column, ...]
    is_view: bool = False
    pk_name: str = ""
    unique_names: tuple[str, ...] = ()
    by_name: dict[str, Column] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name.lower(): c for c in self.columns})

    def column(self, name: str) -> Column | None:
        return self.by_name.get(name.lower())

    @property
    def qualified(self) -> str:
        """How SQL Server names the object in constraint messages: ``dbo.PATIENTS``."""
        return f"dbo.{self.name}"


@dataclass
class Catalog:
    """All catalogues of one site: ``tables[db][lower table name]``."""

    default: str
    catalogues: dict[str, str]  # lower catalogue name -> SQLite schema name
    display: dict[str, str]  # SQLite schema name -> catalogue display name
    tables: dict[str, dict[str, Table]]

    def db_for(self, catalogue: str | None) -> str | None:
        if catalogue is None:
            return "main"
        return self.catalogues.get(catalogue.lower())

    def table(self, db: str, name: str) -> Table | None:
        return self.tables.get(db, {}).get(name.lower())


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cast_type(column: Column, view_sql: str) -> Column:
    """A view column SQLite cannot type (an expression) has the type of the CAST that makes it, as in SQL
    Server: ``CAST(... AS CHAR(50)) [COLLATE NOCASE] AS Ethnicity`` (the fixtures' views keep SQL Server's names)."""
    if column.decl:
        return column
    found = re.search(r"\bAS\s+([A-Za-z]+(?:\([^()]*\))?)\)\s+(?:COLLATE\s+NOCASE\s+)?AS\s+[\"`\[]?"
                      + re.escape(column.name) + r"[\"`\]]?(?=\s*,|\s+FROM\b)", view_sql, re.IGNORECASE)
    if found is None:
        return column
    decl = found.group(1)
    return Column(name=column.name, decl=K.normal_decl(decl), kind=K.kind_of_decl(decl), notnull=column.notnull,
                  pk=column.pk)


#: Catalogs already read, by the schema text they were read from (sites of one PMS share one schema).
#: Engines open on their sites' worker threads, so the cache is read and trimmed under a lock.
_READ: OrderedDict[tuple, Catalog] = OrderedDict()
_READ_LOCK = threading.Lock()


def read_catalog(conn: sqlite3.Connection, names: dict[str, str], default: str) -> Catalog:
    """Read the schema of every catalogue. ``names`` maps catalogue display name -> SQLite schema name.

    A schema read before (the same objects and DDL in every catalogue) gives the same :class:`Catalog`, which
    nothing changes after it is read: several sites then read their schema once.
    """
    key = (default, tuple((catalogue, db, _schema_digest(conn, db)) for catalogue, db in names.items()))
    with _READ_LOCK:
        found = _READ.get(key)
        if found is not None:
            _READ.move_to_end(key)
            return found
    catalog = _read_catalog(conn, names, default)
    with _READ_LOCK:
        _READ[key] = catalog
        while len(_READ) > 16:
            _READ.popitem(last=False)
    return catalog


def _schema_digest(conn: sqlite3.Connection, db: str) -> str:
    digest = hashlib.sha256()
    for row in conn.execute(f"SELECT type, name, sql FROM {quote(db)}.sqlite_master ORDER BY type, name"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _read_catalog(conn: sqlite3.Connection, names: dict[str, str], default: str) -> Catalog:
    tables: dict[str, dict[str, Table]] = {}
    for catalogue, db in names.items():
        found: dict[str, Table] = {}
        rows = conn.execute(
            f"SELECT name, type, sql FROM {quote(db)}.sqlite_master "
            "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
        for name, kind, sql in rows:
            columns = tuple(
                Column(name=col_name, decl=K.normal_decl(decl), kind=K.kind_of_decl(decl), notnull=bool(notnull),
                       pk=bool(pk))
                for _, col_name, decl, notnull, _, pk in conn.execute(
                    f"PRAGMA {quote(db)}.table_info({quote(name)})").fetchall()
            )
            if kind == "view":
                columns = tuple(_cast_type(column, sql or "") for column in columns)
            pk_match = _PK_NAME_RE.search(sql or "")
            found[name.lower()] = Table(
                name=name, db=db, catalogue=catalogue, columns=columns, is_view=kind == "view",
                pk_name=pk_match.group(1) if pk_match else f"PK_{name}",
                unique_names=tuple(_UNIQUE_NAME_RE.findall(sql or "")),
            )
        tables[db] = found
    return Catalog(
        default=default,
        catalogues={c.lower(): db for c, db in names.items()},
        display={db: c for c, db in names.items()},
        tables=tables,
    )

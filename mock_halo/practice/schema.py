"""The fixture DDL (T-SQL) and its SQLite translation.

``fixtures/<set>/*.sql`` is the single source of each catalogue's schema: T-SQL
that a real SQL Server 2022 accepts, in ``GO``-separated batches. Bp Premier's
practice catalogues (``BPSPatients``, ``BPSSamples``) use ``bp_premier``; its
drug reference catalogue ``BPSDrugs`` uses ``bp_drugs``. For the embedded engine
the DDL is parsed with sqlglot (``read="tsql"``) and written for SQLite with
these changes, following docs/architecture.md:

* declared column types keep SQL Server's exact spelling (``CHAR(40)``,
  ``VARCHAR(MAX)``, ``NTEXT``, ``DATETIME``, ...; read from the DDL text, since
  sqlglot folds TEXT and NTEXT together), so ``PRAGMA table_info`` still tells
  the T-SQL type; ``(MAX)`` is declared ``(-1)`` (SQLite wants a number there, and
  -1 is what SQL Server's catalogue views report for MAX). The one other change
  is an ``INT IDENTITY`` primary key, declared ``INTEGER PRIMARY KEY`` (a
  synonym SQL Server accepts) so that SQLite numbers new rows itself, as
  IDENTITY does;
* text columns (and ``UNIQUEIDENTIFIER``) get ``COLLATE NOCASE``, like SQL
  Server's case-insensitive default collation;
* the ``dbo.`` schema is dropped from object names (the engine maps ``dbo`` to
  the current catalogue);
* computed view columns (all written as ``CAST(... AS <type>)``) get
  ``COLLATE NOCASE`` as well when they are text, since SQLite gives expressions
  binary collation.

:func:`column_types` gives the T-SQL type of every table and view column,
including computed view columns whose type SQLite cannot report; :func:`table_columns`
the declaration of every table column (type, nullability, identity).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

SUPPORTED_PMS_TYPES = ("BestPractice",)
#: The fixture set (directory under ``fixtures/``) of each Bp Premier catalogue; others use ``bp_premier``.
_CATALOGUE_SETS = {"bpsdrugs": "bp_drugs"}
_DEFAULT_SETS = {"BestPractice": "bp_premier"}
_GO = re.compile(r"(?im)^[ \t]*GO[ \t]*;?[ \t]*$")
_COLUMN_LINE = re.compile(r"^\s+\[?([A-Za-z_][\w]*)\]?\s+([A-Za-z]+(?:\s*\(\s*(?:\d+\s*(?:,\s*\d+\s*)?|MAX)\))?)"
                          r"(.*?),?\s*$", re.IGNORECASE)
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


def fixture_set(pms_type: str = "BestPractice", catalogue: str | None = None) -> str:
    """The fixture directory name of a catalogue (``bp_premier`` or ``bp_drugs``)."""
    check_pms_type(pms_type)
    if catalogue is not None and catalogue.lower() in _CATALOGUE_SETS:
        return _CATALOGUE_SETS[catalogue.lower()]
    return _DEFAULT_SETS[pms_type]


def fixtures_dir(pms_type: str = "BestPractice", catalogue: str | None = None) -> Path:
    """Where the DDL lives: the source tree's ``fixtures/`` or the wheel's ``_data/fixtures``."""
    name = fixture_set(pms_type, catalogue)
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
def _batches(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    root = fixtures_dir(catalogue="BPSDrugs" if name == "bp_drugs" else None)
    return tuple((f.name, tuple(split_batches(f.read_text(encoding="utf-8")))) for f in sorted(root.glob("*.sql")))


def tsql_batches(pms_type: str = "BestPractice", catalogue: str | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """((file name, batches), ...) of a catalogue's fixture DDL, files in name order."""
    return _batches(fixture_set(pms_type, catalogue))


@functools.cache
def _ddl(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    before: list[str] = []
    after: list[str] = []
    for _file, batches in _batches(name):
        for batch in batches:
            head = batch.lstrip()
            while head.startswith("--"):
                head = head.split("\n", 1)[1].lstrip() if "\n" in head else ""
            (before if head.upper().startswith("CREATE TABLE") else after).append(batch)
    return tuple(before), tuple(after)


def tsql_ddl(pms_type: str = "BestPractice", catalogue: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(batches to run before loading data: tables; batches to run after: indexes and views)."""
    return _ddl(fixture_set(pms_type, catalogue))


def parse_statements(pms_type: str = "BestPractice", catalogue: str | None = None) -> list[exp.Expression]:
    """Every DDL statement freshly parsed as T-SQL, in file order (the caller may change the trees)."""
    out: list[exp.Expression] = []
    for _name, batches in tsql_batches(pms_type, catalogue):
        for batch in batches:
            out.extend(s for s in sqlglot.parse(batch, read="tsql") if s is not None)
    return out


@dataclass(frozen=True, slots=True)
class ColumnDecl:
    """One table column as the DDL declares it."""

    name: str
    type: str  # SQL Server's spelling, upper case: 'CHAR(40)', 'VARCHAR(MAX)', 'INT', 'DATETIME'
    nullable: bool
    identity: bool = False

    @property
    def base(self) -> str:
        """``'char'`` for ``CHAR(40)``."""
        return self.type.split("(")[0].lower()

    @property
    def length(self) -> int | None:
        """The declared length of a string type (-1 for MAX), else None."""
        if "(" not in self.type or self.base not in ("char", "nchar", "varchar", "nvarchar", "varbinary", "binary"):
            return None
        inner = self.type.split("(")[1].rstrip(")")
        return -1 if inner.upper() == "MAX" else int(inner)

    @property
    def padded(self) -> bool:
        """Fixed-width text (CHAR/NCHAR): SQL Server stores and returns it space-padded."""
        return self.base in ("char", "nchar")


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
    #: {table: (ColumnDecl, ...)} in declaration order.
    columns: dict[str, tuple[ColumnDecl, ...]]


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


def sqlite_decl(type_name: str) -> str:
    """A T-SQL type as a SQLite declared type: the same words, ``(MAX)`` as ``(-1)``."""
    return re.sub(r"\(\s*MAX\s*\)", "(-1)", type_name, flags=re.IGNORECASE)


def _nocase() -> exp.ColumnConstraint:
    return exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.Var(this="NOCASE")))


_TEXT_BASES = frozenset({"char", "nchar", "varchar", "nvarchar", "text", "ntext", "uniqueidentifier"})
_TABLE_HEAD = re.compile(r"^\s*CREATE\s+TABLE\s+(?:\[?dbo\]?\.)?\[?(\w+)\]?\s*\(\s*$", re.IGNORECASE)
_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(\w+)\s+ON\s+(?:\[?dbo\]?\.)?\[?(\w+)\]?\s*\(([^)]*)\)\s*;?\s*$",
                    re.IGNORECASE)
_PK_INLINE = re.compile(r"^CONSTRAINT\s+(\w+)\s+PRIMARY\s+KEY$", re.IGNORECASE)
_TABLE_CONSTRAINT = re.compile(r"^\s+CONSTRAINT\s+(\w+)\s+(PRIMARY\s+KEY|FOREIGN\s+KEY)\s*\(([^)]*)\)"
                               r"(?:\s+REFERENCES\s+(?:\[?dbo\]?\.)?\[?(\w+)\]?\s*\(([^)]*)\))?\s*,?\s*$",
                               re.IGNORECASE)


def _quote(name: str) -> str:
    return '"' + name.strip().strip("[]").replace('"', '""') + '"'


def _names(text: str) -> str:
    return ", ".join(_quote(n) for n in text.split(","))


def _table_for_sqlite(batch: str) -> tuple[str, str, tuple[ColumnDecl, ...]]:
    """(table name, SQLite DDL, columns) of a fixture CREATE TABLE batch.

    The fixture DDL writes one column or constraint per line (``NAME TYPE [IDENTITY(1, 1)] [NOT] NULL
    [CONSTRAINT pk PRIMARY KEY]``, then ``CONSTRAINT ... PRIMARY KEY (...)`` / ``FOREIGN KEY (...) REFERENCES
    dbo.T (...)``), which is translated line by line: generating it with sqlglot takes a second for Bp's 448
    tables, this milliseconds. tests/test_practice_schema.py checks the result against sqlglot's reading of
    the same T-SQL.
    """
    lines = [line for line in batch.splitlines() if line.strip() and not line.strip().startswith("--")]
    head = _TABLE_HEAD.match(lines[0])
    if head is None or not lines[-1].strip().startswith(")"):
        raise ValueError(f"fixture DDL must write one column per line: {lines[0][:80]}")
    table = head.group(1)
    parts: list[str] = []
    decls: list[ColumnDecl] = []
    for line in lines[1:-1]:
        constraint = _TABLE_CONSTRAINT.match(line)
        if constraint is not None:
            name, kind, cols, ref, ref_cols = constraint.groups()
            if kind.upper().startswith("PRIMARY"):
                parts.append(f"CONSTRAINT {name} PRIMARY KEY ({_names(cols)})")
            else:
                parts.append(f"CONSTRAINT {name} FOREIGN KEY ({_names(cols)}) REFERENCES {_quote(ref)} "
                             f"({_names(ref_cols)})")
            continue
        match = _COLUMN_LINE.match(line)
        if match is None:
            raise ValueError(f"cannot read this fixture column line of {table}: {line.strip()[:80]}")
        name, type_name, rest = match.group(1), re.sub(r"\s+", "", match.group(2)).upper(), match.group(3).strip()
        upper = rest.upper()
        identity = upper.startswith("IDENTITY")
        if identity:
            rest = rest[rest.index(")") + 1:].strip()
            upper = rest.upper()
        not_null = upper.startswith("NOT NULL")
        rest = rest[len("NOT NULL" if not_null else "NULL"):].strip() if upper.startswith(("NOT NULL", "NULL")) else rest
        pk = _PK_INLINE.match(rest) if rest else None
        if rest and pk is None:
            raise ValueError(f"cannot read this fixture column line of {table}: {line.strip()[:80]}")
        decl = ColumnDecl(name, type_name, not not_null, identity)
        decls.append(decl)
        if identity:
            if pk is None:
                raise ValueError(f"IDENTITY column {name} must be the PRIMARY KEY")
            parts.append(f"{_quote(name)} INTEGER NOT NULL CONSTRAINT {pk.group(1)} PRIMARY KEY")
            continue
        text = f"{_quote(name)} {sqlite_decl(type_name)}{' NOT NULL' if not_null else ''}"
        if decl.base in _TEXT_BASES:
            text += " COLLATE NOCASE"
        if pk is not None:
            text += f" CONSTRAINT {pk.group(1)} PRIMARY KEY"
        parts.append(text)
    return table, f"CREATE TABLE {_quote(table)} ({', '.join(parts)})", tuple(decls)


def _view_for_sqlite(tree: exp.Create) -> str:
    """SQLite DDL for a CREATE VIEW (changes ``tree``)."""
    _strip_schema(tree)
    select = tree.expression
    for projection in select.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(inner, exp.Cast):
            # SQL Server's type name kept (same SQLite affinity): the engine's schema reader reads the
            # column's type from it, as SQL Server's catalogue does (a CAST declares a view column's type).
            text = _is_text(inner.to)
            inner.set("to", exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=sqlite_decl(tsql_type_name(inner.to))))
            if text:
                projection.set("this", exp.Collate(this=inner, expression=exp.Var(this="NOCASE")))
    return tree.sql(dialect="sqlite", comments=False)


@functools.cache
def _compile(name: str) -> tuple[SqliteSchema, dict[str, tuple[tuple[str, str], ...]]]:
    """Parse the DDL once: the T-SQL column types, then the SQLite translation."""
    tables, indexes, views, table_names, view_names = [], [], [], [], []
    identity: set[str] = set()
    types: dict[str, tuple[tuple[str, str], ...]] = {}
    columns: dict[str, tuple[ColumnDecl, ...]] = {}
    before, _after = _ddl(name)
    for batch in before:
        table, sql, decls = _table_for_sqlite(batch)
        columns[table] = decls
        types[table] = tuple((d.name, d.type) for d in decls)
        tables.append(sql)
        table_names.append(table)
        if any(d.identity for d in decls):
            identity.add(table)
    for _file, batches in _batches(name):
        for batch in batches:
            if batch in before:
                continue
            lines = [line for line in batch.splitlines() if line.strip() and not line.strip().startswith("--")]
            found = [_INDEX.match(line) for line in lines]
            if all(found):  # an index batch: one CREATE INDEX per line
                indexes.extend(f"CREATE {m.group(1) or ''}INDEX {m.group(2)} ON {_quote(m.group(3))} ({_names(m.group(4))})"
                               for m in found if m is not None)
                continue
            for stmt in sqlglot.parse(batch, read="tsql"):
                if stmt is None:
                    continue
                if not isinstance(stmt, exp.Create):
                    raise ValueError(f"unexpected statement in fixture DDL: {stmt.sql('tsql')[:80]}")
                kind = stmt.args.get("kind")
                if kind == "TABLE":
                    raise ValueError("CREATE TABLE must be alone in its batch")
                elif kind == "INDEX":
                    _strip_schema(stmt)
                    indexes.append(stmt.sql(dialect="sqlite", comments=False))
                elif kind == "VIEW":
                    view = stmt.this.name
                    types[view] = _view_types(stmt.expression, types)
                    views.append(_view_for_sqlite(stmt))
                    view_names.append(view)
                else:
                    raise ValueError(f"unexpected CREATE {kind} in fixture DDL")
    schema = SqliteSchema(tuple(tables), tuple(indexes), tuple(views), tuple(table_names), tuple(view_names),
                          frozenset(identity), columns)
    return schema, types


def sqlite_schema(pms_type: str = "BestPractice", catalogue: str | None = None) -> SqliteSchema:
    """A catalogue's fixture DDL translated for SQLite (parsed once per process)."""
    return _compile(fixture_set(pms_type, catalogue))[0]


def column_types(pms_type: str = "BestPractice", catalogue: str | None = None) -> dict[str, tuple[tuple[str, str], ...]]:
    """{table or view name: ((column, T-SQL type), ...)} in declaration order.

    IDENTITY columns are reported as ``INT`` (their T-SQL type); view columns
    have the type of the base column they show or of their ``CAST``. The same
    dict is returned on every call: do not change it.
    """
    return _compile(fixture_set(pms_type, catalogue))[1]


def table_columns(pms_type: str = "BestPractice", catalogue: str | None = None) -> dict[str, tuple[ColumnDecl, ...]]:
    """{table: (ColumnDecl, ...)} in declaration order (the same dict on every call: do not change it)."""
    return sqlite_schema(pms_type, catalogue).columns


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

"""Temporary tables (``#t``) and table variables (``@t``), scoped to one command.

Both live in SQLite's ``temp`` schema of the site connection under their
written name (``temp."#t"``, ``temp."@t"``), so they never appear in the site's
catalogues and are dropped when the command ends (see :meth:`mock_halo.sql.runtime.session.BaseSession.run`). A batch's
temporary objects are all defined by its own text, so the translator learns
their columns while compiling the batch, in order (:class:`Scope`), and a
cached translation stays right: the next command starts with none.

The DDL is generated here from parsed column definitions (quoted names,
validated types) and runs trusted; everything that reads or writes the tables
is an ordinary translated statement under the integrator authorizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from mock_halo.sql.frontend.schema import Column, OutCol, Table, quote
from mock_halo.sql.frontend.typing_rules import type_spec
from mock_halo.sql.semantics import convert, errors
from mock_halo.sql.semantics import kinds as K

DB = "temp"
#: SQL Server's types a temporary table may use here (anything else is refused by name).
_TYPES = frozenset({"int", "bigint", "smallint", "tinyint", "bit", "decimal", "numeric", "money", "smallmoney",
                    "float", "real", "char", "varchar", "nchar", "nvarchar", "text", "ntext", "date", "datetime",
                    "datetime2", "smalldatetime", "time", "datetimeoffset", "uniqueidentifier", "sysname"})


def key_of(table: exp.Table) -> str | None:
    """``'#t'`` / ``'@t'`` (lower case) for a temporary table or table variable reference, else None."""
    this = table.this
    if isinstance(this, exp.Parameter) and not isinstance(this.this, exp.Parameter):
        return "@" + this.name.lower()
    if isinstance(this, exp.Identifier):
        if this.args.get("global_"):
            raise errors.unsupported("global temporary tables", f"##{this.name}")
        if this.args.get("temporary"):
            return "#" + this.name.lower()
    return None


def written(table: exp.Table) -> str:
    return ("@" if isinstance(table.this, exp.Parameter) else "#") + table.name


def sqlite_name(key: str) -> str:
    return f"{DB}.{quote(key)}"


@dataclass
class Scope:
    """The temporary objects a batch defines, as the compiler meets them."""

    tables: dict[str, Table] = field(default_factory=dict)
    #: The catalogue views the batch reads (their engine tables' names: built by the engine on first use).
    system_views: set[str] = field(default_factory=set)

    def find(self, table: exp.Table) -> Table | None:
        key = key_of(table)
        if key is None:
            return None
        found = self.tables.get(key)
        if found is None:
            if key.startswith("@"):
                raise errors.must_declare_table_variable(written(table))
            raise errors.invalid_object(written(table))
        return found

    def define(self, key: str, name: str, columns: list[Column]) -> tuple[Table, str]:
        """Register a new object; returns it with its SQLite DDL."""
        if key in self.tables:
            if key.startswith("@"):
                raise errors.duplicate_variable(name)
            raise errors.object_exists(name)
        seen: set[str] = set()
        for column in columns:
            if not column.name:
                raise errors.empty_column_name()
            if column.name.lower() in seen:
                raise errors.duplicate_column(column.name, name)
            seen.add(column.name.lower())
        table = Table(name=key, db=DB, catalogue="tempdb", columns=tuple(columns),
                      pk_name=f"PK__{name.lstrip('#@')}")
        self.tables[key] = table
        return table, _ddl(key, columns, getattr(columns, "defaults", {}))


class Columns(list):
    """Column definitions, with ``defaults``: column name -> SQLite DEFAULT text (:data:`NOW_MARK` for
    GETDATE(), replaced by the command's clock when the table is created)."""

    defaults: dict[str, str]


#: Stands for the command's local time in a DEFAULT (GETDATE(), SYSDATETIME(), CURRENT_TIMESTAMP).
NOW_MARK = "'\x00now'"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _default(value: exp.Expression, column: str) -> str:
    """A DEFAULT's SQLite text: literals only (quoted by us), or the clock."""
    while isinstance(value, exp.Paren):
        value = value.this
    if isinstance(value, exp.Null):
        return "NULL"
    if isinstance(value, (exp.CurrentTimestamp, exp.CurrentDatetime)) or (
            isinstance(value, exp.Anonymous) and str(value.this).upper() in ("MH_GETDATE", "MH_SYSDATETIME")
            and not value.expressions):
        return NOW_MARK
    if isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal) and not value.this.is_string and \
            _NUMBER.fullmatch(value.this.this):
        return "-" + value.this.this
    if isinstance(value, (exp.Literal, exp.National)) and (isinstance(value, exp.National) or value.is_string):
        return "'" + value.this.replace("'", "''") + "'"
    if isinstance(value, exp.Literal) and _NUMBER.fullmatch(value.this):
        return value.this
    raise errors.unsupported("this DEFAULT in a temporary table", f"{column} DEFAULT {value.sql(dialect='tsql')}")


def columns_of_definition(schema: exp.Schema) -> Columns:
    """Columns of ``CREATE TABLE #t (...)`` / ``DECLARE @t TABLE (...)``."""
    columns = Columns()
    columns.defaults = {}
    keys: list[str] = []
    for item in schema.expressions:
        if isinstance(item, exp.PrimaryKey):  # table constraint PRIMARY KEY (a, b)
            keys.extend(e.name.lower() for e in item.expressions)
            continue
        if not isinstance(item, exp.ColumnDef):
            raise errors.unsupported("this table constraint in a temporary table", item.sql(dialect="tsql"))
        kind = item.args.get("kind")
        if not isinstance(kind, exp.DataType):
            raise errors.unsupported("computed columns in temporary tables", item.name)
        decl = type_spec(kind)
        base, _ = K.split_decl(decl)
        if base not in _TYPES:
            raise errors.unsupported(f"{base or decl} columns in temporary tables", item.name)
        notnull = pk = identity = False
        for constraint in item.args.get("constraints") or ():
            ckind = constraint.args.get("kind")
            if isinstance(ckind, exp.NotNullColumnConstraint):
                notnull = not ckind.args.get("allow_null")
            elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
                pk = True
            elif isinstance(ckind, exp.GeneratedAsIdentityColumnConstraint):
                identity = True
            elif isinstance(ckind, (exp.CollateColumnConstraint,)):
                continue
            elif isinstance(ckind, exp.DefaultColumnConstraint):
                columns.defaults[item.name] = _default(ckind.this, item.name)
            else:
                raise errors.unsupported("this column constraint in a temporary table",
                                         constraint.sql(dialect="tsql"))
        if identity:
            if base not in ("int", "bigint", "smallint", "tinyint", "decimal", "numeric"):
                raise errors.identity_column_type(item.name)
            decl, pk, notnull = "integer", True, True
        columns.append(Column(name=item.name, decl=decl, kind=K.kind_of_decl(decl), notnull=notnull or pk, pk=pk))
    if keys:
        if any(c.pk for c in columns) or len(keys) != 1:
            raise errors.unsupported("composite or repeated PRIMARY KEY in a temporary table")
        columns[:] = [Column(c.name, c.decl, c.kind, True, True) if c.name.lower() == keys[0] else c for c in columns]
        if not any(c.pk for c in columns):
            raise errors.invalid_column(keys[0])
    if sum(c.decl == "integer" for c in columns) > 1:
        raise errors.multiple_identity_columns()
    if any(c.decl == "integer" for c in columns) and sum(c.pk for c in columns) > 1:
        raise errors.unsupported("an IDENTITY column next to another PRIMARY KEY in a temporary table")
    return columns


def columns_of_query(outputs: list[OutCol] | None) -> list[Column]:
    """Columns of ``SELECT ... INTO #t``: the query's output columns and types."""
    if outputs is None:
        raise errors.unsupported("SELECT ... INTO from a query whose columns are not known statically")
    columns = []
    for c in outputs:
        decl = c.decl if c.decl and _DECL_SHAPE.fullmatch(c.decl) else _DEFAULT_DECL.get(c.kind, "")
        decl = "int" if decl == "integer" else decl  # an identity key copied by SELECT INTO is a plain int here
        columns.append(Column(name=c.name, decl=decl, kind=K.kind_of_decl(decl) if decl else K.UNKNOWN))
    return columns


_DEFAULT_DECL = {K.STR: "nvarchar(4000)", K.INT: "bigint", K.DEC: "float", K.DATE: "date", K.DATETIME: "datetime2",
                 K.TIME: "time", K.BIT: "bit", K.GUID: "uniqueidentifier", K.DTO: "datetimeoffset"}


def _ddl(key: str, columns: list[Column], defaults: dict[str, str]) -> str:
    parts = []
    for column in columns:
        if column.decl == "integer":  # IDENTITY: SQLite's rowid alias numbers rows 1, 2, ...
            parts.append(f"{quote(column.name)} INTEGER PRIMARY KEY")
            continue
        text = f"{quote(column.name)} {_sqlite_decl(column.decl)}"
        if column.name in defaults:
            text += f" DEFAULT {_stored_default(defaults[column.name], column)}"
        if column.kind in (K.STR, K.GUID):
            text += " COLLATE NOCASE"
        if column.pk:
            text += " PRIMARY KEY"
        if column.notnull:
            text += " NOT NULL"
        parts.append(text)
    return f"CREATE TABLE {sqlite_name(key)} ({', '.join(parts)})"


def _stored_default(text: str, column: Column) -> str:
    """A literal DEFAULT in the column's storage form (dates as the catalogues store them, bits 0/1)."""
    if text in ("NULL", NOW_MARK) or column.kind not in K.NORMALISED and column.kind != K.INT:
        return text
    if not text.startswith("'"):
        return text
    spec = {K.DATE: "date", K.TIME: "time", K.BIT: "bit", K.GUID: "uniqueidentifier", K.INT: "bigint"}.get(
        column.kind, "datetime2")
    value = convert.convert(text[1:-1].replace("''", "'"), spec, None, "varchar")
    return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"


def _sqlite_decl(decl: str) -> str:
    """The declared type as SQLite's DDL accepts it (affinity from the SQL Server name, as in the catalogues).

    The DDL runs trusted, so the type text is checked against a strict shape, never passed through.
    """
    if not decl:
        return ""
    if not _DECL_SHAPE.fullmatch(decl):
        raise errors.unsupported("this column type in a temporary table", decl)
    return decl.replace("(max)", "(4000)")


_DECL_SHAPE = re.compile(r"[a-z][a-z0-9]*(\((\d+|max)(,\d+)?\))?")

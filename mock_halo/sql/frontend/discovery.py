"""SQL Server's catalogue views (``INFORMATION_SCHEMA.*``, ``sys.*``), derived from the site's live schema.

Integrators discover a database the usual way: ``INFORMATION_SCHEMA.TABLES`` / ``COLUMNS`` / ``VIEWS`` /
``ROUTINES`` / ``PARAMETERS``, ``sys.objects`` / ``tables`` / ``views`` / ``columns`` / ``procedures`` /
``parameters`` / ``types`` / ``schemas``, ``OBJECT_ID`` and ``COL_LENGTH``, ``sp_columns`` and ``sp_help``.
Every row here is computed from the :class:`~mock_halo.sql.frontend.schema.Catalog` the translator itself
resolves names against (and the registered stored procedures), so discovery can never drift from what a
query may read.

A query naming one of these views reads a real table the engine builds on first use in its own storage
(:data:`DB`: an attached SQLite database, a PostgreSQL schema), one per catalogue and view
(:func:`storage_name`), from :func:`contents`; the translator lists what a batch needs in
``Script.system_views``. Columns are SQL Server's, in its order and with its types.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mock_halo.sql import procedures
from mock_halo.sql.frontend.schema import Catalog, Column, Table
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics import kinds as K

#: Where an engine keeps the built views (SQLite: an attached database; PostgreSQL: a schema).
DB = "mh_sys"
#: The collation reported for text columns (Bp Premier installs use SQL Server's default for English).
COLLATION = "Latin1_General_CI_AS"
#: The creation date reported for every object (the emulator has no install history).
CREATED = "2020-01-01T00:00:00"
SCHEMA_IDS = {"dbo": 1, "guest": 2, "INFORMATION_SCHEMA": 3, "sys": 4}


def object_number(name: str) -> int:
    """A stable positive object id (``OBJECT_ID()``, ``sys.objects.object_id``) for ``<db>.<name>``."""
    return zlib.crc32(name.lower().encode()) & 0x3FFFFFFF or 1


# -- SQL Server's type facts ------------------------------------------------------------------
@dataclass(frozen=True)
class TypeInfo:
    name: str  # SQL Server's type name ('int', 'nvarchar')
    system_type_id: int
    max_length: int  # bytes (sys.columns.max_length: -1 for MAX)
    precision: int
    scale: int
    chars: int | None  # CHARACTER_MAXIMUM_LENGTH (None: not a string or binary type)
    octets: int | None  # CHARACTER_OCTET_LENGTH
    user_type_id: int = 0

    @property
    def is_text(self) -> bool:
        return self.name in _TEXT_TYPES


# name: (system_type_id, max_length, precision, scale)
_FIXED = {
    "image": (34, 16, 0, 0), "text": (35, 16, 0, 0), "uniqueidentifier": (36, 16, 0, 0), "date": (40, 3, 10, 0),
    "time": (41, 5, 16, 7), "datetime2": (42, 8, 27, 7), "datetimeoffset": (43, 10, 34, 7),
    "tinyint": (48, 1, 3, 0), "smallint": (52, 2, 5, 0), "int": (56, 4, 10, 0), "smalldatetime": (58, 4, 16, 0),
    "real": (59, 4, 24, 0), "money": (60, 8, 19, 4), "datetime": (61, 8, 23, 3), "float": (62, 8, 53, 0),
    "sql_variant": (98, 8016, 0, 0), "ntext": (99, 16, 0, 0), "bit": (104, 1, 1, 0), "decimal": (106, 17, 38, 38),
    "numeric": (108, 17, 38, 38), "smallmoney": (122, 4, 10, 4), "bigint": (127, 8, 19, 0),
    "varbinary": (165, 8000, 0, 0), "varchar": (167, 8000, 0, 0), "binary": (173, 8000, 0, 0),
    "char": (175, 8000, 0, 0), "timestamp": (189, 8, 0, 0), "nvarchar": (231, 8000, 0, 0),
    "nchar": (239, 8000, 0, 0), "xml": (241, -1, 0, 0), "sysname": (231, 256, 0, 0),
}
_TEXT_TYPES = frozenset({"char", "varchar", "nchar", "nvarchar", "text", "ntext", "sysname"})
_UNICODE = frozenset({"nchar", "nvarchar", "ntext", "sysname"})
_SIZED = frozenset({"char", "varchar", "nchar", "nvarchar", "binary", "varbinary"})
_LOB_CHARS = {"text": 2147483647, "ntext": 1073741823, "image": 2147483647, "xml": -1}
_NUMERIC_TYPES = frozenset({"tinyint", "smallint", "int", "real", "money", "float", "decimal", "numeric",
                            "smallmoney", "bigint"})
_TEMPORAL_TYPES = frozenset({"date", "time", "datetime2", "datetimeoffset", "smalldatetime", "datetime"})


def type_info(decl: str) -> TypeInfo:
    """SQL Server's facts about a declared type (``'nvarchar(40)'``, ``'INT'``, ``'decimal(9,2)'``)."""
    base, params = K.split_decl(decl)
    base = {"integer": "int", "": "sql_variant"}.get(base, base)
    system_type_id, max_length, precision, scale = _FIXED.get(base, _FIXED["sql_variant"])
    if base not in _FIXED:
        base = "sql_variant"
    values = [p for p in params.split(",") if p]
    chars = octets = None
    if base in _SIZED:
        size = -1 if values and values[0] == "max" else int(values[0]) if values else 1
        width = 2 if base in _UNICODE else 1
        chars, octets = size, (-1 if size == -1 else size * width)
        max_length = octets
    elif base in _LOB_CHARS:
        chars = _LOB_CHARS[base]
        octets = 2147483646 if base == "ntext" else chars
    elif base == "sysname":
        chars, octets = 128, 256
    elif base in ("decimal", "numeric"):
        precision = int(values[0]) if values else 18
        scale = int(values[1]) if len(values) > 1 else 0
        max_length = 5 if precision <= 9 else 9 if precision <= 19 else 13 if precision <= 28 else 17
    elif base in ("time", "datetime2", "datetimeoffset") and values:
        scale = int(values[0])
    user_type_id = 256 if base == "sysname" else system_type_id
    return TypeInfo(base, system_type_id, max_length, precision, scale, chars, octets, user_type_id)


def _is_identity(column: Column) -> bool:
    return column.pk and column.decl == "integer"  # an IDENTITY key (the fixtures' INTEGER PRIMARY KEY)


# -- the views -------------------------------------------------------------------------------
NV = "nvarchar(128)"
RowsOf = Callable[[Catalog, str], Iterator[tuple]]


@dataclass(frozen=True)
class SystemView:
    schema: str  # 'INFORMATION_SCHEMA' | 'sys'
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, SQL Server type)
    rows: RowsOf

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}".lower()


VIEWS: dict[str, SystemView] = {}


def _view(schema: str, name: str, columns: str) -> Callable[[RowsOf], RowsOf]:
    """Register a catalogue view; ``columns`` is ``'NAME type, NAME type, ...'`` in SQL Server's order."""
    parsed = tuple((part.split()[0], part.split()[1]) for part in columns.split(", "))

    def register(rows: RowsOf) -> RowsOf:
        view = SystemView(schema, name, parsed, rows)
        VIEWS[view.key] = view
        return rows
    return register


def _objects(catalog: Catalog, db: str) -> list[Table]:
    return sorted(catalog.tables.get(db, {}).values(), key=lambda t: t.name.lower())


def _procedures(catalog: Catalog, db: str) -> list[tuple[str, tuple[procedures.Parameter, ...]]]:
    """The registered procedures, in the site's default catalogue (where Bp Premier keeps them)."""
    if catalog.display.get(db) != catalog.default:
        return []
    return [(procedures.display_name(key), procedures.declared_parameters(procedures.find(key)) or ())
            for key in procedures.database_names()]


def _type_columns(info: TypeInfo) -> tuple:
    """CHARACTER_MAXIMUM_LENGTH .. DATETIME_PRECISION of INFORMATION_SCHEMA.COLUMNS / PARAMETERS."""
    numeric = info.name in _NUMERIC_TYPES
    radix = (2 if info.name in ("real", "float") else 10) if numeric else None
    if info.name in _TEMPORAL_TYPES or not numeric:
        scale = None
    else:
        scale = None if info.name in ("real", "float") else info.scale
    precision = info.precision if numeric else None
    dt_precision = {"datetime": 3, "smalldatetime": 0, "date": 0}.get(info.name, info.scale) \
        if info.name in _TEMPORAL_TYPES else None
    return info.chars, info.octets, precision, radix, scale, dt_precision


def _charset(info: TypeInfo) -> tuple:
    """CHARACTER_SET_* and COLLATION_* of a column or parameter."""
    if not info.is_text:
        return None, None, None, None, None, None
    return None, None, "UNICODE" if info.name in _UNICODE else "iso_1", None, None, COLLATION


@_view("INFORMATION_SCHEMA", "TABLES", f"TABLE_CATALOG {NV}, TABLE_SCHEMA {NV}, TABLE_NAME {NV}, "
       "TABLE_TYPE varchar(10)")
def _tables(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        yield table.catalogue, "dbo", table.name, "VIEW" if table.is_view else "BASE TABLE"


@_view("INFORMATION_SCHEMA", "COLUMNS",
       f"TABLE_CATALOG {NV}, TABLE_SCHEMA {NV}, TABLE_NAME {NV}, COLUMN_NAME {NV}, ORDINAL_POSITION int, "
       f"COLUMN_DEFAULT nvarchar(4000), IS_NULLABLE varchar(3), DATA_TYPE {NV}, CHARACTER_MAXIMUM_LENGTH int, "
       "CHARACTER_OCTET_LENGTH int, NUMERIC_PRECISION tinyint, NUMERIC_PRECISION_RADIX smallint, "
       f"NUMERIC_SCALE int, DATETIME_PRECISION smallint, CHARACTER_SET_CATALOG {NV}, CHARACTER_SET_SCHEMA {NV}, "
       f"CHARACTER_SET_NAME {NV}, COLLATION_CATALOG {NV}, COLLATION_SCHEMA {NV}, COLLATION_NAME {NV}, "
       f"DOMAIN_CATALOG {NV}, DOMAIN_SCHEMA {NV}, DOMAIN_NAME {NV}")
def _columns(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        for position, column in enumerate(table.columns, 1):
            info = type_info(column.decl)
            yield (table.catalogue, "dbo", table.name, column.name, position, None,
                   "NO" if column.notnull else "YES", info.name, *_type_columns(info), *_charset(info),
                   None, None, None)


@_view("INFORMATION_SCHEMA", "VIEWS", f"TABLE_CATALOG {NV}, TABLE_SCHEMA {NV}, TABLE_NAME {NV}, "
       "VIEW_DEFINITION nvarchar(4000), CHECK_OPTION varchar(7), IS_UPDATABLE varchar(2)")
def _views(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        if table.is_view:
            yield table.catalogue, "dbo", table.name, None, "NONE", "NO"


@_view("INFORMATION_SCHEMA", "ROUTINES",
       f"SPECIFIC_CATALOG {NV}, SPECIFIC_SCHEMA {NV}, SPECIFIC_NAME {NV}, ROUTINE_CATALOG {NV}, "
       f"ROUTINE_SCHEMA {NV}, ROUTINE_NAME {NV}, ROUTINE_TYPE nvarchar(20), MODULE_CATALOG {NV}, "
       f"MODULE_SCHEMA {NV}, MODULE_NAME {NV}, UDT_CATALOG {NV}, UDT_SCHEMA {NV}, UDT_NAME {NV}, DATA_TYPE {NV}, "
       f"CHARACTER_MAXIMUM_LENGTH int, CHARACTER_OCTET_LENGTH int, COLLATION_CATALOG {NV}, "
       f"COLLATION_SCHEMA {NV}, COLLATION_NAME {NV}, CHARACTER_SET_CATALOG {NV}, CHARACTER_SET_SCHEMA {NV}, "
       f"CHARACTER_SET_NAME {NV}, NUMERIC_PRECISION smallint, NUMERIC_PRECISION_RADIX smallint, "
       "NUMERIC_SCALE smallint, DATETIME_PRECISION smallint, INTERVAL_TYPE nvarchar(30), "
       f"INTERVAL_PRECISION smallint, TYPE_UDT_CATALOG {NV}, TYPE_UDT_SCHEMA {NV}, TYPE_UDT_NAME {NV}, "
       f"SCOPE_CATALOG {NV}, SCOPE_SCHEMA {NV}, SCOPE_NAME {NV}, MAXIMUM_CARDINALITY bigint, "
       f"DTD_IDENTIFIER {NV}, ROUTINE_BODY nvarchar(30), ROUTINE_DEFINITION nvarchar(4000), EXTERNAL_NAME {NV}, "
       "EXTERNAL_LANGUAGE nvarchar(30), PARAMETER_STYLE nvarchar(30), IS_DETERMINISTIC nvarchar(10), "
       f"SQL_DATA_ACCESS nvarchar(30), IS_NULL_CALL nvarchar(10), SQL_PATH {NV}, SCHEMA_LEVEL_ROUTINE nvarchar(10), "
       "MAX_DYNAMIC_RESULT_SETS smallint, IS_USER_DEFINED_CAST nvarchar(10), IS_IMPLICITLY_INVOCABLE nvarchar(10), "
       "CREATED datetime, LAST_ALTERED datetime")
def _routines(catalog: Catalog, db: str) -> Iterator[tuple]:
    catalogue = catalog.display[db]
    for name, _params in _procedures(catalog, db):
        yield (catalogue, "dbo", name, catalogue, "dbo", name, "PROCEDURE", *([None] * 29), "SQL", None, None,
               None, None, "NO", "MODIFIES", None, None, "YES", -1, "NO", "NO", CREATED, CREATED)


@_view("INFORMATION_SCHEMA", "PARAMETERS",
       f"SPECIFIC_CATALOG {NV}, SPECIFIC_SCHEMA {NV}, SPECIFIC_NAME {NV}, ORDINAL_POSITION int, "
       f"PARAMETER_MODE nvarchar(10), IS_RESULT nvarchar(10), AS_LOCATOR nvarchar(10), PARAMETER_NAME {NV}, "
       f"DATA_TYPE {NV}, CHARACTER_MAXIMUM_LENGTH int, CHARACTER_OCTET_LENGTH int, COLLATION_CATALOG {NV}, "
       f"COLLATION_SCHEMA {NV}, COLLATION_NAME {NV}, CHARACTER_SET_CATALOG {NV}, CHARACTER_SET_SCHEMA {NV}, "
       f"CHARACTER_SET_NAME {NV}, NUMERIC_PRECISION tinyint, NUMERIC_PRECISION_RADIX smallint, "
       "NUMERIC_SCALE tinyint, DATETIME_PRECISION smallint, INTERVAL_TYPE nvarchar(30), INTERVAL_PRECISION smallint, "
       f"USER_DEFINED_TYPE_CATALOG {NV}, USER_DEFINED_TYPE_SCHEMA {NV}, USER_DEFINED_TYPE_NAME {NV}, "
       f"SCOPE_CATALOG {NV}, SCOPE_SCHEMA {NV}, SCOPE_NAME {NV}")
def _parameters(catalog: Catalog, db: str) -> Iterator[tuple]:
    catalogue = catalog.display[db]
    for name, params in _procedures(catalog, db):
        for position, param in enumerate(params, 1):
            info = type_info(param.type)
            chars, octets, precision, radix, scale, dt_precision = _type_columns(info)
            set_catalog, set_schema, set_name, coll_catalog, coll_schema, collation = _charset(info)
            yield (catalogue, "dbo", name, position, "INOUT" if param.output else "IN", "NO", "NO",
                   "@" + (param.spelling or param.name), info.name, chars, octets, coll_catalog, coll_schema,
                   collation, set_catalog, set_schema, set_name, precision, radix, scale, dt_precision,
                   None, None, None, None, None, None, None, None)


_OBJECT_COLUMNS = ("name sysname, object_id int, principal_id int, schema_id int, parent_object_id int, "
                   "type char(2), type_desc nvarchar(60), create_date datetime, modify_date datetime, "
                   "is_ms_shipped bit, is_published bit, is_schema_published bit")


def _object_row(name: str, number: int, type_code: str, type_desc: str, parent: int = 0) -> tuple:
    return name, number, None, 1, parent, type_code, type_desc, CREATED, CREATED, 0, 0, 0


def _all_objects(catalog: Catalog, db: str) -> Iterator[tuple[str, tuple]]:
    """(kind, sys.objects row) of every object: tables, their keys, views, procedures."""
    for table in _objects(catalog, db):
        number = object_number(f"{db}.{table.name}")
        if table.is_view:
            yield "V", _object_row(table.name, number, "V", "VIEW")
            continue
        yield "U", _object_row(table.name, number, "U", "USER_TABLE")
        if any(c.pk for c in table.columns):
            yield "PK", _object_row(table.pk_name, object_number(f"{db}.{table.pk_name}"), "PK",
                                    "PRIMARY_KEY_CONSTRAINT", number)
        for unique in table.unique_names:
            yield "UQ", _object_row(unique, object_number(f"{db}.{unique}"), "UQ", "UNIQUE_CONSTRAINT", number)
    for name, _params in _procedures(catalog, db):
        yield "P", _object_row(name, object_number(f"{db}.{name}"), "P", "SQL_STORED_PROCEDURE")


@_view("sys", "objects", _OBJECT_COLUMNS)
def _sys_objects(catalog: Catalog, db: str) -> Iterator[tuple]:
    for _kind, row in _all_objects(catalog, db):
        yield row


@_view("sys", "tables", _OBJECT_COLUMNS + ", lob_data_space_id int, filestream_data_space_id int, "
       "max_column_id_used int, lock_on_bulk_load bit, uses_ansi_nulls bit, is_replicated bit, "
       "has_replication_filter bit, is_merge_published bit, is_sync_tran_subscribed bit, "
       "has_unchecked_assembly_data bit, text_in_row_limit int, large_value_types_out_of_row bit, "
       "is_tracked_by_cdc bit, lock_escalation tinyint, lock_escalation_desc nvarchar(60), is_filetable bit, "
       "is_memory_optimized bit, durability tinyint, durability_desc nvarchar(60), temporal_type tinyint, "
       "temporal_type_desc nvarchar(60), history_table_id int, is_remote_data_archive_enabled bit, is_external bit")
def _sys_tables(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        if not table.is_view:
            lob = 1 if any(type_info(c.decl).name in _LOB_CHARS for c in table.columns) else 0
            yield (*_object_row(table.name, object_number(f"{db}.{table.name}"), "U", "USER_TABLE"), lob, None,
                   len(table.columns), 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, "TABLE", 0, 0, 0, "SCHEMA_AND_DATA", 0,
                   "NON_TEMPORAL_TABLE", None, 0, 0)


@_view("sys", "views", _OBJECT_COLUMNS + ", is_replicated bit, has_replication_filter bit, "
       "has_opaque_metadata bit, has_unchecked_assembly_data bit, with_check_option bit, "
       "is_date_correlation_view bit, is_tracked_by_cdc bit")
def _sys_views(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        if table.is_view:
            yield (*_object_row(table.name, object_number(f"{db}.{table.name}"), "V", "VIEW"), 0, 0, 0, 0, 0, 0, 0)


@_view("sys", "procedures", _OBJECT_COLUMNS + ", is_auto_executed bit, is_execution_replicated bit, "
       "is_repl_serializable_subscription bit, skips_repl_constraints bit")
def _sys_procedures(catalog: Catalog, db: str) -> Iterator[tuple]:
    for name, _params in _procedures(catalog, db):
        yield (*_object_row(name, object_number(f"{db}.{name}"), "P", "SQL_STORED_PROCEDURE"), 0, 0, 0, 0)


@_view("sys", "columns", "object_id int, name sysname, column_id int, system_type_id tinyint, user_type_id int, "
       "max_length smallint, precision tinyint, scale tinyint, collation_name sysname, is_nullable bit, "
       "is_ansi_padded bit, is_rowguidcol bit, is_identity bit, is_computed bit, is_filestream bit, "
       "is_replicated bit, is_non_sql_subscribed bit, is_merge_published bit, is_dts_replicated bit, "
       "is_xml_document bit, xml_collection_id int, default_object_id int, rule_object_id int, is_sparse bit, "
       "is_column_set bit, generated_always_type tinyint, generated_always_type_desc nvarchar(60), "
       "encryption_type int, encryption_type_desc nvarchar(64), encryption_algorithm_name sysname, "
       "column_encryption_key_id int, column_encryption_key_database_name sysname, is_hidden bit, is_masked bit")
def _sys_columns(catalog: Catalog, db: str) -> Iterator[tuple]:
    for table in _objects(catalog, db):
        number = object_number(f"{db}.{table.name}")
        for column_id, column in enumerate(table.columns, 1):
            info = type_info(column.decl)
            yield (number, column.name, column_id, info.system_type_id, info.user_type_id, info.max_length,
                   info.precision, info.scale, COLLATION if info.is_text else None, 0 if column.notnull else 1,
                   1 if info.name in _SIZED or info.is_text else 0, 0, 1 if _is_identity(column) else 0, 0, 0, 0,
                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "NOT_APPLICABLE", None, None, None, None, None, 0, 0)


@_view("sys", "parameters", "object_id int, name sysname, parameter_id int, system_type_id tinyint, "
       "user_type_id int, max_length smallint, precision tinyint, scale tinyint, is_output bit, is_cursor_ref bit, "
       "has_default_value bit, is_xml_document bit, default_value sql_variant, xml_collection_id int, "
       "is_readonly bit, is_nullable bit")
def _sys_parameters(catalog: Catalog, db: str) -> Iterator[tuple]:
    for name, params in _procedures(catalog, db):
        number = object_number(f"{db}.{name}")
        for position, param in enumerate(params, 1):
            info = type_info(param.type)
            # SQL Server keeps no default values of T-SQL procedures' parameters: has_default_value is 0.
            yield (number, "@" + (param.spelling or param.name), position, info.system_type_id, info.user_type_id,
                   info.max_length, info.precision, info.scale, 1 if param.output else 0, 0, 0, 0, None, 0, 0, 1)


@_view("sys", "types", "name sysname, system_type_id tinyint, user_type_id int, schema_id int, principal_id int, "
       "max_length smallint, precision tinyint, scale tinyint, collation_name sysname, is_nullable bit, "
       "is_user_defined bit, is_assembly_type bit, default_object_id int, rule_object_id int, is_table_type bit")
def _sys_types(catalog: Catalog, db: str) -> Iterator[tuple]:
    for name in sorted(_FIXED, key=lambda n: (_FIXED[n][0], n == "sysname")):
        system_type_id, max_length, precision, scale = _FIXED[name]
        yield (name, system_type_id, 256 if name == "sysname" else system_type_id, 4, None, max_length, precision,
               scale, COLLATION if name in _TEXT_TYPES else None, 0 if name == "sysname" else 1, 0, 0, 0, 0, 0)


@_view("sys", "schemas", "name sysname, schema_id int, principal_id int")
def _sys_schemas(catalog: Catalog, db: str) -> Iterator[tuple]:
    for name, number in SCHEMA_IDS.items():
        yield name, number, 1 if name == "dbo" else number


# -- lookups ---------------------------------------------------------------------------------
def find(schema: str, name: str) -> SystemView | None:
    return VIEWS.get(f"{schema}.{name}".lower())


def storage_name(catalog: Catalog, db: str, view: SystemView) -> str:
    """The engine table holding ``view`` for the catalogue at ``db`` (lower case, under 64 characters)."""
    return f"{catalog.display[db]}_{view.schema}_{view.name}".lower()


def table(catalog: Catalog, db: str, view: SystemView) -> Table:
    """The front end's table for a catalogue view (read-only: a view)."""
    columns = tuple(Column(name=name, decl=K.normal_decl(decl), kind=K.kind_of_decl(decl))
                    for name, decl in view.columns)
    return Table(name=storage_name(catalog, db, view), db=DB, catalogue=catalog.display[db], columns=columns,
                 is_view=True)


def contents(catalog: Catalog, name: str) -> tuple[Table, list[tuple]]:
    """A built view's table (by :func:`storage_name`) and its rows, for the engine to store."""
    for db, catalogue in catalog.display.items():
        for view in VIEWS.values():
            if storage_name(catalog, db, view) == name:
                return table(catalog, db, view), list(view.rows(catalog, db))
    raise KeyError(name)


def _locate(catalog: Catalog, db: str, name: str) -> tuple[str, str] | None:
    """``[catalogue.][dbo.]object`` -> (its catalogue's SQLite schema, the object's name), or None."""
    parts = [p.strip().strip("[]\"") for p in name.split(".")]
    if len(parts) > 3 or not parts[-1] or (len(parts) >= 2 and parts[-2] and parts[-2].lower() != "dbo"):
        return None
    if len(parts) == 3 and parts[0]:
        found = catalog.db_for(parts[0])
        if found is None:
            return None
        db = found
    return db, parts[-1]


def object_id(catalog: Catalog, db: str, name: str) -> tuple[int, str] | None:
    """``OBJECT_ID(name)``: (object id, type code) of a table, view, key or procedure, or None."""
    located = _locate(catalog, db, name)
    if located is None:
        return None
    wanted = located[1].lower()
    for kind, row in _all_objects(catalog, located[0]):
        if row[0].lower() == wanted:
            return row[1], kind
    return None


def col_length(catalog: Catalog, db: str, table_name: str, column_name: str) -> int | None:
    """``COL_LENGTH(table, column)``: the column's length in bytes (-1 for MAX), or None."""
    located = _locate(catalog, db, table_name)
    table_ = catalog.table(*located) if located is not None else None
    column = table_.column(column_name.strip().strip("[]\"")) if table_ is not None else None
    return None if column is None else type_info(column.decl).max_length


# -- system procedures: sp_columns, sp_help --------------------------------------------------------
#: ODBC's SQL data type codes (sp_columns' DATA_TYPE) and SQL Server's SS_DATA_TYPE, by type name.
_ODBC_TYPES = {
    "char": 1, "varchar": 12, "nchar": -8, "nvarchar": -9, "text": -1, "ntext": -10, "int": 4, "smallint": 5,
    "tinyint": -6, "bigint": -5, "bit": -7, "decimal": 3, "numeric": 2, "money": 3, "smallmoney": 3, "float": 6,
    "real": 7, "datetime": 11, "smalldatetime": 11, "date": -9, "time": -154, "datetime2": -9,
    "datetimeoffset": -155, "uniqueidentifier": -11, "image": -4, "varbinary": -3, "binary": -2, "xml": -152,
    "sql_variant": -150, "timestamp": -2,
}
_SS_TYPES = {"char": 47, "varchar": 39, "int": 56, "smallint": 52, "tinyint": 48, "bit": 50, "datetime": 61,
             "smalldatetime": 58, "money": 60, "float": 62, "real": 59, "decimal": 55, "numeric": 63, "text": 35,
             "image": 34, "binary": 45, "varbinary": 37}
_NULLABLE_SS = {56: 38, 52: 38, 48: 38, 61: 111, 58: 111, 60: 110, 62: 109, 59: 109, 55: 106, 63: 108}
#: sp_columns' LENGTH (the ODBC transfer size in bytes) of the types whose storage size it is not.
_TRANSFER = {"datetime": 16, "smalldatetime": 16, "date": 20, "time": 16, "datetime2": 16, "datetimeoffset": 20,
             "decimal": None, "numeric": None, "money": 21, "smallmoney": 12, "text": 2147483647,
             "ntext": 2147483646, "image": 2147483647}


def _text_arg(call: procedures.ProcedureCall, name: str) -> str | None:
    value = call.args.get(name)
    return None if value is None else str(value).strip().strip("[]")


def _like(pattern: str | None, value: str) -> bool:
    """sp_columns' name arguments are LIKE patterns (``%``, ``_``), compared case-insensitively."""
    if pattern is None:
        return True
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower())
    return re.fullmatch(regex, value.lower(), re.DOTALL) is not None


def _schema_of(call: procedures.ProcedureCall) -> tuple[Catalog, str]:
    catalog: Catalog = call.schema
    return catalog, catalog.db_for(call.catalogue) or "main"


@procedures.procedure("sp_columns", "@table_name NVARCHAR(384)", "@table_owner NVARCHAR(384) = NULL",
                      "@table_qualifier SYSNAME = NULL", "@column_name NVARCHAR(384) = NULL", "@ODBCVer INT = 2")
def sp_columns(call: procedures.ProcedureCall) -> procedures.ProcedureResult:
    """The columns of the tables and views whose names match ``@table_name`` (one result set, as SQL Server)."""
    catalog, db = _schema_of(call)
    owner, qualifier = _text_arg(call, "table_owner"), _text_arg(call, "table_qualifier")
    if qualifier is not None and qualifier.lower() != catalog.display[db].lower():
        raise errors.sp_columns_qualifier()
    rows = []
    if owner is None or _like(owner, "dbo"):
        for table_ in _objects(catalog, db):
            if not _like(_text_arg(call, "table_name"), table_.name):
                continue
            for position, column in enumerate(table_.columns, 1):
                if not _like(_text_arg(call, "column_name"), column.name):
                    continue
                rows.append(_sp_column_row(table_, column, position))
    columns = [("TABLE_QUALIFIER", K.STR), ("TABLE_OWNER", K.STR), ("TABLE_NAME", K.STR), ("COLUMN_NAME", K.STR),
               ("DATA_TYPE", K.INT), ("TYPE_NAME", K.STR), ("PRECISION", K.INT), ("LENGTH", K.INT), ("SCALE", K.INT),
               ("RADIX", K.INT), ("NULLABLE", K.INT), ("REMARKS", K.STR), ("COLUMN_DEF", K.STR),
               ("SQL_DATA_TYPE", K.INT), ("SQL_DATETIME_SUB", K.INT), ("CHAR_OCTET_LENGTH", K.INT),
               ("ORDINAL_POSITION", K.INT), ("IS_NULLABLE", K.STR), ("SS_DATA_TYPE", K.INT)]
    return procedures.ProcedureResult(result_sets=[procedures.ResultSet(columns, rows)])


def _sp_column_row(table_: Table, column: Column, position: int) -> tuple:
    info = type_info(column.decl)
    odbc = _ODBC_TYPES.get(info.name, -150)
    numeric = info.name in _NUMERIC_TYPES or info.name == "bit"
    precision = info.chars if info.chars is not None else info.precision
    length = info.octets if info.octets is not None else _TRANSFER.get(info.name, info.max_length)
    if length is None:  # decimal/numeric: precision + 2
        length = info.precision + 2
    scale = info.scale if numeric or info.name in _TEMPORAL_TYPES else None
    temporal_sub = 3 if info.name in ("datetime", "smalldatetime") else None
    ss_type = _SS_TYPES.get(info.name)
    if ss_type is not None and not column.notnull:
        ss_type = _NULLABLE_SS.get(ss_type, ss_type)
    return (table_.catalogue, "dbo", table_.name, column.name, odbc,
            info.name + (" identity" if _is_identity(column) else ""), precision, length, scale,
            10 if numeric and info.name not in ("real", "float") else 2 if info.name in ("real", "float") else None,
            0 if column.notnull else 1, None, None, 9 if temporal_sub else odbc, temporal_sub,
            info.octets if info.is_text else None, position, "NO" if column.notnull else "YES", ss_type)


_HELP_TYPES = {"U": "user table", "V": "view", "P": "stored procedure", "PK": "primary key cns",
               "UQ": "unique key cns"}


@procedures.procedure("sp_help", "@objname NVARCHAR(776) = NULL")
def sp_help(call: procedures.ProcedureCall) -> procedures.ProcedureResult:
    """Its first result set (what Halo returns): one row for the object named, or every object."""
    catalog, db = _schema_of(call)
    name = _text_arg(call, "objname")
    if name is None:
        rows = [(row[0], "dbo", _HELP_TYPES[kind]) for kind, row in _all_objects(catalog, db)]
        return procedures.ProcedureResult(result_sets=[procedures.ResultSet(
            [("Name", K.STR), ("Owner", K.STR), ("Object_type", K.STR)], rows)])
    found = object_id(catalog, db, name)
    if found is None:
        raise errors.sp_help_not_found(name, catalog.display[db])
    wanted = name.split(".")[-1].strip("[]\"").lower()
    shown = next(row[0] for kind, row in _all_objects(catalog, db) if row[0].lower() == wanted)
    return procedures.ProcedureResult(result_sets=[procedures.ResultSet(
        [("Name", K.STR), ("Owner", K.STR), ("Type", K.STR), ("Created_datetime", K.DATETIME)],
        [(shown, "dbo", _HELP_TYPES[found[1]], CREATED)])])


for _system in (sp_columns, sp_help):
    _system.__dict__["system"] = True  # SQL Server's own: not listed among the database's procedures

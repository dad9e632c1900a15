"""Discovering the schema the way integrators do: INFORMATION_SCHEMA, sys.*, OBJECT_ID, COL_LENGTH, sp_columns,
sp_help, on the generated Bp Premier practice.

Expected rows come from the fixtures' own T-SQL (the table DDL parsed by ``practice.schema``, and the
procedures' T-SQL definitions for a real SQL Server in ``mssql_procedures.sql``), never from the engine's
answers. The read cases are a corpus: ``test_tsql_corpus_postgres.py`` runs them on PostgreSQL too (same bytes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import test_tsql_corpus as corpus
from mock_halo.practice.schema import column_types, table_columns
from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.testing import rows, run

reader = corpus.reader
writer = corpus.writer

TABLES = table_columns("BestPractice", "BPSPatients")
TYPES = column_types("BestPractice", "BPSPatients")
VIEWS = {name: cols for name, cols in TYPES.items() if name not in TABLES}
DRUG_TABLES = table_columns("BestPractice", "BPSDrugs")
_PROC_SQL = (Path(__file__).resolve().parent.parent / "mock_halo" / "odbc" / "mssql_procedures.sql").read_text()
_HEADER = re.compile(r"CREATE OR ALTER PROCEDURE dbo\.(\w+)\n((?:[ \t]+@[^\n]*\n)*)AS\n")
_PARAM = re.compile(r"@(\w+)\s+([A-Za-z]+(?:\s*\([^)]*\))?)(?:\s*=\s*[^,\n]+)?(\s+OUTPUT)?", re.I)
PROCEDURES = {m.group(1): [(p.group(1), p.group(2).replace(" ", "").lower(), bool(p.group(3)))
                           for p in _PARAM.finditer(m.group(2))] for m in _HEADER.finditer(_PROC_SQL)}

_BYTES = {"int": 4, "smallint": 2, "tinyint": 1, "bigint": 8, "bit": 1, "datetime": 8, "date": 3, "image": 16,
          "text": 16, "ntext": 16, "uniqueidentifier": 16, "datetimeoffset": 10, "decimal": 9}


def split(type_name: str) -> tuple[str, int | None]:
    """``'CHAR(40)'`` -> ``('char', 40)``; ``'VARCHAR(MAX)'`` -> ``('varchar', -1)``."""
    match = re.fullmatch(r"(\w+)(?:\((\w+)(?:,\s*\d+)?\))?", type_name.strip())
    base = match.group(1).lower()
    size = match.group(2)
    return base, None if size is None else -1 if size.upper() == "MAX" else int(size)


def max_length(type_name: str) -> int:
    """sys.columns.max_length: bytes (twice the characters for the N types, -1 for MAX)."""
    base, size = split(type_name)
    if size is not None and base in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
        return size * (2 if base.startswith("n") and size > 0 else 1)
    return _BYTES[base]


CASES: dict[str, Any] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def tables_by_type(t):
    sql = ("SELECT TABLE_TYPE, COUNT(*) AS n FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'dbo' "
           "GROUP BY TABLE_TYPE ORDER BY TABLE_TYPE")
    return sql, [{"TABLE_TYPE": "BASE TABLE", "n": len(TABLES)}, {"TABLE_TYPE": "VIEW", "n": len(VIEWS)}]


@case
def table_exists_check(t):
    sql = ("IF EXISTS (SELECT 1 FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'APPOINTMENTCODES' "
           "AND TABLE_TYPE = 'BASE TABLE') SELECT 'yes' AS found ELSE SELECT 'no' AS found")
    return sql, [{"found": "yes" if "APPOINTMENTCODES" in TABLES else "no"}]


@case
def patient_columns(t):
    sql = ("SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE "
           "FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'dbo' AND TABLE_NAME = 'PATIENTS' "
           "ORDER BY ORDINAL_POSITION")
    expected = []
    for position, column in enumerate(TABLES["PATIENTS"], 1):
        base, size = split(column.type)
        expected.append({"COLUMN_NAME": column.name, "ORDINAL_POSITION": position, "DATA_TYPE": base,
                         "CHARACTER_MAXIMUM_LENGTH": size if base in ("char", "varchar", "nchar", "nvarchar") else
                         {"text": 2147483647, "ntext": 1073741823}.get(base),
                         "IS_NULLABLE": "YES" if column.nullable else "NO"})
    return sql, expected


@case
def view_columns_have_their_cast_types(t):
    sql = ("SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH FROM information_schema.columns "
           "WHERE table_name = 'BPS_Appointments' ORDER BY ordinal_position")
    expected = []
    for name, type_name in VIEWS["BPS_Appointments"]:
        base, size = split(type_name)
        expected.append({"COLUMN_NAME": name, "DATA_TYPE": base, "CHARACTER_MAXIMUM_LENGTH": size})
    return sql, expected


@case
def columns_of_every_table_counted(t):
    sql = "SELECT COUNT(*) AS n, COUNT(DISTINCT TABLE_NAME) AS tables FROM INFORMATION_SCHEMA.COLUMNS"
    return sql, [{"n": sum(len(c) for c in TABLES.values()) + sum(len(c) for c in VIEWS.values()),
                  "tables": len(TABLES) + len(VIEWS)}]


@case
def views_listed(t):
    sql = "SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.VIEWS WHERE CHECK_OPTION = 'NONE' AND IS_UPDATABLE = 'NO'"
    return sql, [{"n": len(VIEWS)}]


@case
def col_length_checks(t):
    sql = ("SELECT CASE WHEN COL_LENGTH('dbo.APPOINTMENTS', 'APPOINTMENTTYPE') IS NULL THEN 0 ELSE 1 END AS has_type, "
           "COL_LENGTH('PATIENTS', 'SURNAME') AS surname, COL_LENGTH('BPSPatients.dbo.USERS', 'USERID') AS userid, "
           "COL_LENGTH('PATIENTS', 'NOSUCHCOLUMN') AS missing, COL_LENGTH('NOSUCHTABLE', 'X') AS no_table")
    patients = {c.name: c for c in TABLES["PATIENTS"]}
    users = {c.name: c for c in TABLES["USERS"]}
    has_type = any(c.name == "APPOINTMENTTYPE" for c in TABLES["APPOINTMENTS"])
    return sql, [{"has_type": int(has_type), "surname": max_length(patients["SURNAME"].type),
                  "userid": max_length(users["USERID"].type), "missing": None, "no_table": None}]


@case
def sys_columns_with_types(t):
    sql = ("SELECT c.name, ty.name AS type_name, c.max_length, c.is_nullable, c.is_identity FROM sys.columns c "
           "JOIN sys.types ty ON ty.user_type_id = c.user_type_id WHERE c.object_id = OBJECT_ID('dbo.APPOINTMENTS') "
           "ORDER BY c.column_id")
    return sql, [{"name": c.name, "type_name": split(c.type)[0], "max_length": max_length(c.type),
                  "is_nullable": c.nullable, "is_identity": c.identity} for c in TABLES["APPOINTMENTS"]]


@case
def sys_tables_with_schema(t):
    sql = ("SELECT s.name AS schema_name, t.name FROM sys.tables AS t INNER JOIN sys.schemas AS s "
           "ON s.schema_id = t.schema_id WHERE t.name IN ('PATIENTS', 'USERS', 'BPS_Patients') ORDER BY t.name")
    return sql, [{"schema_name": "dbo", "name": name} for name in sorted({"PATIENTS", "USERS"} & set(TABLES))]


@case
def sys_objects_by_type(t):
    sql = "SELECT type, COUNT(*) AS n FROM sys.objects WHERE type IN ('U', 'V', 'P') GROUP BY type ORDER BY type"
    return sql, [{"type": "P", "n": len(PROCEDURES)}, {"type": "U", "n": len(TABLES)}, {"type": "V", "n": len(VIEWS)}]


@case
def object_id_by_type(t):
    sql = ("SELECT CASE WHEN OBJECT_ID('dbo.BPS_Patients', 'V') IS NOT NULL THEN 1 ELSE 0 END AS is_view, "
           "CASE WHEN OBJECT_ID('dbo.BPS_Patients', 'U') IS NULL THEN 1 ELSE 0 END AS not_a_table, "
           "CASE WHEN OBJECT_ID(N'dbo.BP_GetAllUsers', N'P') IS NOT NULL THEN 1 ELSE 0 END AS is_procedure, "
           "CASE WHEN OBJECT_ID('dbo.NOSUCHTHING') IS NULL THEN 1 ELSE 0 END AS missing")
    return sql, [{"is_view": 1, "not_a_table": 1, "is_procedure": int("BP_GetAllUsers" in PROCEDURES), "missing": 1}]


@case
def object_id_finds_the_object(t):
    sql = ("SELECT name, type_desc FROM sys.objects WHERE object_id IN (OBJECT_ID('BPSPatients.dbo.PATIENTS'), "
           "OBJECT_ID('[dbo].[BP_AddPatient]')) ORDER BY name")
    return sql, [{"name": "BP_AddPatient", "type_desc": "SQL_STORED_PROCEDURE"},
                 {"name": "PATIENTS", "type_desc": "USER_TABLE"}]


@case
def routines_are_the_procedures(t):
    sql = ("SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_TYPE = 'PROCEDURE' "
           "AND ROUTINE_SCHEMA = 'dbo' AND ROUTINE_CATALOG = 'BPSPatients'")
    return sql, [{"n": len(PROCEDURES)}]


@case
def parameters_of_add_patient(t):
    sql = ("SELECT PARAMETER_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, PARAMETER_MODE "
           "FROM INFORMATION_SCHEMA.PARAMETERS WHERE SPECIFIC_NAME = 'BP_AddPatient' ORDER BY ORDINAL_POSITION")
    return sql, [{"PARAMETER_NAME": "@" + name, "DATA_TYPE": split(type_name)[0],
                  "CHARACTER_MAXIMUM_LENGTH": split(type_name)[1], "PARAMETER_MODE": "INOUT" if out else "IN"}
                 for name, type_name, out in PROCEDURES["BP_AddPatient"]]


@case
def sys_parameters_of_free_appointments(t):
    sql = ("SELECT p.name, p.parameter_id, p.is_output FROM sys.parameters AS p JOIN sys.procedures AS pr "
           "ON pr.object_id = p.object_id WHERE pr.name = 'BP_GetFreeAppointments' ORDER BY p.parameter_id")
    return sql, [{"name": "@" + name, "parameter_id": i, "is_output": out}
                 for i, (name, _type, out) in enumerate(PROCEDURES["BP_GetFreeAppointments"], 1)]


@case
def other_catalogue_by_three_part_name(t):
    sql = "SELECT COUNT(*) AS n FROM BPSDrugs.INFORMATION_SCHEMA.TABLES WHERE TABLE_CATALOG = 'BPSDrugs'"
    return sql, [{"n": len(DRUG_TABLES)}]


@case
def sp_columns_of_users(t):
    sql = "EXEC sp_columns @table_name = 'USERS', @column_name = 'USER%'"
    return sql, [{"TABLE_QUALIFIER": "BPSPatients", "TABLE_OWNER": "dbo", "TABLE_NAME": "USERS", "COLUMN_NAME": c.name,
                  "DATA_TYPE": 4, "TYPE_NAME": "int identity" if c.identity else "int", "PRECISION": 10,
                  "LENGTH": 4, "SCALE": 0, "RADIX": 10, "NULLABLE": int(c.nullable), "REMARKS": None,
                  "COLUMN_DEF": None, "SQL_DATA_TYPE": 4, "SQL_DATETIME_SUB": None, "CHAR_OCTET_LENGTH": None,
                  "ORDINAL_POSITION": i, "IS_NULLABLE": "YES" if c.nullable else "NO",
                  "SS_DATA_TYPE": 38 if c.nullable else 56}
                 for i, c in enumerate(TABLES["USERS"], 1) if c.name.upper().startswith("USER") and c.type == "INT"]


@case
def sp_help_of_a_view(t):
    return "EXEC sp_help 'dbo.BPS_Patients'", [{"Name": "BPS_Patients", "Owner": "dbo", "Type": "view",
                                                "Created_datetime": "2020-01-01T00:00:00"}]


@pytest.mark.parametrize("name", sorted(CASES))
def test_read(reader, name):
    sql, expected = CASES[name](corpus.T)
    assert rows(reader, sql) == expected


def test_discovery_corpus_size():
    assert len(CASES) >= 18


def test_catalogue_views_refuse_writes(reader):
    for sql in ("DELETE FROM sys.objects", "UPDATE INFORMATION_SCHEMA.TABLES SET TABLE_NAME = 'x'",
                "INSERT INTO sys.schemas (name, schema_id, principal_id) VALUES ('x', 9, 1)"):
        with pytest.raises(SqlError) as info:
            run(reader, sql, mode="nonQuery")
        assert (info.value.number, info.value.message) == (259, "Ad hoc updates to system catalogs are not allowed.")


def test_unknown_catalogue_view_is_an_invalid_object(reader):
    with pytest.raises(SqlError) as info:
        run(reader, "SELECT * FROM sys.nothing")
    assert (info.value.number, info.value.message) == (208, "Invalid object name 'sys.nothing'.")


def test_the_catalogue_parameter_picks_the_database(reader):
    got = rows(reader, "SELECT COUNT(*) AS n FROM INFORMATION_SCHEMA.TABLES", catalogue="BPSDrugs")
    assert got == [{"n": len(DRUG_TABLES)}]


def test_sp_columns_as_a_stored_procedure_command(reader):
    got = run(reader, "sp_columns", command_type="storedProcedure",
              parameters=[SqlParameter("@table_name", "input", "NVarChar", "APPOINTMENTCODES")])
    assert got.columns[:4] == ["TABLE_QUALIFIER", "TABLE_OWNER", "TABLE_NAME", "COLUMN_NAME"]
    assert got.rows == len(TABLES["APPOINTMENTCODES"])


def test_sp_help_of_nothing_there(reader):
    with pytest.raises(SqlError) as info:
        run(reader, "EXEC sp_help 'NOSUCHTABLE'")
    assert info.value.number == 15009


def test_every_catalogue_view_reads_whole(reader):
    """``SELECT *`` of each view gives its columns, one row per object it lists."""
    expected = {"INFORMATION_SCHEMA.TABLES": len(TABLES) + len(VIEWS), "INFORMATION_SCHEMA.VIEWS": len(VIEWS),
                "INFORMATION_SCHEMA.ROUTINES": len(PROCEDURES), "sys.tables": len(TABLES), "sys.views": len(VIEWS),
                "sys.procedures": len(PROCEDURES),
                "INFORMATION_SCHEMA.PARAMETERS": sum(len(p) for p in PROCEDURES.values()),
                "sys.parameters": sum(len(p) for p in PROCEDURES.values())}
    for name, count in expected.items():
        assert run(reader, f"SELECT * FROM {name}").rows == count, name


def test_discovery_follows_the_live_schema():
    """Every table and view a query can read is listed with the columns ``SELECT *`` returns (never a copy)."""
    engine = corpus._engine()
    try:
        listed = rows(engine, "SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS "
                              "ORDER BY TABLE_NAME, ORDINAL_POSITION")
        by_table: dict[str, list[str]] = {}
        for row in listed:
            by_table.setdefault(row["TABLE_NAME"], []).append(row["COLUMN_NAME"])
        assert set(by_table) == set(TABLES) | set(VIEWS)
        for name in ("PATIENTS", "APPOINTMENTS", "BPS_Patients", "BPS_ReportValues", "EMAIL", "INVOICES"):
            assert run(engine, f"SELECT TOP 1 * FROM {name}").columns == by_table[name], name
    finally:
        engine.close()

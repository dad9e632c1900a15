"""The fixture DDL: valid T-SQL, faithful SQLite translation, exact BPS_* view columns."""

from __future__ import annotations

import re
import sqlite3

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.practice import build_catalogue, column_types, copy_catalogue, sqlite_schema
from mock_halo.practice.schema import fixtures_dir, split_batches, tsql_batches, tsql_ddl

#: halo-facts 14.2: the columns real integrations read from each view.
VIEW_COLUMNS = {
    "BPS_Patients": [
        "InternalID", "Title", "Firstname", "Middlename", "Surname", "Preferredname", "Address1", "Address2", "City",
        "Postcode", "PostalAddress", "PostalCity", "PostalPostcode", "DOB", "Sex", "Gender", "Ethnicity", "HomePhone",
        "WorkPhone", "MobilePhone", "Email", "MedicareNo", "MedicareLineNo", "MedicareExpiry", "PensionNo",
        "PensionStart", "PensionExpiry", "PensionType", "DVANo", "SafetyNetNo", "RecordNo", "HCHTier", "HCHStart",
        "Religion", "HealthFundName", "HealthFundNo", "IHI", "UsualDoctor", "StatusText",
    ],
    "BPS_Appointments": [
        "Patient", "InternalID", "AppointmentDate", "AppointmentTime", "AppointmentLength", "Provider", "Urgent",
        "AppointmentType", "Status", "ArrivalTime", "ConsultationTime", "BookedBy",
    ],
    "BPS_Users": ["UserID", "Surname", "Firstname", "LocationName", "Title", "ProviderNo"],
    "BPS_Sessions": ["Provider", "Day", "EndTime"],
    "BPS_Visits": ["InternalID", "VisitType", "VisitDate", "UserID", "DrName"],
    "BPS_Immunisations": ["InternalID", "GivenDate", "VaccineName", "VaccineID"],
    "BPS_CurrentRx": ["InternalID", "DrugName"],
    "BPS_Investigations": ["InternalID", "ReportID", "TestName", "Reported", "Checked", "Actioned", "Collected"],
}
BASE_TABLES = {"PATIENTS", "APPOINTMENTS", "USERS", "SESSIONS", "VISITS", "IMMUNISATIONS", "CURRENTRX",
               "INVESTIGATIONS", "TITLES", "SEXCODES", "LOCATIONS", "APPOINTMENTTYPES", "ALLERGIES", "CONDITIONS",
               "PASTHISTORY", "REACTIONS"}


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    return build_catalogue("BestPractice", "BPSPatients", 42, 200)


def all_batches() -> list[tuple[str, str]]:
    return [(name, batch) for name, batches in tsql_batches() for batch in batches]


def test_split_batches_on_go_lines() -> None:
    script = "CREATE TABLE dbo.A (X INT);\nGO\n-- only a comment\nGO\n  go  \nCREATE VIEW dbo.V AS SELECT X FROM A;\nGO"
    assert split_batches(script) == ["CREATE TABLE dbo.A (X INT);", "CREATE VIEW dbo.V AS SELECT X FROM A;"]


def test_ddl_files_exist_in_order() -> None:
    names = [p.name for p in sorted(fixtures_dir().glob("*.sql"))]
    assert names == ["01_lookups.sql", "02_tables.sql", "03_indexes.sql", "04_views.sql"]


@pytest.mark.parametrize("name,batch", all_batches(), ids=lambda v: v if v.endswith(".sql") else "")
def test_every_ddl_batch_parses_as_tsql_without_command_fallback(name: str, batch: str) -> None:
    statements = [s for s in sqlglot.parse(batch, read="tsql") if s is not None]
    assert statements
    for statement in statements:
        assert isinstance(statement, exp.Create), statement.sql("tsql")[:60]
        assert not list(statement.find_all(exp.Command)), statement.sql("tsql")[:60]
    if any(s.args.get("kind") == "VIEW" for s in statements):
        assert len(statements) == 1, "SQL Server wants CREATE VIEW alone in its batch"


def test_ddl_is_split_into_tables_before_and_indexes_views_after() -> None:
    before, after = tsql_ddl()
    assert all("CREATE TABLE" in b for b in before)
    assert not any("CREATE VIEW" in b or "CREATE INDEX" in b for b in before)
    assert sum(b.count("CREATE VIEW") for b in after) == len(VIEW_COLUMNS)


def test_views_avoid_constructs_sqlite_gets_wrong() -> None:
    for name, batch in all_batches():
        if name != "04_views.sql":
            continue
        tree = sqlglot.parse_one(batch, read="tsql")
        assert not list(tree.find_all(exp.Concat)), "CONCAT is missing from SQLite < 3.44"
        assert not list(tree.find_all(exp.National)), "N'' literals fail on SQLite"
        for add in tree.find_all(exp.Add):
            assert not any(isinstance(s, exp.Literal) and s.is_string for s in add.flatten()), "string +"
        for table in tree.find_all(exp.Table):
            assert table.db == "" or table.name.startswith("BPS_"), "view bodies use unqualified tables"


def test_base_tables_are_upper_case_and_complete() -> None:
    schema = sqlite_schema()
    assert BASE_TABLES <= set(schema.table_names)
    assert all(name == name.upper() for name in schema.table_names)
    assert set(schema.view_names) == set(VIEW_COLUMNS)


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_view_columns_are_exactly_the_documented_ones(db: sqlite3.Connection, view: str) -> None:
    names = [row[1] for row in db.execute(f"PRAGMA table_info({view})")]
    assert names == VIEW_COLUMNS[view]
    assert [c for c, _ in column_types()[view]] == VIEW_COLUMNS[view]


def test_declared_types_keep_sql_server_names(db: sqlite3.Connection) -> None:
    info = {row[1]: row[2] for row in db.execute("PRAGMA table_info(PATIENTS)")}
    assert info["INTERNALID"] == "INTEGER"  # INT IDENTITY -> rowid alias
    assert info["FIRSTNAME"] == "NVARCHAR(50)"
    assert info["DOB"] == "DATETIME"
    assert info["PATIENTSTATUS"] == "INT"
    appointments = {row[1]: row[2] for row in db.execute("PRAGMA table_info(APPOINTMENTS)")}
    assert appointments["APPOINTMENTDATE"] == "DATE"
    assert appointments["URGENT"] == "BIT"
    assert appointments["ONLINEBOOKINGID"] == "UNIQUEIDENTIFIER"
    # Plain view columns inherit the declared type.
    view = {row[1]: row[2] for row in db.execute("PRAGMA table_info(BPS_Patients)")}
    assert view["Firstname"] == "NVARCHAR(50)"
    assert view["DOB"] == "DATETIME"


def test_column_types_cover_computed_view_columns() -> None:
    types = column_types()
    assert dict(types["BPS_Patients"])["UsualDoctor"] == "NVARCHAR(162)"
    assert dict(types["BPS_Patients"])["StatusText"] == "NVARCHAR(12)"
    assert dict(types["BPS_Patients"])["InternalID"] == "INT"
    assert dict(types["BPS_Sessions"]) == {"Provider": "NVARCHAR(162)", "Day": "NVARCHAR(10)", "EndTime": "INT"}
    assert dict(types["BPS_Appointments"])["AppointmentDate"] == "DATE"
    assert dict(types["PATIENTS"])["INTERNALID"] == "INT"


def test_text_columns_compare_case_insensitively(db: sqlite3.Connection) -> None:
    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    active = count("SELECT COUNT(*) FROM BPS_Patients WHERE StatusText = 'Active'")
    assert active > 0
    assert count("SELECT COUNT(*) FROM BPS_Patients WHERE StatusText = 'ACTIVE'") == active
    surname = db.execute("SELECT SURNAME FROM PATIENTS LIMIT 1").fetchone()[0]
    assert count(f"SELECT COUNT(*) FROM PATIENTS WHERE SURNAME = '{surname.upper()}'") >= 1
    provider = db.execute("SELECT Provider FROM BPS_Appointments LIMIT 1").fetchone()[0]
    assert count(f"SELECT COUNT(*) FROM BPS_Appointments WHERE Provider = '{provider.lower()}'") >= 1
    assert count("SELECT COUNT(*) FROM BPS_Sessions WHERE Day = 'monday'") > 0


def test_identity_tables_number_new_rows(db: sqlite3.Connection) -> None:
    copy = copy_catalogue(db)
    top = copy.execute("SELECT MAX(INTERNALID) FROM PATIENTS").fetchone()[0]
    cur = copy.execute("INSERT INTO PATIENTS (FIRSTNAME, SURNAME) VALUES ('Test', 'Person')")
    assert cur.lastrowid == top + 1
    row = copy.execute("SELECT RECORDSTATUS, PATIENTSTATUS, TITLECODE, MIDDLENAME FROM PATIENTS WHERE INTERNALID = ?",
                       (top + 1,)).fetchone()
    assert row == (1, 1, 0, "")  # the DDL defaults


def test_sqlite_ddl_has_no_dbo_schema() -> None:
    schema = sqlite_schema()
    for ddl in schema.tables + schema.indexes + schema.views:
        assert not re.search(r"\bdbo\.", ddl), ddl[:80]

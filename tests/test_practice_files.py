"""Catalogue files (SQLite), T-SQL scripts and the ``mock-halo fixtures`` command."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.fixtures_cli import fixtures_main
from mock_halo.practice import (
    build_catalogue,
    load_catalogue_file,
    normalise_anchor,
    read_catalogue_info,
    sqlite_schema,
    write_catalogue_file,
    write_tsql_script,
)
from mock_halo.practice.files import MAX_ROWS_PER_INSERT, _insert_statements, tsql_literal
from mock_halo.practice.schema import split_batches


def digest(conn: sqlite3.Connection) -> str:
    h = hashlib.sha256()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                                "ORDER BY name"):  # the data, not SQLite's own statistics
        h.update(name.encode())
        for row in conn.execute(f"SELECT * FROM {name} ORDER BY rowid"):
            h.update(repr(row).encode())
    return h.hexdigest()


def schema_of(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


# -- SQLite catalogue files -------------------------------------------------------
def test_file_round_trip_equals_the_in_memory_build(tmp_path: Path) -> None:
    path = tmp_path / "practice.sqlite"
    counts = write_catalogue_file(path, "BestPractice", "BPSPatients", 42, 200)
    loaded = load_catalogue_file(path)
    template = build_catalogue("BestPractice", "BPSPatients", 42, 200)
    assert digest(loaded) == digest(template)
    assert schema_of(loaded) == schema_of(template)  # the metadata table is dropped on load
    assert counts["PATIENTS"] == 200
    assert counts["APPOINTMENTS"] == loaded.execute("SELECT COUNT(*) FROM APPOINTMENTS").fetchone()[0]
    assert not list(tmp_path.glob("*.tmp"))
    loaded.execute("DELETE FROM APPOINTMENTS")  # the loaded copy is the caller's own


def test_file_info(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    write_catalogue_file(path, "BestPractice", "bpssamples", 1, 1)
    info = read_catalogue_info(path)
    assert (info.pms_type, info.catalogue, info.seed, info.patients) == ("BestPractice", "BPSSamples", 20181111, 25)
    assert info.anchor == "2026-01-05"


def test_writing_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    write_catalogue_file(path, "BestPractice", "BPSPatients", 1, 10)
    write_catalogue_file(path, "BestPractice", "BPSPatients", 1, 12)
    assert load_catalogue_file(path).execute("SELECT COUNT(*) FROM PATIENTS").fetchone()[0] == 12


def test_loading_something_else_fails_clearly(tmp_path: Path) -> None:
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(ValueError, match="not a mock-halo catalogue file"):
        load_catalogue_file(plain)
    text = tmp_path / "text.sqlite"
    text.write_text("hello, this is not a database at all" * 100)
    with pytest.raises(ValueError, match="not a mock-halo catalogue file"):
        load_catalogue_file(text)
    with pytest.raises(FileNotFoundError):
        load_catalogue_file(tmp_path / "missing.sqlite")


# -- T-SQL scripts ----------------------------------------------------------------
def test_tsql_literals() -> None:
    assert tsql_literal(None) == "NULL"
    assert tsql_literal(5) == "5"
    assert tsql_literal(True) == "1"
    assert tsql_literal("O'Brien") == "N'O''Brien'"
    assert tsql_literal("2026-01-05T09:00:00") == "N'2026-01-05T09:00:00'"


def test_inserts_hold_at_most_1000_rows() -> None:
    rows = [(i, f"name {i}") for i in range(2500)]
    statements = list(_insert_statements("T", ("A", "B"), rows))
    sizes = [len(sqlglot.parse_one(s, read="tsql").expression.expressions) for s in statements]
    assert sizes == [MAX_ROWS_PER_INSERT, MAX_ROWS_PER_INSERT, 500]


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    path = tmp_path_factory.mktemp("tsql") / "bp.sql"
    counts = write_tsql_script(path, "BestPractice", "BPSPatients", 5, 30)
    return path.read_text(encoding="utf-8"), counts


def test_tsql_script_parses_and_reloads_to_the_same_data(script: tuple[str, dict[str, int]]) -> None:
    text, counts = script
    batches = split_batches(text)
    schema = sqlite_schema()
    target = sqlite3.connect(":memory:")
    for ddl in schema.tables:
        target.execute(ddl)
    inserted: dict[str, int] = dict.fromkeys(counts, 0)
    kinds: set[str] = set()
    for batch in batches:
        for statement in sqlglot.parse(batch, read="tsql"):
            if statement is None:
                continue
            for command in statement.find_all(exp.Command):
                assert command.sql("tsql").upper().startswith("SET IDENTITY_INSERT DBO."), command.sql("tsql")
            kinds.add(type(statement).__name__)
            if isinstance(statement, exp.Insert):
                table = statement.this.this.name
                inserted[table] += len(statement.expression.expressions)
                for national in list(statement.find_all(exp.National)):
                    national.replace(exp.Literal.string(national.this))
                statement.this.this.set("db", None)
                target.execute(statement.sql("sqlite"))
    assert {"Use", "Set", "Create", "Insert"} <= kinds
    assert inserted == counts
    for ddl in schema.indexes + schema.views:
        target.execute(ddl)
    reference = sqlite3.connect(":memory:")
    from mock_halo.practice import populate

    populate(reference, "BestPractice", "BPSPatients", 5, 30)
    assert digest(target) == digest(reference)


def test_tsql_script_structure(script: tuple[str, dict[str, int]]) -> None:
    text, _ = script
    assert text.index("CREATE DATABASE [BPSPatients]") < text.index("USE [BPSPatients]") < text.index("CREATE TABLE")
    assert text.index("INSERT INTO dbo.PATIENTS") < text.index("CREATE VIEW dbo.BPS_Patients")
    assert text.index("INSERT INTO dbo.PATIENTS") < text.index("CREATE INDEX")
    assert text.count("SET IDENTITY_INSERT dbo.PATIENTS ON;") == text.count("SET IDENTITY_INSERT dbo.PATIENTS OFF;") > 0
    assert "SET IDENTITY_INSERT dbo.TITLES" not in text  # lookups have no IDENTITY


# -- mock-halo fixtures -------------------------------------------------------------
def test_fixtures_command_writes_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "p.sqlite"
    messages: list[str] = []
    status = fixtures_main(["--patients", "20", "--seed", "3", "--out", str(out), "--quiet"], stderr=messages.append)
    assert status == 0
    assert load_catalogue_file(out).execute("SELECT COUNT(*) FROM PATIENTS").fetchone()[0] == 20
    assert messages and messages[-1].startswith("Wrote BPSPatients (sqlite, seed 3, anchor ")
    assert "PATIENTS 20" in messages[-1] and " rows in " in messages[-1]


def test_fixtures_command_anchors_the_book_to_today_or_the_given_date(tmp_path: Path) -> None:
    today = normalise_anchor(datetime.now().astimezone())
    messages: list[str] = []
    out = tmp_path / "today.sqlite"
    assert fixtures_main(["--patients", "5", "--out", str(out), "--quiet"], stderr=messages.append) == 0
    assert read_catalogue_info(out).anchor in {today.isoformat(), (today + timedelta(days=1)).isoformat()}
    out = tmp_path / "then.sqlite"
    assert fixtures_main(["--patients", "5", "--anchor", "2026-02-03", "--out", str(out), "--quiet"],
                         stderr=messages.append) == 0
    assert read_catalogue_info(out).anchor == "2026-02-03" and "anchor 2026-02-03" in messages[-1]
    booked = load_catalogue_file(out).execute(
        "SELECT MIN(APPOINTMENTDATE) FROM APPOINTMENTS WHERE APPOINTMENTCODE = 1 AND RECORDSTATUS = 1").fetchone()[0]
    assert booked >= "2026-02-03"
    assert fixtures_main(["--anchor", "3 Feb", "--out", str(tmp_path / "x.sqlite")]) == 2


def test_fixtures_command_writes_tsql(tmp_path: Path) -> None:
    out = tmp_path / "s.sql"
    messages: list[str] = []
    status = fixtures_main(["--catalogue", "BPSSamples", "--format", "tsql", "--out", str(out), "--quiet"],
                           stderr=messages.append)
    assert status == 0
    assert "Findacure" in out.read_text(encoding="utf-8")
    assert "PATIENTS 25" in messages[-1]


@pytest.mark.parametrize("argv,needle", [
    (["--catalogue", "Nope"], "unknown BestPractice catalogue"),
    (["--pms-type", "Zedmed"], "only BestPractice"),
    (["--patients", "-5"], "--patients"),
])
def test_fixtures_command_rejects_bad_arguments(tmp_path: Path, argv: list[str], needle: str) -> None:
    messages: list[str] = []
    out = tmp_path / "x.sqlite"
    assert fixtures_main([*argv, "--out", str(out), "--quiet"], stderr=messages.append) == 2
    assert needle in messages[-1]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_fixtures_command_requires_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert fixtures_main([]) == 2
    assert "--out" in capsys.readouterr().err

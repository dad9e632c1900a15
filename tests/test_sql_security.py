"""Integrator SQL never reaches the host: translation refuses, and SQLite's authorizer denies."""

from __future__ import annotations

import sqlite3

import pytest

from mock_halo.sql import SqlError
from mock_halo.sql.testing import mini_engine, rows, run


@pytest.fixture
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def refused(engine, sql: str) -> SqlError:
    with pytest.raises(SqlError) as caught:
        run(engine, sql, mode="nonQuery")
    return caught.value


def denied(engine, sql: str) -> SqlError:
    """Bypass translation: what the authorizer does with raw SQLite SQL."""
    with pytest.raises(SqlError) as caught:
        engine._execute_untrusted(sql)
    return caught.value


# -- through the interface ------------------------------------------------------------------

def test_attach_is_refused_and_creates_no_file(engine, tmp_path):
    target = tmp_path / "stolen.db"
    error = refused(engine, f"ATTACH DATABASE '{target}' AS stolen")
    assert error.number == 102
    assert not target.exists()


def test_vacuum_into_is_refused_and_writes_no_file(engine, tmp_path):
    target = tmp_path / "copy.db"
    refused(engine, f"VACUUM INTO '{target}'")
    assert not target.exists()


@pytest.mark.parametrize("sql", [
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT readfile('/etc/passwd')",
    "SELECT writefile('/tmp/x', 'y')",
    "SELECT fts3_tokenizer('simple')",
    "SELECT sqlite_version()",
])
def test_sqlite_functions_are_unknown_to_t_sql(engine, sql):
    assert refused(engine, sql).number == 195


@pytest.mark.parametrize("sql", ["PRAGMA writable_schema = 1", "PRAGMA table_info(PATIENTS)"])
def test_pragmas_are_not_t_sql(engine, sql):
    assert refused(engine, sql).number == 102


@pytest.mark.parametrize("table", ["sqlite_master", "sqlite_schema", "main.sqlite_master",
                                   "BPSSamples.dbo.sqlite_master"])
def test_sqlite_internal_tables_do_not_exist(engine, table):
    assert refused(engine, f"SELECT * FROM {table}").number == 208


# -- the authorizer behind it -------------------------------------------------------------------

def test_authorizer_denies_attach(engine, tmp_path):
    target = tmp_path / "x.db"
    error = denied(engine, f"ATTACH DATABASE '{target}' AS x")
    assert (error.number, error.message) == (262, "ATTACH DATABASE permission denied in database 'BPSPatients'.")
    assert not target.exists()


def test_authorizer_denies_detach(engine):
    assert denied(engine, 'DETACH DATABASE "BPSSamples"').number == 262
    assert rows(engine, "SELECT COUNT(*) AS n FROM BPSSamples.dbo.PATIENTS") == [{"n": 2}]


def test_authorizer_denies_vacuum_into(engine, tmp_path):
    target = tmp_path / "copy.db"
    assert denied(engine, f"VACUUM INTO '{target}'").number == 262
    assert not target.exists()


@pytest.mark.parametrize("sql", [
    "PRAGMA writable_schema = 1", "PRAGMA table_info(PATIENTS)", "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = OFF", "PRAGMA temp_store_directory = '/tmp'",
])
def test_authorizer_denies_every_pragma(engine, sql):
    error = denied(engine, sql)
    assert (error.number, error.message) == (262, "PRAGMA permission denied in database 'BPSPatients'.")


@pytest.mark.parametrize("sql", [
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT fts3_tokenizer('simple')",
])
def test_authorizer_denies_dangerous_functions(engine, sql):
    error = denied(engine, sql)
    assert error.number in (229, 262)
    assert "permission" in error.message


@pytest.mark.parametrize("sql", [
    "CREATE TABLE evil (a)", "CREATE TEMP TABLE evil (a)", "DROP TABLE PATIENTS", "CREATE VIEW v AS SELECT 1",
    "CREATE INDEX ix ON PATIENTS (EMAIL)", "CREATE TRIGGER t AFTER INSERT ON PATIENTS BEGIN SELECT 1; END",
    "CREATE VIRTUAL TABLE v USING fts5(a)", "ALTER TABLE PATIENTS ADD COLUMN X INT", "ANALYZE", "REINDEX",
])
def test_authorizer_denies_schema_changes(engine, sql):
    assert denied(engine, sql).number == 262
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS") == [{"n": 5}]


@pytest.mark.parametrize("sql", ["SELECT * FROM sqlite_master", "SELECT * FROM BPSSamples.sqlite_master"])
def test_authorizer_hides_sqlite_internals(engine, sql):
    assert denied(engine, sql).number == 229


def test_extension_loading_is_switched_off(engine):
    if hasattr(sqlite3.Connection, "load_extension"):
        with pytest.raises(sqlite3.Error):
            engine._conn.load_extension("/tmp/definitely-not-a-library")
    else:  # this Python's sqlite3 was built without extension loading at all
        assert not hasattr(engine._conn, "enable_load_extension")


def test_engine_keeps_working_after_denials(engine, tmp_path):
    denied(engine, f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x")
    denied(engine, "PRAGMA writable_schema = 1")
    assert engine._execute_untrusted("SELECT COUNT(*) FROM PATIENTS") == [(5,)]
    run(engine, "DELETE FROM APPOINTMENTS", mode="nonQuery")
    engine.reset()
    assert rows(engine, "SELECT COUNT(*) AS n FROM APPOINTMENTS") == [{"n": 4}]

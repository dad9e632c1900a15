"""``mock-halo fixtures --target``: load a real database through ODBC (SQL Server through a
fake driver, PostgreSQL for real)."""

from __future__ import annotations

import pytest
from test_odbc_mssql import FakeServer, server_error

from pg_support import import_pyodbc, pg_dsn  # noqa: F401 - fixture
from mock_halo.fixtures_cli import fixtures_main

pyodbc = import_pyodbc()

MSSQL = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD=Secret123;TrustServerCertificate=yes"


@pytest.fixture
def fake_sql_server(monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(pyodbc, "connect", server.connect)
    return server


def test_target_sql_server_loads_each_catalogue_into_its_database(fake_sql_server):
    messages: list[str] = []
    status = fixtures_main(["--target", MSSQL, "--catalogue", "BPSPatients", "--catalogue", "BPSSamples",
                            "--patients", "4", "--seed", "9", "--quiet"], stderr=messages.append)
    assert status == 0, messages
    sent = [sql for sql, _ in fake_sql_server.sent]
    assert sent.count("USE [BPSPatients];") == 1 and sent.count("USE [BPSSamples];") == 1
    assert sent.index("USE [BPSPatients];") < sent.index("USE [BPSSamples];")
    assert fake_sql_server.connections[0].autocommit is True  # CREATE DATABASE cannot run in a transaction
    assert "Loaded BPSPatients (mssql, seed 9)" in messages[0] and "PATIENTS 4" in messages[0]
    assert "Loaded BPSSamples (mssql" in messages[1]
    assert all("Secret123" not in m for m in messages)


def test_same_database_loads_into_the_connections_own(fake_sql_server):
    assert fixtures_main(["--target", MSSQL, "--same-database", "--patients", "2", "--quiet"],
                         stderr=lambda _: None) == 0
    assert not any(sql.startswith(("USE", "IF DB_ID")) for sql, _ in fake_sql_server.sent)


def test_a_database_error_is_reported_with_status_1_and_no_password(fake_sql_server):
    fake_sql_server.respond = lambda sql, params: server_error(
        "42000", "CREATE DATABASE permission denied in database 'master'.", 262)
    messages: list[str] = []
    assert fixtures_main(["--target", MSSQL, "--quiet"], stderr=messages.append) == 1
    assert "CREATE DATABASE permission denied" in messages[-1] and "[42000]" in messages[-1]
    assert "Secret123" not in messages[-1] and "PWD=***" in messages[-1]


@pytest.mark.parametrize(("argv", "needle"), [
    (["--target", "DSN=practice"], "set odbc_dialect"),
    (["--target", MSSQL, "--same-database", "--catalogue", "BPSPatients", "--catalogue", "BPSSamples"],
     "--same-database loads one catalogue"),
    (["--target", MSSQL, "--catalogue", "Nope"], "unknown BestPractice catalogue"),
])
def test_bad_target_arguments_are_status_2(fake_sql_server, argv, needle):
    messages: list[str] = []
    assert fixtures_main([*argv, "--quiet"], stderr=messages.append) == 2
    assert needle in messages[-1] and fake_sql_server.sent == []


def test_out_and_target_exclude_each_other(tmp_path, capsys):
    assert fixtures_main(["--out", str(tmp_path / "x.sqlite"), "--target", MSSQL]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_target_postgresql_loads_the_same_data(pg_dsn):  # noqa: F811
    messages: list[str] = []
    assert fixtures_main(["--target", pg_dsn, "--patients", "5", "--seed", "3", "--quiet"],
                         stderr=messages.append) == 0, messages
    assert "Loaded BPSPatients (postgresql, seed 3)" in messages[0] and "PATIENTS 5" in messages[0]
    conn = pyodbc.connect(pg_dsn, autocommit=True)
    try:
        assert conn.execute("SELECT count(*) FROM bpspatients.patients").fetchval() == 5
    finally:
        conn.close()

"""ODBC configuration: per-site and per-catalogue connection strings, dialect, pool and
timeouts, reset policy, the environment form, validation; and the emulator choosing the
ODBC engine for such a site (through HTTP, with a fake SQL Server driver)."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import DEVICE, KEY
from starlette.testclient import TestClient
from test_odbc_mssql import DRIVER, FakeServer, server_error

from pg_support import pg_dsn  # noqa: F401 - fixture
from mock_halo.app import create_app
from mock_halo.config import ConfigError, load_settings, redact, settings_from_mapping
from mock_halo.emulator import Emulator
from mock_halo.odbc import open_odbc_engine
from mock_halo.odbc.mssql import MssqlEngine
from mock_halo.sql.semantics.errors import SqlError
from mock_halo.sql.model import SqlCommand

MSSQL = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:db,1433;UID=sa;PWD=S3cret!;TrustServerCertificate=yes"
SAMPLES = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=other;DATABASE=Samples;UID=sa;PWD=x"
SITE_ID = "11111111-2222-3333-4444-555555555555"


def site_settings(**site):
    return settings_from_mapping({"clock": "virtual", "sites": [{"id": SITE_ID, **site}]})


def test_one_connection_string_for_the_site_with_global_defaults():
    settings = site_settings(odbc=MSSQL)
    odbc = settings.site_odbc(settings.sites[0])
    assert odbc.connection == MSSQL and odbc.catalogues == ()
    assert (odbc.dialect, odbc.reset, odbc.pool_size, odbc.login_timeout_s, odbc.query_timeout_s) == (
        "auto", "keep", 4, 15, 30)
    assert odbc.connection_for("bpssamples") == (MSSQL, True)


def test_per_catalogue_connection_strings_and_site_overrides():
    settings = site_settings(odbc={"BPSPatients": MSSQL, "bpssamples": SAMPLES}, odbc_dialect="mssql",
                             odbc_reset="reload", odbc_pool_size=2, odbc_login_timeout=3, odbc_query_timeout=9)
    odbc = settings.site_odbc(settings.sites[0])
    assert odbc.connection is None
    assert odbc.connection_for("BPSSamples") == (SAMPLES, False)
    assert (odbc.dialect, odbc.reset, odbc.pool_size, odbc.login_timeout_s, odbc.query_timeout_s) == (
        "mssql", "reload", 2, 3, 9)


def test_sites_without_odbc_keep_the_embedded_engine():
    settings = load_settings(env={})
    assert all(settings.site_odbc(s) is None for s in settings.sites)


def test_environment_gives_every_site_a_connection_and_the_defaults(tmp_path):
    env = {"MOCK_HALO_ODBC": MSSQL, "MOCK_HALO_ODBC_RESET": "keep", "MOCK_HALO_ODBC_POOL_SIZE": "8",
           "MOCK_HALO_ODBC_QUERY_TIMEOUT": "5", "MOCK_HALO_ODBC_LOGIN_TIMEOUT": "4", "MOCK_HALO_ODBC_DIALECT": "mssql"}
    settings = load_settings(env=env)
    for site in settings.sites:
        odbc = settings.site_odbc(site)
        assert (odbc.connection, odbc.reset, odbc.pool_size, odbc.query_timeout_s, odbc.login_timeout_s,
                odbc.dialect) == (MSSQL, "keep", 8, 5, 4, "mssql")
    # A site's own TOML setting wins over the environment's default.
    config = tmp_path / "halo.toml"
    config.write_text(f'[[sites]]\nid = "{SITE_ID}"\nodbc = "{SAMPLES}"\nodbc_reset = "reload"\n', encoding="utf-8")
    settings = load_settings(config, env=env)
    odbc = settings.site_odbc(settings.sites[0])
    assert (odbc.connection, odbc.reset, odbc.pool_size) == (SAMPLES, "reload", 8)


def test_a_site_that_reloads_a_shared_database_is_warned_about(caplog):
    from mock_halo.config import shared_reload

    settings = load_settings(env={"MOCK_HALO_ODBC": MSSQL, "MOCK_HALO_ODBC_RESET": "reload"})  # three default sites
    clash = shared_reload(settings, settings.sites[0])
    assert clash is not None and settings.sites[1].id in clash and "S3cret!" not in clash
    with caplog.at_level("WARNING", logger="mock_halo.odbc"):
        open_odbc_engine(settings.sites[0], settings, connect=FakeServer().connect).close()
    assert clash in caplog.text
    mixed = settings_from_mapping({"sites": [{"odbc": MSSQL}, {"odbc": {"BPSPatients": SAMPLES, "BPSSamples": MSSQL},
                                                                 "odbc_reset": "reload"}]})
    assert shared_reload(mixed, mixed.sites[1]) is not None and shared_reload(mixed, mixed.sites[0]) is None
    keep = settings_from_mapping({"sites": [{"odbc": MSSQL}, {"odbc": MSSQL}]})
    assert shared_reload(keep, keep.sites[0]) is None  # sharing without reloads is fine
    apart = settings_from_mapping({"sites": [{"odbc": MSSQL, "odbc_reset": "reload"}, {"odbc": SAMPLES}]})
    assert shared_reload(apart, apart.sites[0]) is None


@pytest.mark.parametrize(("site", "fragment"), [
    ({"odbc": "just a name"}, "must be an ODBC connection string"),
    ({"odbc": 5}, "must be a connection string or a table"),
    ({"odbc": {"BPSPatients": MSSQL}}, "no connection string for catalogue(s) ['BPSSamples']"),
    ({"odbc": {"BPSPatients": MSSQL, "BPSSamples": MSSQL, "Other": MSSQL}}, "'Other' is not one of the site's"),
    ({"odbc": MSSQL, "odbc_dialect": "oracle"}, "odbc_dialect must be one of"),
    ({"odbc": MSSQL, "odbc_reset": "always"}, "odbc_reset must be one of"),
    ({"odbc": MSSQL, "odbc_pool_size": 0}, "odbc_pool_size must be an integer 1..64"),
    ({"odbc": MSSQL, "odbc_query_timeout": -1}, "odbc_query_timeout must be an integer"),
    ({"odbc": MSSQL, "connection": MSSQL}, "not both"),
    ({"odbc": "DSN=practice;UID=sa;PWD=hunter2"}, "set odbc_dialect"),
])
def test_invalid_odbc_settings_say_what_is_wrong(site, fragment):
    with pytest.raises(ConfigError) as info:
        site_settings(**site)
    assert fragment in str(info.value)
    assert "hunter2" not in str(info.value)


def test_odbc_and_data_files_do_not_mix(tmp_path):
    data = tmp_path / "p.sqlite"
    data.write_bytes(b"")
    with pytest.raises(ConfigError, match="'data' files are for the embedded engine"):
        settings_from_mapping({"sites": [{"odbc": MSSQL, "data": {"BPSPatients": str(data)}}]})


def test_global_odbc_settings_are_validated():
    with pytest.raises(ConfigError, match="odbc_pool_size must be 1..64"):
        load_settings(env={"MOCK_HALO_ODBC": MSSQL, "MOCK_HALO_ODBC_POOL_SIZE": "100"})
    with pytest.raises(ConfigError, match="odbc_reset"):
        load_settings(env={"MOCK_HALO_ODBC_RESET": "sometimes"})


def test_redact_hides_passwords_even_in_braces():
    assert redact("DRIVER={x};PWD={a;b}}c};UID=u") == "DRIVER={x};PWD=***;UID=u"
    assert redact("Server=s;Password=p@ss;") == "Server=s;Password=***;"


def test_a_dsn_name_with_an_explicit_dialect_is_accepted():
    settings = site_settings(odbc="DSN=practice;UID=sa;PWD=x", odbc_dialect="mssql")
    assert settings.site_odbc(settings.sites[0]).dialect == "mssql"


# -- the emulator wiring -----------------------------------------------------------------------
def test_site_wide_sql_server_engine_routes_catalogues_to_databases():
    settings = site_settings(odbc=MSSQL)
    server = FakeServer()
    engine = open_odbc_engine(settings.sites[0], settings, connect=server.connect)
    try:
        assert isinstance(engine, MssqlEngine)
        assert {n: r.database for n, r in engine.routes.items()} == {"BPSPatients": "BPSPatients",
                                                                    "BPSSamples": "BPSSamples"}
        assert engine.routes["BPSPatients"].pool is engine.routes["BPSSamples"].pool
        assert server.connections == []  # nothing connects before the first command
    finally:
        engine.close()


def test_per_catalogue_strings_get_their_own_pools_and_no_use():
    settings = site_settings(odbc={"BPSPatients": MSSQL, "BPSSamples": SAMPLES}, odbc_pool_size=3,
                             odbc_query_timeout=7)
    engine = open_odbc_engine(settings.sites[0], settings, connect=FakeServer().connect)
    try:
        patients, samples = engine.routes["BPSPatients"], engine.routes["BPSSamples"]
        assert patients.pool is not samples.pool and patients.database is None and samples.database is None
        assert (patients.pool.settings.size, patients.pool.settings.query_timeout_s) == (3, 7)
    finally:
        engine.close()


def test_reset_keeps_external_data_unless_reload_was_chosen():
    server = FakeServer()
    settings = site_settings(odbc=MSSQL)
    engine = open_odbc_engine(settings.sites[0], settings, connect=server.connect)
    engine.reset()
    assert server.sent == [] and engine.resets_kept == 1
    engine.close()
    settings = site_settings(odbc=MSSQL, odbc_reset="reload", patients=3)
    engine = open_odbc_engine(settings.sites[0], settings, connect=server.connect)
    assert server.sent == [] and engine.load_pending  # nothing connects while the engine opens
    engine.execute(SqlCommand("SELECT 1"))  # the first command loads the fixtures first
    loaded = [sql for sql, _ in server.sent][:-2]
    assert [sql for sql, _ in server.sent][-2:] == ["USE [BPSPatients];", "SELECT 1"]
    assert loaded[0] == "IF DB_ID(N'BPSPatients') IS NULL CREATE DATABASE [BPSPatients];"
    assert "USE [BPSSamples];" in loaded
    assert any(s.startswith("INSERT INTO dbo.PATIENTS") for s in loaded)
    assert any("CREATE OR ALTER PROCEDURE dbo.BP_GetAllUsers" in s for s in loaded)
    engine.reset()
    assert [sql for sql, _ in server.sent][-len(loaded):] == loaded and not engine.load_pending
    engine.close()


def test_a_database_that_is_down_fails_commands_in_halos_shape_and_reset_does_not_raise():
    import pyodbc

    server = FakeServer()
    server.refuse = pyodbc.OperationalError("08001", f"[08001] {DRIVER}TCP Provider: Error code 0x2749 (10057) "
                                                     "(SQLDriverConnect)")
    settings = site_settings(odbc=MSSQL, odbc_reset="reload", patients=3)
    engine = open_odbc_engine(settings.sites[0], settings, connect=server.connect)
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT 1"))
        assert info.value.number == 53 and "TCP Provider" in info.value.message
        engine.reset()  # logged, not raised: the next command retries the load
        assert engine.load_pending
        server.refuse = None
        engine.execute(SqlCommand("SELECT 1"))
        sent = [sql for sql, _ in server.sent]
        assert sent[0].startswith("IF DB_ID(N'BPSPatients')") and sent[-1] == "SELECT 1"
        assert not engine.load_pending
    finally:
        engine.close()


def test_warm_loads_a_reloading_site_before_serving_and_a_database_that_is_down_does_not_stop_it(fake_sql_server):
    """``serve`` warms the emulator before it listens: the fixtures load then, not inside the first
    query's deadline; a database that is down is logged and the next command retries the load."""
    import pyodbc

    fake_sql_server.refuse = pyodbc.OperationalError("08001", f"[08001] {DRIVER}TCP Provider: Error code 0x2749")
    emulator = Emulator(site_settings(odbc=MSSQL, odbc_reset="reload", patients=3))
    try:
        emulator.warm()  # does not raise
        engine = emulator.engine(next(iter(emulator.sites.values())))
        assert engine.load_pending and fake_sql_server.sent == []
        fake_sql_server.refuse = None
        emulator.warm()
        assert not engine.load_pending
        assert fake_sql_server.sent[0][0].startswith("IF DB_ID(N'BPSPatients')")
        loaded = len(fake_sql_server.sent)
        engine.execute(SqlCommand("SELECT 1"))
        assert [sql for sql, _ in fake_sql_server.sent[loaded:]][-1] == "SELECT 1"
        assert not any(sql.startswith("IF DB_ID") for sql, _ in fake_sql_server.sent[loaded:])
    finally:
        emulator.close()


@pytest.fixture
def fake_sql_server(monkeypatch):
    import pyodbc

    server = FakeServer()
    monkeypatch.setattr(pyodbc, "connect", server.connect)
    return server


def test_http_immediate_query_runs_on_the_configured_sql_server(fake_sql_server):
    def respond(sql, params):
        if sql.startswith("USE "):
            return [("count", -1)]
        if "BPS_Nope" in sql:
            return server_error("42S02", "Invalid object name 'BPS_Nope'.", 208)
        return [("rows", [("Surname", str)], [("Citizen",)])]
    fake_sql_server.respond = respond
    emulator = Emulator(site_settings(odbc=MSSQL))
    try:
        with TestClient(create_app(emulator=emulator)) as client:
            token = client.post("/integrator/token", data={"grant_type": "urn:halo-connect:oauth:device-token",
                                                           "device_id": DEVICE, "site_id": SITE_ID},
                                headers={"Ocp-Apim-Subscription-Key": KEY}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "DeviceId": DEVICE}
            url = f"/device/sites/{SITE_ID}/queries/immediate"
            ok = client.post(url, json={"command": {"text": "SELECT Surname FROM BPS_Patients WHERE InternalID = @id",
                                                    "parameters": [{"name": "@id", "type": "Int", "value": "1",
                                                                    "direction": "input"}]},
                                        "catalogue": "BPSSamples"}, headers=headers)
            assert ok.status_code == 200, ok.text
            assert json.loads(base64.b64decode(ok.json()["result"]["data"])) == [{"Surname": "Citizen"}]
            assert fake_sql_server.sent[-2:] == [
                ("USE [BPSSamples];", []),
                ("EXEC sp_executesql N'SELECT Surname FROM BPS_Patients WHERE InternalID = @id', N'@id int', "
                 "@id = ?;", [1])]
            failed = client.post(url, json={"command": {"text": "SELECT * FROM BPS_Nope"}}, headers=headers)
            details = failed.json()["errorDetails"]
            assert (failed.json()["status"], details["errorType"], details["errorCode"]) == (
                "executionFailed", "mssql", 208)
            assert details["errorMessage"] == "Invalid object name 'BPS_Nope'."
    finally:
        emulator.close()


def _client_rows(client: TestClient, site: str, sql: str, mode: str = "reader") -> list[dict]:
    token = client.post("/integrator/token", data={"grant_type": "urn:halo-connect:oauth:device-token",
                                                   "device_id": DEVICE, "site_id": site},
                        headers={"Ocp-Apim-Subscription-Key": KEY}).json()["access_token"]
    response = client.post(f"/device/sites/{site}/queries/immediate",
                           json={"command": {"text": sql, "executionMode": mode}},
                           headers={"Authorization": f"Bearer {token}", "DeviceId": DEVICE})
    assert response.status_code == 200 and response.json()["status"] == "successful", response.text
    data = response.json()["result"].get("data")
    return json.loads(base64.b64decode(data)) if data else []


@pytest.mark.parametrize("policy", ["reload", "keep"])
def test_postgresql_site_through_http_and_what_reset_does(pg_dsn, policy):  # noqa: F811
    loader = Emulator(site_settings(odbc=pg_dsn, odbc_reset="reload", patients=4))
    loader.engine(next(iter(loader.sites.values()))).execute(SqlCommand("SELECT 1"))  # loads, then runs
    loader.close()
    emulator = Emulator(site_settings(odbc=pg_dsn, odbc_reset=policy, patients=4))
    count = "SELECT COUNT(*) AS n FROM BPS_Patients"
    try:
        with TestClient(create_app(emulator=emulator)) as client:
            before = _client_rows(client, SITE_ID, count)[0]["n"]
            assert before >= 2
            _client_rows(client, SITE_ID, "UPDATE PATIENTS SET RECORDSTATUS = 2 WHERE RECORDSTATUS = 1 AND "
                                          "INTERNALID = (SELECT MIN(InternalID) FROM BPS_Patients)", "nonQuery")
            assert _client_rows(client, SITE_ID, count) == [{"n": before - 1}]
            emulator.reset()
            assert _client_rows(client, SITE_ID, count) == [{"n": before if policy == "reload" else before - 1}]
    finally:
        emulator.close()


def test_catalogues_of_one_site_must_be_on_the_same_kind_of_database():
    pg = "DRIVER={PostgreSQL Unicode};SERVER=pg;DATABASE=halo;UID=postgres;PWD=x"
    settings = site_settings(odbc={"BPSPatients": MSSQL, "BPSSamples": pg})
    with pytest.raises(ConfigError, match="same kind of database"):
        open_odbc_engine(settings.sites[0], settings, connect=FakeServer().connect)

"""The /_mock control plane over HTTP: clock, reset, sites, seed, journal, protection, contract."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.emulator import Emulator
from tests.conftest import SITE, Halo, assert_general_error, make_settings


# -- clock -----------------------------------------------------------------------
def test_clock_reads_and_advances_by_duration_or_seconds(client):
    assert client.get("/_mock/clock").json() == {"now": "2026-01-04T23:00:00.000Z", "speed": 0.0, "frozen": True}
    assert client.post("/_mock/clock/advance", json={"duration": "15m"}).json()["now"] == "2026-01-04T23:15:00.000Z"
    assert client.post("/_mock/clock/advance", json={"seconds": 30}).json()["now"] == "2026-01-04T23:15:30.000Z"
    assert client.post("/_mock/clock/advance", json={"duration": "PT1H"}).json()["now"] == "2026-01-05T00:15:30.000Z"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({}, "exactly one"),
        ({"seconds": 1, "duration": "1s"}, "exactly one"),
        ({"duration": "soon"}, "cannot read"),
        ({"seconds": "10"}, "number"),
        ({"seconds": -5}, "backwards"),
        ({"minutes": 5}, "unknown field"),
    ],
)
def test_clock_advance_rejects_bad_input_with_the_envelope(client, body, fragment):
    assert_general_error(client.post("/_mock/clock/advance", json=body), 400, fragment)


def test_clock_advance_rejects_non_json(client):
    assert_general_error(client.post("/_mock/clock/advance", content=b"{oops"), 400, "not valid json")
    assert_general_error(client.post("/_mock/clock/advance", json=[1]), 400, "json object")


def test_clock_set_moves_forward_never_backwards(client):
    assert client.post("/_mock/clock/set", json={"time": "2026-02-01T00:00:00Z"}).json()["now"] == "2026-02-01T00:00:00.000Z"
    assert_general_error(client.post("/_mock/clock/set", json={"time": "2026-01-01T00:00:00Z"}), 400, "backwards")
    assert_general_error(client.post("/_mock/clock/set", json={"time": "tomorrow"}), 400, "iso 8601")
    assert_general_error(client.post("/_mock/clock/set", json={}), 400, "time is required")


def test_clock_speed_and_freeze(client):
    assert client.post("/_mock/clock/speed", json={"speed": 60}).json()["speed"] == 60.0
    assert client.get("/_mock/clock").json()["frozen"] is False
    assert client.post("/_mock/clock/freeze").json() == {**client.get("/_mock/clock").json(), "frozen": True, "speed": 0.0}
    assert_general_error(client.post("/_mock/clock/speed", json={"speed": -1}), 400, "speed")
    assert_general_error(client.post("/_mock/clock/speed", json={"speed": True}), 400, "speed")


def test_advancing_the_clock_expires_tokens(client, halo: Halo):
    token = halo.token()
    client.post("/_mock/clock/advance", json={"duration": "61m"})
    response = halo.immediate("SELECT 1", token=token)
    assert_general_error(response, 401, "expired")


# -- reset and seed -------------------------------------------------------------------
def test_reset_restores_data_and_forgets_queries(client, halo: Halo):
    halo.immediate("UPDATE PATIENTS SET FIRSTNAME = 'Zed' WHERE InternalID = 1", executionMode="nonQuery")
    assert halo.rows("SELECT FIRSTNAME AS Firstname FROM PATIENTS WHERE InternalID = 1") == [{"Firstname": "Zed"}]
    token = halo.token()
    query_id = halo.immediate("SELECT 1", token=token).json()["id"]
    assert client.post("/_mock/reset").json()["reset"] == "all"
    assert halo.rows("SELECT FIRSTNAME AS Firstname FROM PATIENTS WHERE InternalID = 1") != [{"Firstname": "Zed"}]
    assert client.get(f"/device/sites/{SITE}/queries/{query_id}", headers=halo.headers(halo.token())).status_code == 404


def test_reset_one_site_and_unknown_site(client):
    assert client.post("/_mock/reset", json={"siteId": SITE.upper()}).json()["reset"] == SITE
    assert_general_error(client.post("/_mock/reset", json={"siteId": "nope"}), 404, "not configured")
    assert_general_error(client.post("/_mock/reset", json={"site": SITE}), 400, "unknown field")


def test_seed_reads_and_reseeds(client, halo: Halo):
    assert client.get("/_mock/seed").json() == {"seed": 42}
    before = halo.rows("SELECT TOP 1 Firstname, Surname FROM BPS_Patients ORDER BY InternalID")
    assert client.post("/_mock/seed", json={"seed": 7}).json() == {"seed": 7}
    assert client.get("/_mock/info").json()["seed"] == 7
    after = halo.rows("SELECT TOP 1 Firstname, Surname FROM BPS_Patients ORDER BY InternalID")
    assert after != before
    assert_general_error(client.post("/_mock/seed", json={"seed": "x"}), 400, "seed")


# -- sites -----------------------------------------------------------------------------
def test_sites_availability_offline_then_online(client, halo: Halo):
    sites = {s["id"]: s for s in client.get("/_mock/sites").json()["sites"]}
    assert sites[SITE]["availability"] == "online"
    site = client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "offline"}).json()
    assert site["availability"] == "offline"
    assert_general_error(halo.immediate("SELECT 1"), 503, "could not be contacted")
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "online"})
    assert halo.immediate("SELECT 1").status_code == 200


def test_sites_bad_input(client):
    assert_general_error(client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "asleep"}), 400, "online, offline or unreachable")
    assert_general_error(client.put("/_mock/sites/nope/availability", json={"availability": "offline"}), 404, "not configured")
    assert_general_error(client.put(f"/_mock/sites/{SITE}/latency", json={"latency": "slow"}), 400, "duration")
    assert_general_error(client.put(f"/_mock/sites/{SITE}/latency", json={}), 400, "availability")


def test_site_latency_moves_the_virtual_clock_per_request(client, halo: Halo):
    token = halo.token()
    assert client.put(f"/_mock/sites/{SITE}/latency", json={"latency": "2s"}).json()["latencyMs"] == 2000
    body = halo.immediate("SELECT 1", token=token).json()
    assert body["createdAt"] == "2026-01-04T23:00:02.000Z"
    client.post("/_mock/reset", json={"siteId": SITE})
    assert client.get("/_mock/sites").json()["sites"][0]["latencyMs"] == 0


# -- journal ---------------------------------------------------------------------------
def test_journal_records_filters_and_clears(client, halo: Halo):
    halo.immediate("SELECT 1")
    halo.immediate("SELECT * FROM Nope")
    entries = client.get("/_mock/journal").json()["entries"]
    assert [e["surface"] for e in entries] == ["token", "immediate", "token", "immediate"]
    failed = client.get("/_mock/journal", params={"status": 400}).json()["entries"]
    assert len(failed) == 1 and "Nope" in failed[0]["requestBody"] and "208" in failed[0]["responseBody"]
    assert failed[0]["site"] == SITE and failed[0]["method"] == "POST" and failed[0]["durationMs"] >= 0
    assert len(client.get("/_mock/journal", params={"path": "/queries/immediate"}).json()["entries"]) == 2
    assert client.get("/_mock/journal", params={"site": "other"}).json()["count"] == 0
    assert client.get("/_mock/journal", params={"limit": 1}).json()["entries"][0]["id"] == entries[-1]["id"]
    assert_general_error(client.get("/_mock/journal", params={"status": "bad"}), 400, "status")
    assert_general_error(client.get("/_mock/journal", params={"colour": "red"}), 400, "unknown journal filter")
    assert client.delete("/_mock/journal").status_code == 204
    assert client.get("/_mock/journal").json()["count"] == 0


def test_journal_is_bounded_and_truncates_bodies(client, emulator: Emulator, halo: Halo):
    emulator.journal._entries = type(emulator.journal._entries)(maxlen=3)  # a small ring
    for _ in range(5):
        client.get("/unknown")
    assert len(client.get("/_mock/journal").json()["entries"]) == 3
    halo.immediate("SELECT '" + "x" * 5000 + "' AS big")
    entry = client.get("/_mock/journal", params={"surface": "immediate"}).json()["entries"][-1]
    assert len(entry["requestBody"]) <= emulator.journal.body_limit + 1 and entry["requestBody"].endswith("…")


def test_journal_entries_carry_end_time_retry_after_and_in_flight(client, halo: Halo):
    token = halo.token()
    client.post("/_mock/scenarios", json={"match": {"surface": "immediate"}, "outcome": {"error": 429, "retryAfter": 7, "latency": "3s"}})
    halo.immediate("SELECT 1", token=token)
    entry = client.get("/_mock/journal").json()["entries"][-1]
    assert entry["retryAfter"] == "7" and entry["inFlight"] == 1
    assert (entry["time"], entry["endTime"]) == ("2026-01-04T23:00:00.000Z", "2026-01-04T23:00:03.000Z")
    assert client.get("/_mock/journal").json()["entries"][0]["retryAfter"] is None


def test_control_calls_are_not_journalled(client):
    client.get("/_mock/clock")
    assert client.get("/_mock/journal").json()["count"] == 0


# -- protection and contract --------------------------------------------------------------
def _remote(emulator: Emulator) -> TestClient:
    return TestClient(create_app(emulator=emulator), client=("203.0.113.9", 50000))


def test_remote_callers_get_403_without_an_admin_token():
    emulator = Emulator(make_settings())
    with _remote(emulator) as remote:
        error = assert_general_error(remote.post("/_mock/reset"), 403, "MOCK_HALO_ADMIN_TOKEN")
        assert "loopback" in error["message"]
        assert remote.get("/_mock/health").status_code == 200


def test_remote_callers_need_the_admin_token_not_a_key_or_device_token():
    emulator = Emulator(make_settings(admin_token="s3cret"))
    with _remote(emulator) as remote:
        assert_general_error(remote.get("/_mock/clock"), 401, "admin token")
        key = emulator.settings.integrators[0].subscription_keys[0]
        assert_general_error(remote.get("/_mock/clock", headers={"Ocp-Apim-Subscription-Key": key}), 401)
        device_token = Halo(remote).token()
        assert_general_error(remote.get("/_mock/clock", headers={"Authorization": f"Bearer {device_token}"}), 401)
        assert remote.get("/_mock/clock", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_control_openapi_lists_every_control_route(client):
    document = client.get("/_mock/openapi.json").json()
    assert document["openapi"].startswith("3.")
    from mock_halo.app import routes

    # A path convertor ({deliveryId:int}) is the router's business, not the document's.
    control_paths = {re.sub(r":\w+}", "}", r.path) for r in routes() if r.path.startswith("/_mock")}
    assert control_paths == set(document["paths"])


def test_availability_changes_can_be_scheduled(client, halo: Halo):
    token = halo.token()
    start = client.get("/_mock/clock").json()["now"]
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "offline", "in": "30s"})
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "online", "at": "2026-01-04T23:01:00Z"})
    assert start == "2026-01-04T23:00:00.000Z"
    assert halo.immediate("SELECT 1", token=token).status_code == 200
    client.post("/_mock/clock/advance", json={"seconds": 30})
    assert_general_error(halo.immediate("SELECT 1", token=token), 503, "could not be contacted")
    client.post("/_mock/clock/advance", json={"seconds": 30})
    assert halo.immediate("SELECT 1", token=token).status_code == 200


@pytest.mark.parametrize("body, fragment", [
    ({"availability": "offline", "at": "2026-01-04T22:00:00Z"}, "in the past"),
    ({"availability": "offline", "in": "soon"}, "duration"),
    ({"availability": "offline", "in": "1m", "at": "2026-01-05T00:00:00Z"}, "one of them"),
    ({"latency": "1s", "in": "1m"}, "goes with"),
])
def test_scheduled_availability_bad_input(client, body, fragment):
    assert_general_error(client.put(f"/_mock/sites/{SITE}/availability", json=body), 400, fragment)

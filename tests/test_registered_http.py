"""Registered (recurring) queries through HTTP, on the virtual clock."""

import base64
import json

import pytest
from conftest import OTHER_SITE, SITE, assert_general_error

BASE = f"/device/sites/{SITE}/queries/registered"


def register(halo, token, sql="SELECT COUNT(*) AS n FROM BPS_Patients", frequency=60, duration=300, **extra):
    body = {"name": "patient count", "registeredQueryType": "query", "frequency": frequency,
            "duration": duration, "registerCommand": {"command": {"text": sql}}, **extra}
    return halo.client.post(BASE, json=body, headers=halo.headers(token))


def test_registered_query_runs_on_schedule_then_completes(halo, emulator):
    token = halo.token()
    created = register(halo, token)
    assert created.status_code == 201
    query_id = created.json()["id"]
    assert set(created.json()) == {"id"}
    get = lambda: halo.client.get(f"{BASE}/{query_id}", headers=halo.headers(token))  # noqa: E731
    body = get().json()
    assert (body["status"], body["frequency"], body["duration"], body["registeredQueryType"]) == ("enabled", 60, 300, "query")
    assert_general_error(halo.client.get(f"{BASE}/{query_id}/results", headers=halo.headers(token)), 404)
    emulator.clock.advance(10)
    result = halo.client.get(f"{BASE}/{query_id}/results", headers=halo.headers(token))
    assert result.status_code == 200
    rows = json.loads(base64.b64decode(result.json()["data"]))
    assert rows == halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")
    assert result.json()["rows"] == 1
    emulator.clock.advance(400)
    token = halo.token()
    body = halo.client.get(f"{BASE}/{query_id}", headers=halo.headers(token)).json()
    assert body["status"] == "completed" and "completedAt" in body
    metrics = body["metrics"]
    assert metrics["executionSucceededCount"] == 6  # runs at 0, 60, ..., 300 s after the first
    assert metrics["executionFailedCount"] == 0
    assert body["lastHash"]
    listed = halo.client.get(BASE, headers=halo.headers(token)).json()["registeredQueries"]
    assert [q["id"] for q in listed] == [query_id]


def test_failing_runs_keep_the_schedule_and_record_the_error(halo, emulator):
    token = halo.token()
    query_id = register(halo, token, sql="SELECT * FROM Nope", duration=120).json()["id"]
    emulator.clock.advance(200)
    body = halo.client.get(f"{BASE}/{query_id}", headers=halo.headers(token)).json()
    assert body["metrics"]["executionFailedCount"] == 3
    assert body["lastErrorDetails"]["errorCode"] == 208
    assert body["status"] == "completed"


def test_cancel_stops_the_runs(halo, emulator):
    token = halo.token()
    query_id = register(halo, token).json()["id"]
    emulator.clock.advance(70)
    response = halo.client.delete(f"{BASE}/{query_id}", headers=halo.headers(token))
    assert response.status_code == 204 and response.content == b""
    runs = halo.client.get(f"{BASE}/{query_id}", headers=halo.headers(token)).json()["metrics"]["executionSucceededCount"]
    emulator.clock.advance(600)
    body = halo.client.get(f"{BASE}/{query_id}", headers=halo.headers(token)).json()
    assert body["status"] == "cancelled"
    assert body["metrics"]["executionSucceededCount"] == runs


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"frequency": 59}, "frequency"),
        ({"duration": 86401}, "duration"),
        ({"registeredQueryType": "report"}, "registeredQueryType"),
        ({"name": ""}, "name"),
        ({"registerCommand": None}, "registerCommand is required"),
        ({"registerCommand": {"command": {}}}, "registerCommand.command.text is required"),
    ],
)
def test_invalid_registrations_are_400(halo, change, fragment):
    token = halo.token()
    body = {"name": "x", "registeredQueryType": "query", "frequency": 60, "duration": 120,
            "registerCommand": {"command": {"text": "SELECT 1 AS x"}}}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    assert_general_error(halo.client.post(BASE, json=body, headers=halo.headers(token)), 400, fragment)


def test_registered_queries_are_per_site(halo):
    token = halo.token()
    query_id = register(halo, token).json()["id"]
    other = halo.token(site=OTHER_SITE)
    other_base = f"/device/sites/{OTHER_SITE}/queries/registered"
    assert_general_error(halo.client.get(f"{other_base}/{query_id}", headers=halo.headers(other)), 404)
    assert halo.client.get(other_base, headers=halo.headers(other)).json() == {"registeredQueries": []}

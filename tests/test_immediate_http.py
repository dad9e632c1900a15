"""Immediate queries through HTTP: shapes, SQL, errors, limits, bad input."""

import base64
import json
from datetime import datetime

import orjson
import pytest
from conftest import OTHER_SITE, SITE, Halo, assert_general_error, decode_rows, make_settings
from starlette.testclient import TestClient

from mock_halo.api import validate
from mock_halo.app import create_app
from mock_halo.config import Catalogue, SiteConfig
from mock_halo.errors import HaloError

REQUIRED = {"id", "integratorId", "siteId", "mode", "status", "maxTimeInQueue", "commandSize", "createdAt",
            "updatedAt", "requestSize", "statusTiming", "metrics", "result", "completedAt"}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_successful_reader_query_has_halos_shape(halo, emulator):
    body = {"command": {"text": "SELECT TOP 5 Firstname, Surname FROM BPS_Patients ORDER BY InternalID"}}
    response = halo.immediate(body=body)
    assert response.status_code == 200
    result = response.json()
    assert REQUIRED <= set(result)
    assert result["mode"] == "immediate"
    assert result["status"] == "successful"
    assert result["siteId"] == SITE
    assert result["integratorId"] == emulator.settings.integrators[0].id
    assert result["maxTimeInQueue"] == 30000
    assert result["requestSize"] == len(orjson.dumps(body))
    assert result["sqlQuerySize"] == len(body["command"]["text"])
    timing = result["statusTiming"]
    assert list(timing) == ["initialising", "executing", "downloading", "uploading"]
    assert all(set(phase) == {"startTime"} for phase in timing.values())
    starts = [ts(p["startTime"]) for p in timing.values()]
    assert starts == sorted(starts)
    assert ts(result["createdAt"]) == starts[0] <= ts(result["completedAt"])
    assert result["updatedAt"] == result["completedAt"]
    assert isinstance(result["metrics"]["sqlExecutionDuration"], int)
    rows = decode_rows(result)
    assert result["result"]["rows"] == len(rows) == 5
    assert result["result"]["size"] == len(base64.b64decode(result["result"]["data"]))
    assert result["resultSize"] == result["result"]["size"]
    assert all(list(row) == ["Firstname", "Surname"] for row in rows)
    assert all(isinstance(row["Surname"], str) and row["Surname"] for row in rows)


def test_rows_match_between_parameterised_and_literal_queries(halo):
    everyone = halo.rows("SELECT InternalID, Firstname, Surname FROM BPS_Patients ORDER BY InternalID")
    target = everyone[3]
    found = halo.rows(
        "SELECT TOP 1 InternalID, Firstname, Surname FROM BPS_Patients WHERE InternalID = @id",
        parameters=[{"name": "@id", "type": "Int", "direction": "input", "value": str(target["InternalID"])}],
    )
    assert found == [target]


def test_three_part_names_and_case_insensitive_identifiers(halo):
    plain = halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")
    assert halo.rows("SELECT COUNT(*) AS n FROM BPSPatients.dbo.BPS_Patients") == plain
    assert halo.rows("select count(*) as n from bpspatients.DBO.bps_patients") == [{"n": plain[0]["n"]}]


def test_string_comparison_is_case_insensitive(halo):
    first = halo.rows("SELECT TOP 1 InternalID, Surname FROM BPS_Patients ORDER BY InternalID")[0]
    upper = halo.rows(
        "SELECT InternalID FROM BPS_Patients WHERE Surname = @s AND InternalID = @id",
        parameters=[
            {"name": "@s", "type": "NVarChar", "value": first["Surname"].upper()},
            {"name": "@id", "type": "Int", "value": str(first["InternalID"])},
        ],
    )
    assert upper == [{"InternalID": first["InternalID"]}]


def test_non_query_changes_data_until_reset(halo, emulator):
    target = halo.rows("SELECT TOP 1 InternalID FROM PATIENTS ORDER BY InternalID")[0]["InternalID"]
    response = halo.immediate(
        "UPDATE PATIENTS SET FIRSTNAME = 'Zelda' WHERE InternalID = @id",
        executionMode="nonQuery",
        parameters=[{"name": "@id", "type": "Int", "value": str(target)}],
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["rowsAffected"] == 1
    assert "data" not in result and "rows" not in result
    assert halo.rows(f"SELECT Firstname FROM BPS_Patients WHERE InternalID = {target}") == [{"Firstname": "Zelda"}]
    emulator.reset()
    assert halo.rows(f"SELECT Firstname FROM BPS_Patients WHERE InternalID = {target}") != [{"Firstname": "Zelda"}]


def test_scalar_returns_the_first_column_of_the_first_row(halo):
    count = halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")[0]["n"]
    response = halo.immediate("SELECT COUNT(*) AS n, 'ignored' AS other FROM BPS_Patients", executionMode="scalar")
    assert response.status_code == 200
    assert decode_rows(response.json()) == [{"n": count}]


def test_sites_have_their_own_data(client):
    other = Halo(client)
    here = other.rows("SELECT TOP 3 Firstname, Surname, DOB FROM BPS_Patients ORDER BY InternalID")
    response = other.immediate("SELECT TOP 3 Firstname, Surname, DOB FROM BPS_Patients ORDER BY InternalID", site=OTHER_SITE)
    assert response.status_code == 200
    assert decode_rows(response.json()) != here


def test_catalogue_selects_the_database(halo):
    live = halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")
    response = halo.immediate(body={"catalogue": "BPSSamples", "command": {"text": "SELECT COUNT(*) AS n FROM BPS_Patients"}})
    assert response.status_code == 200
    samples = decode_rows(response.json())
    assert samples != live
    assert halo.rows("SELECT COUNT(*) AS n FROM BPSSamples.dbo.BPS_Patients") == samples


def test_halo_example_catalogue_runs_in_the_default_catalogue_on_bp(halo):
    """Halo's own example body (``"catalogue": "Patients"``) is not refused on a Bp Premier site."""
    live = halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")
    for name in ("Patients", "Nope"):
        response = halo.immediate(body={"catalogue": name, "command": {"text": "SELECT COUNT(*) AS n FROM BPS_Patients"}})
        assert response.status_code == 200, response.text
        assert decode_rows(response.json()) == live


def test_unknown_catalogue_is_400_on_a_site_that_needs_one():
    site = SiteConfig(id="00000000-0000-0000-0000-00000000000z", name="Zedmed clinic", pms_type="Zedmed",
                      catalogues=(Catalogue("Patients", True), Catalogue("Billing", False)))
    assert validate.parse_catalogue({"catalogue": "billing"}, site) == "Billing"
    with pytest.raises(HaloError) as info:
        validate.parse_catalogue({"catalogue": "Nope"}, site)
    assert info.value.status == 400 and "Unknown catalogue 'Nope'" in info.value.message


@pytest.mark.parametrize(
    ("sql", "number", "fragment"),
    [
        ("SELECT * FROM BPS_Patientz", 208, "Invalid object name 'BPS_Patientz'."),
        ("SELECT Nonsense FROM BPS_Patients", 207, "Invalid column name 'Nonsense'."),
        ("SELECT * FROM WHERE", 156, "Incorrect syntax near the keyword 'WHERE'."),
        ("SELECT 1 +", 102, "Incorrect syntax near '+'."),
        ("SELECT 1/0 AS x", 8134, "Divide by zero"),
    ],
)
def test_sql_errors_give_execution_failed_with_mssql_details(halo, sql, number, fragment):
    response = halo.immediate(sql)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "executionFailed"
    assert body["mode"] == "immediate"
    details = body["errorDetails"]
    assert details["errorType"] == "mssql"
    assert details["errorCode"] == number
    assert fragment in details["errorMessage"]
    assert (body["errorCode"], body["errorMessage"]) == (details["errorCode"], details["errorMessage"])
    assert "result" not in body
    timing = body["statusTiming"]
    assert set(timing["initialising"]) == {"startTime", "endTime"}
    assert set(timing["executing"]) == {"startTime", "endTime"}
    assert body["completedAt"] == timing["executing"]["endTime"]


def test_parameter_that_cannot_convert_is_400(halo):
    response = halo.immediate(
        "SELECT InternalID FROM BPS_Patients WHERE InternalID = @id",
        parameters=[{"name": "@id", "type": "Int", "value": "twelve"}],
    )
    assert_general_error(response, 400, "Failed to convert parameter value")


def test_result_over_the_limit_is_413():
    with TestClient(create_app(make_settings(immediate_result_limit_bytes=2048))) as client:
        halo = Halo(client)
        assert halo.immediate("SELECT TOP 1 Firstname FROM BPS_Patients").status_code == 200
        response = halo.immediate("SELECT * FROM BPS_Patients")
        assert response.status_code == 413
        body = response.json()
        assert body["status"] == "executionFailed"
        assert body["errorDetails"]["errorType"] == "http"
        assert body["errorDetails"]["errorCode"] == 413
        assert "beyond message size limit (2kb)" in body["errorDetails"]["errorMessage"]


def test_get_query_returns_the_immediate_record(client, halo):
    token = halo.token()
    posted = halo.immediate("SELECT TOP 2 Surname FROM BPS_Patients", token=token).json()
    response = client.get(f"/device/sites/{SITE}/queries/{posted['id']}", headers=halo.headers(token))
    assert response.status_code == 200
    assert response.json() == posted
    # the id is a GUID: case does not matter
    upper = client.get(f"/desktop/sites/{SITE}/queries/{posted['id'].upper()}", headers=halo.headers(token))
    assert upper.json() == posted


def test_failed_queries_are_recorded_too(client, halo):
    token = halo.token()
    posted = halo.immediate("SELECT * FROM Missing", token=token).json()
    response = client.get(f"/device/sites/{SITE}/queries/{posted['id']}", headers=halo.headers(token))
    assert response.json()["status"] == "executionFailed"


def test_queries_are_invisible_from_another_site(client, halo):
    posted = halo.immediate("SELECT 1 AS x").json()
    other = halo.token(site=OTHER_SITE)
    response = client.get(f"/device/sites/{OTHER_SITE}/queries/{posted['id']}", headers=halo.headers(other))
    assert_general_error(response, 404, posted["id"])


def test_unknown_query_is_404(client, halo):
    token = halo.token()
    response = client.get(f"/device/sites/{SITE}/queries/not-a-query", headers=halo.headers(token))
    assert_general_error(response, 404, "not-a-query")


@pytest.mark.parametrize(("availability", "status", "fragment"), [("offline", 503, "could not be contacted"), ("unreachable", 504, "unreachable")])
def test_site_availability(halo, emulator, availability, status, fragment):
    token = halo.token()
    emulator.set_availability(SITE, availability)
    assert_general_error(halo.immediate("SELECT 1 AS x", token=token), status, fragment)
    emulator.set_availability(SITE, "online")
    assert halo.immediate("SELECT 1 AS x", token=token).status_code == 200


def test_same_seed_same_requests_same_responses():
    bodies = []
    for _ in range(2):
        with TestClient(create_app(make_settings())) as client:
            halo = Halo(client)
            token = halo.token()
            bodies.append([halo.immediate("SELECT TOP 3 * FROM BPS_Patients", token=token).json() for _ in range(3)])
    assert bodies[0] == bodies[1]


# -- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "command is required"),
        ({"command": "SELECT 1"}, "command must be an object"),
        ({"command": {}}, "command.text is required"),
        ({"command": {"text": 42}}, "command.text must be a string"),
        ({"command": {"text": "   "}}, "must not be empty"),
        ({"command": {"text": "SELECT 1", "executionMode": "read"}}, "executionMode must be one of reader, nonQuery, scalar"),
        ({"command": {"text": "SELECT 1", "type": "proc"}}, "command.type must be one of"),
        ({"command": {"text": "SELECT 1", "parameters": {}}}, "parameters must be an array"),
        ({"command": {"text": "SELECT 1", "parameters": [1]}}, "parameters[0] must be an object"),
        ({"command": {"text": "SELECT 1", "parameters": [{"name": "@a", "value": 5}]}}, "parameters[0].value must be a string or null"),
        ({"command": {"text": "SELECT 1", "parameters": [{"name": "@a", "type": "Integer"}]}}, "parameters[0].type must be one of"),
        ({"command": {"text": "SELECT 1", "parameters": [{"name": "@a", "direction": "in"}]}}, "parameters[0].direction"),
        ({"command": {"text": "SELECT 1", "parameters": [{"value": "1"}]}}, "parameters[0].name is required"),
        ({"command": {"text": "SELECT 1", "parameters": [{"name": "@a", "size": -1}]}}, "parameters[0].size"),
        ({"command": {"text": "SELECT 1"}, "maxTimeInQueue": -1}, "maxTimeInQueue must be from 0 to 60000"),
        ({"command": {"text": "SELECT 1"}, "maxTimeInQueue": 60001}, "maxTimeInQueue must be from 0 to 60000"),
        ({"command": {"text": "SELECT 1"}, "maxTimeInQueue": "1000"}, "maxTimeInQueue must be an integer"),
        ({"command": {"text": "SELECT 1"}, "maxTimeInQueue": 1.5}, "whole number"),
        ({"command": {"text": "SELECT 1"}, "maxTimeInQueue": True}, "maxTimeInQueue must be an integer"),
        ({"command": {"text": "SELECT 1"}, "catalogue": 7}, "catalogue must be a string"),
    ],
)
def test_invalid_bodies_are_400_with_a_message_naming_the_field(halo, body, fragment):
    assert_general_error(halo.immediate(body=body), 400, fragment)


@pytest.mark.parametrize("value", [0, 60000, 15000.0])
def test_max_time_in_queue_bounds_are_inclusive(halo, value):
    response = halo.immediate(body={"command": {"text": "SELECT 1 AS x"}, "maxTimeInQueue": value})
    assert response.status_code == 200
    assert response.json()["maxTimeInQueue"] == int(value)


def post_raw(client, halo, content: bytes, content_type: str | None):
    token = halo.token()
    headers = halo.headers(token)
    if content_type:
        headers["Content-Type"] = content_type
    return client.post(f"/device/sites/{SITE}/queries/immediate", content=content, headers=headers)


def test_malformed_json_is_400(client, halo):
    assert_general_error(post_raw(client, halo, b'{"command": {', "application/json"), 400, "not valid JSON")


def test_json_that_is_not_an_object_is_400(client, halo):
    assert_general_error(post_raw(client, halo, b"[1, 2]", "application/json"), 400, "must be a JSON object")


def test_empty_body_is_400(client, halo):
    assert_general_error(post_raw(client, halo, b"", "application/json"), 400, "empty")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(client, halo, content_type):
    assert_general_error(post_raw(client, halo, b'{"command":{"text":"SELECT 1"}}', content_type), 415)


def test_json_with_charset_is_accepted(client, halo):
    response = post_raw(client, halo, b'{"command":{"text":"SELECT 1 AS x"}}', "application/json; charset=utf-8")
    assert response.status_code == 200


def test_oversize_body_is_413_without_harm(client, halo, emulator):
    limit = emulator.settings.max_request_bytes
    text = "SELECT 1 AS x --" + "x" * limit
    assert_general_error(post_raw(client, halo, json.dumps({"command": {"text": text}}).encode(), "application/json"), 413)
    assert halo.immediate("SELECT 1 AS x").status_code == 200


def test_invalid_utf8_json_is_400(client, halo):
    assert_general_error(post_raw(client, halo, b'{"command":{"text":"\xff"}}', "application/json"), 400)


def test_runaway_query_is_stopped_with_a_504_and_the_site_keeps_working(halo, monkeypatch):
    import mock_halo.sql.engines.sqlite.engine as engine_module

    # The engine counts SQLite VM steps; lower its budget so the test is quick.
    monkeypatch.setattr(engine_module, "PROGRESS_LIMIT", 20)
    runaway = ("WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
               "SELECT COUNT(*) AS c FROM n")
    assert_general_error(halo.immediate(runaway), 504, "more than 30 seconds")
    monkeypatch.setattr(engine_module, "PROGRESS_LIMIT", 100_000)
    assert halo.rows("SELECT COUNT(*) AS n FROM BPS_Patients")[0]["n"] > 0

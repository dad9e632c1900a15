"""The Integrator API (`/integrator/sites/{siteId}/...`) over HTTP: the subscription key alone,
as Azure API Management takes it, and the same operations as the Device/Desktop APIs (one query
store, one clock), plus the two only it has: batch status and streamed result pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import KEY, OTHER_SITE, SITE, UNPAIRED_SITE, assert_general_error, decode_rows
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import DEFAULT_SECONDARY_KEY, settings_from_mapping
from mock_halo.errors import INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE

BASE = f"/integrator/sites/{SITE}"
AUTH = {"Ocp-Apim-Subscription-Key": KEY}
OTHER_KEY = "b" * 32
REGISTRATION = {"name": "waiting room", "registeredQueryType": "query", "frequency": 60, "duration": 600,
                "registerCommand": {"command": {"text": "SELECT COUNT(*) AS n FROM BPS_Patients"}}}


def immediate(client: TestClient, sql: str, headers: dict[str, str] | None = None, site: str = SITE, **command: Any):
    return client.post(f"/integrator/sites/{site}/queries/immediate", json={"command": {"text": sql, **command}},
                       headers=AUTH if headers is None else headers)


def submit_async(client: TestClient, sql: str, headers: dict[str, str] = AUTH) -> str:
    response = client.post(f"{BASE}/queries/async", json={"command": {"text": sql}}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def advance(client: TestClient, seconds: float) -> None:
    client.post("/_mock/clock/advance", json={"seconds": seconds}).raise_for_status()


# -- the gateway: APIM's subscription key -----------------------------------------------------
def test_the_key_alone_runs_an_immediate_query(client):
    response = immediate(client, "SELECT TOP 2 Firstname FROM BPS_Patients ORDER BY InternalID")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mode"], body["status"], body["siteId"]) == ("immediate", "successful", SITE)
    assert len(decode_rows(body)) == 2


def test_the_key_may_come_as_the_subscription_key_query_parameter(client):
    response = client.post(f"{BASE}/queries/immediate?subscription-key={KEY}", json={"command": {"text": "SELECT 1 AS one"}})
    assert response.status_code == 200, response.text
    assert decode_rows(response.json()) == [{"one": 1}]


def test_the_secondary_key_is_the_same_integrator(client):
    first = immediate(client, "SELECT 1 AS one").json()
    response = client.get(f"{BASE}/queries/{first['id']}", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SECONDARY_KEY})
    assert response.status_code == 200, response.text
    assert response.json()["integratorId"] == first["integratorId"]


@pytest.mark.parametrize("headers,message", [
    ({}, MISSING_KEY_MESSAGE),
    ({"Ocp-Apim-Subscription-Key": "0" * 32}, INVALID_KEY_MESSAGE),
])
def test_a_missing_or_invalid_key_is_apims_401(client, headers, message):
    for response in (immediate(client, "SELECT 1 AS one", headers=headers),
                     client.get(f"{BASE}/fhir/R4/metadata", headers=headers),
                     client.post(f"{BASE}/queries/status", json={"queryIds": []}, headers=headers)):
        error = assert_general_error(response, 401)
        assert error["message"] == message


def test_a_device_token_does_not_open_the_integrator_api(client, halo):
    response = immediate(client, "SELECT 1 AS one", headers=halo.headers(halo.token()))
    assert_general_error(response, 401, "missing subscription key")


def test_apim_style_gateway_errors_when_configured():
    with TestClient(create_app(settings_from_mapping({"clock": "virtual", "patients": 20, "gateway_style": "apim"}))) as client:
        response = immediate(client, "SELECT 1 AS one", headers={})
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": MISSING_KEY_MESSAGE}


# -- data-level authorisation -----------------------------------------------------------------------
def test_a_site_without_an_active_pairing_is_403_and_an_unknown_one_404(client):
    assert_general_error(immediate(client, "SELECT 1 AS one", site=UNPAIRED_SITE), 403, "active pairing")
    assert_general_error(immediate(client, "SELECT 1 AS one", site="00000000-0000-4000-8000-000000000000"), 404)


@pytest.fixture
def two_integrators():
    settings = settings_from_mapping({
        "clock": "virtual", "patients": 20, "page_size_bytes": 256,
        "sites": [{"id": SITE, "name": "Shared"}, {"id": OTHER_SITE, "name": "Only A's"}],
        "integrators": [
            {"name": "A", "subscription_keys": [KEY, DEFAULT_SECONDARY_KEY], "sites": [SITE, OTHER_SITE]},
            {"name": "B", "subscription_keys": [OTHER_KEY], "sites": [SITE]},
        ],
    })
    with TestClient(create_app(settings)) as client:
        yield client


def test_another_integrators_queries_are_404_and_not_found_in_a_batch(two_integrators):
    client, theirs = two_integrators, {"Ocp-Apim-Subscription-Key": OTHER_KEY}
    query_id = submit_async(client, "SELECT TOP 20 Firstname, Surname FROM BPS_Patients")
    registered = client.post(f"{BASE}/queries/registered", json=REGISTRATION, headers=AUTH).json()["id"]
    advance(client, 120)
    assert client.get(f"{BASE}/queries/{query_id}/results/1/stream", headers=AUTH).status_code == 200
    for path in (f"/queries/{query_id}", f"/queries/{query_id}/results/1", f"/queries/{query_id}/results/1/stream",
                 f"/queries/registered/{registered}", f"/queries/registered/{registered}/results"):
        assert_general_error(client.get(BASE + path, headers=theirs), 404, "not found")
    assert_general_error(client.delete(f"{BASE}/queries/registered/{registered}", headers=theirs), 404)
    batch = client.post(f"{BASE}/queries/status", json={"queryIds": [query_id]}, headers=theirs)
    assert batch.json() == {"results": [{"queryId": query_id, "status": "notFound"}]}
    assert client.get(f"{BASE}/queries/registered", headers=theirs).json() == {"registeredQueries": []}
    # B is not paired with A's other site at all.
    assert_general_error(immediate(client, "SELECT 1 AS one", headers=theirs, site=OTHER_SITE), 403)


# -- one domain: the same store and clock as the Device API -----------------------------------------
def test_a_query_made_through_the_device_api_is_the_integrators_own(client, halo):
    device = halo.immediate("SELECT 7 AS seven").json()
    response = client.get(f"{BASE}/queries/{device['id']}", headers=AUTH)
    assert response.status_code == 200 and decode_rows(response.json()) == [{"seven": 7}]


def test_a_stored_procedure_runs_as_on_the_device_api(client):
    response = immediate(client, "BP_GetAllUsers", type="storedProcedure")
    assert response.status_code == 200, response.text
    assert decode_rows(response.json()) and "UserID" in decode_rows(response.json())[0]


def test_sql_errors_answer_the_failed_query_record(client):
    response = immediate(client, "SELECT nope FROM BPS_Patientz")
    assert response.status_code == 400
    assert response.json()["errorDetails"]["errorCode"] == 208


def test_registration_answers_202_as_the_integrator_document_says(client, halo):
    response = client.post(f"{BASE}/queries/registered", json=REGISTRATION, headers=AUTH)
    assert response.status_code == 202, response.text
    query_id = response.json()["id"]
    # The Device API answers the same request 201.
    device = client.post(f"/device/sites/{SITE}/queries/registered", json=REGISTRATION, headers=halo.headers(halo.token()))
    assert device.status_code == 201
    advance(client, 10)
    result = client.get(f"{BASE}/queries/registered/{query_id}/results", headers=AUTH)
    assert result.status_code == 200, result.text
    counted = decode_rows(immediate(client, REGISTRATION["registerCommand"]["command"]["text"]).json())
    assert json.loads(base64.b64decode(result.json()["data"])) == counted
    assert client.delete(f"{BASE}/queries/registered/{query_id}", headers=AUTH).status_code == 204
    assert client.get(f"{BASE}/queries/registered/{query_id}", headers=AUTH).json()["status"] == "cancelled"


# -- streamed result pages (halo-facts 6.7) -----------------------------------------------------------------
def test_a_streamed_page_is_the_pages_rows_as_json_with_the_page_headers(two_integrators):
    client = two_integrators
    sql = "SELECT TOP 20 InternalID, Firstname FROM BPS_Patients ORDER BY InternalID"
    query_id = submit_async(client, sql)
    advance(client, 120)
    query = client.get(f"{BASE}/queries/{query_id}", headers=AUTH).json()
    pages = query["result"]["pages"]
    assert query["status"] == "successful" and len(pages) > 1, query
    streamed: list[dict[str, Any]] = []
    for page in pages:
        plain = client.get(f"{BASE}/queries/{query_id}/results/{page['pageNumber']}", headers=AUTH)
        stream = client.get(f"{BASE}/queries/{query_id}/results/{page['pageNumber']}/stream", headers=AUTH)
        assert stream.status_code == 200, stream.text
        assert stream.headers["content-type"] == "application/json"
        assert stream.content == base64.b64decode(plain.json()["data"])
        for name in ("Size", "Rows-Count", "Rows-Range-Start", "Rows-Range-End"):
            assert stream.headers[name] == plain.headers[name]
        assert int(stream.headers["Rows-Count"]) == page["rows"]["count"] == len(stream.json())
        streamed += stream.json()
    assert streamed == decode_rows(immediate(client, sql).json())


def test_streamed_pages_answer_404_400_and_410_like_plain_pages(client):
    query_id = submit_async(client, "SELECT 1 AS one")
    assert_general_error(client.get(f"{BASE}/queries/{query_id}/results/1/stream", headers=AUTH), 404)
    assert_general_error(client.get(f"{BASE}/queries/{query_id}/results/0/stream", headers=AUTH), 400, "pageNumber")
    advance(client, 60)
    assert client.get(f"{BASE}/queries/{query_id}/results/1/stream", headers=AUTH).json() == [{"one": 1}]
    advance(client, 86_400)  # past retention (~24 h), before the record itself is forgotten
    response = client.get(f"{BASE}/queries/{query_id}/results/1/stream", headers=AUTH)
    assert_general_error(response, 410, "permanently no longer available")


def test_a_non_query_streams_an_empty_array(client):
    response = client.post(f"{BASE}/queries/async", headers=AUTH, json={
        "command": {"text": "UPDATE PATIENTS SET FIRSTNAME = FIRSTNAME WHERE INTERNALID = 1", "executionMode": "nonQuery"}})
    advance(client, 60)
    stream = client.get(f"{BASE}/queries/{response.json()['id']}/results/1/stream", headers=AUTH)
    assert stream.status_code == 200 and stream.json() == []


# -- batch status (halo-facts 6.8) ----------------------------------------------------------------------------
def test_batch_status_answers_each_id_in_order(client):
    done = immediate(client, "SELECT 1 AS one").json()["id"]
    pending = submit_async(client, "SELECT 2 AS two")
    unknown = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    response = client.post(f"{BASE}/queries/status", json={"queryIds": [pending, unknown, done, pending]}, headers=AUTH)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["queryId"], r["status"]) for r in results] == [
        (pending, "found"), (unknown, "notFound"), (done, "found"), (pending, "found")]
    assert "query" not in results[1]
    assert results[0]["query"] == client.get(f"{BASE}/queries/{pending}", headers=AUTH).json()
    assert results[0]["query"]["status"] == "initialising" and results[2]["query"]["mode"] == "immediate"
    advance(client, 60)
    again = client.post(f"{BASE}/queries/status", json={"queryIds": [pending]}, headers=AUTH).json()
    assert again["results"][0]["query"]["status"] == "successful"


def test_batch_status_of_no_ids_is_an_empty_list(client):
    response = client.post(f"{BASE}/queries/status", json={"queryIds": []}, headers=AUTH)
    assert response.status_code == 200 and response.json() == {"results": []}


def test_a_query_of_another_site_is_not_found_in_a_sites_batch(client):
    query_id = immediate(client, "SELECT 1 AS one", site=OTHER_SITE).json()["id"]
    response = client.post(f"{BASE}/queries/status", json={"queryIds": [query_id]}, headers=AUTH)
    assert response.json()["results"] == [{"queryId": query_id, "status": "notFound"}]


@pytest.mark.parametrize("body,fragment", [
    ({}, "queryIds is required"),
    ({"queryIds": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}, "queryIds is required"),
    ({"queryIds": [1]}, "queryIds[0] must be a query id"),
    ({"queryIds": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "not-a-guid"]}, "queryIds[1] must be a query id"),
    ({"queryIds": ["{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}"]}, "queryIds[0]"),
    ({"queryIds": ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"] * 1001}, "at most 1000"),
])
def test_a_bad_batch_is_400_naming_the_field(client, body, fragment):
    assert_general_error(client.post(f"{BASE}/queries/status", json=body, headers=AUTH), 400, fragment)


def test_a_batch_that_is_not_json_is_415_and_other_methods_405(client):
    response = client.post(f"{BASE}/queries/status", content=b"queryIds=x", headers={
        **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert_general_error(response, 415)
    response = client.get(f"{BASE}/queries/status", headers=AUTH)
    assert_general_error(response, 405)
    assert response.headers["Allow"] == "POST"


def test_the_device_api_has_no_batch_status_or_stream(client, halo):
    headers = halo.headers(halo.token())
    query_id = halo.immediate("SELECT 1 AS one").json()["id"]
    response = client.post(f"/device/sites/{SITE}/queries/status", json={"queryIds": [query_id]}, headers=headers)
    assert response.status_code == 405  # POST .../queries/{queryId} is not an operation
    assert_general_error(client.get(f"/device/sites/{SITE}/queries/{query_id}/results/1/stream", headers=headers), 404)


# -- FHIR through the Integrator API ----------------------------------------------------------------------------
def test_fhir_reads_and_searches_with_the_key(client):
    read = client.get(f"{BASE}/fhir/R4/Patient?_count=2", headers=AUTH)
    assert read.status_code == 200, read.text
    bundle = read.json()
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 2
    assert bundle["link"][0]["url"].startswith(f"http://testserver{BASE}/fhir/R4/Patient")
    family = bundle["entry"][0]["resource"]["name"][0]["family"]
    search = client.post(f"{BASE}/fhir/R4/Patient/_search", data={"family": family}, headers=AUTH)
    assert search.status_code == 200 and search.json()["total"] >= 1


def test_the_key_as_a_query_parameter_is_no_fhir_search_parameter(client):
    response = client.get(f"{BASE}/fhir/R4/Patient?_count=1&subscription-key={KEY}")
    assert response.status_code == 200, response.text
    assert "subscription-key" not in json.dumps(response.json()["link"])


# -- which APIs are served -----------------------------------------------------------------------------------
def test_info_and_the_banner_name_every_api_served(client):
    from mock_halo.cli import banner
    from mock_halo.config import load_settings

    info = client.get("/_mock/info").json()
    assert [api["prefix"] for api in info["apis"]] == info["prefixes"] == ["/integrator", "/desktop", "/device"]
    assert "Ocp-Apim-Subscription-Key" in info["apis"][0]["credentials"]
    text = banner(load_settings(env={}), 8080, 0.1)
    for api in info["apis"]:
        assert f"{api['name']}" in text and f"{api['prefix']}/..." in text
    assert f"/integrator/sites/{SITE}/queries/immediate" in text


def test_scenario_rules_and_directives_reach_the_integrator_api(client):
    client.post("/_mock/scenarios", json={"match": {"surface": "fhir", "fhirResource": "Patient"}, "outcome": {"error": 503}})
    assert_general_error(client.get(f"{BASE}/fhir/R4/Patient", headers=AUTH), 503)
    response = immediate(client, "/* mock-halo: error=429 retryAfter=7 */ SELECT 1 AS one")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    journal = client.get("/_mock/journal?status=503").json()["entries"]
    assert [(e["surface"], e["scenarios"]) for e in journal] == [("fhir", ["rule-1"])]


def test_query_surface_rules_reach_batch_status_and_streamed_pages(client):
    query_id = submit_async(client, "SELECT 1 AS one")
    advance(client, 60)
    client.post("/_mock/scenarios", json={"match": {"surface": "query"}, "outcome": {"error": 429, "retryAfter": 3}})
    for response in (client.post(f"{BASE}/queries/status", json={"queryIds": [query_id]}, headers=AUTH),
                     client.get(f"{BASE}/queries/{query_id}/results/1/stream", headers=AUTH)):
        assert_general_error(response, 429)
        assert response.headers["Retry-After"] == "3"
    # Submissions are not the query surface.
    assert immediate(client, "SELECT 1 AS one").status_code == 200


# -- webhooks: queries made through the Integrator API notify like any other ---------------------------------
def test_integrator_queries_send_signed_webhooks(client):
    from mock_halo.clock import parse_timestamp
    from mock_halo.config import DEFAULT_INTEGRATOR_ID
    from mock_halo.pytest_plugin import WebhookReceiver

    receiver = WebhookReceiver()
    try:
        client.put(f"/_mock/webhooks/config/{DEFAULT_INTEGRATOR_ID}",
                   json={"url": receiver.url + "/{source}/{queryId}", "secret": "s3cret"}).raise_for_status()
        query_id = submit_async(client, "SELECT 1 AS one")
        registered = client.post(f"{BASE}/queries/registered", json=REGISTRATION, headers=AUTH).json()["id"]
        advance(client, 30)
        assert client.post("/_mock/webhooks/flush", json={"timeout": 10}).json()["settled"]
        got = sorted(receiver.wait(2), key=lambda hook: hook.json()["webhookSource"])
    finally:
        receiver.close()
    assert [(hook.path.rsplit("/", 2)[-2:], hook.json()["siteId"]) for hook in got] == [
        (["async", query_id], SITE), (["registered", registered], SITE)]
    now = parse_timestamp(client.get("/_mock/clock").json()["now"])
    for hook in got:
        hook.verify("s3cret", now=now)

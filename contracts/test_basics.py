"""Basic contract: tokens, immediate queries, query status, FHIR reads, error envelopes.

Every test here runs against any target (in-process emulator, a running
emulator, a real Halo Cloud) and only reads: immediate/async ``SELECT 1`` and
FHIR searches touch no practice data. Checks rest on Halo's documented shapes
(halo-facts 1.3, 5, 6, 10, 13); emulator-only inferences are marked as such.
"""

from __future__ import annotations

import uuid

import pytest

from mock_halo.contract.checks import (
    check_error,
    check_execution_failed,
    check_immediate_success,
    check_operation_outcome,
    json_body,
)
from mock_halo.contract.target import GRANTS, INTEGRATOR, Target

ASYNC_STATUSES = {
    "initialising", "initialisationFailedCacheError", "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable",
    "queued", "expiredInQueue", "executing", "executionFailed", "uploading", "uploadFailed", "successful",
}


def immediate(target: Target, sql: str, **command):
    return target.client().post(
        target.path("/queries/immediate"), json={"command": {"text": sql, **command}}, headers=target.auth_headers()
    )


# -- tokens (halo-facts 1.3) -----------------------------------------------------------------
def test_token_is_issued_for_the_subscription_key(target: Target) -> None:
    response = target.token_request()
    assert response.status_code == 200, response.text
    body = json_body(response)
    assert isinstance(body.get("access_token"), str) and body["access_token"], body
    assert isinstance(body.get("token_type"), str) and body["token_type"], body
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, body


def test_token_with_a_wrong_subscription_key_is_401(target: Target) -> None:
    response = target.token_request(key="0" * 32)
    check_error(response, 401)


def test_token_without_a_subscription_key_is_401(target: Target) -> None:
    response = target.client().post(
        "/integrator/token", data={"grant_type": target.grant_type, "device_id": target.device_id, "site_id": target.site_id}
    )
    check_error(response, 401)


def test_token_for_a_site_that_is_not_paired_is_refused(target: Target) -> None:
    response = target.token_request(site_id=str(uuid.uuid4()))
    check_error(response, (403, 404))


def test_token_request_that_is_not_a_form_is_415(target: Target) -> None:
    response = target.client().post(
        "/integrator/token",
        json={"grant_type": target.grant_type, "device_id": target.device_id, "site_id": target.site_id},
        headers={"Ocp-Apim-Subscription-Key": target.subscription_key},
    )
    # Halo documents 415 without a body shape (halo-facts 10.2).
    assert response.status_code == 415, response.text


def test_query_call_with_an_invalid_bearer_token_is_401(target: Target) -> None:
    # On the Integrator API the credential is the key: a wrong one is the gateway's 401.
    broken = {"Ocp-Apim-Subscription-Key": "0" * 32} if target.api == INTEGRATOR else {"Authorization": "Bearer not-a-token"}
    response = target.client().post(
        target.path("/queries/immediate"),
        json={"command": {"text": "SELECT 1 AS one"}},
        headers={**target.auth_headers(), **broken},
    )
    check_error(response, 401)


# -- immediate queries (halo-facts 5) -------------------------------------------------------------
def test_immediate_select_returns_its_rows(target: Target) -> None:
    response = immediate(target, "SELECT 1 AS one, 'a' AS letter")
    assert response.status_code == 200, response.text
    rows = check_immediate_success(json_body(response), target.site_id)
    assert rows == [{"one": 1, "letter": "a"}]


def test_immediate_malformed_sql_is_a_400(target: Target) -> None:
    response = immediate(target, "SELEC 1 FROM")
    # 400 for a SQL error is our inference (halo-facts 5.3); Halo documents only "a real HTTP error code".
    if target.kind == "halo":
        assert 400 <= response.status_code < 500, response.text
    else:
        assert response.status_code == 400, response.text
    body = json_body(response)
    # Documented as oneOf: the general envelope or ExecutionFailedImmediateQuery.
    if "error" in body:
        check_error(response, response.status_code)
    else:
        details = check_execution_failed(body)
        assert details["errorType"] == "mssql" or target.kind == "halo", details


# -- query status (halo-facts 6) -----------------------------------------------------------------------
def test_status_of_an_unknown_query_is_404(target: Target) -> None:
    response = target.client().get(target.path(f"/queries/{uuid.uuid4()}"), headers=target.auth_headers())
    check_error(response, 404)


def test_async_query_status_can_be_read_back(target: Target) -> None:
    created = target.client().post(
        target.path("/queries/async"), json={"command": {"text": "SELECT 1 AS one"}}, headers=target.auth_headers()
    )
    assert created.status_code == 201, created.text
    body = json_body(created)
    assert body["mode"] == "async" and body["status"] == "initialising", body
    assert "initialising" in body["statusTiming"], body
    status = target.client().get(target.path(f"/queries/{body['id']}"), headers=target.auth_headers())
    assert status.status_code == 200, status.text
    polled = json_body(status)
    assert polled["id"] == body["id"] and polled["mode"] == "async", polled
    assert polled["status"] in ASYNC_STATUSES, polled


# -- FHIR (halo-facts 13) ------------------------------------------------------------------------------------
def test_fhir_capability_statement(target: Target) -> None:
    response = target.client().get(target.path("/fhir/R4/metadata"), headers=target.auth_headers())
    assert response.status_code == 200, response.text
    body = json_body(response)
    assert body["resourceType"] == "CapabilityStatement", body
    assert body["fhirVersion"] == "4.0.1", body
    assert body["rest"][0]["mode"] == "server", body


def test_fhir_patient_search_is_a_searchset_of_patients(target: Target) -> None:
    response = target.client().get(target.path("/fhir/R4/Patient?_count=2"), headers=target.auth_headers())
    assert response.status_code == 200, response.text
    body = json_body(response)
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset", body
    entries = body.get("entry", [])
    assert len(entries) <= 2, len(entries)
    for entry in entries:
        assert entry["resource"]["resourceType"] == "Patient", entry
        assert isinstance(entry["resource"].get("id"), str), entry


def test_fhir_read_of_an_unknown_patient_is_an_operation_outcome(target: Target) -> None:
    response = target.client().get(target.path(f"/fhir/R4/Patient/{uuid.uuid4()}"), headers=target.auth_headers())
    # Bp Premier ids are numbers: a real Halo may call a GUID id malformed (400) rather than unknown.
    check_operation_outcome(response, (400, 404) if target.kind == "halo" else 404)


# -- emulator-only ------------------------------------------------------------------------------------------------------
def test_both_api_prefixes_answer_with_their_own_grant(target: Target) -> None:
    if target.kind == "halo":
        pytest.skip("a real Halo serves only the Desktop API prefix (halo-facts 2)")
    other = "desktop" if target.api != "desktop" else "device"
    token = target.client().post(
        "/integrator/token",
        data={"grant_type": GRANTS[other], "device_id": target.device_id, "site_id": target.site_id},
        headers={"Ocp-Apim-Subscription-Key": target.subscription_key},
    )
    assert token.status_code == 200, token.text
    response = target.client().post(
        f"/{other}/sites/{target.site_id}/queries/immediate",
        json={"command": {"text": "SELECT 2 AS two"}},
        headers={"Authorization": f"Bearer {token.json()['access_token']}", "DeviceId": target.device_id},
    )
    assert response.status_code == 200, response.text
    assert check_immediate_success(response.json(), target.site_id) == [{"two": 2}]


@pytest.mark.needs_control
def test_a_token_stops_working_once_it_expires(target: Target) -> None:
    issued = target.token_request()
    assert issued.status_code == 200, issued.text
    body = issued.json()
    headers = {"Authorization": f"Bearer {body['access_token']}", "DeviceId": target.device_id}
    url = target.token_path("/queries/immediate")
    assert target.client().post(url, json={"command": {"text": "SELECT 1 AS one"}}, headers=headers).status_code == 200
    target.control().advance(body["expires_in"] + 1)
    check_error(target.client().post(url, json={"command": {"text": "SELECT 1 AS one"}}, headers=headers), 401)

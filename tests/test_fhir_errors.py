"""FHIR errors (OperationOutcome), metadata, auth and site availability."""

from __future__ import annotations

import pytest
from conftest import OTHER_SITE, SITE, assert_general_error
from fhir_support import Fhir, assert_outcome


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


def test_metadata_lists_exactly_the_supported_resources_and_parameters(fhir, emulator):
    body = fhir.ok("metadata")
    assert body["id"] == SITE
    assert body["publisher"] == "Halo Connect Pty Ltd"
    assert body["software"]["name"] == "BP/Halo FHIR Server"
    assert body["fhirVersion"] == "4.0.1" and body["kind"] == "instance"
    assert body["format"] == ["application/fhir+json", "application/json"]
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    patient = resources["Patient"]
    assert patient["supportedProfile"] == ["http://hl7.org.au/fhir/StructureDefinition/au-patient"]
    assert {i["code"] for i in patient["interaction"]} == {"read", "search-type", "create", "update"}
    assert {p["name"] for p in patient["searchParam"]} >= {"_id", "identifier", "name", "family", "given",
                                                         "birthdate", "gender", "phone", "email"}
    assert patient["searchRevInclude"] == ["Condition:patient"]
    # every advertised search parameter is accepted
    for resource in resources.values():
        for param in resource["searchParam"]:
            value = {"date": "ge2000", "reference": "1", "token": "1"}.get(param["type"], "a")
            window = ""
            if resource["type"] == "Slot":  # Slot searches need a bounded start window; statuses are codes
                window = "&start=ge2026-01-05&start=lt2026-01-06"
                value = "free" if param["name"] == "status" else value
            fhir.ok(f"{resource['type']}?{param['name']}={value}&_count=1{window}")


def test_metadata_does_not_touch_the_database(fhir, emulator):
    site = emulator.site(SITE)
    assert site._engine is None
    fhir.ok("metadata")
    assert site._engine is None


@pytest.mark.parametrize("path,status,code,fragment", [
    ("Patient/999999", 404, "not-found", "Resource Patient/999999 is not known"),
    ("Patient/abc", 404, "not-found", "Patient/abc"),
    ("Foo", 404, "not-supported", "Unable to parse Resource URL"),
    ("Foo/1", 404, "not-supported", "Unable to parse Resource URL"),
    ("Patient?bogus=1", 400, "not-supported", "Unknown search parameter \"bogus\""),
    ("Patient?birthdate=1990-13-01", 400, "invalid", "1990-13-01"),
    ("Patient?birthdate=xx1990", 400, "invalid", "birthdate"),
    ("Patient?birthdate=19900101", 400, "invalid", "birthdate"),
    ("Patient?_count=-1", 400, "invalid", "_count"),
    ("Patient?_sort=height", 400, "invalid", "height"),
    ("Patient?family:fuzzy=a", 400, "invalid", ":fuzzy"),
    ("Patient?_revinclude=Observation:patient", 400, "invalid", "Observation:patient"),
    ("Patient/1/$everything", 400, "not-supported", "$everything"),
    ("Patient/1/_history", 400, "not-supported", "history"),
    ("Condition?patient=abc", 400, "invalid", "abc"),
])
def test_errors_are_operation_outcomes(fhir, path, status, code, fragment):
    assert_outcome(fhir.get(path), status, code, fragment)


def test_post_search_errors(fhir):
    assert_outcome(fhir.post_search("Foo", {"a": "b"}), 404, "not-supported", "Foo")
    assert_outcome(fhir.post_search("Patient", {"nope": "1"}), 400, "not-supported", "nope")
    response = fhir.halo.client.post(fhir.base + "Patient/_search", content=b'{"family":"a"}',
                                     headers={**fhir.headers, "Content-Type": "application/json"})
    assert_outcome(response, 415, "not-supported", "application/x-www-form-urlencoded")


def test_auth_rules_are_the_sql_endpoints(halo, client):
    base = f"/device/sites/{SITE}/fhir/R4/"
    assert_general_error(client.get(base + "Patient/1"), 401)
    assert_general_error(client.post(base + "Patient/_search", data={"family": "a"}), 401)
    other = halo.headers(halo.token(OTHER_SITE))
    assert_general_error(client.get(base + "Patient/1", headers=other), 403)
    assert_general_error(client.post(base + "Patient/_search", data={"a": "b"}, headers=other), 403)


@pytest.mark.parametrize("state,status", [("offline", 503), ("unreachable", 504)])
def test_site_availability(fhir, emulator, state, status):
    emulator.set_availability(SITE, state)
    assert_general_error(fhir.get("metadata"), status)
    assert_general_error(fhir.post_search("Patient", {"family": "a"}), status)


def test_desktop_prefix_serves_fhir_too(halo):
    token = halo.token(grant="urn:halo-connect:oauth:desktop-token")
    response = halo.client.get(f"/desktop/sites/{SITE}/fhir/R4/Patient/1", headers=halo.headers(token))
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Patient"

"""The media type of FHIR answers (halo-facts 13.1): `application/json`, what Halo's documents
give, unless the client asks for FHIR's own `application/fhir+json` through `Accept` or
`_format` (which wins); the same on every API and for errors; XML is not served (406)."""

from __future__ import annotations

import pytest
from conftest import KEY, SITE

from mock_halo.media import FHIR_DEFAULT, NotAcceptable, fhir_answer_type

INTEGRATOR = f"/integrator/sites/{SITE}/fhir/R4"
AUTH = {"Ocp-Apim-Subscription-Key": KEY}


def kind(response) -> str:
    return response.headers["content-type"].split(";")[0]


@pytest.mark.parametrize("accept,expected", [
    (None, "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("application/json", "application/json"),
    ("application/fhir+json", "application/fhir+json"),
    ("application/fhir+json; fhirVersion=4.0", "application/fhir+json"),
    ("application/json;q=0.5, application/fhir+json", "application/fhir+json"),
    ("application/fhir+json;q=0.2, */*;q=0.8", "application/json"),
    ("application/fhir+json, application/json", "application/fhir+json"),
    ("application/fhir+xml", "application/json"),  # nothing served is asked for: JSON anyway
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"),
    ("application/fhir+json;q=0", "application/json"),
])
def test_accept_picks_the_answer_type(accept, expected):
    assert fhir_answer_type(accept) == expected


@pytest.mark.parametrize("format_,expected", [
    ("json", FHIR_DEFAULT), ("application/json", "application/json"), ("application/fhir+json", "application/fhir+json"),
    ("application/fhir json", "application/fhir+json"),  # an unencoded "+" in the query string
    ("APPLICATION/FHIR+JSON", "application/fhir+json"),
])
def test_format_wins_over_accept(format_, expected):
    assert fhir_answer_type("application/json", format_) == expected


def test_an_empty_format_is_no_format():
    assert fhir_answer_type("application/fhir+json", "") == "application/fhir+json"


@pytest.mark.parametrize("format_", ["xml", "application/fhir+xml", "ttl", "html"])
def test_a_format_not_served_is_not_acceptable(format_):
    with pytest.raises(NotAcceptable):
        fhir_answer_type(None, format_)


@pytest.mark.parametrize("prefix", ["integrator", "desktop", "device"])
def test_every_api_answers_json_unless_asked_for_fhir_json(client, halo, prefix):
    headers = AUTH if prefix == "integrator" else halo.headers(halo.token())
    base = f"/{prefix}/sites/{SITE}/fhir/R4"
    assert kind(client.get(f"{base}/Patient?_count=1", headers=headers)) == "application/json"
    fhir = client.get(f"{base}/Patient?_count=1", headers={**headers, "Accept": "application/fhir+json"})
    assert kind(fhir) == "application/fhir+json" and fhir.json()["resourceType"] == "Bundle"
    searched = client.post(f"{base}/Patient/_search?_format=application/fhir%2Bjson", data={"_count": "1"}, headers=headers)
    assert kind(searched) == "application/fhir+json" and searched.status_code == 200
    assert fhir.headers["content-type"].endswith("charset=utf-8")


def test_format_inside_the_fhir_parameters_path_counts_too(client):
    response = client.get(f"{INTEGRATOR}/Patient%3F_count%3D1%26_format%3Dapplication%2Ffhir%2Bjson", headers=AUTH)
    assert response.status_code == 200 and kind(response) == "application/fhir+json"


def test_errors_answer_in_the_type_asked_for(client):
    plain = client.get(f"{INTEGRATOR}/Patient/99999", headers=AUTH)
    assert (plain.status_code, kind(plain), plain.json()["resourceType"]) == (404, "application/json", "OperationOutcome")
    fhir = client.get(f"{INTEGRATOR}/Patient/99999", headers={**AUTH, "Accept": "application/fhir+json"})
    assert (fhir.status_code, kind(fhir)) == (404, "application/fhir+json")


def test_a_format_not_served_is_a_406_operation_outcome(client):
    response = client.get(f"{INTEGRATOR}/Patient?_format=xml", headers=AUTH)
    assert response.status_code == 406 and kind(response) == "application/json"
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported" and "JSON only" in issue["details"]["text"]


def test_rule_errors_on_the_fhir_surface_follow_accept(client):
    client.post("/_mock/scenarios", json={"match": {"surface": "fhir"}, "outcome": {"error": 429, "retryAfter": 2}})
    response = client.get(f"{INTEGRATOR}/metadata", headers={**AUTH, "Accept": "application/fhir+json"})
    assert (response.status_code, kind(response), response.headers["Retry-After"]) == (429, "application/fhir+json", "2")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_writes_answer_in_the_type_asked_for(client):
    patient = {"resourceType": "Patient", "name": [{"use": "official", "family": "Media", "given": ["Mia"]}]}
    created = client.post(f"{INTEGRATOR}/Patient", json=patient, headers=AUTH)
    assert created.status_code == 201 and kind(created) == "application/json"
    updated = client.put(f"{INTEGRATOR}/Patient/{created.json()['id']}", json={**patient, "id": created.json()["id"]},
                         headers={**AUTH, "Accept": "application/fhir+json"})
    assert updated.status_code == 200 and kind(updated) == "application/fhir+json"

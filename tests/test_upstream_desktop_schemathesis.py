"""schemathesis over Halo's own published Desktop OpenAPI document (26.619), in-process.

The emulator must honour the document Halo publishes, not only our own contract: every
operation under /desktop (and the token endpoint), every built-in check, no failure. Each
generated request is authenticated and aimed at a real site; positive cases carry SQL that runs
against the fake Bp database and FHIR URLs the facade serves (tests/upstream_support.py).

Where Halo's document is incomplete or self-contradictory, the document is corrected before the
run (tests/upstream_support.py: each correction a named function with its reason, each listed in
the README's fidelity table). A correction that no longer changes anything (Halo fixed the
document) fails `test_every_correction_still_applies`, so the list cannot go stale.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import schemathesis
from conftest import DEVICE, KEY, SITE, make_settings
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from starlette.testclient import TestClient
from upstream_support import (
    NO_INFERENCE, UPSTREAM, WorkflowRules, check_corrections, corrected, excluded_checks, prepare_site_case,
    query_links, with_links,
)

from mock_halo.app import create_app
from mock_halo.contract.cases import mutated_headers, negative_at

UPSTREAM_DESKTOP = UPSTREAM / "halo-desktop-openapi-26.619.json"
DESKTOP_GRANT = "urn:halo-connect:oauth:desktop-token"
SITE_PATHS = "/desktop/sites/{siteId}"


@cache
def _upstream_text() -> str:
    return UPSTREAM_DESKTOP.read_text(encoding="utf-8")


def test_every_correction_still_applies():
    check_corrections(_upstream_text(), [], SITE_PATHS)


# -- the run --------------------------------------------------------------------------------

APP = create_app(make_settings())
CONTROL = TestClient(APP)  # the control plane, to move the virtual clock


def desktop_token() -> str:
    response = CONTROL.post(
        "/integrator/token",
        data={"grant_type": DESKTOP_GRANT, "device_id": DEVICE, "site_id": SITE},
        headers={"Ocp-Apim-Subscription-Key": KEY},
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


#: The credentials generated requests carry; renewed per stateful scenario, whose clock moves
#: (a long run would otherwise outlive the token's hour).
CREDENTIALS = {"token": desktop_token()}
LINKS = query_links(registered_created="201")
schema = schemathesis.openapi.from_dict(with_links(corrected(_upstream_text(), [], SITE_PATHS), LINKS),
                                        config=NO_INFERENCE)
schema.app = APP


def prepare(case) -> dict[str, str]:
    """Aim at the real site and give positive cases input that runs; the credentials to send.

    Credentials go with the call (not into the case) so that schemathesis knows them for real ones:
    its `ignored_auth` check then repeats the call without them and with made-up ones and expects
    401/403.
    """
    if case.operation.path == "/integrator/token":
        wanted = {"Ocp-Apim-Subscription-Key": KEY}
        if not negative_at(case, ParameterLocation.BODY) and isinstance(case.body, dict):
            case.body = {**case.body, "grant_type": DESKTOP_GRANT, "device_id": DEVICE, "site_id": SITE}
    else:
        prepare_site_case(case, SITE)
        wanted = {"Authorization": f"Bearer {CREDENTIALS['token']}", "DeviceId": DEVICE}
    broken = mutated_headers(case)
    return {name: value for name, value in wanted.items() if name.lower() not in broken}


def test_the_run_covers_every_upstream_operation():
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "POST /integrator/token" in labels
    assert len([label for label in labels if label.split()[1].startswith("/desktop/")]) == 11
    assert len(labels) == 12


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_emulator_honours_halos_desktop_document(case):
    response = case.call_and_validate(headers=prepare(case), excluded_checks=excluded_checks(case))
    assert response.status_code < 500, response.text


class UpstreamWorkflow(WorkflowRules, schema.as_state_machine()):
    """The stateful phase over LINKS: registered create -> get / results -> cancel, async and
    immediate -> status -> page; `ensure_resource_availability` runs here."""

    def setup(self) -> None:
        CONTROL.post("/_mock/reset")  # each scenario starts from a clean emulator, whatever ran before
        CREDENTIALS["token"] = desktop_token()
        self.cancelled: set[str] = set()

    def advance(self, seconds: float) -> None:
        CONTROL.post("/_mock/clock/advance", json={"seconds": seconds})

    def get_call_kwargs(self, case) -> dict[str, Any]:
        return {"headers": prepare(case)}


def test_the_stateful_phase_follows_the_declared_links():
    assert schema.statistic.transitions.total == sum(len(targets) for targets in LINKS.values())


TestUpstreamWorkflow = UpstreamWorkflow.TestCase
TestUpstreamWorkflow.settings = settings(
    max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)

@pytest.mark.parametrize("literal", ["registered", "immediate", "async"])
def test_a_query_id_naming_a_sibling_path_stays_a_get_query_call(literal):
    # The run once drew queryId "registered" for getQuery (hypothesis mixes in constants from the
    # code): GET .../queries/registered is the registered-query list, validated against getQuery's
    # schema; "immediate" and "async" are POST-only paths (405). The case is kept on getQuery.
    operation = schema["/desktop/sites/{siteId}/queries/{queryId}"]["GET"]
    case = operation.Case(path_parameters={"siteId": SITE, "queryId": literal})
    response = case.call_and_validate(headers=prepare(case), excluded_checks=excluded_checks(case))
    assert response.status_code == 404, response.text


# -- the emulator fixes this run found (each failed before its fix) --------------------------

from conftest import assert_general_error  # noqa: E402


@pytest.mark.parametrize("operation", ["immediate", "async", "registered"])
def test_a_post_without_any_body_is_400_not_415(client, halo, operation):
    # Halo's query operations document no 415: a missing body is a bad request. A body of
    # another media type stays 415 (tests/test_immediate_http.py).
    response = client.post(f"/desktop/sites/{SITE}/queries/{operation}",
                           headers=halo.headers(halo.token(grant=DESKTOP_GRANT)))
    assert_general_error(response, 400, "empty")


def test_registration_accepts_whole_numbers_written_with_a_fraction(client, halo):
    body = {"name": "x", "registeredQueryType": "query", "frequency": 300.0, "duration": 600.0,
            "registerCommand": {"command": {"text": "SELECT 1 AS one"}}}
    headers = halo.headers(halo.token())
    response = client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=headers)
    assert response.status_code == 201, response.text
    record = client.get(f"/device/sites/{SITE}/queries/registered/{response.json()['id']}", headers=headers).json()
    assert (record["frequency"], record["duration"]) == (300, 600)
    assert type(record["frequency"]) is int
    fractional = {**body, "frequency": 300.5}
    response = client.post(f"/device/sites/{SITE}/queries/registered", json=fractional, headers=headers)
    assert_general_error(response, 400, "frequency")


def test_a_fhir_url_with_an_encoded_line_break_reaches_the_fhir_facade(client, halo):
    response = client.get(f"/desktop/sites/{SITE}/fhir/R4/Patient%0Ax", headers=halo.headers(halo.token()))
    assert response.status_code == 404, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_other_methods_on_fhir_search_are_405_allowing_post(client, halo):
    headers = halo.headers(halo.token())
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.request(method, f"/desktop/sites/{SITE}/fhir/R4/Patient/_search", headers=headers)
        assert_general_error(response, 405)
        assert response.headers["Allow"] == "GET, HEAD, POST"  # GET: read as `Patient/_search` FHIR URL


def test_allow_names_every_route_serving_the_path(client, halo):
    # `fhir/R4/Patient` is served by the create route (POST) and the read route (GET).
    response = client.request("OPTIONS", f"/desktop/sites/{SITE}/fhir/R4/Patient", headers=halo.headers(halo.token()))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"
    # A method a 405 route takes first is not advertised (GET on .../queries/async).
    response = client.request("OPTIONS", f"/desktop/sites/{SITE}/queries/async")
    assert response.headers["Allow"] == "POST"


def test_search_parameters_inside_the_fhir_parameters_path_are_read(client, halo):
    # Halo's document makes `Patient?family=...` one path parameter: a generated client encodes `?`.
    headers = halo.headers(halo.token())
    plain = client.get(f"/desktop/sites/{SITE}/fhir/R4/Patient?_count=2&_sort=birthdate", headers=headers)
    encoded = client.get(f"/desktop/sites/{SITE}/fhir/R4/Patient%3F_count%3D2%26_sort%3Dbirthdate", headers=headers)
    assert plain.status_code == encoded.status_code == 200, encoded.text
    ids = [[entry["resource"]["id"] for entry in r.json()["entry"]] for r in (plain, encoded)]
    assert ids[0] == ids[1] and len(ids[0]) == 2
    assert encoded.json()["total"] == plain.json()["total"]
    bad = client.get(f"/desktop/sites/{SITE}/fhir/R4/Patient%3Fnosuchparam%3D1", headers=headers)
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


def test_a_write_to_a_read_only_fhir_type_is_405_with_allow(client, halo):
    headers = halo.headers(halo.token())
    for method, url in (("POST", "Practitioner"), ("PUT", "Practitioner/1")):
        response = client.request(method, f"/desktop/sites/{SITE}/fhir/R4/{url}", headers=headers,
                                  content=b'{"resourceType": "Practitioner"}')
        assert response.status_code == 405 and response.json()["resourceType"] == "OperationOutcome"
        assert response.headers["Allow"] == "GET, HEAD"


def test_integers_past_64_bits_are_400_and_break_nothing(client, halo):
    # Found by this run in a different order: a registration with a 21-digit frequency was
    # stored, and every later listing failed with 500; a huge parameter size crashed the 400.
    headers = halo.headers(halo.token())
    huge = 10**20
    body = {"name": "x", "registeredQueryType": "query", "frequency": huge, "duration": 600,
            "registerCommand": {"command": {"text": "SELECT 1 AS one"}}}
    assert_general_error(client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=headers),
                         400, "frequency")
    body = {**body, "frequency": 2_147_483_648}
    assert_general_error(client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=headers),
                         400, "frequency")
    listing = client.get(f"/device/sites/{SITE}/queries/registered", headers=headers)
    assert listing.status_code == 200 and listing.json() == {"registeredQueries": []}
    parameter = {"name": "@x", "type": "Int", "value": "1", "direction": "input", "size": huge}
    response = halo.immediate(body={"command": {"text": "SELECT @x AS a", "parameters": [parameter]}})
    assert_general_error(response, 400, "size", str(huge))

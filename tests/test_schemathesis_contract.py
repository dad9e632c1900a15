"""The selection and preparation rules of contracts/test_schemathesis.py, without a target.

What a read-only target (a real Halo) is sent must never include a write, and every query it
runs must be a SELECT from the suite's pool: these are checked here on the real document.
"""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace

import pytest
import schemathesis

from contracts import test_schemathesis as suite
from mock_halo import resources

WRITES = {"createAsyncQuery", "createRegisteredQuery", "cancelRegisteredQuery", "createFhirResource",
          "updateFhirResource"}


def fake_target(api: str, read_only: bool) -> SimpleNamespace:
    return SimpleNamespace(
        api=api, read_only=read_only, kind="halo" if read_only else "inprocess", subscription_key="key",
        site_id="b0586976-33f4-4d47-bc77-821ee9f45e34", device_id="device", grant_type=f"grant-{api}",
        auth_headers=lambda: {"Authorization": "Bearer t", "DeviceId": "device"},
    )


def selected(api: str, read_only: bool) -> set[str]:
    pattern = re.compile(suite._operation_ids(fake_target(api, read_only)))
    ids = [op["operationId"] for item in resources.contract()["paths"].values()
           for method, op in item.items() if method in ("get", "post", "put", "delete")]
    return {operation_id for operation_id in ids if pattern.match(operation_id)}


def test_a_writable_target_gets_every_operation_of_its_prefix():
    device, desktop = selected("device", False), selected("desktop", False)
    assert len(device) == len(desktop) == 1 + 13
    assert "obtainToken" in device and not any(i.startswith("desktop") for i in device)
    assert all(i.startswith("desktop") for i in desktop - {"obtainToken"})
    assert WRITES <= device


@pytest.mark.parametrize("api", ["device", "desktop"])
def test_a_read_only_target_gets_no_write(api):
    ids = selected(api, True)
    bare = {i.removeprefix("desktop") for i in ids}
    bare = {i[0].lower() + i[1:] for i in bare}
    assert bare == {"obtainToken", "createImmediateQuery", "getQuery", "getResultPage", "getFhirQuery",
                    "postFhirSearch", "getRegisteredQueries", "getRegisteredQuery", "getRegisteredQueryResult"}
    assert not bare & WRITES


def _case(path: str, method: str, body):
    schema = schemathesis.openapi.from_dict(resources.contract())
    operation = schema[path][method]
    return operation.Case(body=body, path_parameters={"siteId": "x"}, media_type="application/json")


def test_valid_immediate_input_sent_to_a_read_only_target_is_a_select_from_the_pool():
    body = {"command": {"text": "DELETE FROM PATIENTS", "executionMode": "nonQuery", "type": "text",
                        "parameters": [{"name": "@x", "value": "1"}]}, "catalogue": "Other"}
    case = _case("/desktop/sites/{siteId}/queries/immediate", "POST", body)
    target = fake_target("desktop", True)
    headers = suite.prepare(case, target)
    command = case.body["command"]
    assert command["text"] in suite.READ_SQL and command["text"].startswith("SELECT")
    assert command["executionMode"] == "reader" and "parameters" not in command
    assert "catalogue" not in case.body
    assert case.path_parameters["siteId"] == target.site_id
    assert headers == target.auth_headers()


def test_a_stored_procedure_case_calls_a_procedure_from_the_pool():
    case = _case("/device/sites/{siteId}/queries/async", "POST", {"command": {"text": "x", "type": "storedProcedure"}})
    suite.prepare(case, fake_target("device", False))
    assert case.body["command"]["text"] in suite.PROCEDURES


def test_a_search_with_a_json_body_is_a_documented_415():
    # The FHIR facade answers it with an OperationOutcome in application/fhir+json; the contract
    # listed the general envelope in application/json only (content-type check failed).
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                   status_code_conformance)
    from starlette.testclient import TestClient

    from mock_halo.app import create_app
    from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY, load_settings

    app = create_app(load_settings(env={}, overrides={"clock": "virtual", "patients": 10}))
    site = DEFAULT_SITE_IDS[0]
    with TestClient(app) as client:
        token = client.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
                            data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d",
                                  "site_id": site}).json()["access_token"]
        schema = schemathesis.openapi.from_dict(resources.contract())
        schema.app = app
        case = schema["/device/sites/{siteId}/fhir/R4/{resource}/_search"]["POST"].Case(
            path_parameters={"siteId": site, "resource": "Patient"}, body={"given": "x"}, media_type="application/json")
        response = case.call(headers={"Authorization": f"Bearer {token}", "DeviceId": "d"})
        assert response.status_code == 415
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                                 response_schema_conformance])


def test_preparing_a_case_leaves_the_generated_body_as_it_was():
    # hypothesis can hand the same body object out again (a schema example); edited in place,
    # later cases would start from the edited body and the same choices would send other
    # requests (FlakyStrategyDefinition in the stateful phase).
    generated = {"command": {"text": "x", "type": "text", "parameters": [{"name": "@a", "value": "1"}]},
                 "catalogue": "Other", "maxTimeInQueue": 5}
    snapshot = copy.deepcopy(generated)
    for path in ("/device/sites/{siteId}/queries/async", "/device/sites/{siteId}/queries/immediate"):
        case = _case(path, "POST", generated)
        suite.prepare(case, fake_target("device", False))
        assert case.body["command"]["text"] in suite.READ_SQL and "catalogue" not in case.body
        assert generated == snapshot

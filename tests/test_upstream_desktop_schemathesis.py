"""schemathesis over Halo's own published Desktop OpenAPI document (26.619), in-process.

The emulator must honour the document Halo publishes, not only our own contract: every
operation under /desktop (and the token endpoint), every built-in check, no failure. Each
generated request is authenticated and aimed at a real site; positive cases carry SQL that runs
against the fake Bp database (a schema-valid but meaningless SQL string is rightly refused by
Halo with 400, which schemathesis' positive-data check cannot know).

Where Halo's document is incomplete or self-contradictory, the document is corrected before the
run, each correction a named function below with its reason; every one is listed in the README's
fidelity table. A correction that no longer changes anything (Halo fixed the document) fails
`test_every_correction_still_applies`, so the list cannot go stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import DEVICE, KEY, SITE, make_settings
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method, use_after_free
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.contract.cases import make_runnable, mutated_headers, negative_at

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_DESKTOP = ROOT / "contracts" / "upstream" / "halo-desktop-openapi-26.619.json"


DESKTOP_GRANT = "urn:halo-connect:oauth:desktop-token"
SITE_PATHS = "/desktop/sites/{siteId}"

#: SQL that runs on the fake Bp database, for the positive cases of the SQL operations.
READER_SQL = (
    "SELECT TOP 5 Firstname, Surname FROM BPS_Patients ORDER BY InternalID",
    "SELECT COUNT(*) AS patients FROM BPSPatients.dbo.PATIENTS",
    "SELECT TOP 3 AppointmentDate, AppointmentTime, Status FROM BPS_Appointments",
    "SELECT 1 AS one, N'two' AS two, GETDATE() AS now",
)
#: FHIR URLs the facade serves, for the positive cases of the FHIR read/search operation.
FHIR_URLS = ("metadata", "Patient", "Patient/1", "Patient?family=smi&_count=3", "Practitioner", "Organization/1")
#: Search forms for the positive cases of POST `_search` (on Patient).
FHIR_FORMS = ({"given": "john"}, {"birthdate": "ge1980-01-01", "_sort": "birthdate"}, {"_count": "2"})
#: Stored procedures of the fake Bp database that take no parameters.
PROCEDURES = ("BP_GetAllUsers", "BP_GetAppointmentBookUsers")


# -- corrections to Halo's document ---------------------------------------------------------

Correction = Callable[[dict[str, Any]], bool]
CORRECTIONS: list[Correction] = []


def correction(func: Correction) -> Correction:
    CORRECTIONS.append(func)
    return func


def _operations(doc: dict[str, Any]):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield path, method, operation


def _json_body_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


@correction
def request_bodies_are_required(doc: dict[str, Any]) -> bool:
    """Token, immediate, async and registered create do not mark their body `required`; a request
    without one cannot be served (Halo's own descriptions call the fields required), so the emulator
    answers 400 and schemathesis must not count a body-less request as valid."""
    changed = False
    for _, method, operation in _operations(doc):
        body = operation.get("requestBody")
        if method == "post" and body is not None and not body.get("required"):
            body["required"] = True
            changed = True
    return changed


@correction
def registration_limits_are_keywords(doc: dict[str, Any]) -> bool:
    """Registered create: `duration` "up to 86400 seconds" is only prose, `frequency` has no lower
    bound and `name`, `registerCommand.command` and `command.text` are not required; the emulator
    enforces halo-facts 7.1 (a non-blank name, frequency >= 60 s and an Int32, duration 1..86400 s,
    a command with SQL text)."""
    schema = _json_body_schema(doc, f"{SITE_PATHS}/queries/registered")
    props = schema["properties"]
    before = json.dumps(schema, sort_keys=True)
    props["name"] = {**props["name"], "pattern": r"\S"}
    props["frequency"] = {**props["frequency"], "minimum": 60, "maximum": 2_147_483_647}  # a .NET Int32
    props["duration"] = {**props["duration"], "minimum": 1, "maximum": 86400}
    register = props["registerCommand"]
    register["required"] = sorted(set(register.get("required", [])) | {"command"})
    command = register["properties"]["command"]
    command["required"] = sorted(set(command.get("required", [])) | {"text"})
    return json.dumps(schema, sort_keys=True) != before


def _admits_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind) or {"type": "null"} in schema.get("anyOf", [])


def _nullable_optionals(node: Any, required: frozenset[str] = frozenset()) -> bool:
    """Let every optional property under ``node`` be null; True when something changed."""
    changed = False
    if isinstance(node, dict):
        if "allOf" in node:  # `required` may sit in a sibling of the branch declaring the property
            required = required | {name for part in node["allOf"] for name in part.get("required", [])}
        required = required | set(node.get("required", []))
        for name, prop in list(node.get("properties", {}).items()):
            changed |= _nullable_optionals(prop)
            if name not in required and not _admits_null(prop):
                node["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
                changed = True
        for key in ("allOf", "anyOf", "oneOf"):
            for part in node.get(key, []):
                changed |= _nullable_optionals(part, required if key == "allOf" else frozenset())
        if isinstance(node.get("items"), dict):
            changed |= _nullable_optionals(node["items"])
    return changed


@correction
def optional_request_fields_accept_null(doc: dict[str, Any]) -> bool:
    """Optional JSON request fields are not declared nullable; the emulator accepts `null` for them
    and treats it as absent, as .NET clients serialise unset properties (README fidelity: "Optional
    request fields may be null"). Without this, a `null` would count as data to reject."""
    changed = False
    for _, _, operation in _operations(doc):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            changed |= _nullable_optionals(content["application/json"]["schema"])
    return changed


def _is_loose_object(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A branch any JSON object satisfies (an object schema that requires nothing)."""
    while "$ref" in schema:
        schema = _resolve(doc, schema["$ref"])
    return schema.get("type") == "object" and not schema.get("required") and "allOf" not in schema


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


@correction
def ambiguous_unions_are_any_of(doc: dict[str, Any]) -> bool:
    """Several responses are a `oneOf` with a branch that requires no property, which every object
    matches: errors of the SQL operations ([general envelope, failed query]), FHIR bodies
    ([resource, bundle], [resource, envelope]) and the result page ([query result, non-query
    result]). A real body then matches two branches, which `oneOf` forbids; Halo means "one of
    these shapes": `anyOf`."""
    changed = False
    for _, _, operation in _operations(doc):
        for response in operation["responses"].values():
            for content in response.get("content", {}).values():
                schema = content.get("schema", {})
                branches = schema.get("oneOf")
                if branches and len(branches) > 1 and any(_is_loose_object(doc, b) for b in branches):
                    schema["anyOf"] = schema.pop("oneOf")
                    changed = True
    return changed


@correction
def get_query_also_reads_immediate_queries(doc: dict[str, Any]) -> bool:
    """`getQuery` documents only async records (`mode: async`); Halo's seed reference notes that the
    status of an immediate query read this way carries its result inline (halo-facts 6.5), so the
    emulator answers an immediate query's id with its immediate record."""
    ok = doc["paths"][f"{SITE_PATHS}/queries/{{queryId}}"]["get"]["responses"]["200"]["content"]["application/json"]
    immediate = [{"$ref": "#/components/schemas/SuccessfulImmediateQuery"},
                 {"$ref": "#/components/schemas/ExecutionFailedImmediateQuery"}]
    if "anyOf" in ok["schema"] or any(_is_loose_object(doc, ref) for ref in immediate):
        return False
    ok["schema"] = {"anyOf": [ok["schema"], *immediate]}
    return True


@cache
def _upstream_text() -> str:
    return UPSTREAM_DESKTOP.read_text(encoding="utf-8")


def corrected_upstream() -> dict[str, Any]:
    doc = json.loads(_upstream_text())
    doc["servers"] = [{"url": "/"}]  # in-process: the emulator, not api.haloconnect.io
    for fix in CORRECTIONS:
        fix(doc)
    return doc


def test_every_correction_still_applies():
    for fix in CORRECTIONS:
        doc = json.loads(_upstream_text())
        assert fix(doc), f"{fix.__name__} no longer changes Halo's document: drop it (and its README row)"
        assert not fix(doc), f"{fix.__name__} is not idempotent"


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

#: Links Halo's document does not declare (schemathesis' own inference guesses the site id from a
#: query id): the flows of our contract (contracts/openapi.yaml), by Halo's operationIds.
ID_FROM_BODY = {"siteId": "$request.path.siteId", "queryId": "$response.body#/id"}
LINKS = {
    ("createAsyncQuery", "201"): {"getQuery": ID_FROM_BODY},
    ("createImmediateQuery", "200"): {"getQuery": ID_FROM_BODY},
    ("getQuery", "200"): {"getResultPage": {**ID_FROM_BODY, "pageNumber": "$response.body#/result/pages/0/pageNumber"}},
    ("createRegisteredQuery", "201"): {
        "getRegisteredQuery": ID_FROM_BODY, "getRegisteredQueryResult": ID_FROM_BODY, "cancelRegisteredQuery": ID_FROM_BODY,
    },
}


def with_links(doc: dict[str, Any]) -> dict[str, Any]:
    by_id = {operation["operationId"]: operation for _, _, operation in _operations(doc)}
    for (source, status), targets in LINKS.items():
        response = by_id[source]["responses"][status]
        assert "links" not in response, f"Halo's document now links {source}: use its links"
        response["links"] = {target: {"operationId": target, "parameters": dict(params)} for target, params in targets.items()}
    return doc


NO_INFERENCE = SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})
schema = schemathesis.openapi.from_dict(with_links(corrected_upstream()), config=NO_INFERENCE)
schema.app = APP










def prepare(case) -> dict[str, str]:
    """Aim at the real site and give positive SQL cases SQL that runs; the credentials to send.

    Credentials go with the call (not into the case) so that schemathesis knows them for real ones:
    its `ignored_auth` check then repeats the call without them and with made-up ones and expects
    401/403.
    """
    if case.operation.path == "/integrator/token":
        wanted = {"Ocp-Apim-Subscription-Key": KEY}
        if not negative_at(case, ParameterLocation.BODY) and isinstance(case.body, dict):
            case.body = {**case.body, "grant_type": DESKTOP_GRANT, "device_id": DEVICE, "site_id": SITE}
    else:
        case.path_parameters = {**(case.path_parameters or {}), "siteId": SITE}
        wanted = {"Authorization": f"Bearer {CREDENTIALS['token']}", "DeviceId": DEVICE}
        pick = len(json.dumps([case.body, case.path_parameters], default=str))
        if case.operation.path.endswith("{fhirParameters}") and not negative_at(case, ParameterLocation.PATH):
            case.path_parameters["fhirParameters"] = FHIR_URLS[pick % len(FHIR_URLS)]
        if case.operation.path.endswith("/_search") and not negative_at(case, ParameterLocation.PATH) and not negative_at(case, ParameterLocation.BODY):
            case.path_parameters["resource"] = "Patient"
            case.body = dict(FHIR_FORMS[pick % len(FHIR_FORMS)])
        body = case.body
        if not negative_at(case, ParameterLocation.BODY) and isinstance(body, dict) and "/queries" in case.operation.path:
            body.pop("catalogue", None)
            if isinstance(body.get("command"), dict):
                make_runnable(body["command"], pick, READER_SQL, PROCEDURES)
            register = body.get("registerCommand")
            if isinstance(register, dict) and isinstance(register.get("command"), dict):
                make_runnable(register["command"], pick, READER_SQL, PROCEDURES)
    broken = mutated_headers(case)
    return {name: value for name, value in wanted.items() if name.lower() not in broken}


def test_the_run_covers_every_upstream_operation():
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "POST /integrator/token" in labels
    assert len([label for label in labels if label.split()[1].startswith("/desktop/")]) == 11
    assert len(labels) == 12


def excluded_checks(case) -> list:
    """The checks one operation is exempt from, each with its reason (README fidelity table)."""
    if "/fhir/R4/" in case.operation.path:
        # The emulator also serves FHIR Patient create (POST fhir/R4/{resource}) and update (PUT
        # fhir/R4/{resource}/{id}) (halo-facts 13.2; update added in 26.0430), and reads GET
        # fhir/R4/{type}/_search as a search; 26.619's document lists none of them, and its
        # `{fhirParameters}`/`_search` templates cover those paths. So a method the document does
        # not declare there can rightly succeed (no 405), and an OPTIONS there rightly answers an
        # `Allow` naming more methods than the document knows. Every other check runs.
        return [allow_header_conformance, unsupported_method]
    return []


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_emulator_honours_halos_desktop_document(case):
    response = case.call_and_validate(headers=prepare(case), excluded_checks=excluded_checks(case))
    assert response.status_code < 500, response.text



class UpstreamWorkflow(schema.as_state_machine()):
    """The stateful phase over LINKS: registered create -> get / results -> cancel, async and
    immediate -> status -> page; `ensure_resource_availability` runs here. The emulator's clock
    moves 5 s before each status read, so async queries get somewhere.

    `use_after_free` is replaced: it assumes a DELETE removes the resource, but cancelling a
    registered query leaves it readable with status `cancelled` (halo-facts 7.5; [SEED], [INT]).
    `after_call` checks exactly that instead.
    """

    def setup(self) -> None:
        CONTROL.post("/_mock/reset")  # each scenario starts from a clean emulator, whatever ran before
        CREDENTIALS["token"] = desktop_token()
        self.cancelled: set[str] = set()

    def get_call_kwargs(self, case) -> dict[str, Any]:
        return {"headers": prepare(case)}

    def before_call(self, case) -> None:
        if case.operation.path.endswith("/queries/{queryId}"):
            CONTROL.post("/_mock/clock/advance", json={"seconds": 5})

    def after_call(self, response, case) -> None:
        super().after_call(response, case)
        query_id = (case.path_parameters or {}).get("queryId")
        if case.method == "DELETE" and response.status_code == 204:
            self.cancelled.add(query_id)
        if case.operation.path.endswith("/registered/{queryId}") and case.method == "GET" and query_id in self.cancelled:
            assert response.status_code != 404, response.text  # cancelled, not gone
            if response.status_code == 200:
                assert response.json()["status"] == "cancelled", response.text

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
        case.validate_response(response, additional_checks=additional_checks,
                               excluded_checks=[*excluded_checks(case), use_after_free],
                               transport_kwargs=kwargs or None, recorder=self.recorder)


def test_the_stateful_phase_follows_the_declared_links():
    assert schema.statistic.transitions.total == sum(len(targets) for targets in LINKS.values())


TestUpstreamWorkflow = UpstreamWorkflow.TestCase
TestUpstreamWorkflow.settings = settings(
    max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
    suppress_health_check=list(HealthCheck),
)

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

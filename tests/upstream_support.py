"""What the schemathesis runs over Halo's own published documents share (Desktop and Integrator 26.619).

Halo's documents are incomplete or self-contradictory in places; each is corrected before a run,
every correction a named function with its reason (each listed in the README's fidelity table).
A correction is ``fix(doc, site_paths) -> bool`` (True when it changed the document), so the
same correction serves ``/desktop/sites/{siteId}`` and ``/integrator/sites/{siteId}``; one that no
longer changes anything (Halo fixed the document) fails the documents' `test_every_correction_still_applies`.

Also here: the links Halo's documents do not declare (the flows of our contract), the positive-case
preparation of the query and FHIR operations (real SQL, real FHIR URLs) and the stateful workflow's
shared behaviour (a fresh emulator per scenario, the clock moving before each status read,
cancelled registered queries staying readable).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method, use_after_free

from mock_halo.contract.cases import make_runnable, negative_at

UPSTREAM = Path(__file__).resolve().parents[1] / "contracts" / "upstream"

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

NO_INFERENCE = SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})

# -- corrections to Halo's documents ---------------------------------------------------------

Correction = Callable[[dict[str, Any], str], bool]
#: Corrections every document needs, in order.
COMMON: list[Correction] = []


def correction(func: Correction) -> Correction:
    COMMON.append(func)
    return func


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield path, method, operation


def _json_body_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


@correction
def request_bodies_are_required(doc: dict[str, Any], site_paths: str) -> bool:
    """Token, immediate, async, registered create and batch status do not mark their body `required`;
    a request without one cannot be served (Halo's own descriptions call the fields required), so the
    emulator answers 400 and schemathesis must not count a body-less request as valid."""
    changed = False
    for _, method, operation in operations(doc):
        body = operation.get("requestBody")
        if method == "post" and body is not None and not body.get("required"):
            body["required"] = True
            changed = True
    return changed


@correction
def registration_limits_are_keywords(doc: dict[str, Any], site_paths: str) -> bool:
    """Registered create: `duration` "up to 86400 seconds" is only prose, `frequency` has no lower
    bound and `name`, `registerCommand.command` and `command.text` are not required; the emulator
    enforces halo-facts 7.1 (a non-blank name, frequency >= 60 s and an Int32, duration 1..86400 s,
    a command with SQL text)."""
    schema = _json_body_schema(doc, f"{site_paths}/queries/registered")
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
def optional_request_fields_accept_null(doc: dict[str, Any], site_paths: str) -> bool:
    """Optional JSON request fields are not declared nullable; the emulator accepts `null` for them
    and treats it as absent, as .NET clients serialise unset properties (README fidelity: "Optional
    request fields may be null"). Without this, a `null` would count as data to reject."""
    changed = False
    for _, _, operation in operations(doc):
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
def ambiguous_unions_are_any_of(doc: dict[str, Any], site_paths: str) -> bool:
    """Several responses are a `oneOf` with a branch that requires no property, which every object
    matches: errors of the SQL operations ([general envelope, failed query]), FHIR bodies
    ([resource, bundle], [resource, envelope]) and the result page ([query result, non-query
    result]). A real body then matches two branches, which `oneOf` forbids; Halo means "one of
    these shapes": `anyOf`."""
    changed = False
    for _, _, operation in operations(doc):
        for response in operation["responses"].values():
            for content in response.get("content", {}).values():
                schema = content.get("schema", {})
                branches = schema.get("oneOf")
                if branches and len(branches) > 1 and any(_is_loose_object(doc, b) for b in branches):
                    schema["anyOf"] = schema.pop("oneOf")
                    changed = True
    return changed


IMMEDIATE_RECORDS = [{"$ref": "#/components/schemas/SuccessfulImmediateQuery"},
                     {"$ref": "#/components/schemas/ExecutionFailedImmediateQuery"}]


def _also_immediate(doc: dict[str, Any], holder: dict[str, Any], key: str) -> bool:
    """``holder[key]`` (an async-query schema) also admits the immediate query records."""
    if "anyOf" in holder[key] or any(_is_loose_object(doc, ref) for ref in IMMEDIATE_RECORDS):
        return False
    holder[key] = {"anyOf": [holder[key], *IMMEDIATE_RECORDS]}
    return True


@correction
def get_query_also_reads_immediate_queries(doc: dict[str, Any], site_paths: str) -> bool:
    """`getQuery` (and the Integrator API's batch status) documents only async records (`mode:
    async`); Halo's seed reference notes that the status of an immediate query read this way carries
    its result inline (halo-facts 6.5), so the emulator answers an immediate query's id with its
    immediate record."""
    ok = doc["paths"][f"{site_paths}/queries/{{queryId}}"]["get"]["responses"]["200"]["content"]["application/json"]
    changed = _also_immediate(doc, ok, "schema")
    batch = doc["paths"].get(f"{site_paths}/queries/status")
    if batch is not None:
        result = batch["post"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["results"]
        changed |= _also_immediate(doc, result["items"]["properties"], "query")
    return changed


def corrected(text: str, extra: list[Correction], site_paths: str) -> dict[str, Any]:
    """The document in ``text`` with every correction applied, served from the emulator itself."""
    doc = json.loads(text)
    doc["servers"] = [{"url": "/"}]  # in-process: the emulator, not api.haloconnect.io
    for fix in (*COMMON, *extra):
        fix(doc, site_paths)
    return doc


def check_corrections(text: str, extra: list[Correction], site_paths: str) -> None:
    """Every correction still changes the document, and only once (idempotent)."""
    for fix in (*COMMON, *extra):
        doc = json.loads(text)
        assert fix(doc, site_paths), f"{fix.__name__} no longer changes Halo's document: drop it (and its README row)"
        assert not fix(doc, site_paths), f"{fix.__name__} is not idempotent"


# -- links -------------------------------------------------------------------------------------------

#: Links Halo's documents do not declare (schemathesis' own inference guesses the site id from a
#: query id): the flows of our contract (contracts/openapi.yaml), by Halo's operationIds.
ID_FROM_BODY = {"siteId": "$request.path.siteId", "queryId": "$response.body#/id"}
FIRST_PAGE = {**ID_FROM_BODY, "pageNumber": "$response.body#/result/pages/0/pageNumber"}


def query_links(registered_created: str) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """The query flows: submit -> status -> page; register -> get / results -> cancel."""
    return {
        ("createAsyncQuery", "201"): {"getQuery": ID_FROM_BODY},
        ("createImmediateQuery", "200"): {"getQuery": ID_FROM_BODY},
        ("getQuery", "200"): {"getResultPage": FIRST_PAGE},
        ("createRegisteredQuery", registered_created): {
            "getRegisteredQuery": ID_FROM_BODY, "getRegisteredQueryResult": ID_FROM_BODY,
            "cancelRegisteredQuery": ID_FROM_BODY,
        },
    }


def with_links(doc: dict[str, Any], links: dict[tuple[str, str], dict[str, dict[str, str]]]) -> dict[str, Any]:
    by_id = {operation["operationId"]: operation for _, _, operation in operations(doc)}
    for (source, status), targets in links.items():
        response = by_id[source]["responses"][status]
        assert "links" not in response, f"Halo's document now links {source}: use its links"
        response["links"] = {target: {"operationId": target, "parameters": dict(params)} for target, params in targets.items()}
    return doc


# -- preparing cases -------------------------------------------------------------------------------


def prepare_site_case(case: Any, site: str) -> None:
    """Aim a site operation's case at ``site``; positive SQL cases get SQL that runs, positive FHIR
    cases a URL or form the facade serves (a schema-valid but meaningless SQL string is rightly
    refused by Halo with 400, which schemathesis' positive-data check cannot know)."""
    case.path_parameters = {**(case.path_parameters or {}), "siteId": site}
    keep_on_this_operation(case)
    path_ok, body_ok = not negative_at(case, ParameterLocation.PATH), not negative_at(case, ParameterLocation.BODY)
    pick = len(json.dumps([case.body, case.path_parameters], default=str))
    if case.operation.path.endswith("{fhirParameters}") and path_ok:
        case.path_parameters["fhirParameters"] = FHIR_URLS[pick % len(FHIR_URLS)]
    if case.operation.path.endswith("/_search") and path_ok and body_ok:
        case.path_parameters["resource"] = "Patient"
        case.body = dict(FHIR_FORMS[pick % len(FHIR_FORMS)])
    body = case.body
    if body_ok and isinstance(body, dict) and "/queries" in case.operation.path:
        body.pop("catalogue", None)
        if isinstance(body.get("command"), dict):
            make_runnable(body["command"], pick, READER_SQL, PROCEDURES)
        register = body.get("registerCommand")
        if isinstance(register, dict) and isinstance(register.get("command"), dict):
            make_runnable(register["command"], pick, READER_SQL, PROCEDURES)


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def _is_template(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def keep_on_this_operation(case: Any) -> None:
    """A path parameter whose value is the literal segment of another path of the document (`getQuery`
    with queryId `registered`: `GET .../queries/registered`) makes the request another operation's:
    OpenAPI matches a concrete path before a templated one, and so does the emulator (the registered
    query list). Hypothesis draws such values, since it mixes in constants from the code under test, so
    the run once validated the registered-query list against `getQuery`'s schema (or a 405 from POST-only
    `.../queries/immediate`). Such a value gets a `~` appended: the request stays this operation's, an id
    that names nothing."""
    template = _segments(case.operation.path)
    values = case.path_parameters or {}
    for other in case.operation.schema.raw_schema["paths"]:
        segments = _segments(other)
        if other == case.operation.path or len(segments) != len(template):
            continue
        shadowed = [mine[1:-1] for mine, theirs in zip(template, segments)
                    if _is_template(mine) and not _is_template(theirs)]
        if shadowed and all(_is_template(theirs) or theirs == (values.get(mine[1:-1]) if _is_template(mine) else mine)
                            for mine, theirs in zip(template, segments)):
            for name in shadowed:
                values[name] = f"{values[name]}~"
    case.path_parameters = values


def excluded_checks(case: Any) -> list:
    """The checks one operation is exempt from, each with its reason (README fidelity table)."""
    if "/fhir/R4/" in case.operation.path:
        # The emulator also serves FHIR Patient create (POST fhir/R4/{resource}) and update (PUT
        # fhir/R4/{resource}/{id}) (halo-facts 13.2; update added in 26.0430), and reads GET
        # fhir/R4/{type}/_search as a search; 26.619's documents list none of them, and their
        # `{fhirParameters}`/`_search` templates cover those paths. So a method the document does
        # not declare there can rightly succeed (no 405), and an OPTIONS there rightly answers an
        # `Allow` naming more methods than the document knows. Every other check runs.
        return [allow_header_conformance, unsupported_method]
    return []


class WorkflowRules:
    """Mixed into a document's state machine: `use_after_free` is replaced, because it assumes a
    DELETE removes the resource, but cancelling a registered query leaves it readable with status
    `cancelled` (halo-facts 7.5; [SEED], [INT]); `after_call` checks exactly that instead. The
    emulator's clock moves 5 s before each status read (``advance``), so async queries get somewhere."""

    cancelled: set[str]

    def advance(self, seconds: float) -> None:  # pragma: no cover - each document's workflow says how
        raise NotImplementedError

    def before_call(self, case) -> None:
        if case.operation.path.endswith("/queries/{queryId}"):
            self.advance(5)

    def after_call(self, response, case) -> None:
        super().after_call(response, case)  # type: ignore[misc]
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
                               transport_kwargs=kwargs or None, recorder=self.recorder)  # type: ignore[attr-defined]

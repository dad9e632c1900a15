"""The contract document itself: contracts/openapi.yaml.

Checks that it is a loadable, valid OpenAPI 3.1 document that schemathesis 4 accepts; that it
covers every operation, status enum and limit of Halo's published Desktop document; that its
/device, /desktop and /integrator halves stay identical (but for the key and 202); that its links stay within one prefix; and that
every example in it validates against its own schema (and that broken ones do not).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "contracts" / "openapi.yaml"
UPSTREAM_DESKTOP = ROOT / "contracts" / "upstream" / "halo-desktop-openapi-26.619.json"

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PREFIXES = ("/device/", "/desktop/")
SITE_SECURITY = [{"AuthorizationHeader": [], "DeviceIdHeader": []}]


# -- loading -------------------------------------------------------------------------------


@cache
def _parsed() -> str:
    # Parse once; hand out deep copies (merged YAML nodes share objects, and schemathesis
    # writes inferred links into the dict it is given).
    return json.dumps(yaml.safe_load(CONTRACT.read_text(encoding="utf-8")))


def load() -> dict[str, Any]:
    return json.loads(_parsed())


@cache
def _upstream_text() -> str:
    return UPSTREAM_DESKTOP.read_text(encoding="utf-8")


def upstream() -> dict[str, Any]:
    return json.loads(_upstream_text())


def no_inference() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []}}}})


# -- helpers -------------------------------------------------------------------------------


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """Resolve a local `#/a/b` reference; KeyError/IndexError when it does not resolve."""
    assert ref.startswith("#/"), f"only local references are used, got {ref!r}"
    node: Any = doc
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow $refs, and see through a nullable wrapper (anyOf [schema, {type: null}])."""
    while isinstance(node, dict):
        if "$ref" in node:
            node = pointer(doc, node["$ref"])
            continue
        branches = node.get("anyOf")
        if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
            node = next(b for b in branches if b != {"type": "null"})
            continue
        break
    return node


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def operation_by_id(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, method, op in operations(doc)}


def parameter_names(doc: dict[str, Any], path: str, operation: dict[str, Any]) -> set[str]:
    declared = doc["paths"][path].get("parameters", []) + operation.get("parameters", [])
    return {deref(doc, p)["name"] for p in declared}


def desktop_id(base: str) -> str:
    """The operationId of the /desktop twin of the /device operation ``base``."""
    return "desktop" + base[0].upper() + base[1:]


def integrator_id(base: str) -> str:
    """The operationId of the /integrator twin of the /device operation ``base``."""
    return "integrator" + base[0].upper() + base[1:]


#: Operations only the Integrator API has (path, method) -> our operationId.
INTEGRATOR_ONLY = {
    ("/integrator/sites/{siteId}/queries/status", "post"): "integratorGetQueryStatusBatch",
    ("/integrator/sites/{siteId}/queries/{queryId}/results/{pageNumber}/stream", "get"): "integratorStreamResultPage",
    ("/integrator/sites", "get"): "integratorGetSites",
    ("/integrator/sites/{siteId}", "get"): "integratorGetSite",
    ("/integrator/pair-site", "post"): "integratorPairSite",
    ("/integrator/pairSite", "post"): "integratorPairSiteDeprecated",
}


def prefix_of(path: str) -> str:
    return next((p for p in PREFIXES if path.startswith(p)), "/integrator/")


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A 2020-12 validator for a schema of the document, with its components in reach."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "components": doc["components"]}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def component(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def collect_examples(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """Every (location, schema, value) for the examples of media types and parameters."""
    found = []
    for location, node in walk(doc):
        if not (isinstance(node, dict) and "schema" in node and ("examples" in node or "example" in node)):
            continue
        if "example" in node:
            found.append((f"{location}/example", node["schema"], node["example"]))
        for name, example in (node.get("examples") or {}).items():
            example = deref(doc, example)
            assert "value" in example, f"{location}/examples/{name} has no value"
            found.append((f"{location}/examples/{name}", node["schema"], example["value"]))
    return found


def allowed_statuses(doc: dict[str, Any], variant: dict[str, Any]) -> set[str]:
    """The `status` values one oneOf member of a discriminated union admits."""
    schema = deref(doc, variant)
    allowed: set[str] | None = None
    for part in [schema, *schema.get("allOf", [])]:
        status = deref(doc, part).get("properties", {}).get("status")
        if status is None:
            continue
        status = deref(doc, status)
        values = {status["const"]} if "const" in status else set(status.get("enum", []))
        if values:
            allowed = values if allowed is None else allowed & values
    assert allowed, f"{variant} does not pin down `status`"
    return allowed


# -- the document loads and is valid -------------------------------------------------------


def test_document_is_plain_json_data_after_safe_load():
    raw = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    # No YAML-only values (datetimes, int keys) survive: it serves as /openapi.json unchanged.
    assert json.loads(json.dumps(raw)) == raw
    for location, node in walk(raw):
        if isinstance(node, dict):
            assert all(isinstance(key, str) for key in node), location
    assert raw["openapi"].startswith("3.1.")


def test_info_and_servers():
    doc = load()
    info = doc["info"]
    assert info["title"] == "mock-halo contract: Halo Cloud API for Devices, Desktop Applications and Integrators"
    assert info["version"] == "0.1.0"
    assert info["x-halo-api-version"] == "26.619.10213"
    assert "contract" in info["description"]
    assert [server["url"] for server in doc["servers"]] == ["/"]


def test_schemathesis_loads_and_validates_it():
    doc = load()
    schema = schemathesis.openapi.from_dict(load())
    schema.validate()  # raises on any violation of the OpenAPI 3.1 meta-schema
    labels = {result.ok().label for result in schema.get_all_operations()}  # .ok() raises on a broken operation
    expected = {f"{method.upper()} {path}" for path, method, _ in operations(doc)}
    assert labels == expected
    # token; 13 operations at each of /device, /desktop and /integrator; 6 only the Integrator API has
    assert len(labels) == 1 + 3 * 13 + len(INTEGRATOR_ONLY)


def test_meta_schema_validation_is_live():
    broken = load()
    broken["paths"]["/integrator/token"]["post"]["responses"] = ["not", "a", "map"]
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_reference_resolves():
    doc = load()
    references = [(loc, node["$ref"]) for loc, node in walk(doc) if isinstance(node, dict) and "$ref" in node]
    mappings = [
        (loc, target)
        for loc, node in walk(doc)
        if isinstance(node, dict) and isinstance(node.get("discriminator"), dict)
        for target in node["discriminator"].get("mapping", {}).values()
    ]
    assert len(references) > 200 and len(mappings) > 20
    for location, ref in references + mappings:
        try:
            pointer(doc, ref)
        except (KeyError, IndexError) as exc:
            pytest.fail(f"{location}: {ref} does not resolve ({exc!r})")
    with pytest.raises(KeyError):
        pointer(doc, "#/components/schemas/NoSuchSchema")


@pytest.mark.parametrize("name", sorted(load()["components"]["schemas"]))
def test_component_schemas_are_valid_2020_12_schemas(name):
    schema = load()["components"]["schemas"][name]
    assert jsonschema_rs.meta.is_valid(schema), jsonschema_rs.meta.validate(schema)


def test_no_schema_forbids_additional_properties():
    # Policy: Halo's responses carry undocumented fields and Halo does not document rejecting
    # unknown request fields, so nothing here is closed.
    for location, node in walk(load()):
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, location
            assert node.get("unevaluatedProperties", True) is not False, location


# -- operations, prefixes, ids -------------------------------------------------------------


def test_operation_ids_are_unique_and_follow_the_prefix_scheme():
    doc = load()
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(doc):
        if path.startswith("/desktop/"):
            twin = doc["paths"]["/device/" + path.removeprefix("/desktop/")][method]
            base = twin["operationId"]
            assert op["operationId"] == desktop_id(base)
            assert not base.startswith(("desktop", "device"))


def _without_ids_and_links(operation: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(operation)
    stripped.pop("operationId")
    for response in stripped["responses"].values():
        response.pop("links", None)
    return stripped


def test_desktop_operations_mirror_device_operations():
    doc = load()
    device = {p.removeprefix("/device/"): item for p, item in doc["paths"].items() if p.startswith("/device/")}
    desktop = {p.removeprefix("/desktop/"): item for p, item in doc["paths"].items() if p.startswith("/desktop/")}
    assert device.keys() == desktop.keys() and len(device) == 10
    for tail, item in device.items():
        twin = desktop[tail]
        assert item.keys() == twin.keys(), tail
        assert item.get("parameters") == twin.get("parameters"), tail
        for method in set(item) & set(METHODS):
            assert _without_ids_and_links(item[method]) == _without_ids_and_links(twin[method]), (tail, method)
    twins = {f"/device/{tail}" for tail in device} | {f"/desktop/{tail}" for tail in desktop}
    integrator = {f"/integrator/{tail}" for tail in device} | {path for path, _ in INTEGRATOR_ONLY}
    assert set(doc["paths"]) == {"/integrator/token"} | twins | integrator


def test_integrator_operations_mirror_device_operations_with_the_key_alone():
    doc = load()
    for path, item in doc["paths"].items():
        if not path.startswith("/device/"):
            continue
        twin = doc["paths"]["/integrator/" + path.removeprefix("/device/")]
        assert item.keys() == twin.keys() and item.get("parameters") == twin.get("parameters"), path
        for method in set(item) & set(METHODS):
            ours, theirs = copy.deepcopy(twin[method]), item[method]
            assert ours.pop("security") == [{"SubscriptionKey": []}], (path, method)
            assert ours["operationId"] == integrator_id(theirs["operationId"])
            if path.endswith("/queries/registered") and method == "post":
                # The Integrator API answers a registration 202 (Device and Desktop 201).
                assert "201" not in ours["responses"] and "202" in ours["responses"]
                ours["responses"]["201"] = ours["responses"].pop("202")
                ours["responses"]["201"]["description"] = theirs["responses"]["201"]["description"]
            ours["security"] = theirs["security"]
            assert _without_ids_and_links(ours) == _without_ids_and_links(theirs), (path, method)
    for (path, method), operation_id in INTEGRATOR_ONLY.items():
        operation = doc["paths"][path][method]
        assert operation["operationId"] == operation_id and operation["security"] == [{"SubscriptionKey": []}]


def test_every_upstream_desktop_operation_exists_with_the_same_method_and_path():
    ours = load()
    theirs = upstream()
    upstream_ops = [(path, method) for path, method, _ in operations(theirs)]
    assert len(upstream_ops) == 12
    for path, method in upstream_ops:
        assert method in ours["paths"].get(path, {}), f"{method.upper()} {path} missing"
        if path.startswith("/desktop/"):
            device = "/device/" + path.removeprefix("/desktop/")
            assert method in ours["paths"].get(device, {}), f"{method.upper()} {device} missing"


def test_every_upstream_status_code_is_listed():
    ours = load()
    for path, method, operation in operations(upstream()):
        listed = set(ours["paths"][path][method]["responses"])
        missing = set(operation["responses"]) - listed
        assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"


def test_upstream_operation_ids_are_ours_for_device_and_prefixed_for_desktop():
    ours = load()
    for path, method, operation in operations(upstream()):
        mine = ours["paths"][path][method]["operationId"]
        if path.startswith("/desktop/"):
            base = operation["operationId"]
            assert mine == desktop_id(base)
            assert ours["paths"]["/device/" + path.removeprefix("/desktop/")][method]["operationId"] == base
        else:
            assert mine == operation["operationId"]


# -- enums and limits against upstream -----------------------------------------------------

ENUMS = {
    # label: JSON pointer to a schema with `enum`, the same in our document and in Halo's
    "AsyncQueryStatus": "#/components/schemas/AsyncQueryStatus",
    "RegisteredQueryStatus": "#/components/schemas/RegisteredQueryStatus",
    "RegisteredQuery.status": "#/components/schemas/RegisteredQuery/properties/status",
    "ResultPageStatus": "#/components/schemas/ResultPageStatus",
    "Page.status": "#/components/schemas/Page/properties/status",
    "errorType": "#/components/schemas/ErrorDetails/properties/errorType",
    "Parameter.type": "#/components/schemas/Parameter/properties/type",
    "Parameter.direction": "#/components/schemas/Parameter/properties/direction",
    "executionMode": "#/components/schemas/Command/properties/executionMode",
    "Command.type": "#/components/schemas/Command/properties/type",
    "registeredQueryType": "#/components/schemas/RegisteredQueryPostReq/properties/registeredQueryType",
}


@pytest.mark.parametrize("label", sorted(ENUMS))
def test_enum_equals_upstream(label):
    ours, theirs = load(), upstream()
    mine = deref(ours, pointer(ours, ENUMS[label]))["enum"]
    halo = deref(theirs, pointer(theirs, ENUMS[label]))["enum"]
    assert len(mine) == len(set(mine))
    assert set(mine) == set(halo)


def test_parameter_type_is_the_full_sqldbtype_list():
    values = load()["components"]["schemas"]["ParameterType"]["enum"]
    assert len(values) == 32
    assert {"BigInt", "NVarChar", "UniqueIdentifier", "Structured", "Udt", "Variant", "Xml"} <= set(values)


@pytest.mark.parametrize("command", ["ImmediateCommand", "AsyncCommand"])
def test_max_time_in_queue_bounds_equal_upstream(command):
    ours, theirs = load(), upstream()
    mine = deref(ours, ours["components"]["schemas"][command]["properties"]["maxTimeInQueue"])
    halo_schema = theirs["components"]["schemas"][command]
    halo = (halo_schema.get("allOf") or [halo_schema])[0]["properties"]["maxTimeInQueue"]
    assert (mine["minimum"], mine["maximum"], mine["default"]) == (halo["minimum"], halo["maximum"], halo["default"])
    assert mine["type"] == "integer"


def test_registered_query_limits():
    doc = load()
    req = doc["components"]["schemas"]["RegisteredQueryPostReq"]
    assert req["properties"]["frequency"]["minimum"] == 60
    assert req["properties"]["duration"]["maximum"] == 86400
    assert set(req["required"]) == {"name", "registeredQueryType", "frequency", "duration", "registerCommand"}


# -- discriminated unions ------------------------------------------------------------------


@pytest.mark.parametrize("union", ["AsyncQuery", "ImmediateQuery"])
def test_status_discriminator_maps_every_status_to_the_variant_that_admits_it(union):
    doc = load()
    schema = doc["components"]["schemas"][union]
    statuses = set(doc["components"]["schemas"]["AsyncQueryStatus"]["enum"])
    mapping = schema["discriminator"]["mapping"]
    assert schema["discriminator"]["propertyName"] == "status"
    assert set(mapping) == statuses
    variants = [v["$ref"] for v in schema["oneOf"]]
    assert set(mapping.values()) == set(variants) and len(variants) == len(set(variants))
    for ref in variants:
        admitted = allowed_statuses(doc, {"$ref": ref})
        assert admitted == {s for s, target in mapping.items() if target == ref}, ref


def test_async_union_has_one_variant_per_shape_of_the_status_table():
    doc = load()
    assert len(doc["components"]["schemas"]["AsyncQuery"]["oneOf"]) == 9  # 11 statuses, 3 share one shape


def test_query_is_discriminated_by_mode():
    doc = load()
    query = doc["components"]["schemas"]["Query"]
    assert query["discriminator"]["propertyName"] == "mode"
    assert set(query["discriminator"]["mapping"]) == set(doc["components"]["schemas"]["QueryMode"]["enum"])


# -- examples ------------------------------------------------------------------------------

EXAMPLES = collect_examples(load())


def test_there_are_examples_to_check():
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize(("location", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_validates_against_its_schema(location, schema, value):
    errors = [f"{e.instance_path}: {e.message}" for e in validator(load(), schema).iter_errors(value)]
    assert not errors, "\n".join(errors)


def _example(path: str, method: str, status: str, name: str, media: str = "application/json") -> dict[str, Any]:
    doc = load()
    response = deref(doc, doc["paths"][path][method]["responses"][status])
    return copy.deepcopy(response["content"][media]["examples"][name]["value"])


IMMEDIATE = "/device/sites/{siteId}/queries/immediate"
QUERY = "/device/sites/{siteId}/queries/{queryId}"


def _mutations() -> list[tuple[str, str, Any, bool]]:
    """(label, schema name, instance, valid?) cases that pin the contract's strictness down."""
    ok = _example(IMMEDIATE, "post", "200", "reader")
    failed = _example(IMMEDIATE, "post", "400", "sqlError")
    queued = _example(QUERY, "get", "200", "asyncQueued")
    done = _example(QUERY, "get", "200", "asyncSuccessful")
    cases: list[tuple[str, str, Any, bool]] = [
        ("immediate without result", "SuccessfulImmediateQuery", {k: v for k, v in ok.items() if k != "result"}, False),
        ("immediate with a non-uuid id", "SuccessfulImmediateQuery", {**ok, "id": "query-1"}, False),
        ("immediate with a bad timestamp", "SuccessfulImmediateQuery", {**ok, "createdAt": "yesterday"}, False),
        ("immediate with maxTimeInQueue over 60000", "SuccessfulImmediateQuery",
         {**ok, "maxTimeInQueue": 60001}, False),
        ("immediate with data that is not base64", "SuccessfulImmediateQuery",
         {**ok, "result": {**ok["result"], "data": "e2lk..."}}, False),
        ("immediate with extra fields", "SuccessfulImmediateQuery",
         {**ok, "sqlQuerySize": 1, "somethingNew": True}, True),
        ("immediate with end times", "SuccessfulImmediateQuery",
         {**ok, "statusTiming": {k: {**v, "endTime": v["startTime"]} for k, v in ok["statusTiming"].items()}}, True),
        ("failed immediate with an unknown errorType", "ExecutionFailedImmediateQuery",
         {**failed, "errorDetails": {**failed["errorDetails"], "errorType": "sql"}}, False),
        ("failed immediate without errorDetails", "ExecutionFailedImmediateQuery",
         {k: v for k, v in failed.items() if k != "errorDetails"}, False),
        ("async with an unknown status", "AsyncQuery", {**done, "status": "finished"}, False),
        ("successful async without completedAt", "AsyncQuery",
         {k: v for k, v in done.items() if k != "completedAt"}, False),
        ("successful async with a page in an unknown state", "AsyncQuery",
         {**done, "result": {**done["result"], "pages": [{**done["result"]["pages"][0], "status": "ready"}]}}, False),
        ("queued async without its queued phase", "AsyncQuery",
         {**queued, "statusTiming": {"initialising": queued["statusTiming"]["initialising"]}}, False),
        ("queued async whose initialising phase has not ended", "AsyncQuery",
         {**queued, "statusTiming": {**queued["statusTiming"], "initialising": {"startTime": queued["createdAt"]}}},
         False),
        ("paged async result claiming immediate mode", "Query",
         {**done, "mode": "immediate", "maxTimeInQueue": 30000}, False),
        ("record of an unknown mode", "Query", {**queued, "mode": "batch"}, False),
        ("executionFailed async without errorCode", "AsyncQuery",
         {k: v for k, v in _example(QUERY, "get", "200", "asyncExecutionFailed").items() if k != "errorCode"}, False),
        ("registration every 59 s", "RegisteredQueryPostReq",
         {"name": "x", "registeredQueryType": "query", "frequency": 59, "duration": 600,
          "registerCommand": {"command": {"text": "SELECT 1"}}}, False),
        ("registration for more than a day", "RegisteredQueryPostReq",
         {"name": "x", "registeredQueryType": "query", "frequency": 60, "duration": 86401,
          "registerCommand": {"command": {"text": "SELECT 1"}}}, False),
        ("registration with an unknown field", "RegisteredQueryPostReq",
         {"name": "x", "registeredQueryType": "query", "frequency": 60, "duration": 600,
          "registerCommand": {"command": {"text": "SELECT 1"}}, "catalogue": "BPSPatients"}, True),
        ("completed registered query without completedAt", "RegisteredQuery",
         {"id": "396177fe-4b6c-4a03-9887-aee97f45a59d", "name": "x", "registeredQueryType": "query",
          "status": "completed", "frequency": 60, "duration": 120, "createdAt": "2026-01-05T09:00:00.000Z",
          "metrics": {}}, False),
        ("error envelope without statusText", "Error", {"error": {"status": 400, "message": "x"}}, False),
        ("bare error without the envelope", "Error",
         {"status": 400, "statusText": "Bad Request", "message": "x"}, False),
        ("token grant of another kind", "TokenRequest",
         {"grant_type": "client_credentials", "device_id": "d", "site_id": "s"}, False),
        ("command with an unknown parameter type", "Command",
         {"text": "SELECT @x", "parameters": [{"name": "@x", "type": "Integer", "value": "1"}]}, False),
        ("OperationOutcome without issues", "OperationOutcome",
         {"resourceType": "OperationOutcome", "issue": []}, False),
    ]
    return cases


MUTATIONS = _mutations()


@pytest.mark.parametrize(("label", "name", "instance", "valid"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_schema_strictness(label, name, instance, valid):
    doc = load()
    assert validator(doc, component(doc, name)).is_valid(instance) is valid


def _fake_response(status: int, body: Any, media: str, headers: dict[str, str]) -> Response:
    request = requests.Request("GET", "http://mock-halo.test/").prepare()
    merged = {"content-type": [media], **{k.lower(): [v] for k, v in headers.items()}}
    return Response(status_code=status, headers=merged, content=json.dumps(body).encode(), request=request,
                    elapsed=0.0, verify=True)


def test_schemathesis_accepts_every_response_example_and_rejects_a_broken_one():
    doc = load()
    schema = schemathesis.openapi.from_dict(load(), config=no_inference())
    checked = 0
    for path, method, operation in operations(doc):
        api_operation = schema[path][method.upper()]
        for status, response in operation["responses"].items():
            response = deref(doc, response)
            for media, content in response.get("content", {}).items():
                for example in content.get("examples", {}).values():
                    api_operation.validate_response(_fake_response(int(status), example["value"], media, {}))
                    checked += 1
    assert checked >= 50
    broken = _example(QUERY, "get", "200", "asyncSuccessful")
    broken["result"].pop("pages")
    with pytest.raises(AssertionError):
        schema[QUERY]["GET"].validate_response(_fake_response(200, broken, "application/json", {}))


# -- links ---------------------------------------------------------------------------------

EXPECTED_LINKS = {
    "createImmediateQuery": {"getQuery"},
    "createAsyncQuery": {"getQuery"},
    "getQuery": {"getResultPage"},
    "createRegisteredQuery": {"getRegisteredQuery", "cancelRegisteredQuery", "getRegisteredQueryResult"},
}


def test_links_target_operations_of_the_same_prefix_with_known_parameters():
    doc = load()
    by_id = operation_by_id(doc)
    seen: dict[str, set[str]] = {}
    for path, _, operation in operations(doc):
        for status, response in operation["responses"].items():
            for name, link in deref(doc, response).get("links", {}).items():
                assert "operationId" in link, (path, name)
                target_path, _, target = by_id[link["operationId"]]
                assert prefix_of(target_path) == prefix_of(path), (operation["operationId"], name)
                assert set(link["parameters"]) <= parameter_names(doc, target_path, target), name
                assert all(isinstance(v, str) for v in link["parameters"].values())
                seen.setdefault(operation["operationId"], set()).add(target["operationId"])
    desktop = {desktop_id(source): {desktop_id(t) for t in targets} for source, targets in EXPECTED_LINKS.items()}
    integrator = {integrator_id(source): {integrator_id(t) for t in targets} for source, targets in EXPECTED_LINKS.items()}
    integrator["integratorGetQuery"].add("integratorStreamResultPage")  # the page, streamed
    assert seen == {**EXPECTED_LINKS, **desktop, **integrator}


def test_links_take_the_query_id_from_the_response_body():
    doc = load()
    for source in EXPECTED_LINKS:
        path, method, operation = operation_by_id(doc)[source]
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                assert link["parameters"]["queryId"] == "$response.body#/id"
                assert link["parameters"]["siteId"] == "$request.path.siteId"


def test_schemathesis_state_machine_has_exactly_the_declared_transitions():
    schema = schemathesis.openapi.from_dict(load(), config=no_inference())
    machine = schema.as_state_machine()
    assert machine.TestCase is not None
    declared = sum(len(r.get("links", {})) for _, _, op in operations(load()) for r in op["responses"].values())
    assert declared == 12 + 7  # /device and /desktop 6 each; /integrator 6 and its streamed page
    assert schema.statistic.transitions.total == declared


# -- errors and security -------------------------------------------------------------------


def _site_operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, m, op in operations(doc) if p.startswith(PREFIXES)]


def test_every_site_operation_lists_the_common_error_statuses():
    doc = load()
    for path, method, operation in _site_operations(doc):
        codes = set(operation["responses"])
        assert {"400", "401", "403", "404", "429", "500", "501"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= codes, (method, path)
        if path.endswith(("/immediate", "/async", "/_search", "{fhirParameters}")):
            assert {"503", "504"} <= codes, (method, path)
        if path.endswith("/results/{pageNumber}"):
            assert "410" in codes
    token = doc["paths"]["/integrator/token"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "415", "429"} <= set(token)


def test_error_responses_use_the_documented_shapes():
    doc = load()
    general, immediate_failure = component(doc, "Error"), component(doc, "ExecutionFailedImmediateQuery")
    envelope = {"error": {"status": 501, "statusText": "Not Implemented", "message": "not yet"}}
    failed = _example(IMMEDIATE, "post", "400", "sqlError")
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}

    def body_schema(path: str, method: str, status: str, media: str = "application/json") -> dict[str, Any]:
        return deref(doc, doc["paths"][path][method]["responses"][status])["content"][media]["schema"]

    assert validator(doc, general).is_valid(envelope)
    assert validator(doc, body_schema(IMMEDIATE, "post", "501")).is_valid(envelope)
    for status in ("400", "413"):
        immediate = validator(doc, body_schema(IMMEDIATE, "post", status))
        same_status = {"error": {**envelope["error"], "status": int(status)}}
        assert immediate.is_valid(failed) and immediate.is_valid(same_status)
    assert validator(doc, immediate_failure).is_valid(failed)
    fhir = "/device/sites/{siteId}/fhir/R4/{fhirParameters}"
    for status in ("400", "404", "500"):
        assert validator(doc, body_schema(fhir, "get", status, "application/fhir+json")).is_valid(outcome)
    assert not validator(doc, body_schema(QUERY, "get", "404")).is_valid(outcome)


def test_rate_limit_and_page_headers_are_required():
    doc = load()
    for path, method, operation in operations(doc):
        retry = deref(doc, deref(doc, operation["responses"]["429"])["headers"]["Retry-After"])
        assert retry["required"] is True and retry["schema"]["type"] == "integer", (method, path)
    page = doc["paths"]["/device/sites/{siteId}/queries/{queryId}/results/{pageNumber}"]["get"]["responses"]["200"]
    assert set(page["headers"]) == {"Size", "Rows-Count", "Rows-Range-Start", "Rows-Range-End"}
    assert all(deref(doc, h)["required"] is True for h in page["headers"].values())


def test_security_requirements():
    doc = load()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["SubscriptionKey"] == {**schemes["SubscriptionKey"], "type": "apiKey", "in": "header",
                                          "name": "Ocp-Apim-Subscription-Key"}
    bearer = schemes["AuthorizationHeader"]
    assert (bearer["type"], bearer["scheme"], bearer["bearerFormat"]) == ("http", "bearer", "JWT")
    assert (schemes["DeviceIdHeader"]["in"], schemes["DeviceIdHeader"]["name"]) == ("header", "DeviceId")
    assert doc["paths"]["/integrator/token"]["post"]["security"] == [{"SubscriptionKey": []}]
    assert "security" not in doc  # no global requirement: each operation says what it needs
    for path, method, operation in _site_operations(doc):
        assert operation["security"] == SITE_SECURITY, (method, path)


def test_token_endpoint_takes_a_form_with_both_grant_types():
    doc = load()
    body = doc["paths"]["/integrator/token"]["post"]["requestBody"]
    assert body["required"] is True and list(body["content"]) == ["application/x-www-form-urlencoded"]
    form = deref(doc, body["content"]["application/x-www-form-urlencoded"]["schema"])
    grants = deref(doc, form["properties"]["grant_type"])
    assert set(grants["enum"]) == {"urn:halo-connect:oauth:device-token", "urn:halo-connect:oauth:desktop-token"}
    ok = doc["paths"]["/integrator/token"]["post"]["responses"]["200"]
    token = deref(doc, ok["content"]["application/json"]["schema"])
    assert set(token["required"]) == {"access_token", "token_type", "expires_in"}


def test_fhir_writes_are_documented_with_their_headers():
    doc = load()
    by_id = operation_by_id(doc)
    for prefix_id in ("", "desktop"):
        create = by_id[desktop_id("createFhirResource") if prefix_id else "createFhirResource"]
        update = by_id[desktop_id("updateFhirResource") if prefix_id else "updateFhirResource"]
        assert create[1] == "post" and create[0].endswith("/fhir/R4/{fhirParameters}")
        assert update[1] == "put" and update[0].endswith("/fhir/R4/{resource}/{id}")
        location = deref(doc, create[2]["responses"]["201"]["headers"]["Location"])
        assert location["required"] is True
        assert deref(doc, update[2]["responses"]["200"]["headers"]["Content-Location"])["required"] is True
        for _, _, operation in (create, update):
            refused = deref(doc, operation["responses"]["405"])
            assert refused["headers"]["Allow"]["required"] is True
            assert set(operation["requestBody"]["content"]) == {"application/fhir+json", "application/json"}
    # The read-only types answer 405 with an OperationOutcome the document accepts.
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-supported"}]}
    body = deref(doc, by_id["createFhirResource"][2]["responses"]["405"])["content"]["application/fhir+json"]["schema"]
    assert validator(doc, body).is_valid(outcome)

"""schemathesis over our contract (contracts/openapi.yaml), against any contract target.

Every operation of the target's API prefix (``--api``: device, desktop or integrator) plus the token
endpoint, fed generated input, with every built-in check: status codes, bodies, content types
and headers as documented, schema-valid input accepted, schema-invalid input rejected, auth
enforced (``ignored_auth``), never a 5xx. Then the stateful phase, driven by the document's
OpenAPI links: submit (immediate/async) -> status -> result page; create registered -> get /
results -> cancel.

Requests are authenticated with the target's token and aimed at its site; positive SQL cases
carry SQL that runs on a Bp database (a schema-valid but meaningless SQL string is rightly
refused with 400, which schemathesis' positive-data check cannot know). Against a read-only
target (a real Halo without ``--allow-writes``) only the token, immediate ``SELECT``s and GET
operations run, positive cases only, and every request (checks' probes too) spends the
target's request budget; running out skips the rest.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method, use_after_free

from mock_halo import resources
from mock_halo.contract.cases import make_runnable, mutated_headers, negative_at
from mock_halo.contract.target import Target

#: SQL that runs on a Bp Premier database and reads no personal data (real Halo targets too).
READ_SQL = (
    "SELECT 1 AS one",
    "SELECT COUNT(*) AS patients FROM BPS_Patients",
    "SELECT GETDATE() AS now, N'text' AS label",
    "SELECT TOP 3 AppointmentDate, AppointmentTime FROM BPS_Appointments ORDER BY AppointmentDate",
)
#: Stored procedures of Bp Premier that take no parameters.
PROCEDURES = ("BP_GetAllUsers",)
#: FHIR relative URLs served for every Bp site.
FHIR_URLS = ("metadata", "Patient?_count=2", "Practitioner", "Organization?_count=1", "Patient/1")
FHIR_FORMS = ({"_count": "2"}, {"birthdate": "ge1980-01-01", "_sort": "birthdate", "_count": "3"})
#: A Patient the emulator's FHIR facade can write (positive create/update cases; never on a read-only target).
PATIENT = {"resourceType": "Patient", "name": [{"use": "official", "family": "Contract", "given": ["Casey"]}],
           "gender": "unknown", "birthDate": "1990-05-17"}
#: Operations of the document that leave no trace at the target (besides the token endpoint).
READ_ONLY_OPERATIONS = ("CreateImmediateQuery", "GetQuery", "GetResultPage", "GetFhirQuery", "PostFhirSearch",
                        "GetRegisteredQueries", "GetRegisteredQuery", "GetRegisteredQueryResult")
#: Operations only the Integrator API has that leave no trace at the target.
INTEGRATOR_READ_ONLY = ("GetQueryStatusBatch", "StreamResultPage", "GetSites", "GetSite")
#: Generated cases per operation sent to a read-only target (a real Halo: requests cost).
READ_ONLY_CASES_PER_OPERATION = 2


def _operation_ids(target: Target) -> str:
    """A regex of the operationIds to run: the token and the target's prefix (desktop ids are
    `desktopX`, integrator ids `integratorX`, device ids the bare `x`), only READ_ONLY_OPERATIONS
    on a read-only target."""
    prefixed = target.api in ("desktop", "integrator")
    if target.read_only:
        read_only = READ_ONLY_OPERATIONS + (INTEGRATOR_READ_ONLY if target.api == "integrator" else ())
        names = [f"{target.api}{name}" if prefixed else name[0].lower() + name[1:] for name in read_only]
        ids = "|".join(names)
    else:
        ids = f"{target.api}[A-Z][A-Za-z]+" if prefixed else "(?!desktop|integrator)[a-z][A-Za-z]*"
    return rf"^(obtainToken|{ids})$"


#: The session's target, for the operation filter (the lazily loaded schema of `parametrize`
#: applies its own filters, not the fixture schema's).
_RUN: dict[str, Any] = {}


def _selected(ctx) -> bool:
    target = _RUN.get("target")
    operation = ctx.operation
    if target is None:  # not loaded through the fixture yet: nothing is selected
        return False
    operation_id = operation.schema.get_operation_id(operation) or ""
    if operation_id.startswith("integratorPairSite") and not target.has_control:
        return False  # pairing needs the practice's code, which only a control plane shows
    return re.match(_operation_ids(target), operation_id) is not None


def _build_schema(target: Target):
    doc = resources.contract()
    options: dict[str, Any] = {"phases": {"stateful": {"inference": {"algorithms": []}}}}
    if target.read_only:
        # A real Halo: schema-valid requests only (nothing meant to be refused reaches its SQL),
        # and no coverage phase (it makes many requests per operation regardless of examples).
        options["generation"] = {"mode": "positive"}
        options["phases"]["coverage"] = {"enabled": False}
    schema = schemathesis.openapi.from_dict(doc, config=SchemathesisConfig.from_dict(options))
    if target.asgi_app is not None:
        schema.app = target.asgi_app
    else:
        schema.config.update(base_url=target.base_url)
    _RUN.clear()
    _RUN["target"] = target
    return schema.include(func=_selected)


@pytest.fixture(scope="session")
def contract_schema(target: Target):
    return _build_schema(target)


@pytest.fixture(scope="session")
def budget_session(target: Target) -> requests.Session | None:
    """For targets over the network: a session whose every request spends the request budget
    (schemathesis' own calls and its checks' probes alike)."""
    if target.asgi_app is not None:
        return None
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: target.budget.spend())
    return session


@pytest.fixture(scope="session")
def read_only_spent() -> dict[str, int]:
    """Cases sent per operation to a read-only target."""
    return {}


@pytest.fixture(scope="module", autouse=True)
def _clean_slate_afterwards(target: Target):
    yield
    control = target.control()
    if control is not None:
        control.reset()  # the queries and clock moves made here are nobody else's business


@pytest.fixture(autouse=True)
def _node_id_for_lazy_schemas(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32's fixture-loaded schemas read `node._nodeid`, which pytest 9 nodes no
    # longer have (it keeps the id elsewhere); give it the id it expects.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("contract_schema").include(func=_selected)


# -- preparing generated cases --------------------------------------------------------------








def prepare(case, target: Target) -> dict[str, str]:
    """Aim the case at the target's site, make positive input meaningful; the credentials to send
    (with the call, so that `ignored_auth` knows them for real ones and tries without)."""
    path = case.operation.path
    pick = len(json.dumps([case.body, case.path_parameters, case.query], default=str))
    if path == "/integrator/token":
        wanted = {"Ocp-Apim-Subscription-Key": target.subscription_key}
        if not negative_at(case, ParameterLocation.BODY) and isinstance(case.body, dict):
            case.body = {**case.body, "grant_type": target.grant_type, "device_id": target.device_id,
                         "site_id": target.site_id}
    elif path in ("/integrator/sites", "/integrator/pair-site", "/integrator/pairSite"):
        wanted = target.auth_headers()
        if not negative_at(case, ParameterLocation.QUERY):  # the target's own practice
            case.query = {**(case.query or {}), **_practice(target, with_code=path != "/integrator/sites")}
    else:
        wanted = target.auth_headers()
        case.path_parameters = {**(case.path_parameters or {}), "siteId": target.site_id}
        path_ok = not negative_at(case, ParameterLocation.PATH)
        body_ok = not negative_at(case, ParameterLocation.BODY)
        if case.method == "POST" and path.endswith("{fhirParameters}"):  # create
            if path_ok:
                case.path_parameters["fhirParameters"] = "Patient"
            if body_ok:
                case.body = dict(PATIENT)
        elif case.method == "PUT" and path.endswith("{id}"):  # update
            if path_ok:
                case.path_parameters.update(resource="Patient", id="1")
            if body_ok:
                case.body = {**PATIENT, "id": case.path_parameters.get("id")}
        elif path.endswith("{fhirParameters}") and path_ok and not negative_at(case, ParameterLocation.QUERY):
            case.path_parameters["fhirParameters"] = FHIR_URLS[pick % len(FHIR_URLS)]
            case.query = {}  # search parameters are part of the URL picked
        if path.endswith("/_search") and path_ok and body_ok:
            case.path_parameters["resource"] = "Patient"
            case.body = dict(FHIR_FORMS[pick % len(FHIR_FORMS)])
        if "/queries/" in path and isinstance(case.body, dict) and body_ok:
            # A copy: a generated body can be an object hypothesis hands out again (a schema
            # example); edited in place, later cases would start from the edited one, so the
            # same choices would send other requests (FlakyStrategyDefinition).
            case.body = copy.deepcopy(case.body)
        body = case.body
        if "/queries/" in path and isinstance(body, dict) and body_ok:
            body.pop("catalogue", None)
            if isinstance(body.get("command"), dict):
                make_runnable(body["command"], pick, READ_SQL, PROCEDURES)
                if target.read_only:
                    body["command"]["executionMode"] = "reader"
            register = body.get("registerCommand")
            if isinstance(register, dict) and isinstance(register.get("command"), dict):
                make_runnable(register["command"], pick, READ_SQL, PROCEDURES)
    if target.read_only and path.endswith("/queries/immediate"):
        command = case.body.get("command") if isinstance(case.body, dict) else None
        assert isinstance(command, dict) and command.get("text") in READ_SQL + PROCEDURES, case.body
    broken = mutated_headers(case)
    return {name: value for name, value in wanted.items() if name.lower() not in broken}


def _practice(target: Target, *, with_code: bool) -> dict[str, str]:
    """The practice of the target's site (PMS id and name, from its status) and, from a control
    plane, its pairing code; asked once per run."""
    found = _RUN.get("practice")
    if found is None:
        site = target.client().get(f"/integrator/sites/{target.site_id}",
                                   headers={"Ocp-Apim-Subscription-Key": target.subscription_key}).json()
        found = {"practiceManagementSiteId": site["practiceManagementSiteId"],
                 "practiceManagementName": site["practiceManagementName"]}
        control = target.control()
        code = next((s.get("pairingCode") for s in control.sites() if s["id"] == target.site_id), None) if control else None
        if code:
            found["pairingCode"] = code
        _RUN["practice"] = found
    return dict(found) if with_code else {k: v for k, v in found.items() if k != "pairingCode"}


def call_kwargs(case, target: Target, session: requests.Session | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": prepare(case, target)}
    if session is not None:
        kwargs["session"] = session
    return kwargs


# -- the stateless phases -------------------------------------------------------------------


def test_the_contract_covers_the_target_api(contract_schema, target: Target):
    labels = {result.ok().label for result in contract_schema.get_all_operations()}
    assert "POST /integrator/token" in labels
    assert f"POST /{target.api}/sites/{{siteId}}/queries/immediate" in labels
    assert f"GET /{target.api}/sites/{{siteId}}/queries/{{queryId}}/results/{{pageNumber}}" in labels
    others = {"device", "desktop", "integrator"} - {target.api}
    assert not any(f" /{other}/sites/" in label for label in labels for other in others)
    if target.read_only:
        assert not any(label.startswith(("DELETE", "PUT")) or label.endswith(("/async", "/registered")) and
                       label.startswith("POST") for label in labels), labels


def excluded_checks(case) -> list:
    """Checks an operation is exempt from, with the reason.

    FHIR paths overlap: `{fhirParameters}` (any relative URL, `/` included) also matches
    `{resource}/_search` and `{resource}/{id}`, so GET there is the read/search of
    `getFhirQuery`. OpenAPI cannot say that one template's paths are also another's, so on the
    `_search` and update paths an `Allow` naming GET, and a GET answered instead of 405, are right.
    """
    if case.operation.path.endswith(("/_search", "/{id}")):
        return [allow_header_conformance, unsupported_method]
    return []


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_target_honours_the_contract(case, target: Target, budget_session, read_only_spent):
    if target.read_only:
        label = case.operation.label
        if read_only_spent.get(label, 0) >= READ_ONLY_CASES_PER_OPERATION:
            return  # not sent: leaves the budget to the other operations
        read_only_spent[label] = read_only_spent.get(label, 0) + 1
    response = case.call_and_validate(**call_kwargs(case, target, budget_session), excluded_checks=excluded_checks(case))
    assert response.status_code < 500, response.text


# -- the stateful phase ---------------------------------------------------------------------


#: Statuses of a query that has not finished yet, and how many 5 s clock steps a page read waits for it.
RUNNING = frozenset({"initialising", "queued", "executing", "uploading"})
FINISH_POLLS = 60


def test_links_drive_the_stateful_phase(contract_schema, target: Target, budget_session):
    """Follow the document's links; with a control plane the clock moves 5 s before each read of
    a query, so async queries reach `successful` (their pages are fetched through the link) and
    registered queries run."""
    control = target.control()
    reached: dict[str, int] = {}

    class Workflow(contract_schema.as_state_machine()):
        def setup(self) -> None:
            if control is not None:
                # Every scenario starts from the same emulator, whatever ran before it: state
                # reset, clock frozen (it then moves only as `before_call` moves it) at the top
                # of an hour, and a token issued now. A reset keeps the clock, so without this a
                # scenario ran at the time the earlier ones left behind, and the cached token
                # was issued in the first scenario only (its jti comes from the reset id source,
                # shifting every later id and modelled duration) and renewed mid-scenario once
                # the clock passed its hour: the same generated steps got other responses,
                # links resolved differently, and hypothesis saw FlakyStrategyDefinition.
                control.reset()
                control.freeze()
                now = datetime.fromisoformat(control.clock().now)
                control.set_time(now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
                target.forget_tokens()
                target.token()
            self.cancelled: set[str] = set()

        def get_call_kwargs(self, case) -> dict[str, Any]:
            if case.operation.path.endswith("/queries/async") and isinstance(case.body, dict) \
                    and not negative_at(case, ParameterLocation.BODY):
                # The default queue limit (1 h): a generated one of a few ms would expire every
                # query before the 5 s clock step, and the status -> page link would never lead on.
                case.body = {name: value for name, value in case.body.items() if name != "maxTimeInQueue"}
            return call_kwargs(case, target, budget_session)

        def before_call(self, case) -> None:
            if control is not None and case.method == "GET" and "{queryId}" in case.operation.path:
                control.advance(5)  # async phases and registered runs fall due
                if case.operation.path.endswith("/results/{pageNumber}"):
                    self.until_finished((case.path_parameters or {}).get("queryId"))

        def until_finished(self, query_id: str | None) -> None:
            """Follow a status -> page link as a client does: poll the status, the clock moving, until the query
            has finished (bounded), so whether its pages are reached does not hang on how many steps the
            generated scenario happened to take first."""
            if not isinstance(query_id, str) or not query_id:
                return
            for _ in range(FINISH_POLLS):
                status = target.client().get(target.path(f"/queries/{query_id}"), headers=target.auth_headers())
                if status.status_code != 200 or status.json().get("status") not in RUNNING:
                    return
                control.advance(5)

        def after_call(self, response, case) -> None:
            super().after_call(response, case)
            label = f"{case.method} {case.operation.path} {response.status_code}"
            reached[label] = reached.get(label, 0) + 1
            query_id = (case.path_parameters or {}).get("queryId")
            if case.method == "DELETE" and response.status_code == 204:
                self.cancelled.add(query_id)
            if case.operation.path.endswith("/registered/{queryId}") and case.method == "GET" \
                    and query_id in self.cancelled:
                # Cancelling keeps the record, now `cancelled` (halo-facts 7.5): this replaces
                # schemathesis' use_after_free, which expects a DELETE to remove the resource.
                assert response.status_code != 404, response.text
                if response.status_code == 200:
                    assert response.json()["status"] == "cancelled", response.text

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, additional_checks=additional_checks,
                                   excluded_checks=[*excluded_checks(case), use_after_free],
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    Workflow.run(settings=settings(
        max_examples=2 if target.read_only else 60, stateful_step_count=4 if target.read_only else 8,
        deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    ))
    # The links were followed to where they lead (not only random ids answering 404).
    prefix = f"/{target.api}/sites/{{siteId}}/queries"
    assert reached.get(f"GET {prefix}/{{queryId}} 200"), reached
    if control is not None and not target.read_only:
        assert reached.get(f"GET {prefix}/{{queryId}}/results/{{pageNumber}} 200"), reached
        assert reached.get(f"GET {prefix}/registered/{{queryId}} 200"), reached
        assert reached.get(f"DELETE {prefix}/registered/{{queryId}} 204"), reached
        assert reached.get(f"GET {prefix}/registered/{{queryId}}/results 200"), reached

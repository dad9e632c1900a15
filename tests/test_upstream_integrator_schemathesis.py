"""schemathesis over Halo's own published Integrator OpenAPI document (26.619), in-process.

All 17 operations, every built-in check, no failure; and every operation reaches a 2xx (a run
whose every answer is 404 looks green, so the run counts them). Requests carry the subscription
key alone and are aimed at real things: the site, the practice (PMS id, name and pairing code),
query ids the run created (batch status) and, through links, the ids and pages of queries
(tests/upstream_support.py has what the Desktop run shares: corrections, links, case preparation).

The Integrator document needs, besides the shared corrections, the ones below (each with its
reason, each in the README's fidelity table).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import schemathesis
from conftest import KEY, SITE, make_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.core.parameters import ParameterLocation
from starlette.testclient import TestClient
from upstream_support import (
    NO_INFERENCE, UPSTREAM, Correction, WorkflowRules, check_corrections, corrected, excluded_checks, operations,
    prepare_site_case, query_links, with_links,
)

from mock_halo.app import create_app
from mock_halo.config import DEFAULT_SITE_IDS
from mock_halo.contract.cases import mutated_headers, negative_at

UPSTREAM_INTEGRATOR = UPSTREAM / "halo-integrator-openapi-26.619.json"
SITE_PATHS = "/integrator/sites/{siteId}"
#: The practice of the unpaired default site (pairing it is what pair-site is for) and its code.
PRACTICE = {"practiceManagementSiteId": "10003", "practiceManagementName": "Best Practice", "pairingCode": "ABC123"}
#: The practice of the paired site the run queries.
QUERIED_PRACTICE = {"practiceManagementSiteId": "10001", "practiceManagementName": "Best Practice"}


# -- corrections only the Integrator document needs -------------------------------------------

def stream_is_the_pages_json(doc: dict[str, Any], site_paths: str) -> bool:
    """`streamResultPage` documents its body as a JSON *string* ("Streamed JSON payload"); the
    stream carries the page's rows themselves, un-encoded (halo-facts 6.7: the result data without
    the base64 wrapper of `getResultPage`), so the body is the page's JSON array of row objects."""
    ok = doc["paths"][f"{site_paths}/queries/{{queryId}}/results/{{pageNumber}}/stream"]["get"]["responses"]["200"]
    schema = ok["content"]["application/json"]["schema"]
    if schema.get("type") != "string":
        return False
    ok["content"]["application/json"]["schema"] = {
        "type": "array", "items": {"type": "object"}, "description": schema.get("description", "")}
    return True


EXTRA: list[Correction] = [stream_is_the_pages_json]


@cache
def _upstream_text() -> str:
    return UPSTREAM_INTEGRATOR.read_text(encoding="utf-8")


def test_every_correction_still_applies():
    check_corrections(_upstream_text(), EXTRA, SITE_PATHS)


# -- the run --------------------------------------------------------------------------------

APP = create_app(make_settings())
CONTROL = TestClient(APP)  # the control plane, to move the virtual clock and reset

#: The site operations' flows, plus the streamed variant of a page and the site's practice.
LINKS = {
    **query_links(registered_created="202"),
}
LINKS[("getQuery", "200")] = {**LINKS[("getQuery", "200")], "streamResultPage": LINKS[("getQuery", "200")]["getResultPage"]}
PRACTICE_FROM_SITE = {"practiceManagementSiteId": "$response.body#/practiceManagementSiteId",
                      "practiceManagementName": "$response.body#/practiceManagementName"}
LINKS[("getSite", "200")] = {"getSites": PRACTICE_FROM_SITE}

schema = schemathesis.openapi.from_dict(with_links(corrected(_upstream_text(), EXTRA, SITE_PATHS), LINKS),
                                        config=NO_INFERENCE)
schema.app = APP

#: Ids of queries the run created on the site (real ids for batch status), newest last.
CREATED: list[str] = []
#: Operations that answered 2xx, by label.
SUCCEEDED: set[str] = set()


def prepare(case) -> dict[str, str]:
    """Aim at real things; the key to send (with the call, so `ignored_auth` knows it is real and
    repeats the call without it and with a made-up one, expecting 401)."""
    path = case.operation.path
    query_ok = not negative_at(case, ParameterLocation.QUERY)
    if path.startswith(SITE_PATHS):
        prepare_site_case(case, SITE)
        if path.endswith("/queries/status") and isinstance(case.body, dict) and not negative_at(case, ParameterLocation.BODY):
            case.body = {"queryIds": [*CREATED[-3:], *case.body.get("queryIds", [])[:2]]}
    elif path == "/integrator/sites/{siteId}":
        if not negative_at(case, ParameterLocation.PATH):
            case.path_parameters = {"siteId": SITE}
    elif path == "/integrator/sites" and query_ok:
        case.query = {**(case.query or {}), **QUERIED_PRACTICE}
    elif path in ("/integrator/pair-site", "/integrator/pairSite") and query_ok:
        case.query = {**(case.query or {}), **PRACTICE}
    broken = mutated_headers(case)
    return {} if "ocp-apim-subscription-key" in broken else {"Ocp-Apim-Subscription-Key": KEY}


def call(case, **kwargs):
    response = case.call_and_validate(headers=prepare(case), excluded_checks=excluded_checks(case), **kwargs)
    note(case, response)
    return response


def note(case, response) -> None:
    if 200 <= response.status_code < 300:
        SUCCEEDED.add(case.operation.label)
        if case.method == "POST" and case.operation.path.endswith(("/immediate", "/async")):
            CREATED.append(response.json()["id"])


def test_the_run_covers_every_upstream_operation():
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) == len(list(operations(json_doc()))) == 17


def json_doc() -> dict[str, Any]:
    import json

    return json.loads(_upstream_text())


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_emulator_honours_halos_integrator_document(case):
    response = call(case)
    assert response.status_code < 500, response.text


class UpstreamWorkflow(WorkflowRules, schema.as_state_machine()):
    """The stateful phase over LINKS (query flows, pages plain and streamed, a site's practice);
    `ensure_resource_availability` runs here."""

    def setup(self) -> None:
        CONTROL.post("/_mock/reset")  # each scenario starts from a clean emulator, whatever ran before
        CREATED.clear()
        self.cancelled: set[str] = set()

    def advance(self, seconds: float) -> None:
        CONTROL.post("/_mock/clock/advance", json={"seconds": seconds})

    def get_call_kwargs(self, case) -> dict[str, Any]:
        return {"headers": prepare(case)}

    def after_call(self, response, case) -> None:
        super().after_call(response, case)
        note(case, response)


def test_every_operation_answers_2xx():
    """In one process (the parametrized cases spread over test workers): a few positive cases of
    each operation, then the stateful phase (pages, streams and registered results need the ids
    its links carry); every one of the 17 operations must have succeeded."""
    SUCCEEDED.clear()
    pinned = real_ids()
    for result in schema.get_all_operations():
        operation = result.ok()
        known = {name: value for name, value in pinned.items()
                 if f"{{{name}}}" in operation.path and not (name == "queryId" and "/registered/" in operation.path)}
        if "/registered/{queryId}" in operation.path:
            known["queryId"] = pinned["registeredId"]

        @given(case=operation.as_strategy(path_parameters=known or None))
        @settings(max_examples=3, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def positive(case):
            assert call(case).status_code < 500

        positive()
    UpstreamWorkflow.run(settings=settings(max_examples=15, stateful_step_count=6, deadline=None, derandomize=True,
                                           suppress_health_check=list(HealthCheck)))
    missing = {result.ok().label for result in schema.get_all_operations()} - SUCCEEDED
    assert not missing, f"no 2xx for {sorted(missing)}"
    assert schema.statistic.transitions.total == sum(len(targets) for targets in LINKS.values())


def real_ids() -> dict[str, Any]:
    """A finished async query (page 1) and a registered query that has run: ids to pin."""
    CONTROL.post("/_mock/reset")
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    base = f"/integrator/sites/{SITE}/queries"
    query = CONTROL.post(f"{base}/async", json={"command": {"text": "SELECT 1 AS one"}}, headers=headers).json()["id"]
    registered = CONTROL.post(f"{base}/registered", headers=headers, json={
        "name": "pinned", "registeredQueryType": "query", "frequency": 60, "duration": 3600,
        "registerCommand": {"command": {"text": "SELECT 1 AS one"}}}).json()["id"]
    CONTROL.post("/_mock/clock/advance", json={"seconds": 60})
    return {"siteId": SITE, "queryId": query, "pageNumber": 1, "registeredId": registered}


def test_the_unpaired_practice_of_the_run_is_the_default_unpaired_site():
    site = next(s for s in CONTROL.get("/_mock/sites").json()["sites"] if s["practiceManagementSiteId"] == "10003")
    assert (site["id"], site["pairingCode"]) == (DEFAULT_SITE_IDS[2], PRACTICE["pairingCode"])

"""The Integrator API's own contract (halo-facts 1.2, 6.7, 6.8, 9), against any target.

Whatever the target's ``--api``, these calls carry the subscription key alone, as an
integrator's server does: an immediate ``SELECT``, an async ``SELECT`` read back through batch
status and its page streamed, the site's status and its practice's sites. They only read (async
``SELECT 1`` touches no practice data); the async one is marked ``writes`` as it queues work.
"""

from __future__ import annotations

import uuid

import pytest

from mock_halo.contract.checks import check_error, check_immediate_success, json_body
from mock_halo.contract.target import Target

SITE_FIELDS = {"id", "pmsType", "availability", "status", "haloLinkVersion", "catalogue", "practiceMetadata"}


def key(target: Target) -> dict[str, str]:
    return {"Ocp-Apim-Subscription-Key": target.subscription_key}


def site_path(target: Target, suffix: str = "") -> str:
    return f"/integrator/sites/{target.site_id}{suffix}"


def test_the_key_alone_runs_an_immediate_query(target: Target) -> None:
    response = target.client().post(site_path(target, "/queries/immediate"), headers=key(target),
                                    json={"command": {"text": "SELECT 3 AS three"}})
    assert response.status_code == 200, response.text
    assert check_immediate_success(json_body(response), target.site_id) == [{"three": 3}]


def test_a_call_without_the_key_is_401(target: Target) -> None:
    response = target.client().post(site_path(target, "/queries/immediate"), json={"command": {"text": "SELECT 1 AS one"}})
    check_error(response, 401)


def test_the_site_status_is_a_site_for_integrator(target: Target) -> None:
    response = target.client().get(site_path(target), headers=key(target))
    assert response.status_code == 200, response.text
    site = json_body(response)
    assert SITE_FIELDS <= set(site), site
    assert site["id"] == target.site_id and site["availability"] in ("online", "offline", "unreachable"), site
    assert all({"name", "isDefault"} <= set(c) for c in site["catalogue"]), site


def test_the_practice_lists_the_site(target: Target) -> None:
    site = json_body(target.client().get(site_path(target), headers=key(target)))
    params = {"practiceManagementSiteId": site["practiceMetadata"]["practiceManagementSiteId"],
              "practiceManagementName": site["practiceManagementName"]}
    response = target.client().get("/integrator/sites", params=params, headers=key(target))
    assert response.status_code == 200, response.text
    assert target.site_id in [s["id"] for s in json_body(response)["sites"]]


def test_batch_status_of_unknown_ids_is_not_found(target: Target) -> None:
    unknown = str(uuid.uuid4())
    response = target.client().post(site_path(target, "/queries/status"), json={"queryIds": [unknown]}, headers=key(target))
    assert response.status_code == 200, response.text
    assert json_body(response) == {"results": [{"queryId": unknown, "status": "notFound"}]}


@pytest.mark.needs_control
@pytest.mark.writes
def test_an_async_query_is_found_by_batch_status_and_its_page_streams(target: Target) -> None:
    created = target.client().post(site_path(target, "/queries/async"), headers=key(target),
                                   json={"command": {"text": "SELECT 1 AS one, 'x' AS letter"}})
    assert created.status_code == 201, created.text
    query_id = json_body(created)["id"]
    target.control().advance(60)
    response = target.client().post(site_path(target, "/queries/status"), json={"queryIds": [query_id]}, headers=key(target))
    [result] = json_body(response)["results"]
    assert (result["status"], result["query"]["status"]) == ("found", "successful"), result
    stream = target.client().get(site_path(target, f"/queries/{query_id}/results/1/stream"), headers=key(target))
    assert stream.status_code == 200, stream.text
    assert stream.headers["content-type"].startswith("application/json")
    assert stream.json() == [{"one": 1, "letter": "x"}]
    assert stream.headers["Rows-Count"] == "1"

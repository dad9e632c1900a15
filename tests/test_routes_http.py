"""Routing, 404/405/501 envelopes, the control-plane discovery endpoints, the contract."""

import pytest
from conftest import KEY, SITE, assert_general_error
from starlette.testclient import TestClient

from mock_halo import __version__
from mock_halo.app import create_app


def test_unknown_path_is_404_in_the_general_envelope(client):
    assert_general_error(client.get("/nowhere"), 404, "cannot find the requested resource")


def test_wrong_method_is_405_in_the_general_envelope(client):
    response = client.get("/integrator/token")
    assert_general_error(response, 405, "GET")
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize("tail", ["/queries/immediate", "/queries/async"])
def test_other_methods_on_submission_paths_are_405_not_a_query_lookup(client, halo, tail):
    response = client.get(f"/device/sites/{SITE}{tail}", headers=halo.headers(halo.token()))
    assert_general_error(response, 405)
    assert response.headers["allow"] == "POST"


def test_health(client):
    response = client.get("/_mock/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["time"] == "2026-01-04T23:00:00.000Z"


def test_info_lists_sites_and_shows_the_key_to_local_callers(client, emulator):
    info = client.get("/_mock/info").json()
    assert info["version"] == __version__
    assert [s["id"] for s in info["sites"]] == [s.id for s in emulator.settings.sites]
    assert {s["pmsType"] for s in info["sites"]} == {"BestPractice"}
    assert info["integrators"][0]["subscriptionKey"] == KEY


def test_info_hides_the_key_from_remote_callers(emulator):
    with TestClient(create_app(emulator=emulator), client=("203.0.113.9", 40000)) as remote:
        info = remote.get("/_mock/info").json()
    assert "subscriptionKey" not in info["integrators"][0]
    assert "subscriptionKeys" not in info["integrators"][0]
    assert info["sites"]


def test_openapi_document_is_served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert "/integrator/token" in document["paths"]
    assert f"/device/sites/{{siteId}}/queries/immediate" in document["paths"]


def test_405_lists_every_method_the_path_serves(client, halo):
    # GET and POST on .../queries/registered are two routes; Allow must name both.
    response = client.put(f"/device/sites/{SITE}/queries/registered", headers=halo.headers(halo.token()))
    assert_general_error(response, 405)
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    response = client.put("/_mock/scenarios")
    assert response.status_code == 405
    assert {"GET", "POST", "DELETE"} <= set(response.headers["allow"].split(", "))

"""Sites and pairing through the Integrator API (halo-facts 9): finding a practice's sites by PMS
id, a site's status as `SiteForIntegrator` on the emulator clock, and pairing with a practice
(a Bp Premier pairing code), which opens its sites until a reset; and the control plane's sites."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from conftest import KEY, OTHER_SITE, SITE, UNPAIRED_SITE, assert_general_error
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import settings_from_mapping

AUTH = {"Ocp-Apim-Subscription-Key": KEY}
PAIR = "/integrator/pair-site"
UNPAIRED_CODE = "ABC123"  # the embedded default site "Unpaired Medical Centre" (PMS id 10003)


def find(client: TestClient, pms_site_id: str, name: str = "Best Practice", headers=AUTH):
    return client.get("/integrator/sites", params={"practiceManagementSiteId": pms_site_id, "practiceManagementName": name},
                      headers=headers)


def pair(client: TestClient, pms_site_id: str = "10003", name: str = "Best Practice", code: str | None = UNPAIRED_CODE,
         path: str = PAIR, headers=AUTH):
    params = {"practiceManagementSiteId": pms_site_id, "practiceManagementName": name}
    if code is not None:
        params["pairingCode"] = code
    return client.post(path, params=params, headers=headers)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now(client: TestClient) -> datetime:
    return instant(client.get("/_mock/clock").json()["now"])


def immediate(client: TestClient, site: str):
    return client.post(f"/integrator/sites/{site}/queries/immediate", json={"command": {"text": "SELECT 1 AS one"}},
                       headers=AUTH)


# -- SiteForIntegrator -------------------------------------------------------------------------
def test_a_site_renders_as_halos_site_for_integrator(client):
    response = client.get(f"/integrator/sites/{SITE}", headers=AUTH)
    assert response.status_code == 200, response.text
    site = response.json()
    assert site["id"] == SITE and site["pmsType"] == "BestPractice"
    assert (site["availability"], site["status"], site["authoritative"]) == ("online", "active", True)
    assert site["catalogue"] == [{"name": "BPSPatients", "isDefault": True}, {"name": "BPSSamples", "isDefault": False}]
    assert site["practiceMetadata"] == {"pmsType": "BestPractice", "practiceName": "Halo Clinic South",
                                        "practiceManagementSiteId": "10001",
                                        "practiceManagementVersion": site["practiceManagementVersion"]}
    assert (site["name"], site["practiceManagementSiteId"], site["practiceManagementName"]) == (
        "Halo Clinic South", "10001", "Best Practice")
    assert site["haloLinkVersion"].count(".") >= 2
    clock = now(client)
    heartbeat, client_time = instant(site["heartbeatTimestampUTC"]), instant(site["clientTimestampUTC"])
    assert clock - timedelta(seconds=30) < heartbeat <= clock
    assert client_time < heartbeat
    assert instant(site["createdAt"]) <= instant(site["enrichedAt"]) <= heartbeat


def test_heartbeats_move_with_the_emulator_clock(client):
    before = client.get(f"/integrator/sites/{SITE}", headers=AUTH).json()
    client.post("/_mock/clock/advance", json={"duration": "2h"})
    after = client.get(f"/integrator/sites/{SITE}", headers=AUTH).json()
    moved = instant(after["heartbeatTimestampUTC"]) - instant(before["heartbeatTimestampUTC"])
    assert timedelta(hours=2) - timedelta(seconds=30) <= moved <= timedelta(hours=2) + timedelta(seconds=30)
    assert instant(after["enrichedAt"]) > instant(before["enrichedAt"])
    assert after["createdAt"] == before["createdAt"]


@pytest.mark.parametrize("state,silent", [("offline", timedelta(0)), ("unreachable", timedelta(minutes=2))])
def test_an_offline_or_unreachable_site_was_last_heard_when_it_went(client, state, silent):
    went = now(client)
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": state}).raise_for_status()
    client.post("/_mock/clock/advance", json={"duration": "1h"})
    site = client.get(f"/integrator/sites/{SITE}", headers=AUTH).json()
    assert site["availability"] == state
    assert instant(site["heartbeatTimestampUTC"]) == went - silent
    # Back online: heard from again at the next heartbeat.
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "online"})
    site = client.get(f"/integrator/sites/{SITE}", headers=AUTH).json()
    assert site["availability"] == "online" and instant(site["heartbeatTimestampUTC"]) > went


def test_get_site_needs_a_pairing_and_a_known_site(client):
    assert_general_error(client.get(f"/integrator/sites/{UNPAIRED_SITE}", headers=AUTH), 403, "active pairing")
    assert_general_error(client.get("/integrator/sites/00000000-0000-4000-8000-000000000000", headers=AUTH), 404)
    assert_general_error(client.get(f"/integrator/sites/{SITE}"), 401, "missing subscription key")


# -- getSites ---------------------------------------------------------------------------------------
def test_sites_are_found_by_pms_id_and_name(client):
    response = find(client, "10002")
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["sites"]] == [OTHER_SITE]
    assert find(client, "10002", "Zedmed").json() == {"sites": []}
    assert find(client, "99999").json() == {"sites": []}


def test_an_unpaired_practice_lists_no_sites_until_paired(client):
    assert find(client, "10003").json() == {"sites": []}
    assert pair(client).status_code == 200
    assert [s["id"] for s in find(client, "10003").json()["sites"]] == [UNPAIRED_SITE]


@pytest.mark.parametrize("params,fragment", [
    ({}, "practiceManagementSiteId is required"),
    ({"practiceManagementSiteId": "10001"}, "practiceManagementName must be one of Best Practice, Zedmed, D4w"),
    ({"practiceManagementSiteId": "10001", "practiceManagementName": "BestPractice"}, "'BestPractice'"),
])
def test_finding_sites_needs_both_parameters(client, params, fragment):
    assert_general_error(client.get("/integrator/sites", params=params, headers=AUTH), 400, fragment)
    assert_general_error(client.post(PAIR, params=params, headers=AUTH), 400, fragment)


# -- pairing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [PAIR, "/integrator/pairSite"])
def test_pairing_with_the_code_opens_the_site(client, path):
    assert_general_error(immediate(client, UNPAIRED_SITE), 403, "active pairing")
    response = pair(client, path=path)
    assert response.status_code == 200, response.text
    site = response.json()
    assert (site["id"], site["practiceManagementSiteId"], site["authoritative"]) == (UNPAIRED_SITE, "10003", True)
    assert immediate(client, UNPAIRED_SITE).status_code == 200
    assert client.get(f"/integrator/sites/{UNPAIRED_SITE}", headers=AUTH).status_code == 200
    # Pairing again is harmless; a device token can now be had too.
    assert pair(client).status_code == 200
    token = client.post("/integrator/token", headers=AUTH, data={
        "grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": UNPAIRED_SITE})
    assert token.status_code == 200, token.text


def test_a_reset_undoes_pairing(client):
    assert pair(client).status_code == 200
    client.post("/_mock/reset", json={"siteId": UNPAIRED_SITE}).raise_for_status()
    assert_general_error(immediate(client, UNPAIRED_SITE), 403, "active pairing")
    assert pair(client).status_code == 200
    client.post("/_mock/reset").raise_for_status()
    assert_general_error(immediate(client, UNPAIRED_SITE), 403, "active pairing")


@pytest.mark.parametrize("code,status,fragment", [
    (None, 400, "pairingCode is required"),
    ("", 400, "pairingCode is required"),
    ("XYZ999", 403, "pairing code is not valid"),
    ("abc123", 403, "pairing code is not valid"),
])
def test_a_missing_or_wrong_pairing_code_is_refused(client, code, status, fragment):
    assert_general_error(pair(client, code=code), status, fragment)
    assert_general_error(immediate(client, UNPAIRED_SITE), 403, "active pairing")


def test_an_unknown_practice_is_404(client):
    assert_general_error(pair(client, pms_site_id="99999"), 404, "99999")
    assert_general_error(pair(client, name="Zedmed"), 404, "Zedmed")


def test_a_pms_failure_is_halos_502(client):
    client.post("/_mock/scenarios", json={"match": {"surface": "pairing"}, "outcome": {"error": 502}}).raise_for_status()
    error = assert_general_error(pair(client), 502)
    assert error["message"] == "The practice management software returned an unexpected result code."
    assert error["statusText"] == "Bad Gateway"
    assert_general_error(immediate(client, UNPAIRED_SITE), 403)  # nothing was paired
    # Rules that name no surface leave pairing alone (it is reached only by rules naming it).
    client.delete("/_mock/scenarios")
    client.post("/_mock/scenarios", json={"match": {}, "outcome": {"error": 503}})
    assert pair(client).status_code == 200
    journal = client.get("/_mock/journal", params={"surface": "pairing"}).json()["entries"]
    assert [e["status"] for e in journal] == [502, 200]


def test_a_second_integrator_pairs_on_its_own():
    other = "c" * 32
    settings = settings_from_mapping({"clock": "virtual", "patients": 20, "integrators": [
        {"name": "A", "subscription_keys": [KEY], "sites": [SITE]},
        {"name": "B", "subscription_keys": [other], "sites": []},
    ]})
    theirs = {"Ocp-Apim-Subscription-Key": other}
    with TestClient(create_app(settings)) as client:
        code = next(s for s in client.get("/_mock/sites").json()["sites"] if s["id"] == SITE)["pairingCode"]
        assert_general_error(client.get(f"/integrator/sites/{SITE}", headers=theirs), 403)
        assert pair(client, "10001", code=code, headers=theirs).status_code == 200
        assert client.get(f"/integrator/sites/{SITE}", headers=theirs).status_code == 200
        assert_general_error(client.get(f"/integrator/sites/{OTHER_SITE}", headers=AUTH), 403)


def test_a_non_authoritative_site_is_listed_and_shown_but_not_queried():
    settings = settings_from_mapping({"clock": "virtual", "patients": 20, "sites": [
        {"id": SITE, "name": "Live", "pms_site_id": "555"},
        {"id": OTHER_SITE, "name": "Backup", "pms_site_id": "555", "authoritative": False},
    ]})
    with TestClient(create_app(settings)) as client:
        listed = find(client, "555").json()["sites"]
        assert [(s["id"], s["authoritative"]) for s in listed] == [(SITE, True), (OTHER_SITE, False)]
        assert client.get(f"/integrator/sites/{OTHER_SITE}", headers=AUTH).json()["authoritative"] is False
        assert_general_error(immediate(client, OTHER_SITE), 403, "authoritative")


def test_other_pms_pair_without_a_code_and_every_instance_of_a_practice_pairs(tmp_path):
    sqlite3.connect(tmp_path / "zedmed.sqlite").close()  # never opened: pairing reads no data
    zedmed = {"pms_type": "Zedmed", "pms_site_id": "Z-7", "catalogues": ["Patients"],
              "data": {"Patients": str(tmp_path / "zedmed.sqlite")}}
    settings = settings_from_mapping({"clock": "virtual", "patients": 20, "sites": [
        {"id": SITE, "name": "Bp", "pms_site_id": "555", "pairing_code": "LIVE42"},
        {"id": OTHER_SITE, "name": "Bp backup", "pms_site_id": "555", "authoritative": False},
        {"id": UNPAIRED_SITE, "name": "Zedmed clinic", **zedmed},
    ], "integrators": [{"name": "A", "subscription_keys": [KEY], "sites": []}]})
    with TestClient(create_app(settings)) as client:
        zed = pair(client, "Z-7", "Zedmed", code=None)
        assert zed.status_code == 200, zed.text
        assert (zed.json()["pmsType"], zed.json()["practiceManagementName"]) == ("Zedmed", "Zedmed")
        # The practice's code is the authoritative site's; both of its Halo Links pair.
        assert pair(client, "555", code="LIVE42").json()["id"] == SITE
        assert {s["id"] for s in find(client, "555").json()["sites"]} == {SITE, OTHER_SITE}


# -- the control plane's sites ------------------------------------------------------------------------
def test_the_control_plane_shows_pairing_codes_and_pairings(client):
    from mock_halo.config import DEFAULT_INTEGRATOR_ID

    sites = {s["id"]: s for s in client.get("/_mock/sites").json()["sites"]}
    assert sites[UNPAIRED_SITE]["pairingCode"] == UNPAIRED_CODE and sites[UNPAIRED_SITE]["pairedWith"] == []
    assert sites[SITE]["pairedWith"] == [DEFAULT_INTEGRATOR_ID] and len(sites[SITE]["pairingCode"]) == 6
    assert pair(client, "10001", code=sites[SITE]["pairingCode"]).status_code == 200
    pair(client)
    assert next(s for s in client.get("/_mock/sites").json()["sites"] if s["id"] == UNPAIRED_SITE)["pairedWith"] == [
        DEFAULT_INTEGRATOR_ID]
    assert client.get("/_mock/info").json()["state"]["sites"] == 1  # one pairing made: a reset would undo it


def test_a_site_added_through_the_control_plane_pairs_and_goes_at_the_next_reset(client):
    response = client.post("/_mock/sites", json={"name": "Pop-up Clinic", "practiceManagementSiteId": "777",
                                                  "pairingCode": "POPUP1"})
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["name"], added["practiceManagementSiteId"], added["pairingCode"], added["pairedWith"]) == (
        "Pop-up Clinic", "777", "POPUP1", [])
    assert added["addedAt"] == client.get("/_mock/clock").json()["now"]
    site_id = added["id"]
    assert_general_error(immediate(client, site_id), 403, "active pairing")
    assert pair(client, "777", code="POPUP1").status_code == 200
    response = client.post(f"/integrator/sites/{site_id}/queries/immediate", headers=AUTH,
                           json={"command": {"text": "SELECT COUNT(*) AS n FROM BPS_Patients"}})
    assert response.status_code == 200, response.text
    status = client.get(f"/integrator/sites/{site_id}", headers=AUTH).json()
    assert status["createdAt"] == added["addedAt"] and status["name"] == "Pop-up Clinic"
    client.post("/_mock/reset").raise_for_status()
    assert site_id not in [s["id"] for s in client.get("/_mock/sites").json()["sites"]]
    assert_general_error(immediate(client, site_id), 404)


def test_a_site_added_paired_with_an_integrator_is_open_at_once(client):
    from mock_halo.config import DEFAULT_INTEGRATOR_ID

    site_id = "0a0a0a0a-1111-4222-8333-444455556666"
    response = client.post("/_mock/sites", json={"id": site_id, "practiceManagementSiteId": "778",
                                                  "pairedWith": [DEFAULT_INTEGRATOR_ID], "availability": "offline"})
    assert response.status_code == 201, response.text
    assert response.json()["availability"] == "offline"
    assert_general_error(immediate(client, site_id), 503)  # paired; just offline
    client.post("/_mock/reset", json={"siteId": site_id}).raise_for_status()  # a site's reset keeps it paired
    assert client.get(f"/integrator/sites/{site_id}", headers=AUTH).json()["availability"] == "offline"


@pytest.mark.parametrize("body,fragment", [
    ({}, "practiceManagementSiteId is required"),
    ({"practiceManagementSiteId": 777}, "practiceManagementSiteId is required"),
    ({"practiceManagementSiteId": "1", "pmsType": "Zedmed"}, "Bp Premier sites only"),
    ({"practiceManagementSiteId": "1", "pairedWith": ["nobody"]}, "no configured integrator"),
    ({"practiceManagementSiteId": "1", "id": "not-a-guid"}, "must be a GUID"),
    ({"practiceManagementSiteId": "1", "id": SITE}, "exists already"),
    ({"practiceManagementSiteId": "1", "availability": "sometimes"}, "availability"),
    ({"practiceManagementSiteId": "1", "pairingCode": "has space"}, "pairing_code"),
    ({"practiceManagementSiteId": "1", "colour": "blue"}, "Unknown field"),
])
def test_adding_a_bad_site_is_a_400_naming_the_field(client, body, fragment):
    assert_general_error(client.post("/_mock/sites", json=body), 400, fragment)
    assert len(client.get("/_mock/sites").json()["sites"]) == 3


def test_pairing_codes_from_the_environment_and_the_config_file(tmp_path):
    from mock_halo.config import ConfigError, load_settings

    settings = load_settings(env={"MOCK_HALO_PAIRING_CODES": f"10003=ENV003, {SITE}=ENV001"})
    codes = {s.pms_site_id: s.pairing_code for s in settings.sites}
    assert codes == {"10001": "ENV001", "10002": None, "10003": "ENV003"}
    with pytest.raises(ConfigError, match="names no configured site"):
        load_settings(env={"MOCK_HALO_PAIRING_CODES": "99999=X"})
    config = tmp_path / "sites.toml"
    config.write_text('[[sites]]\nname = "Only"\npms_site_id = "42"\npairing_code = "TOML42"\n')
    assert load_settings(config, env={}).sites[0].pairing_code == "TOML42"


def test_info_shows_pairing_codes_only_to_privileged_callers():
    settings = settings_from_mapping({"clock": "virtual", "patients": 20, "admin_token": "t0ken"})
    app = create_app(settings)
    with TestClient(app, client=("203.0.113.9", 5000)) as remote:
        sites = remote.get("/_mock/info").json()["sites"]
        assert all("pairingCode" not in s for s in sites)
        sites = remote.get("/_mock/info", headers={"Authorization": "Bearer t0ken"}).json()["sites"]
        assert [s["pairingCode"] for s in sites][2] == UNPAIRED_CODE


def test_the_control_client_adds_sites_and_reads_pairing_codes(client):
    from mock_halo.client import MockHaloControl, MockHaloControlError

    control = MockHaloControl(client=client)
    assert control.pairing_code(UNPAIRED_SITE) == UNPAIRED_CODE
    site = control.add_site("900", name="Test Clinic", pairing_code="T900")
    assert (site["name"], site["pairingCode"], control.pairing_code(site["id"])) == ("Test Clinic", "T900", "T900")
    assert pair(client, "900", code=control.pairing_code(site["id"])).status_code == 200
    with pytest.raises(MockHaloControlError) as refused:
        control.add_site("901", paired_with=["nobody"])
    assert refused.value.status == 400


def test_the_banner_names_the_unpaired_sites_pairing_code():
    from mock_halo.cli import banner
    from mock_halo.config import load_settings

    line = next(line for line in banner(load_settings(env={}), 8080, 0.1).splitlines() if UNPAIRED_SITE in line)
    assert "NOT paired" in line and f"pairing code {UNPAIRED_CODE}" in line

"""Chaos mode: rules with a seeded probability, profiles, `serve --chaos` and `mock-halo judge`.

Same seed + same requests => same injected outcomes, so a black-box client's run replays exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from live_server import ServeProcess
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import with_scenarios
from mock_halo.emulator import Emulator
from mock_halo.scenarios import ScenarioError
from mock_halo.scenarios.chaos import PROFILES, load_profile, profile_rules
from tests.conftest import SITE, Halo, assert_general_error, make_settings

FLAKY = {"faults": [
    {"id": "busy", "probability": 0.3, "surface": "immediate", "outcome": {"error": 429, "retryAfter": 1}},
    {"id": "down", "probability": 0.2, "surface": "immediate", "outcome": {"error": 503}},
]}


def outcomes(seed: int = 42, profile=FLAKY, requests: int = 40) -> list[tuple[int, list[str]]]:
    """What ``requests`` identical immediate queries meet on a fresh emulator with ``profile``."""
    settings = with_scenarios(make_settings(seed=seed), profile_rules(profile), "test")
    emulator = Emulator(settings)
    try:
        with TestClient(create_app(emulator=emulator)) as client:
            halo = Halo(client)
            token = halo.token()
            seen = [halo.immediate("SELECT 1 AS one", token=token).status_code for _ in range(requests)]
            fired = [e["scenarios"] for e in client.get("/_mock/journal", params={"surface": "immediate"}).json()["entries"]]
            return list(zip(seen, fired, strict=True))
    finally:
        emulator.close()


def test_same_seed_and_requests_meet_the_same_outcomes():
    first = outcomes()
    assert first == outcomes()
    statuses = [status for status, _ in first]
    assert {200, 429, 503} <= set(statuses)
    for status, fired in first:  # the journal marks every injected outcome
        assert (status == 200) == (fired == [])
        assert status != 503 or "chaos-down" in fired
    assert outcomes(seed=7) != first


def test_a_reset_replays_the_same_draws(client, halo: Halo):
    rules = profile_rules(FLAKY)
    assert client.post("/_mock/scenarios", json={"rules": rules}).status_code == 201
    token = halo.token()
    before = [halo.immediate("SELECT 1", token=token).status_code for _ in range(30)]
    # Rules added at run time keep their ids; a reset drops them, so add them again and replay.
    client.post("/_mock/reset")
    assert client.post("/_mock/scenarios", json={"rules": rules}).status_code == 201
    token = halo.token()
    assert [halo.immediate("SELECT 1", token=token).status_code for _ in range(30)] == before


def test_probability_is_a_rate():
    always = outcomes(profile={"faults": [{"probability": 1, "surface": "immediate", "outcome": {"error": 500}}]}, requests=10)
    assert [s for s, _ in always] == [500] * 10
    rare = outcomes(profile={"faults": [{"probability": 0.1, "surface": "immediate", "outcome": {"error": 500}}]}, requests=400)
    assert 20 <= sum(s == 500 for s, _ in rare) <= 60


@pytest.mark.parametrize("match, fragment", [
    ({"probability": 0}, "above 0 and at most 1"),
    ({"probability": 1.5}, "above 0 and at most 1"),
    ({"probability": True}, "above 0 and at most 1"),
    ({"seed": 3}, "seed only goes with probability"),
    ({"probability": 0.5, "seed": -1}, "seed must be"),
])
def test_bad_probabilities_are_400(client, match, fragment):
    response = client.post("/_mock/scenarios", json={"match": match, "outcome": {"error": 503}})
    assert_general_error(response, 400, fragment)


def test_rules_list_their_probability_and_seed(client):
    client.post("/_mock/scenarios", json={"id": "x", "match": {"probability": 0.25, "seed": 9}, "outcome": {"error": 503}})
    match = client.get("/_mock/scenarios/x").json()["match"]
    assert (match["probability"], match["seed"]) == (0.25, 9)


# -- profiles ----------------------------------------------------------------------------------
def test_built_in_profiles_are_valid_rules():
    for name in PROFILES:
        rules = load_profile(name)
        assert rules and all(r["id"].startswith("chaos-") and 0 < r["match"]["probability"] <= 1 for r in rules)
        Emulator(with_scenarios(make_settings(), rules, name)).close()


def test_profile_files_json_and_toml(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps({"seed": 5, "faults": [{"probability": 0.5, "outcome": {"error": 503}}]}))
    (tmp_path / "p.toml").write_text('seed = 5\n[[faults]]\nid = "busy"\nprobability = 0.5\nsurface = "query"\n'
                                     'outcome = { error = 429, retryAfter = 3 }\n')
    assert load_profile(str(tmp_path / "p.json")) == [
        {"id": "chaos-1", "match": {"probability": 0.5, "seed": 5}, "outcome": {"error": 503}}]
    assert load_profile(str(tmp_path / "p.toml")) == [
        {"id": "chaos-busy", "match": {"probability": 0.5, "surface": "query", "seed": 5}, "outcome": {"error": 429, "retryAfter": 3}}]


@pytest.mark.parametrize("profile, fragment", [
    ({"faults": []}, "non-empty"),
    ({"faults": [{"outcome": {"error": 503}}]}, "fault 1: probability is required"),
    ({"faults": [{"probability": 0.1, "outcome": {"error": 503}, "colour": "red"}]}, "fault 1: unknown key(s) ['colour']"),
    ({"faults": [{"probability": 0.1, "outcome": {"status": "fine"}}]}, "fault 1: outcome.status"),
    ({"faults": [{"probability": 0.1, "outcome": {"error": 503}}], "speed": 2}, "unknown key(s) ['speed']"),
])
def test_bad_profiles_name_the_fault(profile, fragment):
    with pytest.raises(ScenarioError) as error:
        profile_rules(profile, "p.json")
    assert fragment in str(error.value) and str(error.value).startswith("p.json")


def test_a_missing_profile_says_what_exists(tmp_path):
    with pytest.raises(ScenarioError, match="not a built-in profile \\(mild, stormy\\)"):
        load_profile(str(tmp_path / "nope.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ScenarioError, match="cannot be parsed"):
        load_profile(str(tmp_path / "bad.json"))


# -- serve --chaos and mock-halo judge ------------------------------------------------------------
def test_serve_with_chaos_then_judge_the_client(tmp_path):
    server = ServeProcess("--chaos", "stormy", "--seed", "3", "--clock", "virtual", "--log-level", "warning")
    try:
        assert "chaos          11 faults at seeded random" in server.output
        with httpx.Client(base_url=server.base_url) as http:
            info = http.get("/_mock/info").json()
            form = {"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": SITE}
            statuses = []
            token = None
            while token is None:  # a client that retries its token at once
                answer = http.post("/integrator/token", data=form, headers={"Ocp-Apim-Subscription-Key": info["integrators"][0]["subscriptionKey"]})
                statuses.append(answer.status_code)
                token = answer.json().get("access_token")
            headers = {"Authorization": f"Bearer {token}", "DeviceId": "d"}
            for _ in range(30):  # ... and its queries
                statuses.append(http.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT 1 AS x"}},
                                          headers=headers).status_code)
            journal = http.get("/_mock/journal").json()
        assert any(s != 200 for s in statuses)
        assert all(e["scenarios"] and all(r.startswith("chaos-") for r in e["scenarios"]) for e in journal["entries"] if e["status"] != 200)
        judged = subprocess.run([sys.executable, "-m", "mock_halo", "judge", "--url", server.base_url],
                                capture_output=True, text=True, timeout=60)
        assert judged.returncode == 1, judged.stdout + judged.stderr
        assert "FAIL backs_off" in judged.stdout or "FAIL honours_retry_after" in judged.stdout
        (tmp_path / "journal.json").write_text(json.dumps(journal))
        offline = subprocess.run([sys.executable, "-m", "mock_halo", "judge", "--journal", str(tmp_path / "journal.json"),
                                  "--check", "under_concurrency_cap", "--json"], capture_output=True, text=True, timeout=60)
        assert offline.returncode == 0 and json.loads(offline.stdout)["ok"] is True
    finally:
        server.stop()


def test_judge_reports_an_unreachable_emulator():
    done = subprocess.run([sys.executable, "-m", "mock_halo", "judge", "--url", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "cannot read the journal" in done.stderr


def test_serve_refuses_an_unknown_profile(capsys):
    from mock_halo.cli import main

    assert main(["serve", "--chaos", "hurricane", "--quiet"]) == 2
    assert "not a built-in profile (mild, stormy)" in capsys.readouterr().err

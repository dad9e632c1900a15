"""Scenario rules preloaded from the config file ([[scenarios]]) and `serve --scenario FILE.json`."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.cli import main
from mock_halo.config import ConfigError, load_settings, with_scenarios
from mock_halo.emulator import Emulator
from mock_halo.scenarios import ScenarioError
from mock_halo.scenarios.files import read_rule_file
from tests.conftest import Halo, assert_general_error

TOML = """
clock = "virtual"
patients = 40

[[scenarios]]
id = "busy"
match = { surface = "immediate", sql = "BPS_Appointments" }
outcome = { error = 429, retryAfter = 9 }
"""


def test_config_file_rules_are_in_force_and_come_back_on_reset(tmp_path):
    path = tmp_path / "mock-halo.toml"
    path.write_text(TOML)
    settings = load_settings(path, env={})
    with TestClient(create_app(emulator=Emulator(settings))) as client:
        halo = Halo(client)
        assert_general_error(halo.immediate("SELECT * FROM BPS_Appointments"), 429, "9 seconds")
        client.delete("/_mock/scenarios/busy")
        assert halo.immediate("SELECT TOP 1 * FROM BPS_Appointments").status_code == 200
        client.post("/_mock/reset")
        rules = client.get("/_mock/scenarios").json()["rules"]
        assert [(r["id"], r["fired"]) for r in rules] == [("busy", 0)]


def test_a_bad_config_rule_is_a_config_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[scenarios]]\noutcome = { status = "finished" }\n')
    with pytest.raises(ConfigError, match="scenario 1: outcome.status"):
        load_settings(path, env={})


def test_rule_files_hold_one_rule_a_list_or_a_rules_object(tmp_path):
    rule = {"match": {"surface": "async"}, "outcome": {"status": "expiredInQueue"}}
    for content in (rule, [rule, rule], {"rules": [rule]}):
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(content))
        rules = read_rule_file(path)
        assert rules and all(r == rule for r in rules)
    path.write_text("[1, 2]")
    with pytest.raises(ScenarioError, match="must hold a rule"):
        read_rule_file(path)
    with pytest.raises(ScenarioError, match="cannot read"):
        read_rule_file(tmp_path / "missing.json")


def test_with_scenarios_appends_checked_rules():
    settings = load_settings(env={}, overrides={"clock": "virtual"})
    settings = with_scenarios(settings, [{"outcome": {"error": 500}}], "cli")
    assert len(Emulator(settings).scenarios) == 1
    with pytest.raises(ConfigError, match="cli: scenario 1"):
        with_scenarios(settings, [{"outcome": {"error": 5}}], "cli")


def test_serve_refuses_a_bad_scenario_file(tmp_path, capsys):
    path = tmp_path / "rules.json"
    path.write_text('{"outcome": {"latency": "whenever"}}')
    assert main(["serve", "--scenario", str(path), "--quiet"]) == 2
    assert "latency" in capsys.readouterr().err

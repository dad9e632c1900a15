"""A contract run never damages a running emulator it did not start, and the clock can go back
to real time: ``POST /_mock/clock/real``, the state summary in ``/_mock/info``, the contract
target's guard (``--allow-reset``) and how it leaves the clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from mock_halo.client import MockHaloControl
from mock_halo.contract.target import Target, TargetConfig
from tests.conftest import SITE, Halo, assert_general_error

ZERO = {"requests": 0, "queries": 0, "scenarioRules": 0, "sites": 0, "webhooks": 0}


def seconds_from_wall(clock_body: dict) -> float:
    return abs(datetime.fromisoformat(clock_body["now"]).timestamp() - time.time())


# -- POST /_mock/clock/real -----------------------------------------------------------
def test_clock_real_runs_the_clock_from_the_wall_clock_at_real_speed(client):
    assert client.get("/_mock/clock").json()["frozen"]
    body = client.post("/_mock/clock/real").json()
    assert (body["speed"], body["frozen"]) == (1.0, False)
    assert seconds_from_wall(body) < 5
    faster = client.post("/_mock/clock/real", json={"speed": 60}).json()
    assert faster["speed"] == 60.0 and seconds_from_wall(faster) < 60


def test_clock_real_from_a_clock_ahead_of_the_wall_resets_everything_first(client, halo: Halo):
    client.post("/_mock/clock/set", json={"time": "2100-01-01T00:00:00Z"}).raise_for_status()
    client.post("/_mock/scenarios", json={"match": {"surface": "fhir"}, "outcome": {"latency": "1ms"}}).raise_for_status()
    created = halo.client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 1"}},
                               headers=halo.headers(halo.token()))
    assert created.status_code == 201
    body = client.post("/_mock/clock/real").json()
    assert seconds_from_wall(body) < 5 and not body["frozen"]
    assert client.get("/_mock/scenarios").json()["rules"] == []
    assert client.get("/_mock/info").json()["state"] == ZERO
    # the query's timings lay in the future of the new now: it is gone, not half-run
    gone = halo.client.get(f"/device/sites/{SITE}/queries/{created.json()['id']}", headers=halo.headers(halo.token()))
    assert gone.status_code == 404


@pytest.mark.parametrize("body, fragment", [
    ({"speed": 0}, "above 0"), ({"speed": -1}, "above 0"), ({"speed": "fast"}, "above 0"), ({"speed": True}, "above 0"),
    ({"speed": 2_000_000}, "at most"), ({"when": "now"}, "unknown field"),
])
def test_clock_real_rejects_bad_input_and_leaves_the_clock_alone(client, body, fragment):
    before = client.get("/_mock/clock").json()
    assert_general_error(client.post("/_mock/clock/real", json=body), 400, fragment)
    assert client.get("/_mock/clock").json() == before


def test_the_control_client_and_the_plugin_clock_return_to_real_time(halo_clock, halo_control):
    assert halo_clock.freeze().frozen
    state = halo_clock.real_time()
    assert (state.speed, state.frozen) == (1.0, False)
    assert abs(datetime.fromisoformat(state.now).timestamp() - time.time()) < 5
    assert halo_control.real_time(speed=2).speed == 2.0


# -- the state summary ---------------------------------------------------------------------
def test_info_says_what_a_reset_would_throw_away(client, halo: Halo):
    state = lambda: client.get("/_mock/info").json()["state"]  # noqa: E731
    assert state() == ZERO
    halo.token()
    assert state()["requests"] == 1
    client.delete("/_mock/journal")
    assert state()["requests"] == 1, "clearing the journal does not make the emulator fresh"
    halo.rows("SELECT 1 AS one")
    assert state()["queries"] == 1
    client.post("/_mock/scenarios", json={"match": {"surface": "fhir"}, "outcome": {"error": 503}})
    client.put(f"/_mock/sites/{SITE}/availability", json={"availability": "offline"})
    assert state()["scenarioRules"] == 1 and state()["sites"] == 1
    client.post("/_mock/reset")
    assert state() == ZERO


def test_preloaded_rules_count_only_once_they_match_or_change():
    from starlette.testclient import TestClient

    from mock_halo.app import create_app
    from mock_halo.config import with_scenarios
    from mock_halo.emulator import Emulator
    from tests.conftest import make_settings

    rule = {"id": "slow", "match": {"surface": "immediate"}, "outcome": {"latency": "1ms"}}
    emulator = Emulator(with_scenarios(make_settings(), [rule], "test"))
    with TestClient(create_app(emulator=emulator)) as client:
        assert client.get("/_mock/info").json()["state"] == ZERO
        Halo(client).rows("SELECT 1 AS one")
        assert client.get("/_mock/info").json()["state"]["scenarioRules"] == 1
        client.post("/_mock/reset")
        client.delete("/_mock/scenarios/slow")
        assert client.get("/_mock/info").json()["state"]["scenarioRules"] == 1
    emulator.close()


# -- the contract target's guard and restore -------------------------------------------------
def url_target(base_url: str, **options) -> Target:
    return Target.open(TargetConfig(kind="url", base_url=base_url, **options))


def test_a_fresh_running_emulator_lends_its_control_plane(halo_server):
    with url_target(halo_server.base_url) as target:
        assert target.has_control and "answered" in target.control_reason


def test_an_emulator_holding_state_keeps_it_unless_reset_is_allowed(halo_server):
    control = halo_server.control
    control.add_scenario({"surface": "fhir"}, latency="1ms", id="mine")
    control.set_speed(60)
    with url_target(halo_server.base_url) as target:
        assert not target.has_control and target.control() is None
        assert "holds state (1 scenarioRules)" in target.control_reason and "--allow-reset" in target.control_reason
        target.token()  # the run's own requests still go through
    assert [r["id"] for r in control.scenarios()] == ["mine"]
    assert control.clock().speed == 60
    with url_target(halo_server.base_url, allow_reset=True) as target:
        assert target.has_control and "reset allowed" in target.control_reason


@pytest.mark.parametrize("prepare, expect", [
    (lambda c: c.freeze(), lambda s: s.frozen),
    (lambda c: c.set_speed(60), lambda s: s.speed == 60 and not s.frozen),
    (lambda c: c.real_time(), lambda s: s.speed == 1 and abs(datetime.fromisoformat(s.now).timestamp() - time.time()) < 5),
])
def test_a_run_leaves_the_clock_in_its_mode_and_speed_and_the_emulator_fresh(halo_server, prepare, expect):
    control: MockHaloControl = halo_server.control
    prepare(control)
    control.reset()
    with url_target(halo_server.base_url) as target:
        assert target.has_control
        run = target.control()
        run.freeze()
        run.set_time(datetime(2150, 1, 1, tzinfo=UTC))  # what the suite's clock tests do, and more
        run.add_scenario({"surface": "fhir"}, error=503)
        target.token()
    state = control.clock()
    assert expect(state), state
    assert control.info()["state"] == ZERO


def test_a_run_that_changed_nothing_touches_nothing(halo_server):
    control = halo_server.control
    control.set_speed(60)
    with url_target(halo_server.base_url) as target:
        target.token()
    assert control.info()["state"]["requests"] == 1, "no reset when the run never used the control plane"
    assert control.clock().speed == 60

"""``MockHaloControl``, the typed control client, over an in-process app; and latency on a running clock."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.client import ClockState, MockHaloControl, MockHaloControlError
from mock_halo.emulator import Emulator
from tests.conftest import SITE, Halo, make_settings


@pytest.fixture
def control(client) -> MockHaloControl:
    return MockHaloControl(client=client)


def test_clock_calls(control: MockHaloControl):
    assert control.clock() == ClockState(now="2026-01-04T23:00:00.000Z", speed=0.0, frozen=True)
    assert control.advance("10m").now == "2026-01-04T23:10:00.000Z"
    assert control.advance(30).now == "2026-01-04T23:10:30.000Z"
    assert control.set_time("2026-01-05T00:00:00Z").now == "2026-01-05T00:00:00.000Z"
    assert control.set_speed(2).frozen is False
    assert control.freeze().frozen is True


def test_scenarios_journal_sites_and_reset(control: MockHaloControl, halo: Halo):
    rule = control.add_scenario({"surface": "immediate"}, error=429, retryAfter=5, id="throttle")
    assert rule["id"] == "throttle" and control.scenarios()[0]["outcome"] == {"error": 429, "retryAfter": 5}
    assert halo.immediate("SELECT 1").status_code == 429
    assert [e["status"] for e in control.journal(surface="immediate")] == [429]
    control.delete_scenario("throttle")
    assert control.set_availability(SITE, "offline")["availability"] == "offline"
    assert control.set_latency(SITE, "250ms")["latencyMs"] == 250
    control.reset()
    assert control.journal() == [] and control.scenarios() == []
    assert {s["availability"] for s in control.sites()} == {"online"}
    assert control.seed() == 42


def test_refusals_raise_with_the_envelope_message(control: MockHaloControl):
    with pytest.raises(MockHaloControlError) as caught:
        control.set_time("2020-01-01T00:00:00Z")
    assert caught.value.status == 400 and "backwards" in caught.value.message
    with pytest.raises(MockHaloControlError, match="404"):
        control.delete_scenario("nope")


def test_admin_token_is_sent_for_remote_use():
    emulator = Emulator(make_settings(admin_token="s3cret"))
    with TestClient(create_app(emulator=emulator), client=("203.0.113.9", 50000)) as remote:
        with pytest.raises(MockHaloControlError, match="401"):
            MockHaloControl(client=remote).clock()
        assert MockHaloControl(client=remote, admin_token="s3cret").clock().frozen


def test_client_needs_exactly_one_target():
    with pytest.raises(ValueError):
        MockHaloControl()


def test_latency_on_a_running_clock_waits_latency_over_speed(control: MockHaloControl, halo: Halo):
    token = halo.token()
    control.add_scenario({"surface": "immediate"}, latency="30s")
    control.set_speed(1000)  # 30 s of emulator time is 30 ms of wall time; a bare request takes ~1 s
    start = control.clock().now
    created = halo.immediate("SELECT 1", token=token).json()["createdAt"]
    control.freeze()
    assert created >= _plus_seconds(start, 30)


def _plus_seconds(stamp: str, seconds: int) -> str:
    from datetime import timedelta

    from mock_halo.clock import format_timestamp, parse_timestamp

    return format_timestamp(parse_timestamp(stamp) + timedelta(seconds=seconds))

"""No request can move the clock out of its range; a moved clock can always be put back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import SITE, assert_general_error

from mock_halo.clock import LATEST, Clock, format_timestamp

LAST = format_timestamp(LATEST)


def test_a_huge_directive_latency_is_refused_and_tokens_keep_working(halo, client):
    """The reproducer: latency=2912439d used to fling a virtual clock to 9999; every token then 500'd."""
    response = halo.immediate("SELECT 1 /* mock-halo: latency=2912439d */")
    assert_general_error(response, 400, "latency", "10 minutes")
    assert client.get("/_mock/clock").json()["now"].startswith("2026-")
    assert halo.immediate("SELECT 1").status_code == 200


@pytest.mark.parametrize("outcome", [
    {"latency": "11m"}, {"latencyMs": 600_001}, {"status": "executionFailed", "executingMs": 10**15},
    {"retentionMs": 10**15}, {"queuedMs": 10**15}, {"initialisingMs": 10**15}, {"pageUploadMs": 10**15},
    {"error": 429, "retryAfter": 10**12},
])
def test_rule_durations_are_capped(client, outcome):
    response = client.post("/_mock/scenarios", json={"match": {}, "outcome": outcome})
    error = assert_general_error(response, 400, next(iter(outcome.keys() - {"status", "error"})))
    assert "at most" in error["message"] or "from 0 to" in error["message"]


def test_directive_phase_durations_are_capped(halo):
    response = halo.immediate("SELECT 1 /* mock-halo: status=executionFailed executingMs=999999999999999 */")
    assert_general_error(response, 400, "executingMs")


def test_site_latency_is_capped(client):
    assert_general_error(client.put(f"/_mock/sites/{SITE}/latency", json={"latency": "1d"}), 400, "10 minutes")
    assert_general_error(client.put(f"/_mock/sites/{SITE}/latency", json={"latencyMs": 10**12}), 400, "600000")
    assert client.put(f"/_mock/sites/{SITE}/latency", json={"latency": "10m"}).json()["latencyMs"] == 600_000


def test_the_clock_stops_short_of_the_end_of_its_range(client, halo):
    assert_general_error(client.post("/_mock/clock/advance", json={"duration": "100000d"}), 400, LAST)
    assert_general_error(client.post("/_mock/clock/set", json={"time": "9999-12-31T23:59:59Z"}), 400, "range")
    assert_general_error(client.post("/_mock/clock/set", json={"time": "9999-12-31T23:59:59-01:00"}), 400)
    assert client.post("/_mock/clock/set", json={"time": LAST}).json()["now"] == LAST
    # At the very end, a request still gets a token (its expiry lies after the range, not past 9999).
    assert halo.token()
    assert halo.immediate("SELECT 1").status_code == 200


def test_clock_set_backwards_needs_asking_and_then_forgets_every_query(client, halo):
    created = client.post(
        f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 1 AS x"}},
        headers=halo.headers(halo.token()),
    ).json()
    client.post("/_mock/clock/set", json={"time": "2030-01-01T00:00:00Z"})
    assert_general_error(client.post("/_mock/clock/set", json={"time": "2026-01-01T00:00:00Z"}), 400, "backwards")
    assert_general_error(client.post("/_mock/clock/set", json={"time": "2026-01-01T00:00:00Z", "backwards": 1}), 400)
    moved = client.post("/_mock/clock/set", json={"time": "2026-01-01T00:00:00Z", "backwards": True})
    assert moved.status_code == 200 and moved.json()["now"] == "2026-01-01T00:00:00.000Z"
    headers = halo.headers(halo.token())
    assert client.get(f"/device/sites/{SITE}/queries/{created['id']}", headers=headers).status_code == 404
    # The lifecycle runs from the new now: a new async query goes through every status again.
    query = client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 2 AS y"}}, headers=headers).json()
    assert query["createdAt"] == "2026-01-01T00:00:00.000Z"
    client.post("/_mock/clock/advance", json={"duration": "1m"})
    assert client.get(f"/device/sites/{SITE}/queries/{query['id']}", headers=headers).json()["status"] == "successful"


def test_a_fast_running_clock_stops_at_the_end_of_its_range():
    wall = [1000.0]
    clock = Clock(start=datetime(2199, 12, 31, tzinfo=UTC), speed=1_000_000, wall=lambda: wall[0])
    wall[0] += 10**9
    assert clock.now() == LATEST
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=1))
    with pytest.raises(ValueError):
        Clock.virtual(datetime(9000, 1, 1, tzinfo=UTC))


def test_clock_start_outside_the_range_is_a_configuration_error():
    from mock_halo.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="clock_start"):
        load_settings(env={"MOCK_HALO_CLOCK_START": "9999-01-01T00:00:00Z"})
    with pytest.raises(ConfigError, match="token_lifetime"):
        load_settings(env={"MOCK_HALO_TOKEN_LIFETIME": str(10**12)})

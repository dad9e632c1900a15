"""No request can move the clock out of its range; a moved clock can always be put back."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import KEY, SITE, assert_general_error

from mock_halo.app import create_app
from mock_halo.clock import LATEST, Clock, format_timestamp
from mock_halo.runner import BACKGROUND

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


def test_a_catch_up_that_outlives_a_move_back_does_not_carry_the_lifecycle_past_the_clock(emulator):
    """A catch-up waiting for a site's SQL holds the instant it started for; should the clock
    move back meanwhile (a full reset), that instant lies in the new timeline's future: the
    site must not be brought up to it, or every new query would jump there and expire."""
    async def main() -> None:
        transport = httpx.ASGITransport(app=create_app(emulator=emulator))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async def fresh() -> dict[str, str]:
                token = (await client.post("/integrator/token", headers={"Ocp-Apim-Subscription-Key": KEY}, data={
                    "grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": SITE})).json()
                return {"Authorization": f"Bearer {token['access_token']}", "DeviceId": "d"}

            headers = await fresh()
            old = (await client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 1 AS x"}},
                                     headers=headers)).json()
            gate = threading.Event()
            emulator.sites[SITE].runner.submit(lambda: gate.wait(10), priority=BACKGROUND)
            emulator.clock.advance(timedelta(days=30))
            headers = await fresh()
            # A status read catches the site up to now + 30 days: the old query's SQL waits behind the gate.
            reading = asyncio.create_task(client.get(f"/device/sites/{SITE}/queries/{old['id']}", headers=headers))
            for _ in range(200):
                if emulator.lifecycle._sites[SITE].scheduler.pending is not None:
                    break
                await asyncio.sleep(0.005)
            else:
                raise AssertionError("the status read never waited for the old query's SQL")
            start = emulator.clock.now() - timedelta(days=30)
            moved = await client.post("/_mock/clock/set", json={"time": format_timestamp(start), "backwards": True})
            assert moved.status_code == 200
            gate.set()
            await reading
            headers = await fresh()
            new = (await client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": "SELECT 2 AS y"}},
                                     headers=headers)).json()
            emulator.clock.advance(timedelta(minutes=1))
            body = (await client.get(f"/device/sites/{SITE}/queries/{new['id']}", headers=headers)).json()
            assert body.get("status") == "successful", body

    asyncio.run(main())

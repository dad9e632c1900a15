"""Registered queries (halo-facts 7): schedule, states, metrics, results."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest

from mock_halo.clock import parse_timestamp
from mock_halo.errors import HaloError
from mock_halo.lifecycle.testing import FakeCommand, World


def register(world: World, text: str = "rows:2", *, frequency: int = 60, duration: int = 120, **options):
    return world.lifecycle.create_registered(
        site_id=world.site, integrator_id="integrator", name="Test", registered_query_type="query",
        frequency=frequency, duration=duration, command=FakeCommand(text), request_size=180, **options,
    )


def get(world: World, query) -> dict:
    return world.lifecycle.get_registered(world.site, query.id)


def test_enabled_runs_every_frequency_then_completes() -> None:
    world = World()
    query = register(world, frequency=60, duration=120, first_run_ms=5000)
    body = get(world, query)
    assert body["status"] == "enabled" and body["metrics"]["executionSucceededCount"] == 0
    assert list(body) == ["id", "name", "registeredQueryType", "status", "frequency", "duration", "createdAt", "metrics"]
    world.advance(6)
    body = get(world, query)
    assert body["metrics"]["executionSucceededCount"] == 1
    assert body["metrics"]["lastSucceededAt"] == "2026-01-04T23:00:05.000Z"
    world.advance(60)
    assert get(world, query)["metrics"]["executionSucceededCount"] == 2
    world.advance(60)
    body = get(world, query)
    assert body["status"] == "completed" and body["completedAt"] == "2026-01-04T23:02:05.000Z"
    assert body["metrics"]["executionSucceededCount"] == 3  # duration / frequency + 1
    world.advance(3600)
    assert get(world, query)["metrics"]["executionSucceededCount"] == 3
    assert len(world.executors["site-a"].calls) == 3


def test_result_hash_and_upload_only_on_change() -> None:
    world = World()
    executor = world.executors["site-a"]
    query = register(world, "rows:3", frequency=60, duration=600)
    with pytest.raises(HaloError) as info:
        world.lifecycle.registered_result(world.site, query.id)
    assert info.value.status == 404  # before the first success
    world.advance(200)  # 4 runs, same data
    body = get(world, query)
    result = world.lifecycle.registered_result(world.site, query.id)
    data = base64.b64decode(result["data"])
    assert orjson.loads(data) == [{"n": i, "pad": ""} for i in range(3)]
    assert result == {"data": result["data"], "parameters": None, "rows": 3, "size": len(data)}
    assert body["lastHash"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert body["metrics"]["executionSucceededCount"] == 4
    assert body["metrics"]["resultSizeSum"] == len(data)  # uploaded once: the data never changed
    query.command = FakeCommand("rows:4")
    world.advance(60)
    changed = get(world, query)
    assert changed["lastHash"] != body["lastHash"]
    assert changed["metrics"]["resultSizeSum"] == len(data) + world.lifecycle.registered_result(world.site, query.id)["size"]
    assert len(executor.calls) == 5


def test_failing_runs_do_not_stop_the_schedule() -> None:
    world = World()
    query = register(world, "error:2812", frequency=60, duration=120)
    world.advance(200)
    body = get(world, query)
    assert body["status"] == "completed"
    assert body["metrics"]["executionFailedCount"] == 3 and body["metrics"]["executionSucceededCount"] == 0
    assert body["lastErrorDetails"] == {"errorType": "mssql", "errorCode": 2812, "errorMessage": "Fake SQL Server error 2812."}
    assert "lastHash" not in body and body["metrics"]["lastFailedAt"] == body["completedAt"]
    assert body["metrics"]["lastExecutionDuration"] == 0


def test_cancel_stops_runs() -> None:
    world = World()
    query = register(world, frequency=60, duration=3600)
    world.advance(90)
    world.lifecycle.cancel_registered(world.site, query.id)
    body = get(world, query)
    assert body["status"] == "cancelled" and "completedAt" not in body
    runs = body["metrics"]["executionSucceededCount"]
    world.advance(7200)
    assert get(world, query)["metrics"]["executionSucceededCount"] == runs == 2
    world.lifecycle.cancel_registered(world.site, query.id)  # idempotent


def test_cancel_after_completion_leaves_it_completed() -> None:
    world = World()
    query = register(world, duration=60)
    world.advance(120)
    world.lifecycle.cancel_registered(world.site, query.id)
    assert get(world, query)["status"] == "completed"


def test_forced_initialisation_cache_error_never_runs() -> None:
    world = World()
    query = register(world, fail_initialisation=True)
    world.advance(600)
    assert get(world, query)["status"] == "initialisationFailedCacheError"
    assert world.executors["site-a"].calls == []


def test_runs_while_offline_are_skipped() -> None:
    world = World()
    query = register(world, frequency=60, duration=600, first_run_ms=1000)
    world.advance(2)
    world.lifecycle.set_availability(world.site, "offline")
    world.advance(120)
    world.lifecycle.set_availability(world.site, "online")
    world.advance(60)
    metrics = get(world, query)["metrics"]
    assert metrics["executionSucceededCount"] == 2 and query.skipped == 2


def test_registered_limits_fail_runs() -> None:
    world = World()
    slow = register(world, "ms:61000")
    big = register(world, "rows:3000 pad:3000")
    world.advance(10)
    assert get(world, slow)["lastErrorDetails"]["errorCode"] == -2
    assert get(world, big)["lastErrorDetails"]["errorCode"] == 413


def test_list_and_not_found_and_validation() -> None:
    world = World("site-a", "site-b")
    first = register(world)
    second = register(world)
    listed = world.lifecycle.list_registered("site-a")["registeredQueries"]
    assert [q["id"] for q in listed] == [first.id, second.id]
    assert world.lifecycle.list_registered("site-b") == {"registeredQueries": []}
    with pytest.raises(HaloError) as info:
        world.lifecycle.get_registered("site-b", first.id)
    assert info.value.status == 404
    for bad in ({"frequency": 59}, {"duration": 86401}, {"duration": 0}):
        with pytest.raises(HaloError) as info:
            register(world, **bad)
        assert info.value.status == 400


def test_registered_runs_interleave_with_async_executions_in_time_order() -> None:
    world = World()
    register(world, "write:reg", frequency=60, duration=60, first_run_ms=3000)
    world.submit("write:async1 ms:1")  # runs ~1-2.5 s in
    world.advance(2.9)
    world.submit("write:async2 ms:1")  # runs after the registered run at 3 s
    world.advance(120)
    assert world.executors["site-a"].log == ["async1", "reg", "async2", "reg"]


def test_registered_is_forgotten_after_retention() -> None:
    world = World()
    query = register(world, duration=60)
    world.advance(24 * 3600 + 120)
    with pytest.raises(HaloError):
        get(world, query)
    assert len(world.lifecycle.registered) == 0


def test_timestamps_are_halo_style() -> None:
    world = World()
    query = register(world)
    assert parse_timestamp(get(world, query)["createdAt"]) == world.clock.now()

"""Async queries through every status (halo-facts 6.3/6.4), on a virtual clock."""

from __future__ import annotations

import base64
from datetime import timedelta

import orjson
import pytest

from mock_halo.clock import parse_timestamp
from mock_halo.errors import HaloError
from mock_halo.lifecycle.model import QueryRecord
from mock_halo.lifecycle.plan import PlanOverride
from mock_halo.lifecycle.profile import LifecycleLimits, TimingProfile
from mock_halo.lifecycle.testing import World

# halo-facts 6.4, written out independently of the code: for each status, the
# statusTiming keys and whether each has an endTime.
SHAPE = {
    "initialising": {"initialising": False},
    "initialisationFailedCacheError": {"initialising": True},
    "initialisationFailedSiteOffline": {"initialising": True},
    "initialisationFailedSiteUnreachable": {"initialising": True},
    "queued": {"initialising": True, "queued": False},
    "expiredInQueue": {"initialising": True, "queued": True},
    "executing": {"initialising": True, "queued": True, "executing": False},
    "executionFailed": {"initialising": True, "queued": True, "executing": True},
    "uploading": {"initialising": True, "queued": True, "executing": True, "uploading": False},
    "uploadFailed": {"initialising": True, "queued": True, "executing": True, "uploading": True},
    "successful": {"initialising": True, "queued": True, "executing": True, "uploading": False},
}
TERMINAL = {"initialisationFailedCacheError", "initialisationFailedSiteOffline",
            "initialisationFailedSiteUnreachable", "expiredInQueue", "executionFailed", "uploadFailed", "successful"}
BASE_KEYS = ["id", "integratorId", "siteId", "mode", "maxTimeInQueue", "sqlQuerySize", "commandSize",
             "requestSize", "createdAt", "updatedAt", "status", "statusTiming"]


def check_shape(body: dict) -> None:
    status = body["status"]
    assert list(body)[: len(BASE_KEYS)] == BASE_KEYS
    assert body["mode"] == "async"
    timing = body["statusTiming"]
    assert {k: "endTime" in v for k, v in timing.items()} == SHAPE[status], (status, timing)
    assert all("startTime" in v for v in timing.values())
    assert ("completedAt" in body) == (status in TERMINAL)
    assert ("metrics" in body) == (status in {"uploading", "uploadFailed", "successful"})
    assert ("result" in body) == (status == "successful") == ("resultSize" in body)
    failed = status in {"executionFailed", "uploadFailed"}
    assert ("errorDetails" in body) == failed == ("errorCode" in body) == ("errorMessage" in body)
    if failed:
        assert body["errorCode"] == body["errorDetails"]["errorCode"]
        assert set(body["errorDetails"]) == {"errorType", "errorCode", "errorMessage"}
    instants = []
    for phase in ("initialising", "queued", "executing", "uploading"):
        if phase in timing:
            instants += [parse_timestamp(v) for v in timing[phase].values()]
    assert instants == sorted(instants)
    if "completedAt" in body:
        assert parse_timestamp(body["completedAt"]) >= instants[-1]


@pytest.fixture
def world() -> World:
    return World("site-a", "site-b")


def test_created_query_is_initialising_with_only_a_start_time(world: World) -> None:
    query = world.submit("rows:2")
    body = query.render(world.lifecycle.now())
    assert body["status"] == "initialising"
    assert body["statusTiming"] == {"initialising": {"startTime": "2026-01-04T23:00:00.000Z"}}
    assert body["maxTimeInQueue"] == 3_600_000
    check_shape(body)


def test_walks_initialising_queued_executing_uploading_successful(world: World) -> None:
    query = world.submit("rows:2 ms:2000")
    seen = []
    for _ in range(400):
        body = world.status(query)
        check_shape(body)
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] == "successful":
            break
        world.advance(0.02)
    assert seen == ["initialising", "queued", "executing", "uploading", "successful"]
    assert body["metrics"] == {"sqlExecutionDuration": 2000}
    assert body["result"]["rows"] == 2 and body["resultSize"] == body["result"]["size"]


def test_sql_runs_when_execution_starts_not_at_submission(world: World) -> None:
    query = world.submit("rows:1 write:a ms:1000")
    assert world.executors["site-a"].calls == []
    world.run_until(query, "executing")
    assert len(world.executors["site-a"].calls) == 1
    world.advance(3600)
    world.status(query)
    assert len(world.executors["site-a"].calls) == 1  # exactly once


def test_writes_land_in_submission_order_one_at_a_time_per_site(world: World) -> None:
    queries = [world.submit(f"write:w{i} ms:1000") for i in range(5)]
    world.advance(60)
    assert world.executors["site-a"].log == [f"w{i}" for i in range(5)]
    spans = []
    for query in queries:
        timing = world.status(query)["statusTiming"]["executing"]
        spans.append((parse_timestamp(timing["startTime"]), parse_timestamp(timing["endTime"])))
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end  # the link runs one query at a time


def test_sites_have_independent_links(world: World) -> None:
    slow = world.submit("ms:200000")
    other = world.submit("rows:1", site="site-b")
    world.advance(10)
    assert world.status(slow)["status"] == "executing"
    assert world.status(other)["status"] == "successful"


def test_initialisation_failures_from_site_availability(world: World) -> None:
    world.lifecycle.set_availability("site-a", "offline")
    offline = world.submit()
    world.lifecycle.set_availability("site-a", "unreachable")
    unreachable = world.submit()
    world.advance(5)
    for query, status in ((offline, "initialisationFailedSiteOffline"), (unreachable, "initialisationFailedSiteUnreachable")):
        body = world.status(query)
        assert body["status"] == status
        check_shape(body)
        assert body["completedAt"] == body["statusTiming"]["initialising"]["endTime"]
    assert world.executors["site-a"].calls == []


def test_forced_cache_error(world: World) -> None:
    query = world.submit(plan_override=PlanOverride(outcome="initialisationFailedCacheError", initialising_ms=300))
    world.advance(0.2)
    assert world.status(query)["status"] == "initialising"
    world.advance(0.2)
    body = world.status(query)
    assert body["status"] == "initialisationFailedCacheError"
    check_shape(body)


def test_expires_in_queue_behind_a_long_query(world: World) -> None:
    world.submit("ms:240000")  # four minutes on the link
    waiting = world.submit("rows:1", max_time_in_queue=60_000)
    world.advance(30)
    assert world.status(waiting)["status"] == "queued"
    world.advance(40)
    body = world.status(waiting)
    assert body["status"] == "expiredInQueue"
    check_shape(body)
    queued = body["statusTiming"]["queued"]
    assert parse_timestamp(queued["endTime"]) - parse_timestamp(queued["startTime"]) == timedelta(minutes=1)
    assert body["completedAt"] == queued["endTime"]
    assert len(world.executors["site-a"].calls) == 1  # the expired query never ran


def test_expiry_is_decided_even_when_not_at_the_head(world: World) -> None:
    world.submit("ms:240000")
    world.submit("ms:1000", max_time_in_queue=600_000)  # will run after the first
    short = world.submit("rows:1", max_time_in_queue=20_000)
    world.advance(25)  # no event happened since the first started; the expiry still shows
    assert world.status(short)["status"] == "expiredInQueue"


def test_queued_queries_wait_while_the_site_is_offline_then_run(world: World) -> None:
    world.advance(1)
    query = world.submit("rows:1")
    world.advance(0.01)
    world.lifecycle.set_availability("site-a", "offline")
    world.advance(30)
    assert world.status(query)["status"] == "queued"
    world.lifecycle.set_availability("site-a", "online")
    world.advance(5)
    assert world.status(query)["status"] == "successful"


def test_offline_long_enough_expires_queued_queries(world: World) -> None:
    query = world.submit("rows:1", max_time_in_queue=10_000)
    world.advance(0.01)
    world.lifecycle.set_availability("site-a", "offline")
    world.advance(20)
    assert world.status(query)["status"] == "expiredInQueue"
    world.lifecycle.set_availability("site-a", "online")
    world.advance(20)
    assert world.status(query)["status"] == "expiredInQueue"
    assert world.executors["site-a"].calls == []


def test_sql_error_is_execution_failed_with_mssql_details(world: World) -> None:
    query = world.submit("error:208")
    body = world.run_until(query, "executionFailed")
    check_shape(body)
    assert body["errorDetails"] == {"errorType": "mssql", "errorCode": 208, "errorMessage": "Fake SQL Server error 208."}
    assert body["completedAt"] == body["statusTiming"]["executing"]["endTime"]


def test_five_minute_execution_limit(world: World) -> None:
    query = world.submit("ms:400000")
    body = world.run_until(query, "executionFailed", step=1)
    executing = body["statusTiming"]["executing"]
    assert parse_timestamp(executing["endTime"]) - parse_timestamp(executing["startTime"]) == timedelta(minutes=5)
    assert body["errorDetails"]["errorType"] == "mssql" and body["errorDetails"]["errorCode"] == -2


def test_execution_limit_is_configurable() -> None:
    world = World(limits=LifecycleLimits(async_execution_limit=timedelta(seconds=10)))
    query = world.submit("ms:11000")
    assert world.run_until(query, "executionFailed")["errorDetails"]["errorCode"] == -2


def test_forced_stuck_in_executing_for_two_hours_then_failed(world: World) -> None:
    error = {"errorType": "haloLink", "errorCode": 0, "errorMessage": "stuck"}
    query = world.submit("write:x", plan_override=PlanOverride(executing_ms=7_200_000, outcome="executionFailed", error=error))
    world.advance(3600)
    assert world.status(query)["status"] == "executing"
    world.advance(3700)
    body = world.status(query)
    assert body["status"] == "executionFailed" and body["errorDetails"] == error
    assert world.executors["site-a"].log == []  # a forced failure does not run the SQL


def test_upload_failed_after_three_of_five_pages(world: World) -> None:
    query = world.submit("rows:50 pad:100", plan_override=PlanOverride(
        outcome="uploadFailed", fail_after_pages=3, page_size_bytes=1200, page_upload_ms=1000))
    body = world.run_until(query, "uploadFailed")
    check_shape(body)
    assert len(query.result.pages) >= 5
    uploading = body["statusTiming"]["uploading"]
    assert parse_timestamp(uploading["endTime"]) - parse_timestamp(uploading["startTime"]) == timedelta(seconds=4)
    assert [p.status_at(world.clock.now()) for p in query.result.pages[:4]] == ["cached"] * 3 + ["uploading"]


def test_uploading_status_and_pages_that_stay_uploading(world: World) -> None:
    query = world.submit("rows:50 pad:100", plan_override=PlanOverride(stall_after_pages=0, page_size_bytes=1200))
    body = world.run_until(query, "uploading")
    check_shape(body)
    world.advance(86400)
    assert world.status(query)["status"] == "uploading"


def test_successful_while_later_pages_still_upload(world: World) -> None:
    query = world.submit("rows:30 pad:100", plan_override=PlanOverride(page_size_bytes=1200, page_upload_ms=500))
    body = world.run_until(query, "successful")
    statuses = [page["status"] for page in body["result"]["pages"]]
    assert statuses[0] == "cached" and statuses[1] == "uploading" and statuses[-1] == "queued"
    assert body["result"]["pages"][-1]["size"] == 0  # a queued page shows size 0
    assert "endTime" not in body["statusTiming"]["uploading"]
    world.advance(60)
    assert {page["status"] for page in world.status(query)["result"]["pages"]} == {"cached"}


def test_success_when_all_pages_cached_is_configurable() -> None:
    world = World(limits=LifecycleLimits(success_when="allPages"))
    query = world.submit("rows:30 pad:100", plan_override=PlanOverride(page_size_bytes=1200))
    body = world.run_until(query, "successful")
    assert {page["status"] for page in body["result"]["pages"]} == {"cached"}


def test_pinned_queue_time_and_forced_expiry(world: World) -> None:
    world.submit("ms:200000")  # would block a FIFO query; pinned ones bypass it
    pinned = world.submit("rows:1", plan_override=PlanOverride(queued_ms=5000, initialising_ms=1000))
    forced = world.submit("rows:1", max_time_in_queue=2000, plan_override=PlanOverride(outcome="expiredInQueue", initialising_ms=1000))
    world.advance(5.5)
    assert world.status(pinned)["status"] == "queued"
    assert world.status(forced)["status"] == "expiredInQueue"
    world.advance(1)
    assert world.status(pinned)["status"] in {"executing", "uploading", "successful"}


def test_immediate_query_holds_an_idle_link(world: World) -> None:
    query = world.submit("rows:1", plan_override=PlanOverride(initialising_ms=1000))
    world.advance(0.9)
    world.lifecycle.note_immediate("site-a", duration_ms=5000)
    world.advance(3)
    assert world.status(query)["status"] == "queued"
    world.advance(3)
    assert world.status(query)["status"] in {"executing", "uploading", "successful"}


def test_same_seed_same_bodies() -> None:
    def run() -> list[dict]:
        world = World()
        queries = [world.submit(f"rows:{i} ms:{100 * i}") for i in range(1, 6)]
        world.advance(30)
        return [world.status(q) for q in queries]

    assert run() == run()


def test_unknown_query_and_other_sites_query_are_not_found(world: World) -> None:
    query = world.submit()
    with pytest.raises(HaloError) as info:
        world.lifecycle.status("site-b", query.id)
    assert info.value.status == 404
    with pytest.raises(HaloError):
        world.lifecycle.status("site-a", "00000000-0000-4000-8000-000000000000")


def test_batch_status(world: World) -> None:
    query = world.submit()
    body = world.lifecycle.batch_status("site-a", [query.id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"])
    assert [r["status"] for r in body["results"]] == ["found", "notFound"]
    assert body["results"][0]["query"]["id"] == query.id and "query" not in body["results"][1]


def test_nonquery_result_has_rows_affected_and_no_pages(world: World) -> None:
    query = world.submit("write:n", mode="nonQuery")
    body = world.run_until(query, "successful")
    assert body["result"] == {"rowsAffected": 1, "size": 2, "pages": []}
    download = world.lifecycle.page("site-a", query.id, 1)
    assert download.body == {"parameters": [{"name": "@out", "direction": "output", "type": "Int", "value": "7"}]}


def test_immediate_record_render_is_unchanged_by_the_async_extension() -> None:
    from mock_halo.clock import DEFAULT_EPOCH

    record = QueryRecord(id="q", integrator_id="i", site_id="s", mode="immediate", max_time_in_queue=1,
                         command_size=2, request_size=3, sql_query_size=4, created_at=DEFAULT_EPOCH, status="successful")
    body = record.render()
    assert body["updatedAt"] == body["createdAt"] and record.render(DEFAULT_EPOCH) == body


def test_profile_durations_are_used() -> None:
    world = World(profile=TimingProfile(initialising_ms=(4000, 4000)))
    query = world.submit()
    world.advance(3.9)
    assert world.status(query)["status"] == "initialising"
    world.advance(0.2)
    assert world.status(query)["status"] == "queued"


def test_result_rows_decode_to_the_original_rows(world: World) -> None:
    query = world.submit("rows:7")
    world.advance(10)
    data = base64.b64decode(world.lifecycle.page("site-a", query.id, 1).body["data"])
    assert [row["n"] for row in orjson.loads(data)] == list(range(7))


def test_sql_sees_its_own_execution_instant_even_when_the_clock_jumps() -> None:
    world = World()
    seen = []
    inner = world.executors["site-a"]

    def executor(command):
        seen.append(world.lifecycle.sql_now())
        return inner(command)

    world.executors["site-a"] = executor
    query = world.submit("rows:1")
    world.advance(3600)
    started = world.status(query)["statusTiming"]["executing"]["startTime"]
    assert [parse_timestamp(started)] == seen


def test_reset_forgets_queries_and_availability() -> None:
    world = World()
    world.lifecycle.set_availability("site-a", "offline")
    query = world.submit()
    world.lifecycle.reset()
    assert world.lifecycle.availability("site-a") == "online"
    with pytest.raises(HaloError):
        world.status(query)
    assert world.lifecycle.counts() == {"queries": 0, "registered": 0, "timedEvents": 0, "queued": 0}

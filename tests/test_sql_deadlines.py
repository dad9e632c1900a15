"""SQL runs off the event loop under a real (wall-clock) deadline.

A runaway query (a recursive CTE without end, a LIKE over a huge cross join, a
huge cross join) holds only its own site: other sites, the same site's status
reads that need no SQL and the control plane answer within 100 ms meanwhile,
and the runaway ends with Halo's documented outcome (504 for an immediate
query, executionFailed for an async one). The deadlines are short here
(``immediate_timeout_s`` / ``execution_timeout_s``); the requests go through
the ASGI app on one event loop, so SQL on the loop would stall them all. The
runaway site is on the embedded SQLite engine, and on PostgreSQL (through ODBC)
where the test command's throwaway cluster is there.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import threading
import time
from datetime import timedelta

import httpx
import pytest
from conftest import KEY, OTHER_SITE, SITE, make_settings

import mock_halo.sql.engines.sqlite.engine as engine_module
from mock_halo.app import create_app
from mock_halo.config import settings_from_mapping
from mock_halo.emulator import Emulator
from pg_support import pg_dsn  # noqa: F401 - fixture

RUNAWAY = "WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) AS c FROM r"
RUNAWAYS = {
    "recursive-cte": RUNAWAY,
    "like-over-cross-join": "SELECT COUNT(*) AS c FROM PATIENTS a CROSS JOIN PATIENTS b CROSS JOIN PATIENTS c "
                            "CROSS JOIN PATIENTS d WHERE a.SURNAME + b.FIRSTNAME + c.SURNAME + d.FIRSTNAME "
                            "LIKE '%[a-z]%[aeiou]%[^x]%q%z%'",
    "huge-cross-join": "SELECT COUNT(*) AS c FROM PATIENTS a CROSS JOIN PATIENTS b CROSS JOIN PATIENTS c "
                       "CROSS JOIN PATIENTS d CROSS JOIN PATIENTS e CROSS JOIN PATIENTS f",
}
DEADLINE_S = 1.0
PROMPT_S = 0.1


@pytest.fixture(autouse=True)
def no_step_limit(monkeypatch):
    """Only the wall-clock deadline may stop the runaway (not the engine's step budget)."""
    monkeypatch.setattr(engine_module, "PROGRESS_LIMIT", 10**12)


@pytest.fixture
def sqlite_emulator():
    emulator = Emulator(make_settings(immediate_timeout_s=DEADLINE_S, execution_timeout_s=DEADLINE_S))
    emulator.warm()
    yield emulator
    emulator.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def emulator(request):
    """The runaway site (SITE) on each engine; OTHER_SITE is always an embedded practice."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_emulator")
        return
    emulator = open_pg(request.getfixturevalue("pg_dsn"), DEADLINE_S)
    yield emulator
    emulator.close()


def open_pg(dsn: str, timeout_s: float) -> Emulator:
    """SITE on PostgreSQL (reloaded on reset), OTHER_SITE embedded, both deadlines ``timeout_s``, warmed."""
    emulator = Emulator(settings_from_mapping({
        "clock": "virtual", "patients": 60, "immediate_timeout": timeout_s, "execution_timeout": timeout_s,
        "sites": [{"id": SITE, "name": "Halo Clinic South", "pms_site_id": "10001", "odbc": dsn,
                   "odbc_reset": "reload"},
                  {"id": OTHER_SITE, "name": "Harbourside Family Practice", "pms_site_id": "10002"}],
    }))
    emulator.warm()
    return emulator


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    async def headers(self, site: str) -> dict[str, str]:
        if site not in self.tokens:
            response = await self.client.post(
                "/integrator/token", headers={"Ocp-Apim-Subscription-Key": KEY},
                data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "d", "site_id": site})
            assert response.status_code == 200, response.text
            self.tokens[site] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[site]}", "DeviceId": "d"}

    async def immediate(self, sql: str, site: str = SITE) -> httpx.Response:
        return await self.client.post(f"/device/sites/{site}/queries/immediate",
                                      json={"command": {"text": sql}}, headers=await self.headers(site))

    async def submit(self, sql: str, site: str = SITE) -> str:
        response = await self.client.post(f"/device/sites/{site}/queries/async",
                                          json={"command": {"text": sql}}, headers=await self.headers(site))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def status(self, query_id: str, site: str = SITE) -> dict:
        response = await self.client.get(f"/device/sites/{site}/queries/{query_id}", headers=await self.headers(site))
        assert response.status_code == 200, response.text
        return response.json()


async def timed(call) -> tuple[float, httpx.Response | dict]:
    started = time.perf_counter()
    result = await call
    return time.perf_counter() - started, result


async def prompt(make_call, tries: int = 5) -> None:
    """The call answers (200) within PROMPT_S: the median of a few, so one hiccup of a shared
    machine does not count, while a blocked event loop would make every one of them late."""
    times = []
    for _ in range(tries):
        elapsed, result = await timed(make_call())
        assert not isinstance(result, httpx.Response) or result.status_code == 200, result.text
        times.append(elapsed)
    assert statistics.median(times) < PROMPT_S, f"answered after {sorted(times)} s while the runaway ran"


async def started(task: asyncio.Task, emulator: Emulator, site: str = SITE) -> None:
    """Wait (on the loop, without blocking it) until the site's thread is busy with the task's SQL."""
    for _ in range(500):
        if emulator.sites[site].runner.busy:
            return
        assert not task.done(), task.result()
        await asyncio.sleep(0.005)
    raise AssertionError("the runaway never started")


def run(emulator: Emulator, scenario) -> None:
    async def main():
        transport = httpx.ASGITransport(app=create_app(emulator=emulator))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await scenario(Api(client))

    asyncio.run(main())


@pytest.mark.parametrize("runaway", list(RUNAWAYS.values()), ids=list(RUNAWAYS))
def test_a_runaway_immediate_query_holds_only_its_site_and_ends_with_halos_504(emulator, runaway):
    async def scenario(api: Api) -> None:
        done = await api.submit("SELECT TOP 3 INTERNALID FROM PATIENTS")
        emulator.clock.advance(timedelta(minutes=1))
        assert (await api.status(done))["status"] == "successful"
        await api.headers(OTHER_SITE)

        running = asyncio.create_task(timed(api.immediate(runaway)))
        await started(running, emulator)
        await prompt(lambda: api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS", site=OTHER_SITE))
        await prompt(lambda: api.status(done))
        await prompt(lambda: api.client.get("/_mock/health"))
        assert not running.done()

        elapsed, response = await running
        assert response.status_code == 504
        assert response.json()["error"]["message"] == "Query took more than 30 seconds to return a result."
        assert DEADLINE_S * 0.9 <= elapsed < DEADLINE_S + 2
        # The site is free again.
        assert (await api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS")).status_code == 200

    run(emulator, scenario)


def test_a_runaway_async_query_fails_at_the_execution_limit_and_blocks_no_one(emulator):
    async def scenario(api: Api) -> None:
        await api.headers(OTHER_SITE)
        query_id = await api.submit(RUNAWAY)
        created = emulator.clock.now()
        emulator.clock.advance(timedelta(seconds=10))  # past its execution start
        # The status read waits (on the loop, not blocking it) for the execution to end.
        reading = asyncio.create_task(timed(api.status(query_id)))
        await started(reading, emulator)
        await prompt(lambda: api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS", site=OTHER_SITE))
        await prompt(lambda: api.client.get("/_mock/health"))
        assert not reading.done()

        elapsed, body = await reading
        assert DEADLINE_S * 0.9 <= elapsed < DEADLINE_S + 2
        assert body["status"] == "executing"  # it fails at the limit of the emulator clock
        emulator.clock.advance(timedelta(minutes=5))
        body = await api.status(query_id)
        assert body["status"] == "executionFailed"
        assert body["errorDetails"]["errorCode"] == -2 and "Timeout" in body["errorDetails"]["errorMessage"]
        executing = body["statusTiming"]["executing"]
        started_at, ended_at = (emulator_time(executing["startTime"]), emulator_time(executing["endTime"]))
        assert ended_at - started_at == timedelta(minutes=5)  # Halo's execution limit, on the emulator clock
        assert started_at > created
        # Deterministic: the same answer on every read, whatever the wall time.
        assert await api.status(query_id) == body

    run(emulator, scenario)


def test_an_immediate_query_waits_for_due_async_work_of_its_site_only_until_its_deadline(emulator):
    async def scenario(api: Api) -> None:
        await api.headers(OTHER_SITE)
        await api.submit(RUNAWAY)
        emulator.clock.advance(timedelta(seconds=10))
        waiting = asyncio.create_task(timed(api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS")))
        await started(waiting, emulator)
        await prompt(lambda: api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS", site=OTHER_SITE))
        elapsed, response = await waiting
        assert response.status_code == 504 and DEADLINE_S * 0.9 <= elapsed < DEADLINE_S + 2

    run(emulator, scenario)


def test_a_reset_cancels_the_running_query_at_once_and_leaves_a_clean_site(sqlite_emulator):
    """SQLite here; PostgreSQL below (its reset reloads the data, which takes a while)."""
    emulator = sqlite_emulator

    async def scenario(api: Api) -> None:
        write = await api.immediate("UPDATE PATIENTS SET FIRSTNAME = 'Changed' WHERE INTERNALID = 1")
        assert write.status_code == 200
        runaway = asyncio.create_task(timed(api.immediate(RUNAWAY)))
        await started(runaway, emulator)
        elapsed, reset = await timed(api.client.post("/_mock/reset"))
        assert reset.status_code == 200 and elapsed < 0.5
        _, response = await runaway
        assert response.status_code == 504 and "reset" in response.json()["error"]["message"]
        assert not emulator.sites[SITE].runner.busy
        rows = await api.immediate("SELECT FIRSTNAME FROM PATIENTS WHERE INTERNALID = 1")
        assert rows.status_code == 200 and "Changed" not in rows.text
        assert len(emulator.queries) == 1  # only the query after the reset

    run(emulator, scenario)


@pytest.fixture
def patient_pg(pg_dsn):
    """SITE on PostgreSQL with deadlines far longer than any test: only a reset can stop its SQL."""
    emulator = open_pg(pg_dsn, 60)
    yield emulator
    emulator.close()


def test_a_reset_reloading_a_postgresql_site_holds_only_that_site(patient_pg):
    """The reload (seconds on PostgreSQL) runs on the site's thread; the control request awaits it
    while other sites and the control plane answer. /_mock/seed reloads the same way."""
    emulator = patient_pg

    async def scenario(api: Api) -> None:
        await api.headers(OTHER_SITE)
        write = await api.immediate("UPDATE PATIENTS SET FIRSTNAME = 'Changed' WHERE INTERNALID = 1")
        assert write.status_code == 200, write.text
        seed = emulator.settings.seed
        for path, body in (("/_mock/reset", {"siteId": SITE}), ("/_mock/seed", {"seed": seed + 1})):
            resetting = asyncio.create_task(timed(api.client.post(path, json=body)))
            await started(resetting, emulator)
            await prompt(lambda: api.immediate("SELECT TOP 1 INTERNALID FROM PATIENTS", site=OTHER_SITE))
            await prompt(lambda: api.client.get("/_mock/health"))
            assert not resetting.done(), "the reload was over before the other requests were answered"
            _, response = await asyncio.wait_for(resetting, 60)
            assert response.status_code == 200, response.text
            assert not emulator.sites[SITE].runner.busy  # the data is loaded: nothing left for a query
            rows = await api.immediate("SELECT FIRSTNAME FROM PATIENTS WHERE INTERNALID = 1")
            assert rows.status_code == 200 and "Changed" not in rows.text
            assert (await api.client.get("/_mock/seed")).json()["seed"] == body.get("seed", seed)

    run(emulator, scenario)


def test_a_reset_stops_a_running_postgresql_statement_at_once(patient_pg):
    """The ODBC engine cancels the running statement (pyodbc's Cursor.cancel: a cancel request to
    the server) rather than leave it to its query timeout, a minute here."""
    emulator = patient_pg

    async def scenario(api: Api) -> None:
        runaway = asyncio.create_task(timed(api.immediate(RUNAWAYS["huge-cross-join"])))
        await started(runaway, emulator)
        await asyncio.sleep(0.3)  # real time: the statement is running on the server
        assert not runaway.done()
        resetting = asyncio.create_task(api.client.post("/_mock/reset", json={"siteId": SITE}))
        ended = time.perf_counter()
        _, response = await asyncio.wait_for(runaway, 10)
        assert time.perf_counter() - ended < 2, "the runaway was not stopped by the reset"
        assert response.status_code == 504 and "reset" in response.json()["error"]["message"]
        assert (await asyncio.wait_for(resetting, 60)).status_code == 200
        rows = await api.immediate("SELECT TOP 2 INTERNALID FROM PATIENTS ORDER BY INTERNALID")
        assert rows.status_code == 200, rows.text
        assert len(json.loads(base64.b64decode(rows.json()["result"]["data"]))) == 2

    run(emulator, scenario)


def emulator_time(text: str):
    from mock_halo.clock import parse_timestamp

    return parse_timestamp(text)


def test_the_engine_stops_a_statement_at_its_deadline(sqlite_emulator):
    emulator = sqlite_emulator
    from mock_halo.runner import Deadline
    from mock_halo.sql import SqlCommand, SqlError

    engine = emulator.engine(emulator.sites[SITE])
    command = SqlCommand(text=RUNAWAY, execution_mode="reader", command_type="text", parameters=[], catalogue=None)
    started_at = time.perf_counter()
    with pytest.raises(SqlError) as caught:
        engine.execute(command, deadline=Deadline(time.monotonic() + 0.2))
    assert caught.value.number == -2 and 0.15 < time.perf_counter() - started_at < 2
    cancelled = Deadline()
    cancelled.cancelled = True
    with pytest.raises(SqlError):
        engine.execute(command, deadline=cancelled)


def test_a_quick_read_runs_at_once_and_anything_longer_is_left_for_the_sites_thread(sqlite_emulator):
    """The fast path for immediate reads (on the event loop) never runs a statement past a tiny
    step budget, never runs writes or untranslated text, and changes nothing when it gives up."""
    emulator = sqlite_emulator
    from mock_halo.sql import SqlCommand

    def command(text: str) -> SqlCommand:
        return SqlCommand(text=text, execution_mode="reader", command_type="text", parameters=[], catalogue=None)

    engine = emulator.engine(emulator.sites[SITE])
    read = command("SELECT TOP 2 INTERNALID, NEWID() AS g FROM PATIENTS ORDER BY INTERNALID")
    assert engine.try_execute(read) is None  # not translated yet: the thread translates it
    first = engine.execute(read)
    assert engine.try_execute(read).rows == first.rows == 2

    runaway = command(RUNAWAY)
    engine.translator.translate(runaway.text, None)
    state = engine._rng.getstate()
    started_at = time.perf_counter()
    assert engine.try_execute(runaway) is None
    assert time.perf_counter() - started_at < 0.05 and engine._rng.getstate() == state
    # A try that drew NEWID()s before it was abandoned puts the generator back where it was.
    drawing = command("WITH r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) AS c FROM r "
                      "WHERE NEWID() IS NOT NULL")
    engine.translator.translate(drawing.text, None)
    assert engine.try_execute(drawing) is None and engine._rng.getstate() == state
    write = command("UPDATE PATIENTS SET FIRSTNAME = 'Quick' WHERE INTERNALID = 1")
    engine.translator.translate(write.text, None)
    assert engine.try_execute(write) is None


def test_immediate_work_whose_deadline_passes_while_it_waits_for_the_sites_thread_is_halos_504(sqlite_emulator):
    """Work queued behind a statement that overruns its own deadline (a driver whose query timeout
    takes whole seconds, a Python function SQLite cannot interrupt) never starts once its deadline
    has passed; the request is answered with Halo's 504, not a 500, and a FHIR search likewise."""
    emulator = sqlite_emulator
    release = threading.Event()

    async def scenario(api: Api) -> None:
        read = "SELECT TOP 1 INTERNALID FROM PATIENTS WHERE SURNAME <> 'x'"  # not translated yet: not a quick read
        fhir = f"/device/sites/{SITE}/fhir/R4/Patient?family=Nobody"
        await api.headers(SITE)
        # The site's thread is held by a statement that ignores its deadline until released.
        emulator.sites[SITE].runner.submit(lambda: release.wait(10), priority=0)
        waiting = [asyncio.create_task(timed(api.immediate(read))),
                   asyncio.create_task(timed(api.client.get(fhir, headers=await api.headers(SITE))))]
        # Released after their deadlines passed but before the event loop's grace ends.
        asyncio.get_running_loop().call_later(DEADLINE_S + 0.2, release.set)
        for task in waiting:
            elapsed, response = await task
            assert response.status_code == 504, response.text
            assert DEADLINE_S <= elapsed < DEADLINE_S + 2
        assert (await api.immediate(read)).status_code == 200

    try:
        run(emulator, scenario)
    finally:
        release.set()


async def family_search(api: Api, headers: dict) -> tuple[str, httpx.Response]:
    """A FHIR search by a family name some patient has, and its first answer (translated, on the
    site's thread, so quick from then on)."""
    one = await api.client.get(f"/device/sites/{SITE}/fhir/R4/Patient?_count=1", headers=headers)
    family = one.json()["entry"][0]["resource"]["name"][0]["family"]
    search = f"/device/sites/{SITE}/fhir/R4/Patient?family={family}"
    first = await api.client.get(search, headers=headers)
    assert first.status_code == 200 and first.json()["entry"], first.text
    return search, first


def counting(submit):
    """The runner's ``submit`` wrapped to record each piece of work given to the site's thread."""
    submissions: list = []

    def counted(*args, **kwargs):
        submissions.append(args)
        return submit(*args, **kwargs)

    return submissions, counted


def test_fhir_reads_stay_on_the_event_loop_while_the_sites_thread_runs_another_read(sqlite_emulator):
    """A FHIR read that had to go to the site's thread does not pull the reads after it there: while
    the thread runs only reads, a quick read is still answered on the event loop (the engine's own
    lock keeps one command at a time). Under load, one read on the thread used to keep every later
    one there too, halving throughput; here the thread holds its read until the others are answered,
    so each one that went there instead would wait for it."""
    emulator = sqlite_emulator
    site = emulator.sites[SITE]
    engine = emulator.engine(site)
    entered, release = threading.Event(), threading.Event()
    real_execute = engine.execute
    submissions, counted = counting(site.runner.submit)

    def held(command, **kwargs):  # only the site's thread calls execute (the loop calls try_execute)
        if not release.is_set():
            entered.set()
            release.wait(10)
        return real_execute(command, **kwargs)

    async def scenario(api: Api) -> None:
        headers = await api.headers(SITE)
        search, first = await family_search(api, headers)
        engine.execute = held
        site.runner.submit = counted
        try:
            untranslated = asyncio.create_task(api.client.get(
                f"/device/sites/{SITE}/fhir/R4/Patient?given=Nobody", headers=headers))
            assert await asyncio.to_thread(entered.wait, 10), "the untranslated read never reached the thread"
            answers = [await api.client.get(search, headers=headers) for _ in range(5)]
        finally:
            release.set()
        assert [a.status_code for a in answers] == [200] * 5, answers[0].text
        assert all(a.json()["entry"] == first.json()["entry"] for a in answers)
        assert (await untranslated).status_code == 200
        assert len(submissions) == 1  # the untranslated read alone ran on the thread

    run(emulator, scenario)


def test_fhir_reads_wait_on_the_event_loop_for_a_read_holding_the_engine_rather_than_queue_behind_it(sqlite_emulator):
    """While a read on the site's thread holds the engine (a command is running), the quick reads
    arriving meanwhile wait for it and are then answered on the event loop, instead of being queued
    on the thread behind it, where they would make the next ones find the engine busy as well (under
    load every read ended up on the thread). The read on the thread goes on only once each of them
    has tried the engine and found it busy."""
    emulator = sqlite_emulator
    site = emulator.sites[SITE]
    engine = emulator.engine(site)
    holding, release = threading.Event(), threading.Event()
    tries = []
    real_run, real_try = engine._run, engine.try_execute
    submissions, counted_submit = counting(site.runner.submit)

    def held_run(*args):  # the site's thread holds the engine's lock until the quick reads have tried
        if threading.current_thread().name.startswith("site-"):
            holding.set()
            release.wait(10)
        return real_run(*args)

    def counted_try(command, **kwargs):
        tries.append(engine._lock.locked())
        if tries.count(True) == 5:
            release.set()
        return real_try(command, **kwargs)

    async def scenario(api: Api) -> None:
        headers = await api.headers(SITE)
        search, first = await family_search(api, headers)
        engine._run, engine.try_execute, site.runner.submit = held_run, counted_try, counted_submit
        try:
            untranslated = asyncio.create_task(api.client.get(
                f"/device/sites/{SITE}/fhir/R4/Patient?given=Nobody", headers=headers))
            assert await asyncio.to_thread(holding.wait, 10), "the untranslated read never reached the thread"
            answers = await asyncio.gather(*[api.client.get(search, headers=headers) for _ in range(5)])
        finally:
            release.set()
        assert [a.status_code for a in answers] == [200] * 5, answers[0].text
        assert all(a.json()["entry"] == first.json()["entry"] for a in answers)
        assert (await untranslated).status_code == 200
        assert tries.count(True) == 5  # each found the engine busy once, then had it to itself
        assert len(submissions) == 1  # the untranslated read alone ran on the thread

    run(emulator, scenario)

"""The query store, its result bytes and the journal are capped: evicted ids get Halo's answers."""

from __future__ import annotations

from conftest import SITE, Halo, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.emulator import Emulator

#: About 7.8 KB of JSON rows per query (an immediate body of 11 KB).
BIG = "SELECT TOP 10 * FROM BPS_Patients ORDER BY InternalID"


def _app(**settings):
    emulator = Emulator(make_settings(**settings))
    return emulator, TestClient(create_app(emulator=emulator))


def _async(client: TestClient, headers, sql: str = BIG) -> str:
    response = client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": sql}}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_result_bytes_are_capped_oldest_first_and_evicted_pages_answer_410():
    """150 results of 4.7 MB held 920 MB: now the bytes of results held stay under max_result_bytes."""
    emulator, client = _app(max_result_bytes=40_000)
    with client:
        halo = Halo(client)
        headers = halo.headers(halo.token())
        ids = []
        for _ in range(12):
            ids.append(_async(client, headers))
            emulator.clock.advance(30)
            assert emulator.queries.bytes <= 40_000
        first, last = ids[0], ids[-1]
        assert client.get(f"/device/sites/{SITE}/queries/{last}/results/1", headers=headers).status_code == 200
        evicted = client.get(f"/device/sites/{SITE}/queries/{first}/results/1", headers=headers)
        assert evicted.status_code == 410
        assert evicted.json()["error"]["message"].startswith("Access to the target resource is permanently")
        # The record itself stays: its status still reads successful.
        assert client.get(f"/device/sites/{SITE}/queries/{first}", headers=headers).json()["status"] == "successful"
        assert emulator.queries.evicted_results >= 1


def test_immediate_records_beyond_the_byte_cap_are_forgotten_404():
    emulator, client = _app(max_result_bytes=30_000)
    with client:
        halo = Halo(client)
        token = halo.token()
        ids = [halo.immediate(BIG, token=token).json()["id"] for _ in range(8)]
        headers = halo.headers(token)
        assert client.get(f"/device/sites/{SITE}/queries/{ids[-1]}", headers=headers).status_code == 200
        assert client.get(f"/device/sites/{SITE}/queries/{ids[0]}", headers=headers).status_code == 404
        assert emulator.queries.bytes <= 30_000


def test_query_records_are_capped_by_count_oldest_forgotten_404():
    emulator, client = _app(max_queries=5)
    with client:
        halo = Halo(client)
        token = halo.token()
        headers = halo.headers(token)
        ids = [halo.immediate("SELECT 1 AS one", token=token).json()["id"] for _ in range(4)]
        ids += [_async(client, headers, "SELECT 2 AS two") for _ in range(3)]
        assert len(emulator.queries) == 5
        assert [client.get(f"/device/sites/{SITE}/queries/{i}", headers=headers).status_code for i in ids] == [404, 404] + [200] * 5


def test_an_async_query_forgotten_while_queued_never_runs():
    emulator, client = _app(max_queries=2)
    with client:
        halo = Halo(client)
        headers = halo.headers(halo.token())
        token = headers["Authorization"].split()[1]
        doomed = _async(client, headers, "UPDATE PATIENTS SET SURNAME = 'Doomed' WHERE INTERNALID = 1")
        for _ in range(2):
            halo.immediate("SELECT 1", token=token)
        assert client.get(f"/device/sites/{SITE}/queries/{doomed}", headers=headers).status_code == 404
        emulator.clock.advance(600)
        assert emulator.lifecycle.counts()["queued"] == 0
        rows = halo.immediate("SELECT COUNT(*) AS n FROM PATIENTS WHERE SURNAME = 'Doomed'", token=token)
        assert rows.status_code == 200 and '"n":0' in __import__("base64").b64decode(rows.json()["result"]["data"]).decode()


def test_the_journal_keeps_journal_capacity_entries():
    emulator, client = _app(journal_capacity=3)
    with client:
        halo = Halo(client)
        token = halo.token()
        for _ in range(5):
            halo.immediate("SELECT 1", token=token)
        entries = client.get("/_mock/journal").json()["entries"]
        assert len(entries) == 3 and all(e["surface"] == "immediate" for e in entries)


def test_timed_events_of_forgotten_queries_are_shed():
    """Retention events hold their query; once forgotten by the count cap they must not pile up."""
    emulator, client = _app(max_queries=10)
    with client:
        halo = Halo(client)
        headers = halo.headers(halo.token())
        for i in range(1100):
            _async(client, headers, "SELECT 1 AS x")
            if i % 10 == 9:
                emulator.clock.advance(5)  # they finish; each leaves two retention events
        assert len(emulator.queries) == 10
        assert emulator.lifecycle.counts()["timedEvents"] < 1100

"""Async queries and result pages through HTTP, on the virtual clock."""

import base64
import json
from datetime import timedelta

import pytest
from conftest import OTHER_SITE, SITE, Halo, assert_general_error, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app

ORDER = ["initialising", "queued", "executing", "uploading", "successful"]


def submit(halo: Halo, token: str, sql: str, site: str = SITE, **extra):
    body = {"command": {"text": sql, **extra.pop("command", {})}, **extra}
    return halo.client.post(f"/device/sites/{site}/queries/async", json=body, headers=halo.headers(token))


def status(halo: Halo, token: str, query_id: str, site: str = SITE):
    return halo.client.get(f"/device/sites/{site}/queries/{query_id}", headers=halo.headers(token))


def page(halo: Halo, token: str, query_id: str, number, site: str = SITE):
    return halo.client.get(f"/device/sites/{site}/queries/{query_id}/results/{number}", headers=halo.headers(token))


def run_to_end(halo, emulator, token, query_id, step=0.25, limit=600):
    """Advance the clock in small steps, recording each status seen, until terminal."""
    seen = []
    for _ in range(limit):
        body = status(halo, token, query_id).json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if "completedAt" in body:
            return seen, body
        emulator.clock.advance(step)
    raise AssertionError(f"query never finished: {seen}")


def is_in_order(seen, order):
    positions = [order.index(s) for s in seen]
    return positions == sorted(positions) and len(set(positions)) == len(positions)


def ts(text):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_phase_is_visible_at_its_own_time():
    """Same seed, same requests => same plan: learn it once, then visit each phase."""
    sql = "SELECT TOP 10 InternalID, Surname FROM BPS_Patients ORDER BY InternalID"
    with TestClient(create_app(make_settings())) as client:
        halo = Halo(client)
        token = halo.token()
        query_id = submit(halo, token, sql).json()["id"]
        _, final = run_to_end(halo, client.app.state.emulator, token, query_id)
    timing = final["statusTiming"]
    assert list(timing) == ["initialising", "queued", "executing", "uploading"]
    with TestClient(create_app(make_settings())) as client:
        halo = Halo(client)
        emulator = client.app.state.emulator
        token = halo.token()
        assert submit(halo, token, sql).json()["id"] == query_id
        for phase in ["initialising", "queued", "executing", "uploading"]:
            start = ts(timing[phase]["startTime"])
            end = ts(timing[phase].get("endTime") or final["completedAt"])
            emulator.clock.set(start + (end - start) / 2)
            assert status(halo, token, query_id).json()["status"] == phase
        emulator.clock.set(ts(final["completedAt"]))
        assert status(halo, token, query_id).json() == final


def test_async_query_walks_the_statuses_in_order_and_pages_hold_the_rows(halo, emulator):
    token = halo.token()
    sql = "SELECT InternalID, Firstname, Surname FROM BPS_Patients ORDER BY InternalID"
    created = submit(halo, token, sql)
    assert created.status_code == 201
    body = created.json()
    assert (body["mode"], body["status"], body["maxTimeInQueue"]) == ("async", "initialising", 3600000)
    assert body["statusTiming"] == {"initialising": {"startTime": body["createdAt"]}}
    assert "completedAt" not in body
    seen, final = run_to_end(halo, emulator, token, body["id"], step=0.05)
    assert is_in_order(seen, ORDER) and seen[-1] == "successful"
    starts = [ts(final["statusTiming"][p]["startTime"]) for p in ORDER[:-1]]
    assert starts == sorted(starts) and ts(final["completedAt"]) >= starts[-1]
    result = final["result"]
    assert final["metrics"]["sqlExecutionDuration"] >= 0
    assert [p["pageNumber"] for p in result["pages"]] == [1]
    response = page(halo, token, body["id"], 1)
    assert response.status_code == 200
    rows = json.loads(base64.b64decode(response.json()["data"]))
    assert rows == halo.rows(sql)
    assert int(response.headers["Rows-Count"]) == len(rows) == result["rows"]
    assert (response.headers["Rows-Range-Start"], response.headers["Rows-Range-End"]) == ("0", str(len(rows) - 1))
    assert int(response.headers["Size"]) == len(base64.b64decode(response.json()["data"]))


def test_small_pages_cover_every_row_once_in_order():
    with TestClient(create_app(make_settings(page_size_bytes=512))) as client:
        halo = Halo(client)
        emulator = client.app.state.emulator
        token = halo.token()
        sql = "SELECT InternalID, Surname FROM BPS_Patients ORDER BY InternalID"
        query_id = submit(halo, token, sql).json()["id"]
        run_to_end(halo, emulator, token, query_id)
        emulator.clock.advance(600)  # let every page finish uploading
        pages = status(halo, token, query_id).json()["result"]["pages"]
        assert len(pages) > 3
        assert all(p["status"] == "cached" for p in pages)
        collected = []
        for p in pages:
            response = page(halo, token, query_id, p["pageNumber"])
            assert response.status_code == 200
            chunk = json.loads(base64.b64decode(response.json()["data"]))
            assert (p["rows"]["rangeStart"], p["rows"]["rangeEnd"]) == (len(collected), len(collected) + len(chunk) - 1)
            assert p["size"] <= 512 or len(chunk) == 1
            collected += chunk
        assert collected == halo.rows(sql)


def test_sql_runs_when_execution_starts_not_at_submission(halo, emulator):
    token = halo.token()
    target = halo.rows("SELECT TOP 1 InternalID, Firstname FROM BPS_Patients ORDER BY InternalID")[0]
    update = f"UPDATE PATIENTS SET FIRSTNAME = 'Deferred' WHERE InternalID = {target['InternalID']}"
    query_id = submit(halo, token, update, command={"executionMode": "nonQuery"}).json()["id"]
    check = f"SELECT Firstname FROM BPS_Patients WHERE InternalID = {target['InternalID']}"
    assert halo.rows(check) == [{"Firstname": target["Firstname"]}]
    _, final = run_to_end(halo, emulator, token, query_id)
    assert final["status"] == "successful"
    assert final["result"]["rowsAffected"] == 1
    assert halo.rows(check) == [{"Firstname": "Deferred"}]


def test_sql_error_gives_execution_failed_with_details(halo, emulator):
    token = halo.token()
    query_id = submit(halo, token, "SELECT * FROM NoSuchTable").json()["id"]
    seen, final = run_to_end(halo, emulator, token, query_id, step=0.05)
    assert is_in_order(seen, ["initialising", "queued", "executing", "executionFailed"])
    assert seen[-1] == "executionFailed"
    assert final["errorDetails"] == {"errorType": "mssql", "errorCode": 208, "errorMessage": "Invalid object name 'NoSuchTable'."}
    assert set(final["statusTiming"]["executing"]) == {"startTime", "endTime"}
    assert_general_error(page(halo, token, query_id, 1), 404, "executionFailed")


def test_pages_expire_after_retention_with_410():
    with TestClient(create_app(make_settings(result_retention_s=3600))) as client:
        halo = Halo(client)
        emulator = client.app.state.emulator
        token = halo.token()
        query_id = submit(halo, token, "SELECT TOP 3 Surname FROM BPS_Patients").json()["id"]
        _, final = run_to_end(halo, emulator, token, query_id)
        assert page(halo, token, query_id, 1).status_code == 200
        emulator.clock.advance(timedelta(minutes=59))
        assert page(halo, token, query_id, 1).status_code == 200
        emulator.clock.advance(timedelta(minutes=2))
        token = halo.token()  # the first one has expired too
        assert_general_error(page(halo, token, query_id, 1), 410, "no longer available")


def test_zero_max_time_in_queue_expires_in_the_queue(halo, emulator):
    token = halo.token()
    query_id = submit(halo, token, "SELECT 1 AS x", maxTimeInQueue=0).json()["id"]
    seen, final = run_to_end(halo, emulator, token, query_id, step=0.05)
    assert seen[-1] == "expiredInQueue"
    assert set(final["statusTiming"]["queued"]) == {"startTime", "endTime"}
    assert "executing" not in final["statusTiming"]
    assert "errorDetails" not in final


@pytest.mark.parametrize(("availability", "outcome"), [("offline", "initialisationFailedSiteOffline"), ("unreachable", "initialisationFailedSiteUnreachable")])
def test_site_availability_fails_initialisation(halo, emulator, availability, outcome):
    token = halo.token()
    emulator.set_availability(SITE, availability)
    query_id = submit(halo, token, "SELECT 1 AS x").json()["id"]
    seen, final = run_to_end(halo, emulator, token, query_id)
    assert seen == ["initialising", outcome]
    assert set(final["statusTiming"]) == {"initialising"}


@pytest.mark.parametrize(("value", "ok"), [(7200000, True), (0, True), (7200001, False), (-1, False)])
def test_async_max_time_in_queue_range(halo, value, ok):
    response = submit(halo, halo.token(), "SELECT 1 AS x", maxTimeInQueue=value)
    if ok:
        assert response.status_code == 201 and response.json()["maxTimeInQueue"] == value
    else:
        assert_general_error(response, 400, "maxTimeInQueue must be from 0 to 7200000")


@pytest.mark.parametrize("number", ["0", "-1", "abc", "1.5"])
def test_bad_page_numbers_are_400(halo, emulator, number):
    token = halo.token()
    query_id = submit(halo, token, "SELECT 1 AS x").json()["id"]
    run_to_end(halo, emulator, token, query_id)
    assert_general_error(page(halo, token, query_id, number), 400, "pageNumber")


def test_unknown_page_and_foreign_queries_are_404(halo, emulator):
    token = halo.token()
    query_id = submit(halo, token, "SELECT 1 AS x").json()["id"]
    run_to_end(halo, emulator, token, query_id)
    assert_general_error(page(halo, token, query_id, 2), 404)
    other = halo.token(site=OTHER_SITE)
    assert_general_error(status(halo, other, query_id, site=OTHER_SITE), 404)
    assert_general_error(page(halo, other, query_id, 1, site=OTHER_SITE), 404)


def test_immediate_queries_have_no_pages(halo):
    token = halo.token()
    query_id = halo.immediate("SELECT 1 AS x", token=token).json()["id"]
    assert_general_error(page(halo, token, query_id, 1), 404, "immediate")


def test_a_finished_query_polls_the_same_body_only_once_nothing_can_change(halo, emulator):
    """Status bodies are kept once final: not while later pages still upload after a firstPage success."""
    token = halo.token()
    sql = "SELECT TOP 30 * FROM BPS_Patients /* mock-halo: pageSizeBytes=4000 pageUploadMs=5000 */"
    query_id = submit(halo, token, sql).json()["id"]
    seen, body = run_to_end(halo, emulator, token, query_id)
    assert body["status"] == "successful"
    pages = body["result"]["pages"]
    assert len(pages) > 2 and pages[0]["status"] == "cached" and pages[-1]["status"] != "cached"
    emulator.clock.advance(timedelta(minutes=5))
    later = status(halo, token, query_id).json()
    assert [p["status"] for p in later["result"]["pages"]] == ["cached"] * len(pages)
    assert later["updatedAt"] > body["updatedAt"]
    emulator.clock.advance(timedelta(hours=30))  # past retention: pages 410, the status body is unchanged
    token = halo.token()
    assert page(halo, token, query_id, 1).status_code == 410
    assert status(halo, token, query_id).json() == later

"""An integrator's server code, unchanged but for its base URL, against a real `mock-halo serve`.

`ClinicBooking` is written the way integrators write their Halo calls (httpx, a base URL, a
subscription key in `Ocp-Apim-Subscription-Key`, a site GUID, nothing else): immediate text and
stored-procedure commands, async queries polled through batch status and read page by page,
a registered query, and FHIR. Its `sleep` is the only seam: production passes `time.sleep`; the
test passes one that moves the emulator's virtual clock instead, so no test sleeps.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from live_server import ServeProcess

from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY

FINISHED = {"successful", "executionFailed", "uploadFailed", "expiredInQueue", "initialisationFailedCacheError",
            "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable"}


class HaloError(Exception):
    pass


class ClinicBooking:
    """A clinic booking service's Halo client (what the emulator must run unmodified)."""

    def __init__(self, base_url: str, key: str, site_id: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Ocp-Apim-Subscription-Key": key}, timeout=40)
        self.site = f"/integrator/sites/{site_id}"
        self.sleep = sleep

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response = self.http.post(f"{self.site}{path}", json=body)
        if response.status_code >= 400:
            body = response.json()
            detail = body.get("errorDetails") or body.get("error")
            raise HaloError(f"{response.status_code} {detail}")
        return response

    @staticmethod
    def _rows(data: str) -> list[dict[str, Any]]:
        return json.loads(base64.b64decode(data))

    # -- immediate --------------------------------------------------------------------------
    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        parameters = [{"name": f"@{k}", "type": "Int" if isinstance(v, int) else "VarChar", "direction": "input",
                       "value": str(v)} for k, v in params.items()]
        body = self._post("/queries/immediate", {"command": {"text": sql, "parameters": parameters}}).json()
        return self._rows(body["result"]["data"])

    def procedure(self, name: str, **params: Any) -> list[dict[str, Any]]:
        parameters = [{"name": f"@{k}", "type": "Int" if isinstance(v, int) else "Date", "direction": "input",
                       "value": str(v)} for k, v in params.items()]
        body = self._post("/queries/immediate", {"command": {
            "text": name, "type": "storedProcedure", "parameters": parameters}}).json()
        return self._rows(body["result"]["data"])

    # -- async -------------------------------------------------------------------------------
    def submit(self, sql: str) -> str:
        return self._post("/queries/async", {"command": {"text": sql}}).json()["id"]

    def wait_all(self, ids: list[str], poll_every: float = 2.0) -> dict[str, dict[str, Any]]:
        """Poll the batch status endpoint until every query has finished."""
        while True:
            results = self._post("/queries/status", {"queryIds": ids}).json()["results"]
            missing = [r["queryId"] for r in results if r["status"] != "found"]
            if missing:
                raise HaloError(f"queries not found: {missing}")
            queries = {r["queryId"]: r["query"] for r in results}
            if all(q["status"] in FINISHED for q in queries.values()):
                return queries
            self.sleep(poll_every)

    def all_rows(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        if query["status"] != "successful":
            raise HaloError(f"query {query['id']} ended {query['status']}")
        rows: list[dict[str, Any]] = []
        for page in query["result"]["pages"]:
            response = self.http.get(f"{self.site}/queries/{query['id']}/results/{page['pageNumber']}/stream")
            response.raise_for_status()
            rows.extend(response.json())
        return rows

    # -- registered ------------------------------------------------------------------------------
    def watch(self, name: str, sql: str, every: int, for_seconds: int) -> str:
        response = self._post("/queries/registered", {
            "name": name, "registeredQueryType": "query", "frequency": every, "duration": for_seconds,
            "registerCommand": {"command": {"text": sql}}})
        assert response.status_code == 202
        return response.json()["id"]

    def latest(self, registered_id: str) -> list[dict[str, Any]] | None:
        response = self.http.get(f"{self.site}/queries/registered/{registered_id}/results")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return self._rows(response.json()["data"])

    def stop_watching(self, registered_id: str) -> None:
        self.http.delete(f"{self.site}/queries/registered/{registered_id}").raise_for_status()

    # -- FHIR ------------------------------------------------------------------------------------
    def find_patients(self, **search: str) -> list[dict[str, Any]]:
        response = self.http.post(f"{self.site}/fhir/R4/Patient/_search", data=search)
        response.raise_for_status()
        return [entry["resource"] for entry in response.json().get("entry", [])]


@pytest.fixture(scope="module")
def served():
    # Small pages, so a modest result spans several of them.
    with ServeProcess("--clock", "virtual", "--patients", "60", env={"MOCK_HALO_PAGE_SIZE": "1024"}) as server:
        yield server


def test_a_booking_services_unmodified_code_runs_against_the_integrator_api(served):
    control = httpx.Client(base_url=f"{served.base_url}/_mock")
    control.post("/reset").raise_for_status()
    moved: list[float] = []

    def sleep(seconds: float) -> None:  # the emulator's clock moves instead of the test waiting
        moved.append(seconds)
        control.post("/clock/advance", json={"seconds": seconds}).raise_for_status()

    halo = ClinicBooking(served.base_url, DEFAULT_SUBSCRIPTION_KEY, DEFAULT_SITE_IDS[0], sleep=sleep)

    # Immediate: a text command with a parameter, and Bp Premier stored procedures.
    [patient] = halo.query("SELECT TOP 1 InternalID, Firstname, Surname FROM BPS_Patients WHERE InternalID > @after "
                           "ORDER BY InternalID", after=1)
    assert patient["InternalID"] > 1 and patient["Surname"]
    users = halo.procedure("BP_GetAllUsers")
    assert users and all("UserID" in u for u in users)
    with pytest.raises(HaloError, match="208"):
        halo.query("SELECT * FROM BPS_Patientz")

    # Async with paging: two queries polled through batch status, pages read as streams.
    everyone = halo.submit("SELECT InternalID, Firstname, Surname FROM BPS_Patients ORDER BY InternalID")
    count = halo.submit("SELECT COUNT(*) AS n FROM BPS_Patients")
    finished = halo.wait_all([everyone, count])
    assert moved, "the queries were still running when first polled"
    pages = finished[everyone]["result"]["pages"]
    assert len(pages) > 1, pages
    rows = halo.all_rows(finished[everyone])
    [[total]] = [list(row.values()) for row in halo.all_rows(finished[count])]
    assert len(rows) == total == finished[everyone]["result"]["rows"]
    assert [r["InternalID"] for r in rows] == sorted(r["InternalID"] for r in rows)

    # A registered query: nothing before its first run, then the latest result; then cancelled.
    watch = halo.watch("today's patients", "SELECT COUNT(*) AS n FROM BPS_Patients", every=60, for_seconds=600)
    assert halo.latest(watch) is None
    sleep(10)
    assert halo.latest(watch) == [{"n": total}]
    halo.stop_watching(watch)

    # FHIR: a search posted as a form (keeps names out of URLs).
    found = halo.find_patients(family=patient["Surname"])
    assert any(p["id"] == str(patient["InternalID"]) for p in found), found

"""A hypothesis state machine driving async queries through HTTP on the virtual clock.

It interleaves submissions (good SQL, bad SQL, writes), immediate queries,
clock moves and polls, and checks Halo's lifecycle contract on every poll.
"""

import base64
import json
from datetime import datetime, timedelta

from conftest import SITE, Halo, make_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from starlette.testclient import TestClient

from mock_halo.app import create_app

ORDER = {"initialising": 0, "queued": 1, "executing": 2, "uploading": 3}
TERMINAL = {"successful", "executionFailed", "uploadFailed", "expiredInQueue",
            "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable", "initialisationFailedCacheError"}
RETENTION_S = 3600
SQL = {
    "select": "SELECT InternalID, Surname FROM BPS_Patients ORDER BY InternalID",
    "bad": "SELECT * FROM NotATable",
    "write": "UPDATE PATIENTS SET MOBILEPHONE = '0400000000' WHERE InternalID = 1",
}


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class AsyncLifecycle(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.client = TestClient(create_app(make_settings(page_size_bytes=400, result_retention_s=RETENTION_S)))
        self.client.__enter__()
        self.emulator = self.client.app.state.emulator
        self.halo = Halo(self.client)
        self.token = self.halo.token()
        self.last: dict[str, dict] = {}
        self.kinds: dict[str, str] = {}

    def teardown(self):
        if hasattr(self, "client"):
            self.client.__exit__(None, None, None)

    def fresh_token(self):
        # Long clock jumps outlive a token; get a new one like a client would.
        self.token = self.halo.token()

    @rule(kind=st.sampled_from(sorted(SQL)), max_wait=st.sampled_from([None, 0, 500, 3_600_000]))
    def submit(self, kind, max_wait):
        body = {"command": {"text": SQL[kind], "executionMode": "nonQuery" if kind == "write" else "reader"}}
        if max_wait is not None:
            body["maxTimeInQueue"] = max_wait
        self.fresh_token()
        response = self.client.post(f"/device/sites/{SITE}/queries/async", json=body, headers=self.halo.headers(self.token))
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["status"] == "initialising" and set(created["statusTiming"]) == {"initialising"}
        self.last[created["id"]] = created
        self.kinds[created["id"]] = kind

    @rule()
    def immediate(self):
        self.fresh_token()
        assert self.halo.immediate("SELECT COUNT(*) AS n FROM BPS_Patients", token=self.token).status_code == 200

    @rule(seconds=st.one_of(st.floats(0, 3), st.floats(3, 120), st.just(RETENTION_S + 60.0)))
    def advance(self, seconds):
        self.emulator.clock.advance(seconds)

    @precondition(lambda self: bool(getattr(self, "last", None)))
    @rule(data=st.data())
    def poll(self, data):
        query_id = data.draw(st.sampled_from(sorted(self.last)))
        self.fresh_token()
        response = self.client.get(f"/device/sites/{SITE}/queries/{query_id}", headers=self.halo.headers(self.token))
        if response.status_code == 404:
            # Forgotten: only allowed long after completion.
            previous = self.last[query_id]
            assert "completedAt" in previous or previous["status"] == "uploading"
            return
        assert response.status_code == 200, response.text
        now = self.emulator.clock.now()
        body = response.json()
        self.check_transition(self.last[query_id], body)
        self.check_shape(body, now)
        if body["status"] == "successful":
            self.check_pages(query_id, body, now)
        self.last[query_id] = body

    def check_transition(self, before, after):
        a, b = before["status"], after["status"]
        if a in TERMINAL:
            assert b == a, f"{a} -> {b}: a terminal status changed"
        elif b not in TERMINAL:
            assert ORDER[b] >= ORDER[a], f"{a} -> {b} went backwards"
        for phase, timing in before["statusTiming"].items():
            assert after["statusTiming"][phase]["startTime"] == timing["startTime"]

    def check_shape(self, body, now):
        starts = [when(t["startTime"]) for t in body["statusTiming"].values()]
        assert starts == sorted(starts) and starts[-1] <= now
        for timing in body["statusTiming"].values():
            if "endTime" in timing:
                assert when(timing["startTime"]) <= when(timing["endTime"]) <= now
        terminal = body["status"] in TERMINAL
        assert ("completedAt" in body) == terminal
        assert ("result" in body) == (body["status"] == "successful")
        if body["status"] in ("executionFailed", "uploadFailed"):
            assert body["errorDetails"]["errorCode"] == body["errorCode"]

    def check_pages(self, query_id, body, now):
        result = body["result"]
        expired = now >= when(body["completedAt"]) + timedelta(seconds=RETENTION_S)
        if "rowsAffected" in result:
            assert result["rowsAffected"] == 1
            return
        rows = []
        for page in result["pages"]:
            response = self.client.get(f"/device/sites/{SITE}/queries/{query_id}/results/{page['pageNumber']}",
                                       headers=self.halo.headers(self.token))
            if expired:
                assert response.status_code == 410
                return
            if page["status"] != "cached":
                assert response.status_code == 404
                return
            assert response.status_code == 200, response.text
            chunk = json.loads(base64.b64decode(response.json()["data"]))
            assert page["rows"]["rangeStart"] == len(rows)
            rows += chunk
        assert len(rows) == result["rows"]
        assert [r["InternalID"] for r in rows] == sorted(r["InternalID"] for r in rows)

    @invariant()
    def clock_never_goes_back(self):
        if hasattr(self, "emulator"):
            now = self.emulator.clock.now()
            assert now >= getattr(self, "_seen_now", now)
            self._seen_now = now


AsyncLifecycle.TestCase.settings = settings(max_examples=20, stateful_step_count=25, deadline=None,
                                            suppress_health_check=list(HealthCheck))
TestAsyncLifecycleOverHttp = AsyncLifecycle.TestCase

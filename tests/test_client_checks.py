"""Client behaviour checks (mock_halo.checks) over journals made by real requests.

Each check is shown passing for a well-behaved sequence of calls and failing,
with the offending journal entries named, for a badly behaved one. Time passes
only by moving the virtual clock.
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_halo.checks import CHECKS, judge
from tests.conftest import SITE, Halo, make_settings

SQL = "SELECT TOP 30 InternalID, Surname FROM PATIENTS ORDER BY InternalID"


class Client(Halo):
    """Halo calls with one token, the control plane, and a clock the test moves."""

    def __init__(self, client) -> None:
        super().__init__(client)
        self._token: str | None = None

    def auth(self) -> dict[str, str]:
        if self._token is None:
            self._token = self.token()
        return self.headers(self._token)

    def rule(self, outcome: dict[str, Any], **match: Any) -> None:
        response = self.client.post("/_mock/scenarios", json={"match": match, "outcome": outcome})
        assert response.status_code == 201, response.text

    def wait(self, seconds: float) -> None:
        assert self.client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200

    def submit(self, sql: str = SQL, **extra: Any):
        return self.client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": sql}, **extra}, headers=self.auth())

    def poll(self, query_id: str):
        return self.client.get(f"/device/sites/{SITE}/queries/{query_id}", headers=self.auth())

    def page(self, query_id: str, number: int):
        return self.client.get(f"/device/sites/{SITE}/queries/{query_id}/results/{number}", headers=self.auth())

    def run_to_end(self, sql: str = SQL, every: float = 2.0) -> tuple[str, dict[str, Any]]:
        query_id = self.submit(sql).json()["id"]
        while True:
            self.wait(every)
            body = self.poll(query_id).json()
            if body["status"] in ("successful", "executionFailed", "uploadFailed", "expiredInQueue") and all(
                p["status"] == "cached" for p in (body.get("result") or {}).get("pages", [])
            ):
                return query_id, body

    def journal(self) -> list[dict[str, Any]]:
        return self.client.get("/_mock/journal").json()["entries"]

    def judge(self, *checks: str, **options: Any):
        rules = self.client.get("/_mock/scenarios").json()["rules"]
        return judge(self.journal(), checks or None, rules=rules, **options)


@pytest.fixture
def c(client) -> Client:
    return Client(client)


def ids_of(report, name: str) -> list[tuple[int, ...]]:
    return [v.entries for v in report[name].violations]


def test_a_careful_async_run_passes_every_check(c: Client):
    c.rule({"pageSizeBytes": 200}, surface="async")
    query_id, body = c.run_to_end()
    pages = len(body["result"]["pages"])
    assert pages > 2
    for number in range(1, pages + 1):
        assert c.page(query_id, number).status_code == 200
    report = c.judge()
    assert report.ok, report
    assert [r.name for r in report.results] == list(CHECKS)
    assert "ok   honours_retry_after" in str(report)


def test_honours_retry_after(c: Client):
    c.rule({"error": 429, "retryAfter": 5}, surface="immediate", count=2)
    token = c.token()
    first = c.immediate("SELECT 1", token=token)
    c.wait(2)
    c.immediate("SELECT 1", token=token)  # too early: 2 s of 5
    c.wait(5)
    assert c.immediate("SELECT 1", token=token).status_code == 200
    report = c.judge("honours_retry_after")
    assert report.failed == ["honours_retry_after"]
    journal = c.journal()
    assert ids_of(report, "honours_retry_after") == [(journal[1]["id"], journal[2]["id"])]
    assert first.headers["Retry-After"] == "5"
    assert "retried after 2 s; Retry-After asked for 5 s" in str(report)


def test_no_retry_of_client_errors_but_a_new_token_may_follow_a_401(c: Client, emulator):
    token = c.token()
    c.immediate("SELECT nothing FROM nowhere", token=token)
    c.immediate("SELECT nothing FROM nowhere", token=token)
    report = c.judge("no_retry_of_client_errors")
    journal = c.journal()
    assert ids_of(report, "no_retry_of_client_errors") == [(journal[1]["id"], journal[2]["id"])]
    # A 401 retried after obtaining a new token is fine; retried blindly it is not.
    c.client.delete("/_mock/journal")
    c.immediate("SELECT 1", token="not-a-token")
    c.immediate("SELECT 1", token="not-a-token")
    assert not c.judge("no_retry_of_client_errors").ok
    c.client.delete("/_mock/journal")
    bad = c.client.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT 1"}}, headers=c.headers("x"))
    assert bad.status_code == 401
    fresh = c.token()
    c.client.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT 1"}}, headers=c.headers("x"))
    assert fresh and c.judge("no_retry_of_client_errors").ok


@pytest.mark.parametrize("waits, broken", [([2, 4, 8], False), ([0, 0], True), ([2, 2, 2], True), ([1, 3, 1.5], False)])
def test_backs_off(c: Client, waits, broken):
    c.rule({"error": 503}, surface="immediate", count=len(waits))
    token = c.token()
    c.immediate("SELECT 1", token=token)
    for wait in waits:
        c.wait(wait)
        c.immediate("SELECT 1", token=token)
    assert c.journal()[-1]["status"] == 200
    report = c.judge("backs_off")
    assert report.ok is not broken, report


def test_stops_polling_at_terminal_status(c: Client):
    query_id, _ = c.run_to_end()
    assert c.judge("stops_polling_at_terminal_status").ok
    c.wait(2)
    c.poll(query_id)
    report = c.judge("stops_polling_at_terminal_status")
    journal = c.journal()
    assert ids_of(report, "stops_polling_at_terminal_status") == [(journal[-2]["id"], journal[-1]["id"])]


def test_polling_continues_while_pages_upload(c: Client):
    c.rule({"pageSizeBytes": 200, "pageUploadMs": 4000}, surface="async")
    query_id = c.submit().json()["id"]
    seen = []
    while not seen or seen[-1] != "done":
        c.wait(3)
        body = c.poll(query_id).json()
        pages = (body.get("result") or {}).get("pages", [])
        seen.append("done" if pages and all(p["status"] == "cached" for p in pages) else body["status"])
    assert "successful" in seen  # successful with pages still uploading, then polled on
    assert c.judge("stops_polling_at_terminal_status").ok


def test_polls_no_faster_than(c: Client):
    c.run_to_end(every=0.5)
    report = c.judge("polls_no_faster_than", min_poll_interval=1)
    assert not report.ok and all(len(v.entries) == 2 for v in report["polls_no_faster_than"].violations)
    assert c.judge("polls_no_faster_than", min_poll_interval=0.5).ok


def test_fetches_every_page_and_none_after_retention(c: Client):
    c.rule({"pageSizeBytes": 200, "retentionMs": 60_000}, surface="async")
    query_id, body = c.run_to_end()
    pages = len(body["result"]["pages"])
    c.page(query_id, 1)
    report = c.judge("fetches_every_page")
    assert f"never downloaded page(s) 2-{pages}" in str(report)
    c.wait(61)
    assert c.page(query_id, 2).status_code == 410
    report = c.judge("fetches_every_page")
    assert len(report["fetches_every_page"].violations) == 2
    assert "asked for 61 s after it was ready and had expired (410)" in str(report)
    # A page that expired before the client could have known is not its fault.
    c.client.delete("/_mock/journal")
    c.client.delete("/_mock/scenarios")
    c.rule({"retentionMs": 1000}, surface="async")
    late_id = c.submit().json()["id"]
    c.wait(30)  # done after a few seconds, expired a second later: unseen
    c.poll(late_id)
    assert c.page(late_id, 1).status_code == 410
    assert c.judge("fetches_every_page").ok


def test_pages_a_rule_stalled_are_not_required(c: Client):
    c.rule({"pageSizeBytes": 200, "stallAfterPages": 2}, surface="async")
    query_id = c.submit().json()["id"]
    c.wait(30)
    body = c.poll(query_id).json()
    assert body["status"] == "successful" and body["result"]["pages"][2]["status"] != "cached"
    assert c.page(query_id, 1).status_code == 200 and c.page(query_id, 2).status_code == 200
    assert c.judge("fetches_every_page").ok
    directive = SQL + " /* mock-halo: pageSizeBytes=200 stallAfterPages=1 */"
    c.client.delete("/_mock/scenarios")
    c.client.delete("/_mock/journal")
    other = c.submit(directive).json()["id"]
    c.wait(30)
    c.poll(other)
    c.page(other, 1)
    assert c.judge("fetches_every_page").ok


def test_refreshes_token_before_expiry(emulator_factory):
    c = emulator_factory(token_lifetime_s=60)
    c.immediate("SELECT 1", token=(token := c.token()))
    c.wait(61)
    assert c.immediate("SELECT 1", token=token).status_code == 401
    report = c.judge("refreshes_token_before_expiry")
    assert ids_of(report, "refreshes_token_before_expiry") == [(c.journal()[-1]["id"],)]


def test_no_duplicate_submissions(c: Client):
    first = c.submit().json()["id"]
    c.wait(1)
    c.submit()  # the first was never seen finished
    report = c.judge("no_duplicate_submissions")
    journal = c.journal()
    assert ids_of(report, "no_duplicate_submissions") == [(journal[1]["id"], journal[2]["id"])]
    c.client.delete("/_mock/journal")
    c.run_to_end()
    c.run_to_end()  # the same query again after the first was seen finished: deliberate
    assert c.judge("no_duplicate_submissions").ok and first


def test_under_concurrency_cap_reads_in_flight(c: Client):
    c.immediate("SELECT 1")
    entries = c.journal()
    assert judge(entries, ["under_concurrency_cap"], max_in_flight=1).ok
    entries[-1]["inFlight"] = 3  # as an in-process transport records three requests at once
    report = judge(entries, ["under_concurrency_cap"], max_in_flight=2)
    assert "3 requests in flight (at most 2)" in str(report)


def test_unknown_check_is_refused(c: Client):
    with pytest.raises(ValueError, match="unknown check"):
        judge([], ["honours_retry_afterwards"])


@pytest.fixture
def emulator_factory():
    from starlette.testclient import TestClient

    from mock_halo.app import create_app
    from mock_halo.emulator import Emulator

    made = []

    def make(**overrides: Any) -> Client:
        emulator = Emulator(make_settings(**overrides))
        test_client = TestClient(create_app(emulator=emulator))
        made.append((emulator, test_client))
        return Client(test_client)

    yield make
    for emulator, test_client in made:
        test_client.close()
        emulator.close()


def test_integrator_batch_polls_and_streamed_pages_are_judged_too(c: Client, emulator):
    """The Integrator API (subscription key only): a batch status call polls each query it names."""
    from tests.conftest import KEY

    emulator.journal.body_limit = 65536  # batch answers listing every page outgrow the default 2 KiB

    base, key = f"/integrator/sites/{SITE}/queries", {"Ocp-Apim-Subscription-Key": KEY}
    c.rule({"pageSizeBytes": 300}, surface="async")
    first = c.client.post(f"{base}/async", json={"command": {"text": SQL}}, headers=key).json()["id"]
    second = c.client.post(f"{base}/async", json={"command": {"text": SQL + " -- again"}}, headers=key).json()["id"]
    for _ in range(3):
        c.wait(20)
        answer = c.client.post(f"{base}/status", json={"queryIds": [first, second]}, headers=key)
        assert answer.status_code == 200, answer.text
    pages = len(answer.json()["results"][0]["query"]["result"]["pages"])
    assert pages > 1
    assert c.client.get(f"{base}/{first}/results/1/stream", headers=key).status_code == 200
    report = c.judge("stops_polling_at_terminal_status", "fetches_every_page", "polls_no_faster_than")
    assert report.failed == ["stops_polling_at_terminal_status", "fetches_every_page"]
    text = str(report)
    assert f"polled query {first} again after" in text and f"polled query {second} again after" in text
    assert f"query {first} succeeded with {pages} page(s); never downloaded page(s) 2-{pages}" in text

"""ChaosRunner (the halo_chaos fixture): a fresh emulator per schedule, the clock moved by the client's
sleeps, budgets, concurrency, live servers for clients in other languages."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading

import pytest

from mock_halo.chaos import ChaosHalo, ChaosRunner, HttpError, Schedule, SiteOutage, TokenExpiry, WebhookFault
from tests.conftest import DEVICE, DEVICE_GRANT, make_settings

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def runner() -> ChaosRunner:
    return ChaosRunner(make_settings(), max_requests=60)


def login(halo: ChaosHalo) -> dict[str, str]:
    form = {"grant_type": DEVICE_GRANT, "device_id": DEVICE, "site_id": halo.site_id}
    response = halo.http.post("/integrator/token", data=form, headers={"Ocp-Apim-Subscription-Key": halo.subscription_key})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}", "DeviceId": DEVICE}


def immediate(halo: ChaosHalo, headers: dict[str, str], sql: str = "SELECT COUNT(*) AS n FROM PATIENTS"):
    return halo.http.post(f"/device/sites/{halo.site_id}/queries/immediate", json={"command": {"text": sql}}, headers=headers)


def test_each_run_is_fresh_and_deterministic(runner: ChaosRunner):
    def client(halo: ChaosHalo):
        headers = login(halo)
        immediate(halo, headers, "DELETE FROM PATIENTS WHERE InternalID > 10")
        halo.sleep(5)
        return immediate(halo, headers).json()

    first, second = runner.run(Schedule(), client), runner.run(Schedule(), client)
    assert first.ok and first.error is None and first.result["result"]["rows"] == 1
    assert [e["responseBody"] for e in first.entries] == [e["responseBody"] for e in second.entries]
    assert [e["time"] for e in second.entries] == ["2026-01-04T23:00:00.000Z"] * 2 + ["2026-01-04T23:00:05.000Z"]


def test_sleep_moves_the_emulator_clock_and_monotonic_reads_it(runner: ChaosRunner):
    def client(halo: ChaosHalo):
        before = halo.monotonic()
        halo.sleep(90)
        asyncio.run(halo.async_sleep(30))
        with pytest.raises(ValueError):
            halo.sleep(-1)
        return halo.monotonic() - before, halo.control.clock().now

    run = runner.run(Schedule(), client)
    assert run.result == (120.0, "2026-01-04T23:02:00.000Z")


def test_the_schedule_is_applied_outages_tokens_and_rules(runner: ChaosRunner):
    schedule = Schedule((HttpError(surface="immediate", ordinal=2, status=500), SiteOutage("offline", 10, 20), TokenExpiry(60)))

    def client(halo: ChaosHalo):
        headers = login(halo)
        statuses = [immediate(halo, headers).status_code, immediate(halo, headers).status_code]
        halo.sleep(15)
        statuses.append(immediate(halo, headers).status_code)
        halo.sleep(20)
        statuses.append(immediate(halo, headers).status_code)
        halo.sleep(30)
        statuses.append(immediate(halo, headers).status_code)
        return statuses

    run = runner.run(schedule, client)
    assert run.result == [200, 500, 503, 200, 401]
    assert [r["id"] for r in run.rules] == ["f1-http-error"]
    assert run.failed == ["refreshes_token_before_expiry"]
    assert run.entries[2]["scenarios"] == ["f1-http-error"]


def test_a_client_that_never_finishes_is_stopped(runner: ChaosRunner):
    def client(halo: ChaosHalo):
        headers = login(halo)
        while True:
            try:
                immediate(halo, headers, "SELECT 1 /* mock-halo: error=503 */")
            except Exception:  # a client swallowing everything still stops
                pass

    run = runner.run(Schedule(), client)
    assert "finishes" in run.failed and type(run.error).__name__ == "BudgetExceeded"
    assert "the client sent more than 60 requests" in str(run)
    waits = ChaosRunner(make_settings(), max_wait="1h").run(Schedule(), lambda halo: [halo.sleep(600) for _ in range(10)])
    assert waits.failed == ["finishes"] and "waited more than 3600 s" in str(waits.error)


def test_the_clients_exception_and_result_are_reported(runner: ChaosRunner):
    def client(halo: ChaosHalo):
        login(halo)
        raise LookupError("no such patient")

    run = runner.run(Schedule((SiteOutage("unreachable", 0, 5),)), client)
    assert run.ok and isinstance(run.error, LookupError)
    text = str(run)
    assert "site unreachable from 0 s for 5 s" in text and "The client raised LookupError: no such patient" in text
    assert "#1 POST /integrator/token -> 200" in text


def test_async_clients_concurrency_is_counted(runner: ChaosRunner):
    def client(limit: int):
        def run(halo: ChaosHalo):
            headers = login(halo)

            async def main():
                gate = asyncio.Semaphore(limit)
                async with halo.async_client() as http:
                    async def one(i: int):
                        async with gate:
                            body = {"command": {"text": f"SELECT {i} AS i"}}
                            return (await http.post(f"/device/sites/{halo.site_id}/queries/immediate", json=body, headers=headers)).status_code

                    return await asyncio.gather(*(one(i) for i in range(6)))

            return asyncio.run(main())

        return run

    capped = ChaosRunner(make_settings(), max_in_flight=2)
    wide, narrow = capped.run(Schedule(), client(6)), capped.run(Schedule(), client(2))
    assert wide.result == narrow.result == [200] * 6
    assert max(e["inFlight"] for e in wide.entries) == 6 and wide.failed == ["under_concurrency_cap"]
    assert max(e["inFlight"] for e in narrow.entries) == 2 and narrow.ok
    assert len(wide.report["under_concurrency_cap"].violations) == 4


CURL_LIKE = textwrap.dedent('''
    import json, sys, urllib.request
    base, site, key = sys.argv[1:4]
    def call(method, path, body=None, headers=None, form=False):
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = body.encode() if form else json.dumps(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None
    status, token = call("POST", "/integrator/token", f"grant_type=urn:halo-connect:oauth:device-token&device_id=x&site_id={site}",
                         {"Ocp-Apim-Subscription-Key": key}, form=True)
    headers = {"Authorization": "Bearer " + token["access_token"], "DeviceId": "x"}
    for attempt in range(3):
        status, _ = call("POST", f"/device/sites/{site}/queries/immediate", {"command": {"text": "SELECT 1 AS one"}}, headers)
        print(status)
        if status == 200:
            break
        call("POST", "/_mock/clock/advance", {"seconds": 2 ** attempt})  # this client's sleep
''')


def test_live_runs_judge_a_client_in_another_process(runner: ChaosRunner):
    schedule = Schedule((HttpError(surface="immediate", status=503, count=2),))

    def client(halo: ChaosHalo):
        assert halo.base_url.startswith("http://127.0.0.1:")
        done = subprocess.run([sys.executable, "-c", CURL_LIKE, halo.base_url, halo.site_id, halo.subscription_key],
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.split()

    run = runner.run(schedule, client, live=True)
    assert run.result == ["503", "503", "200"]
    assert run.ok, run
    assert [e["time"][11:19] for e in run.entries] == ["23:00:00", "23:00:00", "23:00:01", "23:00:03"]
    too_fast = ChaosRunner(make_settings(), min_delay=2).run(schedule, client, live=True)
    assert too_fast.failed == ["backs_off"]


USER_PROPERTY_TEST = '''
from hypothesis import given, settings
from mock_halo import strategies as hs


def polls_once(halo):
    return halo.http.get("/_mock/health").status_code


@settings(max_examples=5, deadline=None, database=None)
@given(schedule=hs.schedules(surfaces=("token",)))
def test_with_given(halo_chaos, schedule):
    run = halo_chaos.run(schedule, polls_once)
    assert run.result == 200 and run.ok
'''


def test_the_fixture_works_under_given_without_health_check_complaints(pytester: pytest.Pytester, monkeypatch):
    from tests.test_plugin import REPO, _plugin_args

    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_user=USER_PROPERTY_TEST)
    result = pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# -- webhook faults and the client's receiver (live runs) -----------------------------------------
SECRET = "receiver-secret"


class Receiver:
    """A webhook receiver on a free loopback port: ``careful`` ones verify what they get."""

    def __init__(self, careful: bool, now) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from mock_halo.webhooks import WebhookVerificationError, verify

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 204
                if careful:
                    try:
                        verify(body, self.headers, SECRET, now=now())
                    except WebhookVerificationError:
                        status = 401
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhook_client(careful: bool):
    def client(halo: ChaosHalo):
        receiver = Receiver(careful, halo.now)
        try:
            halo.control.set_webhook(url=receiver.url + "/{source}/{queryId}", secret=SECRET)
            headers = login(halo)
            for number in range(2):
                halo.http.post(f"/device/sites/{halo.site_id}/queries/async", json={"command": {"text": f"SELECT {number} AS n"}},
                               headers=headers)
            halo.sleep(60)
            assert halo.control.flush_webhooks(timeout=20)
        finally:
            receiver.close()

    return client


def test_webhook_faults_reach_the_receiver_and_it_is_judged(runner: ChaosRunner):
    schedule = Schedule((WebhookFault(faults="badSignature"), WebhookFault(ordinal=2, faults="staleTimestamp")))
    trusting = runner.run(schedule, webhook_client(careful=False), live=True)
    assert trusting.error is None, trusting
    assert sorted(tuple(d["faults"]) for d in trusting.deliveries) == [("badSignature",), ("staleTimestamp",)]
    assert trusting.failed == ["rejects_forged_webhooks"]
    assert "was accepted with 204 (deliveries #" in str(trusting)
    verifying = runner.run(schedule, webhook_client(careful=True), live=True)
    assert verifying.ok and verifying.error is None, verifying
    genuine = runner.run(Schedule(), webhook_client(careful=True), live=True)
    assert genuine.ok and len(genuine.deliveries) == 2 and {d["state"] for d in genuine.deliveries} == {"delivered"}

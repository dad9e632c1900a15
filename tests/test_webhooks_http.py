"""Signed webhooks through HTTP: a real receiver on a loopback port, the virtual clock moved.

The receiver is the pytest plugin's (a real HTTP server); notifications are
checked with ``mock_halo.webhooks.verify`` and against Halo's AsyncAPI
document (tests/webhook_asyncapi.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from conftest import OTHER_SITE, SITE, Halo, assert_general_error, make_settings
from starlette.testclient import TestClient
from webhook_asyncapi import assert_matches_asyncapi

from mock_halo.app import create_app
from mock_halo.clock import parse_timestamp
from mock_halo.pytest_plugin import WebhookReceiver
from mock_halo.webhooks import WebhookVerificationError, verify

SECRET = "whsec-test-0123456789"
INTEGRATOR = "ab05feaf-3cdf-46e0-847e-23cd219cb59f"
QUERY = "SELECT TOP 3 InternalID, Surname FROM BPS_Patients ORDER BY InternalID"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hooked(client, receiver) -> WebhookReceiver:
    """The default integrator's webhook points at the receiver."""
    response = client.put(
        f"/_mock/webhooks/config/{INTEGRATOR}",
        json={"url": receiver.url + "/{source}/{siteId}/{queryId}", "secret": SECRET},
    )
    assert response.status_code == 200, response.text
    return receiver


def submit(halo: Halo, sql: str = QUERY, site: str = SITE) -> dict:
    token = halo.token(site)
    response = halo.client.post(f"/device/sites/{site}/queries/async", json={"command": {"text": sql}}, headers=halo.headers(token))
    assert response.status_code == 201, response.text
    return response.json()


def status(halo: Halo, query_id: str, site: str = SITE) -> dict:
    token = halo.token(site)
    return halo.client.get(f"/device/sites/{site}/queries/{query_id}", headers=halo.headers(token)).json()


def advance(client: TestClient, seconds: float) -> None:
    """Move the emulator clock, then wait until every attempt that fell due has been made."""
    assert client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200
    flushed = client.post("/_mock/webhooks/flush", json={"timeout": 10}).json()
    assert flushed["settled"], flushed


def deliveries(client: TestClient, **filters) -> list[dict]:
    response = client.get("/_mock/webhooks", params=filters)
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def now_of(client: TestClient) -> datetime:
    return parse_timestamp(client.get("/_mock/clock").json()["now"])


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- a notification per completed async query ---------------------------------------------------
def test_async_query_completion_sends_one_signed_notification_that_verifies(client, halo, hooked):
    query = submit(halo)
    assert hooked.deliveries == []
    advance(client, 120)
    [received] = hooked.wait(1)
    final = status(halo, query["id"])
    assert final["status"] == "successful"

    payload = received.verify(SECRET, now=now_of(client))
    assert_matches_asyncapi(received.body, received.headers)
    assert payload["queryId"] == query["id"] and payload["siteId"] == SITE
    assert payload["webhookSource"] == "async"
    assert ts(payload["occurredAt"]) == ts(final["completedAt"])  # the completion, not the clock move
    assert received.headers["X-Halo-Id"] == payload["id"]
    assert received.headers["X-Halo-Timestamp"] != payload["occurredAt"]
    assert received.headers["Content-Type"] == "application/json"
    assert received.path == f"/webhooks/async/{SITE}/{query['id']}"  # {source}/{siteId}/{queryId} filled in

    [delivery] = deliveries(client)
    assert delivery["state"] == "delivered" and delivery["notificationId"] == payload["id"]
    assert delivery["payload"] == payload and delivery["nextAttemptAt"] is None
    [attempt] = delivery["attempts"]
    assert attempt["status"] == 200 and attempt["outcome"] == "delivered" and attempt["latencyMs"] >= 0
    assert ts(final["completedAt"]) < ts(attempt["dueAt"]) <= ts(attempt["sentAt"])


def test_nothing_is_sent_before_the_clock_passes_the_completion(client, halo, hooked):
    query = submit(halo)
    advance(client, 0.05)
    assert status(halo, query["id"])["status"] != "successful"
    assert deliveries(client) == [] and hooked.deliveries == []
    advance(client, 3600)  # one big jump: still one notification, stamped with the completion instant
    [received] = hooked.wait(1)
    assert ts(received.json()["occurredAt"]) == ts(status(halo, query["id"])["completedAt"])
    assert len(deliveries(client)) == 1


def test_failed_queries_and_integrators_without_a_webhook_send_nothing(client, halo, hooked):
    submit(halo, "SELECT * FROM NoSuchTable")
    advance(client, 120)
    assert deliveries(client) == [] and hooked.deliveries == []
    assert client.delete(f"/_mock/webhooks/config/{INTEGRATOR}").status_code == 204
    submit(halo)
    advance(client, 120)
    assert deliveries(client) == [] and hooked.deliveries == []


def test_separate_urls_per_source(client, halo, receiver):
    body = {"asyncUrl": receiver.url + "/a/{queryId}", "registeredUrl": receiver.url + "/r/{siteId}", "secret": SECRET}
    assert client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json=body).json()["asyncUrl"] == body["asyncUrl"]
    query = submit(halo)
    register(halo)
    advance(client, 30)
    paths = sorted(r.path for r in receiver.wait(2))
    assert paths == [f"/webhooks/a/{query['id']}", f"/webhooks/r/{SITE}"]


# -- retries on the emulator clock ----------------------------------------------------------
def test_retries_on_500_and_429_follow_the_backoff_on_the_emulator_clock(client, halo, hooked):
    hooked.respond(500, 429)
    submit(halo)
    advance(client, 30)
    assert len(hooked.deliveries) >= 1
    delivery = deliveries(client)[0]
    # Move to just before each next attempt (nothing is sent), then onto it (one more is).
    while delivery["state"] == "scheduled":
        sent = len(hooked.deliveries)
        due = ts(delivery["nextAttemptAt"])
        gap = (due - now_of(client)).total_seconds()
        advance(client, gap - 0.01)
        assert len(hooked.deliveries) == sent
        advance(client, 0.01)
        assert len(hooked.deliveries) == sent + 1
        delivery = deliveries(client)[0]
    attempts = delivery["attempts"]
    assert [a["status"] for a in attempts] == [500, 429, 200]
    assert [a["outcome"] for a in attempts] == ["retry", "retry", "delivered"]
    first_wait = ts(attempts[1]["dueAt"]) - ts(attempts[0]["dueAt"])
    second_wait = ts(attempts[2]["dueAt"]) - ts(attempts[1]["dueAt"])
    # Decorrelated jitter: each wait is drawn from [5 s, 3 x the previous wait] (the first from [5 s, 15 s]).
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=15)
    assert timedelta(seconds=5) <= second_wait <= 3 * first_wait
    for received in hooked.deliveries:
        received.verify(SECRET, now=ts(attempts[-1]["sentAt"]))
    assert len({r.headers["X-Halo-Id"] for r in hooked.deliveries}) == 1


def test_the_schedule_repeats_with_the_same_seed(receiver):
    def run() -> list[str]:
        with TestClient(create_app(make_settings())) as client:
            client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json={"url": receiver.url, "secret": SECRET})
            receiver.respond(*[503] * 10)
            submit(Halo(client))
            advance(client, 3 * 3600)
            [delivery] = deliveries(client)
            return [a["dueAt"] for a in delivery["attempts"]] + [delivery["notificationId"]]

    first = run()
    assert run() == first


def test_ten_attempts_at_most_within_about_ninety_minutes(client, halo, hooked):
    hooked.respond(*[500] * 20)
    query = submit(halo)
    advance(client, 6 * 3600)
    [delivery] = deliveries(client)
    attempts = delivery["attempts"]
    assert len(attempts) == 10 and delivery["state"] == "failed" and delivery["nextAttemptAt"] is None
    assert [a["outcome"] for a in attempts] == ["retry"] * 9 + ["failed"]
    assert ts(attempts[-1]["dueAt"]) - ts(status(halo, query["id"])["completedAt"]) < timedelta(minutes=90)
    assert len(hooked.deliveries) == 10


@pytest.mark.parametrize(("answer", "retried"), [(400, False), (401, False), (404, False), (408, True), (502, True)])
def test_only_5xx_408_and_429_are_retried(client, halo, hooked, answer, retried):
    hooked.respond(answer)
    submit(halo)
    advance(client, 4)  # completion (~2 s) and the first attempt; a retry would be 5 s later
    [delivery] = deliveries(client)
    assert delivery["attempts"][0]["status"] == answer
    if retried:
        assert delivery["state"] == "scheduled" and delivery["attempts"][0]["outcome"] == "retry"
        advance(client, 60)
        assert deliveries(client)[0]["state"] == "delivered"
    else:
        assert delivery["state"] == "failed" and delivery["nextAttemptAt"] is None
        advance(client, 3600)
        assert len(hooked.deliveries) == 1


def test_an_unreachable_receiver_is_retried(client, halo, receiver):
    receiver.close()  # nothing listens on its port any more
    client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json={"url": receiver.url, "secret": SECRET})
    submit(halo)
    advance(client, 30)
    [delivery] = deliveries(client)
    attempt = delivery["attempts"][0]
    assert attempt["status"] is None and attempt["error"] == "connection refused" and attempt["outcome"] == "retry"


def test_a_hanging_receiver_times_out_without_holding_up_requests(receiver):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    settings = make_settings(webhook_timeout=0.3)
    with TestClient(create_app(settings)) as client:
        halo = Halo(client)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json={"url": url, "secret": SECRET})
        submit(halo)
        client.post("/_mock/clock/advance", json={"seconds": 4})  # completion and the first attempt, not a retry
        # The attempt is in flight (the receiver never answers); the API answers meanwhile.
        assert halo.immediate("SELECT 1 AS one").status_code == 200
        assert client.post("/_mock/webhooks/flush", json={"timeout": 10}).json()["settled"]
        [delivery] = deliveries(client)
    listener.close()
    attempt = delivery["attempts"][0]
    assert attempt["status"] is None and attempt["error"] == "no answer within 0.3 s"
    assert attempt["outcome"] == "retry" and delivery["state"] == "scheduled"


def test_a_running_clock_delivers_from_the_apps_ticker(receiver):
    settings = make_settings(clock="real", clock_speed=200.0)
    with TestClient(create_app(settings)) as client:
        client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json={"url": receiver.url, "secret": SECRET})
        receiver.respond(500)
        submit(Halo(client))
        # Nobody polls or moves the clock: the ticker completes the query and makes both attempts.
        first, second = receiver.wait(2, timeout=20)
        assert first.headers["X-Halo-Id"] == second.headers["X-Halo-Id"]


# -- registered queries: only a changed result notifies ----------------------------------------
def register(halo: Halo, sql: str = "SELECT Surname FROM BPS_Patients WHERE InternalID = 1") -> str:
    token = halo.token()
    body = {"name": "watch", "registeredQueryType": "query", "frequency": 60, "duration": 3600,
            "registerCommand": {"command": {"text": sql}}}
    response = halo.client.post(f"/device/sites/{SITE}/queries/registered", json=body, headers=halo.headers(token))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_registered_queries_notify_only_when_the_result_changes(client, halo, hooked):
    query_id = register(halo)
    advance(client, 30)  # the first run uploads a result: one notification
    [first] = hooked.wait(1)
    assert first.json()["webhookSource"] == "registered" and first.json()["queryId"] == query_id
    assert_matches_asyncapi(first.body, first.headers)
    advance(client, 180)  # three more runs, same result: nothing
    assert len(hooked.deliveries) == 1
    update = "UPDATE PATIENTS SET SURNAME = N'Changed' WHERE INTERNALID = 1"
    assert halo.immediate(update, executionMode="nonQuery").status_code == 200
    advance(client, 60)  # the next run sees the change
    second = hooked.wait(2)[1]
    payload = second.verify(SECRET, now=now_of(client))
    assert payload["queryId"] == query_id and payload["id"] != first.json()["id"]
    token = halo.token()
    body = halo.client.get(f"/device/sites/{SITE}/queries/registered/{query_id}", headers=halo.headers(token)).json()
    assert ts(payload["occurredAt"]) == ts(body["metrics"]["lastSucceededAt"])
    advance(client, 120)
    assert len(hooked.deliveries) == 2


# -- redelivery and reset -------------------------------------------------------------------
def test_redelivery_sends_the_same_notification_again_newly_signed(client, halo, hooked):
    submit(halo)
    advance(client, 30)
    [original] = deliveries(client)
    advance(client, 90)
    response = client.post(f"/_mock/webhooks/{original['id']}/redeliver")
    assert response.status_code == 201
    again = response.json()
    assert again["redeliveryOf"] == original["id"] and again["notificationId"] == original["notificationId"]
    assert client.post("/_mock/webhooks/flush").json()["settled"]
    first, second = hooked.wait(2)
    assert first.body == second.body and first.headers["X-Halo-Id"] == second.headers["X-Halo-Id"]
    assert first.headers["X-Halo-Timestamp"] != second.headers["X-Halo-Timestamp"]
    second.verify(SECRET, now=now_of(client))
    assert client.get(f"/_mock/webhooks/{again['id']}").json()["state"] == "delivered"
    assert_general_error(client.post("/_mock/webhooks/999/redeliver"), 404, "999")
    assert_general_error(client.get("/_mock/webhooks/999"), 404)


def test_reset_clears_the_queue_and_stops_retries(client, halo, hooked):
    hooked.respond(*[500] * 10)
    submit(halo)
    advance(client, 30)
    assert deliveries(client)[0]["state"] == "scheduled"
    sent = len(hooked.deliveries)
    assert client.get("/_mock/info").json()["state"]["webhooks"] == 2  # a delivery and the webhook set here
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/_mock/info").json()["state"]["webhooks"] == 0
    assert deliveries(client) == []
    advance(client, 3600)
    assert len(hooked.deliveries) == sent
    # A full reset also restores the configured webhooks (none here).
    assert client.get("/_mock/webhooks/config").json()["integrators"][0]["enabled"] is False


def test_site_reset_drops_only_that_sites_deliveries(client, halo, hooked):
    hooked.respond(*[500] * 4)
    submit(halo, site=SITE)
    submit(halo, site=OTHER_SITE)
    advance(client, 30)
    assert len(deliveries(client)) == 2
    client.post("/_mock/reset", json={"siteId": SITE})
    assert [d["siteId"] for d in deliveries(client)] == [OTHER_SITE]


def test_deliveries_list_filters(client, halo, hooked):
    hooked.respond(400)
    first = submit(halo)
    second = submit(halo)
    advance(client, 60)
    assert [d["queryId"] for d in deliveries(client, queryId=first["id"])] == [first["id"]]
    assert [d["state"] for d in deliveries(client, state="failed")] == ["failed"]
    assert [d["queryId"] for d in deliveries(client, limit=1)] == [second["id"]]
    assert len(deliveries(client, integrator=INTEGRATOR)) == 2
    assert_general_error(client.get("/_mock/webhooks", params={"state": "lost"}), 400, "state")
    assert_general_error(client.get("/_mock/webhooks", params={"colour": "red"}), 400, "colour")
    assert client.delete("/_mock/webhooks").status_code == 204
    assert deliveries(client) == []


# -- configuration through the control plane ------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "http://127.0.0.1:9/"}, "secret"),
        ({"secret": "s"}, "url"),
        ({"url": "ftp://example.com/", "secret": "s"}, "http"),
        ({"url": "http://example.com/{tenant}", "secret": "s"}, "{tenant}"),
        ({"asyncUrl": "not a url", "secret": "s"}, "asyncUrl"),
        ({"url": "http://example.com/", "secret": "s", "colour": "red"}, "colour"),
    ],
)
def test_bad_webhook_config_is_refused_with_a_clear_message(client, body, fragment):
    assert_general_error(client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json=body), 400, fragment)
    assert_general_error(
        client.put("/_mock/webhooks/config/00000000-0000-0000-0000-000000000000", json={"url": "http://x/", "secret": "s"}), 404
    )


def test_config_never_shows_the_secret_and_info_says_webhooks_are_configured(client, hooked):
    [entry] = client.get("/_mock/webhooks/config").json()["integrators"]
    assert entry["enabled"] and entry["hasSecret"] and SECRET not in str(entry)
    info = client.get("/_mock/info").json()
    assert info["webhooks"]["configured"] is True
    assert info["integrators"][0]["webhook"]["url"].startswith(hooked.url)


# -- the verifier ---------------------------------------------------------------------------
def test_verify_rejects_tampering_wrong_secrets_missing_headers_and_old_timestamps(client, halo, hooked):
    submit(halo)
    advance(client, 30)
    [received] = hooked.wait(1)
    now = now_of(client)
    assert verify(received.body, received.headers, SECRET, now=now)["queryId"]
    lower = {k.lower(): v for k, v in received.headers.items()}
    assert verify(received.body.decode(), lower, SECRET.encode(), now=now)  # str body, bytes secret, any case
    cases = [
        (received.body.replace(b"async", b"registered"), received.headers, SECRET, now, "does not match"),
        (received.body, received.headers, "another-secret", now, "does not match"),
        (received.body, {k: v for k, v in received.headers.items() if k != "X-Halo-Timestamp"}, SECRET, now, "X-Halo-Timestamp"),
        (received.body, received.headers, SECRET, now + timedelta(minutes=6), "replay window"),
        (received.body, received.headers, SECRET, now - timedelta(minutes=6), "future"),
    ]
    for body, headers, secret, when, fragment in cases:
        with pytest.raises(WebhookVerificationError, match=fragment):
            verify(body, headers, secret, now=when)
    assert verify(received.body, received.headers, SECRET, now=now + timedelta(minutes=4, seconds=59))

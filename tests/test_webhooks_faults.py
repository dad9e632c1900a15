"""Webhook faults from scenario rules and SQL-comment directives, through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import assert_general_error
from test_webhooks_http import INTEGRATOR, QUERY, SECRET, advance, deliveries, now_of, register, submit, ts

from mock_halo.pytest_plugin import WebhookReceiver
from mock_halo.webhooks import WebhookVerificationError, verify
from mock_halo.webhooks.faults import FAULT_NAMES, WebhookFaultError, WebhookFaults, parse_faults


@pytest.fixture
def hooked(client) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    client.put(f"/_mock/webhooks/config/{INTEGRATOR}", json={"url": receiver.url, "secret": SECRET})
    yield receiver
    receiver.close()


def directed(faults: str) -> str:
    return f"{QUERY} /* mock-halo: webhook={faults} */"


def test_drop_sends_nothing_and_the_list_says_so(client, halo, hooked):
    submit(halo, directed("drop"))
    advance(client, 3600)
    assert hooked.deliveries == []
    [delivery] = deliveries(client)
    assert delivery["state"] == "dropped" and delivery["faults"] == ["drop"] and delivery["attempts"] == []


def test_duplicate_sends_the_same_notification_twice(client, halo, hooked):
    submit(halo, directed("duplicate"))
    advance(client, 60)
    first, second = hooked.wait(2)
    assert first.body == second.body and first.headers["X-Halo-Id"] == second.headers["X-Halo-Id"]
    original, copy = deliveries(client)
    assert copy["copyOf"] == original["id"] and original["faults"] == copy["faults"] == ["duplicate"]
    assert ts(copy["attempts"][0]["dueAt"]) - ts(original["attempts"][0]["dueAt"]) == timedelta(seconds=1)


def test_bad_signature_fails_verification_and_the_receivers_401_ends_the_delivery(client, halo, hooked):
    hooked.respond(401)
    submit(halo, directed("badSignature"))
    advance(client, 60)
    [received] = hooked.wait(1)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        received.verify(SECRET, now=now_of(client))
    [delivery] = deliveries(client)
    assert delivery["faults"] == ["badSignature"] and delivery["state"] == "failed"


def test_stale_timestamp_is_signed_but_outside_the_replay_window(client, halo, hooked):
    submit(halo, directed("staleTimestamp:7m"))
    advance(client, 60)
    [received] = hooked.wait(1)
    now = now_of(client)
    with pytest.raises(WebhookVerificationError, match="replay window"):
        received.verify(SECRET, now=now)
    stamped = ts(received.headers["X-Halo-Timestamp"])
    assert now - stamped == timedelta(minutes=7)
    assert verify(received.body, received.headers, SECRET, now=stamped)  # the signature itself is good


def test_delay_holds_the_first_attempt_back_on_the_emulator_clock(client, halo, hooked):
    query = submit(halo, directed("delay:2m"))
    advance(client, 60)
    assert hooked.deliveries == []
    [delivery] = deliveries(client)
    assert delivery["state"] == "scheduled" and delivery["faults"] == ["delay"]
    advance(client, 90)
    [received] = hooked.wait(1)
    completed = ts(client.get("/_mock/webhooks").json()["deliveries"][0]["occurredAt"])
    assert ts(deliveries(client)[0]["attempts"][0]["dueAt"]) - completed >= timedelta(minutes=2)
    assert received.json()["queryId"] == query["id"]


def test_out_of_order_is_overtaken_by_the_next_notification(client, halo, hooked):
    held = submit(halo, directed("outOfOrder"))
    advance(client, 30)
    assert hooked.deliveries == [] and deliveries(client)[0]["state"] == "held"
    later = submit(halo)
    advance(client, 30)
    first, second = hooked.wait(2)
    assert [first.json()["queryId"], second.json()["queryId"]] == [later["id"], held["id"]]
    assert first.json()["occurredAt"] > second.json()["occurredAt"]  # completed later, arrived first


def test_out_of_order_alone_goes_out_after_at_most_a_minute(client, halo, hooked):
    submit(halo, directed("outOfOrder"))
    advance(client, 30)
    assert hooked.deliveries == []
    advance(client, 60)
    assert len(hooked.wait(1)) == 1


def test_a_scenario_rule_faults_matching_queries_and_counts(client, halo, hooked):
    rule = {"match": {"surface": "async", "sql": "BPS_Patients"}, "outcome": {"webhook": {"duplicate": 2, "badSignature": True}}}
    created = client.post("/_mock/scenarios", json=rule)
    assert created.status_code == 201, created.text
    assert created.json()["outcome"] == {"webhook": {"duplicate": 2, "badSignature": True}}
    submit(halo)
    submit(halo, "SELECT 1 AS one")  # not matched: delivered normally
    advance(client, 60)
    by_query: dict[str, list[dict]] = {}
    for delivery in deliveries(client):
        by_query.setdefault(delivery["queryId"], []).append(delivery)
    faulted = [d for ds in by_query.values() for d in ds if d["faults"]]
    assert len(faulted) == 3 and all(d["faults"] == ["duplicate", "badSignature"] for d in faulted)
    assert sum(1 for ds in by_query.values() for d in ds if not d["faults"]) == 1
    assert client.get(f"/_mock/scenarios/{created.json()['id']}").json()["fired"] == 1


def test_a_registered_querys_faults_hold_for_each_of_its_notifications(client, halo, hooked):
    query_id = register(halo, "SELECT Surname FROM BPS_Patients WHERE InternalID = 2 /* mock-halo: webhook=staleTimestamp */")
    advance(client, 30)
    assert halo.immediate("UPDATE PATIENTS SET SURNAME = N'Other' WHERE INTERNALID = 2", executionMode="nonQuery").status_code == 200
    advance(client, 60)
    received = hooked.wait(2)
    assert [r.json()["queryId"] for r in received] == [query_id, query_id]
    assert all(d["faults"] == ["staleTimestamp"] for d in deliveries(client))


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [("explode", "unknown fault"), ("delay", "needs a duration"), ("delay:soon", "duration"),
     ("duplicate:9", "1 to 5"), ("drop,duplicate", "cannot be combined"), ("drop,drop", "twice")],
)
def test_bad_fault_specs_are_refused(client, halo, spec, fragment):
    token = halo.token()
    response = halo.client.post(
        f"/device/sites/{halo.client.app.state.emulator.settings.sites[0].id}/queries/async",
        json={"command": {"text": directed(spec)}}, headers=halo.headers(token),
    )
    assert_general_error(response, 400, fragment)
    rule = {"match": {"surface": "async"}, "outcome": {"webhook": spec}}
    assert_general_error(client.post("/_mock/scenarios", json=rule), 400, fragment)


def test_both_spellings_parse_to_the_same_faults_and_round_trip():
    text = parse_faults("delay:1500ms duplicate:2,outOfOrder badSignature staleTimestamp")
    obj = parse_faults({"delay": "1.5s", "duplicate": 2, "outOfOrder": True, "badSignature": True, "staleTimestamp": "10m"})
    assert text == obj and text.names == list(FAULT_NAMES[:1] + FAULT_NAMES[2:])
    assert parse_faults(text.to_json()) == text
    assert parse_faults(["drop"]) == WebhookFaults(drop=True)
    with pytest.raises(WebhookFaultError, match="turns every fault off"):
        parse_faults({"drop": False})

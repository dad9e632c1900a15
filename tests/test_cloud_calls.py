"""The domain calls (mock_halo.cloud) on their own: one caller model for every API.

A caller known by its subscription key alone (the Integrator API) gets the same
operations as a device caller, with the same rules: paired sites only (403), its
own queries only (404 / notFound), the key in the header or the query parameter,
primary or secondary.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from mock_halo import errors
from mock_halo.cloud import Credentials, HaloCloud
from mock_halo.config import DEFAULT_SITE_IDS, load_settings
from mock_halo.emulator import Emulator
from mock_halo.lifecycle.immediate import ImmediateRequest
from mock_halo.sql import SqlCommand

SITE, OTHER_SITE, UNPAIRED_SITE = DEFAULT_SITE_IDS[:3]
KEY_A, KEY_A2, KEY_B = "key-a-primary", "key-a-secondary", "key-b"


@pytest.fixture
def cloud():
    settings = load_settings(env={}, overrides={"clock": "virtual", "patients": 20})
    from dataclasses import replace

    from mock_halo.config import IntegratorConfig

    integrators = (
        IntegratorConfig(id="aaaaaaaa-0000-4000-8000-000000000001", name="A", subscription_keys=(KEY_A, KEY_A2),
                         sites=(SITE, OTHER_SITE)),
        IntegratorConfig(id="bbbbbbbb-0000-4000-8000-000000000002", name="B", subscription_keys=(KEY_B,),
                         sites=(SITE,)),
    )
    emulator = Emulator(replace(settings, integrators=integrators))
    yield HaloCloud(emulator)
    emulator.close()


def run(coroutine):
    return asyncio.run(coroutine)


def integrator(key: str | None) -> Credentials:
    return Credentials(api="integrator", subscription_key=key)


def select(sql: str = "SELECT TOP 2 INTERNALID FROM PATIENTS ORDER BY INTERNALID") -> ImmediateRequest:
    command = SqlCommand(text=sql, execution_mode="reader", command_type="text", parameters=[], catalogue=None)
    return ImmediateRequest(command=command, max_time_in_queue=30_000, command_size=len(sql), request_size=len(sql))


def rows(body: bytes) -> list[dict[str, Any]]:
    return json.loads(base64.b64decode(json.loads(body)["result"]["data"]))


def test_a_subscription_key_caller_runs_an_immediate_query_and_reads_it_back(cloud):
    caller = cloud.admit(integrator(KEY_A), SITE)
    body = run(cloud.create_immediate_query(caller, select()))
    assert rows(body) == [{"INTERNALID": 1}, {"INTERNALID": 2}]
    query_id = json.loads(body)["id"]
    assert json.loads(run(cloud.get_query(caller, query_id)))["status"] == "successful"


def test_the_secondary_key_is_the_same_integrator(cloud):
    body = run(cloud.create_immediate_query(cloud.admit(integrator(KEY_A), SITE), select()))
    again = cloud.admit(integrator(KEY_A2), SITE)
    assert json.loads(run(cloud.get_query(again, json.loads(body)["id"])))["integratorId"] == again.integrator.id


@pytest.mark.parametrize("key,status,fragment", [
    (None, 401, "missing subscription key"),
    ("", 401, "missing subscription key"),
    ("nope", 401, "invalid subscription key"),
])
def test_a_missing_or_unknown_key_is_the_gateway_401(cloud, key, status, fragment):
    with pytest.raises(errors.HaloError) as caught:
        cloud.admit(integrator(key), SITE)
    assert caught.value.status == status and fragment in caught.value.message.lower()
    assert caught.value.gateway


def test_only_paired_authoritative_sites_and_known_sites(cloud):
    with pytest.raises(errors.HaloError) as unpaired:
        cloud.admit(integrator(KEY_B), OTHER_SITE)
    assert unpaired.value.status == 403 and "pairing" in unpaired.value.message
    with pytest.raises(errors.HaloError) as unknown:
        cloud.admit(integrator(KEY_A), "00000000-0000-4000-8000-000000000000")
    assert unknown.value.status == 404


def test_another_integrators_queries_are_invisible(cloud):
    owner = cloud.admit(integrator(KEY_A), SITE)
    other = cloud.admit(integrator(KEY_B), SITE)
    query_id = json.loads(run(cloud.create_immediate_query(owner, select())))["id"]
    async_id = run(cloud.create_async_query(owner, select()))["id"]
    for wanted in (query_id, async_id):
        with pytest.raises(errors.HaloError) as caught:
            run(cloud.get_query(other, wanted))
        assert caught.value.status == 404
    batch = run(cloud.get_query_status_batch(other, [query_id, async_id]))
    assert batch == {"results": [{"queryId": query_id, "status": "notFound"},
                                 {"queryId": async_id, "status": "notFound"}]}
    mine = run(cloud.get_query_status_batch(owner, [async_id, "unknown"]))["results"]
    assert [r["status"] for r in mine] == ["found", "notFound"] and mine[0]["query"]["status"] == "initialising"


def test_a_failed_immediate_query_is_raised_with_its_record(cloud):
    caller = cloud.admit(integrator(KEY_A), SITE)
    with pytest.raises(errors.QueryFailed) as caught:
        run(cloud.create_immediate_query(caller, select("SELECT nope FROM PATIENTS")))
    record = caught.value.record.render()
    assert caught.value.status == 400 and record["status"] == "executionFailed"
    assert record["errorDetails"]["errorCode"] == 207
    assert json.loads(run(cloud.get_query(caller, record["id"])))["status"] == "executionFailed"


def test_registered_queries_are_the_owners_only(cloud):
    owner = cloud.admit(integrator(KEY_A), SITE)
    other = cloud.admit(integrator(KEY_B), SITE)
    query_id = run(cloud.create_registered_query(owner, name="n", registered_query_type="query", frequency=60,
                                                 duration=600, command=select().command, request_size=10))
    assert run(cloud.get_registered_query(owner, query_id))["status"] == "enabled"
    assert run(cloud.get_registered_queries(other)) == {"registeredQueries": []}
    for call in (cloud.get_registered_query, cloud.cancel_registered_query, cloud.get_registered_query_result):
        with pytest.raises(errors.HaloError) as caught:
            run(call(other, query_id))
        assert caught.value.status == 404


def test_the_token_endpoint_is_a_key_callers_operation(cloud):
    caller = cloud.authenticate(integrator(KEY_A))
    token = run(cloud.obtain_token(caller, grant_type="urn:halo-connect:oauth:desktop-token", device_id="d1",
                                   site_id=SITE))
    device = Credentials(api="desktop", authorization=f"Bearer {token['access_token']}", device_id="d1")
    assert cloud.admit(device, SITE).integrator.id == caller.integrator.id
    with pytest.raises(errors.HaloError) as caught:
        cloud.admit(device, OTHER_SITE)
    assert caught.value.status == 403

"""The plugin's webhook fixtures in a user's test file (run with pytester)."""

from __future__ import annotations

import pytest
from test_plugin import REPO, _plugin_args

pytest_plugins = ["pytester"]

USER_TESTS = '''
from mock_halo.clock import parse_timestamp
from mock_halo.config import DEFAULT_SITE_IDS, DEFAULT_SUBSCRIPTION_KEY

SITE = DEFAULT_SITE_IDS[0]


def test_a_completed_async_query_reaches_my_receiver_signed(halo_client, halo_clock, halo_webhooks):
    token = halo_client.post(
        "/integrator/token",
        data={"grant_type": "urn:halo-connect:oauth:device-token", "device_id": "dev-1", "site_id": SITE},
        headers={"Ocp-Apim-Subscription-Key": DEFAULT_SUBSCRIPTION_KEY},
    ).json()["access_token"]
    headers = {"Authorization": "Bearer " + token, "DeviceId": "dev-1"}
    query = halo_client.post(f"/device/sites/{SITE}/queries/async",
                             json={"command": {"text": "SELECT 1 AS one"}}, headers=headers).json()
    halo_clock.advance("1m")
    [notification] = halo_webhooks.wait(1)
    payload = notification.verify(halo_webhooks.secret, now=parse_timestamp(halo_clock.now()))
    assert payload["queryId"] == query["id"] and payload["webhookSource"] == "async"
    assert notification.path == f"/webhooks/async/{SITE}/{query['id']}"


def test_a_bare_receiver_answers_as_scripted(halo_webhook_receiver):
    import httpx

    halo_webhook_receiver.respond(503)
    assert httpx.post(halo_webhook_receiver.url, content=b"{}").status_code == 503
    assert httpx.post(halo_webhook_receiver.url, content=b"{}").status_code == 200
    assert [r.body for r in halo_webhook_receiver.wait(2)] == [b"{}", b"{}"]
'''


def test_webhook_fixtures_work_in_a_users_test_file(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makepyfile(test_user_webhooks=USER_TESTS)
    result = pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)

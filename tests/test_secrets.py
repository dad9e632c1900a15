"""Secrets: tokens cannot be forged from public facts, and nothing leaks to callers off loopback."""

from __future__ import annotations

import hashlib

import jwt
from conftest import KEY, SITE, Halo, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.auth import AUDIENCE, GRANT_DEVICE, ISSUER
from mock_halo.cli import banner
from mock_halo.config import DEFAULT_INTEGRATOR_ID
from mock_halo.emulator import Emulator


def _forged(secret: str, device: str = "evil") -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": device, "device_id": device, "site_id": SITE,
              "integrator_id": DEFAULT_INTEGRATOR_ID, "grant_type": GRANT_DEVICE, "iat": 1767000000, "exp": 1867000000}
    return jwt.encode(claims, secret, algorithm="HS256")


def _immediate(client: TestClient, token: str, device: str):
    return client.post(f"/device/sites/{SITE}/queries/immediate", json={"command": {"text": "SELECT 1"}},
                       headers={"Authorization": f"Bearer {token}", "DeviceId": device})


def test_a_token_signed_with_the_seed_derived_secret_is_refused(client):
    """The old default secret was sha256('mock-halo-jwt:<seed>'), and /_mock/info showed the seed."""
    old_default = hashlib.sha256(b"mock-halo-jwt:42").hexdigest()
    response = _immediate(client, _forged(old_default), "evil")
    assert response.status_code == 401 and "signature" in response.json()["error"]["message"]


def test_each_emulator_has_its_own_random_secret_unless_one_is_configured():
    settings = make_settings()
    with TestClient(create_app(emulator=Emulator(settings))) as one, TestClient(create_app(emulator=Emulator(settings))) as two:
        token = Halo(one).token()
        assert _immediate(one, token, "test-device").status_code == 200
        assert _immediate(two, token, "test-device").status_code == 401
    configured = make_settings(jwt_secret="a-shared-secret-of-at-least-32-bytes!")
    with TestClient(create_app(emulator=Emulator(configured))) as one, TestClient(create_app(emulator=Emulator(configured))) as two:
        token = Halo(one).token()
        assert _immediate(two, token, "test-device").status_code == 200
        assert _immediate(one, _forged("a-shared-secret-of-at-least-32-bytes!"), "evil").status_code == 200


def _remote(emulator: Emulator) -> TestClient:
    return TestClient(create_app(emulator=emulator), client=("203.0.113.9", 50000))


def test_info_hides_keys_and_seeds_from_callers_off_loopback(client):
    local = client.get("/_mock/info").json()
    assert local["seed"] == 42 and "seed" in local["sites"][0] and local["integrators"][0]["subscriptionKey"] == KEY
    with _remote(Emulator(make_settings())) as remote:
        shown = remote.get("/_mock/info").json()
    text = str(shown)
    assert "seed" not in shown and all("seed" not in site for site in shown["sites"])
    assert "subscriptionKey" not in shown["integrators"][0] and KEY not in text
    assert shown["sites"][0]["id"] == SITE  # what it serves is still there


def test_info_shows_keys_and_seeds_to_an_admin_token_holder():
    with _remote(Emulator(make_settings(admin_token="s3cret"))) as remote:
        assert "seed" not in remote.get("/_mock/info", headers={"Authorization": "Bearer wrong"}).json()
        shown = remote.get("/_mock/info", headers={"Authorization": "Bearer s3cret"}).json()
    assert shown["seed"] == 42 and shown["integrators"][0]["subscriptionKey"] == KEY


def test_a_networked_emulator_without_an_admin_token_warns_loudly():
    networked = make_settings(host="0.0.0.0")
    text = banner(networked, 8080, 0.1)
    assert "WARNING" in text and "MOCK_HALO_ADMIN_TOKEN" in text
    assert "WARNING" not in banner(make_settings(host="0.0.0.0", admin_token="t"), 8080, 0.1)
    assert "WARNING" not in banner(make_settings(), 8080, 0.1)


def test_the_journal_never_stores_tokens_or_keys(client):
    response = client.post(
        "/integrator/token", params={"subscription-key": KEY},
        data={"grant_type": GRANT_DEVICE, "device_id": "d1", "site_id": SITE},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    entry = client.get("/_mock/journal", params={"surface": "token"}).json()["entries"][-1]
    text = str(entry)
    assert token not in text and KEY not in text
    assert entry["query"] == "subscription-key=***"
    assert '"access_token":"***"' in entry["responseBody"]


def test_the_journal_never_stores_credentials_sent_to_site_operations(client, halo):
    """A bearer token travels in a header (never journaled); a key or token in a query string is redacted."""
    token = halo.token()
    assert halo.immediate("SELECT 1 AS x", token=token).status_code == 200
    body = {"command": {"text": "SELECT 1 AS x"}}
    path = f"/integrator/sites/{SITE}/queries/immediate"
    assert client.post(path, params={"subscription-key": KEY}, json=body).status_code == 200
    assert client.post(path, params={"subscription-key": KEY, "access_token": token}, json=body).status_code == 200
    entries = client.get("/_mock/journal", params={"surface": "immediate"}).json()["entries"]
    assert len(entries) == 3 and token not in str(entries) and KEY not in str(entries)
    assert [e["query"] for e in entries[1:]] == ["subscription-key=***", "subscription-key=***&access_token=***"]


def test_reset_keeps_tokens_valid(client, halo):
    """A token is bound to the configured integrator, site and device, which a reset leaves alone."""
    token = halo.token()
    assert client.post("/_mock/reset").status_code == 200
    assert halo.immediate("SELECT 1", token=token).status_code == 200

"""The token endpoint and the device-call auth matrix, through HTTP."""

from datetime import timedelta

import jwt
import pytest
from conftest import (
    DESKTOP_GRANT,
    DEVICE,
    DEVICE_GRANT,
    KEY,
    OTHER_SITE,
    SITE,
    UNPAIRED_SITE,
    assert_general_error,
    make_settings,
)
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.config import DEFAULT_SECONDARY_KEY
from mock_halo.emulator import Emulator

SQL = {"command": {"text": "SELECT 1 AS one"}}


def token_request(client, *, key=KEY, data=None, content_type=None, raw=None):
    headers = {}
    if key is not None:
        headers["Ocp-Apim-Subscription-Key"] = key
    if content_type:
        headers["Content-Type"] = content_type
    if raw is not None:
        return client.post("/integrator/token", content=raw, headers=headers)
    fields = {"grant_type": DEVICE_GRANT, "device_id": DEVICE, "site_id": SITE}
    fields.update(data or {})
    fields = {k: v for k, v in fields.items() if v is not None}
    return client.post("/integrator/token", data=fields, headers=headers)


# -- POST /integrator/token ---------------------------------------------------


@pytest.mark.parametrize("grant", [DEVICE_GRANT, DESKTOP_GRANT])
def test_token_is_a_signed_jwt_bound_to_integrator_site_and_device(client, emulator, grant):
    response = token_request(client, data={"grant_type": grant})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == emulator.settings.token_lifetime_s
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["site_id"] == SITE
    assert claims["device_id"] == DEVICE
    assert claims["integrator_id"] == emulator.settings.integrators[0].id
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_secondary_key_works_and_key_may_come_as_query_parameter(client):
    assert token_request(client, key=DEFAULT_SECONDARY_KEY).status_code == 200
    response = client.post(
        f"/integrator/token?subscription-key={KEY}",
        data={"grant_type": DEVICE_GRANT, "device_id": DEVICE, "site_id": SITE},
    )
    assert response.status_code == 200


def test_token_without_key_is_401(client):
    assert_general_error(token_request(client, key=None), 401, "missing subscription key")


def test_token_with_wrong_key_is_401(client):
    assert_general_error(token_request(client, key="nope"), 401, "invalid subscription key")


def test_token_with_json_body_is_415(client):
    response = client.post(
        "/integrator/token",
        json={"grant_type": DEVICE_GRANT, "device_id": DEVICE, "site_id": SITE},
        headers={"Ocp-Apim-Subscription-Key": KEY},
    )
    assert_general_error(response, 415, "application/x-www-form-urlencoded")


def test_token_key_is_checked_before_media_type(client):
    response = client.post("/integrator/token", json={})
    assert_general_error(response, 401)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"grant_type": None}, "grant_type"),
        ({"device_id": ""}, "device_id"),
        ({"site_id": None}, "site_id"),
        ({"grant_type": "client_credentials"}, "unsupported grant_type"),
        ({"device_id": "x" * 300}, "at most 256"),
    ],
)
def test_token_bad_form_is_400(client, data, fragment):
    assert_general_error(token_request(client, data=data), 400, fragment)


def test_token_for_unknown_site_is_404(client):
    response = token_request(client, data={"site_id": "00000000-0000-4000-8000-000000000000"})
    assert_general_error(response, 404, "not found")


def test_token_for_a_site_id_that_is_not_a_guid_is_404_with_a_hint(client):
    assert_general_error(token_request(client, data={"site_id": "clinic-1"}), 404, "must be the site's halo guid")


def test_token_for_unpaired_site_is_403(client):
    assert_general_error(token_request(client, data={"site_id": UNPAIRED_SITE}), 403, "pairing")


def test_token_for_unregistered_device_is_403_when_site_lists_devices():
    settings = make_settings()
    from dataclasses import replace

    sites = (replace(settings.sites[0], devices=("kiosk-1",)),) + settings.sites[1:]
    emulator = Emulator(replace(settings, sites=sites))
    with TestClient(create_app(emulator=emulator)) as client:
        assert token_request(client, data={"device_id": "kiosk-1"}).status_code == 200
        assert_general_error(token_request(client, data={"device_id": "kiosk-2"}), 403, "not registered")


def test_token_body_over_limit_is_413(client):
    response = token_request(client, content_type="application/x-www-form-urlencoded", raw=b"a=" + b"x" * 20000)
    assert_general_error(response, 413)


def test_same_seed_same_requests_same_tokens_with_a_configured_secret():
    """Determinism needs the secret pinned: by default each process signs with a random one."""
    import jwt

    tokens, default_tokens = [], []
    for _ in range(2):
        with TestClient(create_app(make_settings(jwt_secret="pinned-secret-for-deterministic-tokens"))) as client:
            tokens.append(token_request(client).json()["access_token"])
        with TestClient(create_app(make_settings())) as client:
            default_tokens.append(token_request(client).json()["access_token"])
    assert tokens[0] == tokens[1]
    assert default_tokens[0] != default_tokens[1]
    claims = [jwt.decode(t, options={"verify_signature": False}, audience="halo-cloud-device-api") for t in default_tokens]
    assert claims[0] == claims[1]


# -- device calls ---------------------------------------------------------------


def immediate(client, site=SITE, headers=None, prefix="device"):
    return client.post(f"/{prefix}/sites/{site}/queries/immediate", json=SQL, headers=headers or {})


def test_valid_token_and_device_reach_the_query(client, halo):
    token = halo.token()
    for prefix in ("device", "desktop"):
        response = immediate(client, headers=halo.headers(token), prefix=prefix)
        assert response.status_code == 200, response.text


def test_no_authorization_header_is_401(client):
    assert_general_error(immediate(client, headers={"DeviceId": DEVICE}), 401, "Invalid token", "Authorization")


def test_non_bearer_scheme_is_401(client, halo):
    token = halo.token()
    headers = {"Authorization": f"Basic {token}", "DeviceId": DEVICE}
    assert_general_error(immediate(client, headers=headers), 401, "Bearer")


def test_garbage_token_is_401(client):
    headers = {"Authorization": "Bearer not.a.jwt", "DeviceId": DEVICE}
    assert_general_error(immediate(client, headers=headers), 401, "Invalid token")


def test_forged_token_is_401(client, emulator):
    claims = jwt.decode(
        token_request(client).json()["access_token"], options={"verify_signature": False}
    )
    forged = jwt.encode(claims, "someone-elses-secret-of-at-least-32-bytes", algorithm="HS256")
    headers = {"Authorization": f"Bearer {forged}", "DeviceId": DEVICE}
    assert_general_error(immediate(client, headers=headers), 401, "signature")


def test_token_expires_on_the_emulator_clock(client, emulator, halo):
    token = halo.token()
    emulator.clock.advance(timedelta(seconds=emulator.settings.token_lifetime_s - 1))
    assert immediate(client, headers=halo.headers(token)).status_code == 200
    emulator.clock.advance(1)
    assert_general_error(immediate(client, headers=halo.headers(token)), 401, "expired")


def test_missing_device_header_is_401(client, halo):
    token = halo.token()
    assert_general_error(immediate(client, headers={"Authorization": f"Bearer {token}"}), 401, "DeviceId")


def test_token_of_another_device_is_401(client, halo):
    token = halo.token(device="device-a")
    assert_general_error(immediate(client, headers=halo.headers(token, device="device-b")), 401, "device-a")


def test_token_of_another_site_is_403(client, halo):
    token = halo.token(site=OTHER_SITE)
    assert_general_error(immediate(client, site=SITE, headers=halo.headers(token)), 403, OTHER_SITE)


def test_unknown_site_is_404(client, halo):
    token = halo.token()
    response = immediate(client, site="00000000-0000-4000-8000-000000000000", headers=halo.headers(token))
    assert_general_error(response, 404, "not found")


def test_unpairing_after_token_issue_gives_403(client, emulator, halo):
    from dataclasses import replace

    token = halo.token()
    integrator = emulator.settings.integrators[0]
    unpaired = replace(integrator, sites=(OTHER_SITE,))
    emulator.settings = replace(emulator.settings, integrators=(unpaired,))
    assert_general_error(immediate(client, headers=halo.headers(token)), 403, "pairing")


def test_strict_prefix_binds_grant_to_its_api():
    with TestClient(create_app(make_settings(strict_token_prefix=True))) as client:
        device_token = token_request(client).json()["access_token"]
        desktop_token = token_request(client, data={"grant_type": DESKTOP_GRANT}).json()["access_token"]
        ok = {"DeviceId": DEVICE}
        assert immediate(client, headers={**ok, "Authorization": f"Bearer {device_token}"}).status_code == 200
        response = immediate(client, headers={**ok, "Authorization": f"Bearer {device_token}"}, prefix="desktop")
        assert_general_error(response, 401, "/desktop")
        response = immediate(client, headers={**ok, "Authorization": f"Bearer {desktop_token}"}, prefix="desktop")
        assert response.status_code == 200


def test_key_on_device_api_is_optional_unless_configured(halo):
    with TestClient(create_app(make_settings(require_key_on_device_api=True))) as client:
        token = token_request(client).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "DeviceId": DEVICE}
        assert_general_error(immediate(client, headers=headers), 401, "missing subscription key")
        assert immediate(client, headers={**headers, "Ocp-Apim-Subscription-Key": KEY}).status_code == 200


def test_apim_gateway_style_changes_only_gateway_errors():
    with TestClient(create_app(make_settings(gateway_style="apim"))) as client:
        response = token_request(client, key=None)
        assert response.status_code == 401
        assert response.json() == {
            "statusCode": 401,
            "message": response.json()["message"],
        }
        assert "missing subscription key" in response.json()["message"]
        response = token_request(client, data={"grant_type": "nope"})
        assert_general_error(response, 400)


def test_auth_applies_to_every_device_endpoint(client):
    paths = [
        ("POST", "/queries/immediate"),
        ("POST", "/queries/async"),
        ("GET", "/queries/00000000-0000-4000-8000-000000000001"),
        ("GET", "/queries/00000000-0000-4000-8000-000000000001/results/1"),
        ("GET", "/queries/registered"),
        ("POST", "/queries/registered"),
        ("GET", "/fhir/R4/Patient?family=Smith"),
        ("POST", "/fhir/R4/Patient/_search"),
    ]
    for prefix in ("device", "desktop"):
        for method, tail in paths:
            response = client.request(method, f"/{prefix}/sites/{SITE}{tail}")
            assert_general_error(response, 401, "Invalid token")

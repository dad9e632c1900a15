"""``POST /integrator/token``: device and desktop tokens (halo-facts 1.3)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from starlette.requests import Request

from mock_halo import errors
from mock_halo.api.common import FORM, JSONBody, emulator_of, media_type, read_body
from mock_halo.api.faults import screen
from mock_halo.scenarios import RequestFacts
from mock_halo.auth import GRANT_TYPES, authenticate_key

#: Token requests are three short fields; anything bigger is not one.
TOKEN_BODY_LIMIT = 16 * 1024


async def obtain_token(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    settings = emulator.settings
    # The gateway checks the subscription key before anything else.
    integrator = authenticate_key(request.headers, request.query_params, settings)
    kind = media_type(request)
    if kind != FORM:
        raise errors.unsupported_media_type(kind, FORM)
    raw = await read_body(request, TOKEN_BODY_LIMIT)
    try:
        fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise errors.bad_request("The form body is not valid UTF-8.") from None

    grant_type = fields.get("grant_type", "").strip()
    device_id = fields.get("device_id", "").strip()
    site_id = fields.get("site_id", "").strip()
    missing = [name for name, value in (("grant_type", grant_type), ("device_id", device_id), ("site_id", site_id)) if not value]
    if missing:
        raise errors.bad_request(f"Missing required form field(s): {', '.join(missing)}.")
    if grant_type not in GRANT_TYPES:
        raise errors.bad_request(
            f"Unsupported grant_type '{grant_type}'; use '{GRANT_TYPES[0]}' (Device API) or '{GRANT_TYPES[1]}' (Desktop API)."
        )
    if len(device_id) > 256:
        raise errors.bad_request("device_id must be at most 256 characters.")
    site = emulator.site(site_id) if _is_guid(site_id) else None
    if site is None:
        hint = "" if _is_guid(site_id) else " (site_id must be the site's Halo GUID)"
        raise errors.not_found(f"Site '{site_id[:60]}' was not found{hint}.")
    emulator.check_pairing(integrator, site)
    await screen(request, emulator, RequestFacts(surface="token", site=site.id, headers=request.headers))
    allowed = site.config.devices
    if allowed and device_id not in allowed:
        raise errors.forbidden(f"Device '{device_id}' is not registered for site '{site.id}'.")
    token, lifetime = emulator.tokens.issue(integrator, site.config, device_id, grant_type)
    return JSONBody(
        {"access_token": token, "token_type": "Bearer", "expires_in": lifetime},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

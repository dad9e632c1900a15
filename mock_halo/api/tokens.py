"""``POST /integrator/token``: device and desktop tokens (halo-facts 1.3)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api.common import FORM, JSONBody, cloud_of, media_type, operation, read_body
from mock_halo.auth import GRANT_TYPES
from mock_halo.cloud import Caller

#: Token requests are three short fields; anything bigger is not one.
TOKEN_BODY_LIMIT = 16 * 1024


@operation(site=False)
async def obtain_token(request: Request, caller: Caller) -> Response:
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
    token = await cloud_of(request).obtain_token(caller, grant_type=grant_type, device_id=device_id, site_id=site_id)
    return JSONBody(token, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

"""Helpers every handler uses: JSON responses, body reading, the emulator handle."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.emulator import DeviceCaller, Emulator
from mock_halo.limits import JsonTooDeep, load_json

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class JSONBody(Response):
    """A JSON response serialised with orjson (the hot path renders a lot of JSON)."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def emulator_of(request: Request) -> Emulator:
    return request.app.state.emulator


def error_response(exc: errors.HaloError, gateway_style: str) -> JSONBody:
    return JSONBody(exc.body(gateway_style), status_code=exc.status, headers=exc.headers)


def media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower()


def is_json_type(kind: str | None) -> bool:
    return kind == JSON or (kind is not None and kind.startswith("application/") and kind.endswith("+json"))


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) anything over ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise errors.payload_too_large(limit)
        except ValueError:
            raise errors.bad_request("The Content-Length header is not a number.") from None
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise errors.payload_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> tuple[dict[str, Any], bytes]:
    """A JSON object body (415 for another media type, 400 for none, bad JSON or a non-object)."""
    kind = media_type(request)
    raw = await read_body(request, limit)
    # No body at all is a missing body (400), not one of an unsupported type: Halo's query
    # operations document no 415.
    if not is_json_type(kind) and (kind is not None or raw):
        raise errors.unsupported_media_type(kind, JSON)
    if not raw.strip():
        raise errors.bad_request("The request body is empty; a JSON object is required.")
    return json_object(raw), raw


def json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object body: 400 for bad JSON, a body nested too deeply, or a non-object."""
    try:
        body = load_json(raw)
    except JsonTooDeep as exc:
        raise errors.bad_request(f"The request body is not acceptable: {exc}.") from None
    except orjson.JSONDecodeError as exc:
        raise errors.bad_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    return body


def device_caller(request: Request, prefix: str) -> DeviceCaller:
    """Authenticate a device/desktop call (bearer token + DeviceId + path site)."""
    from mock_halo.auth import authenticate_key, bearer_value

    emulator = emulator_of(request)
    headers = request.headers
    if emulator.settings.require_key_on_device_api:
        authenticate_key(headers, request.query_params, emulator.settings)
    return emulator.authorize_device(
        bearer=bearer_value(headers),
        device_header=headers.get("deviceid"),
        prefix=prefix,
        site_id=request.path_params["siteId"],
    )

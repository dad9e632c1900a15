"""FHIR R4 facade handlers: ``GET .../fhir/R4/{fhirParameters}``, ``POST .../{resource}/_search``,
create (``POST .../{resource}``) and update (``PUT .../{resource}/{id}``).

Auth and site rules are the SQL endpoints' (general envelope for 401/403/404 of the
site, 503/504 for an offline/unreachable site); everything the FHIR engine itself
rejects is an ``OperationOutcome`` with ``application/fhir+json``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api.common import FORM, device_caller, emulator_of, is_json_type, media_type, read_body
from mock_halo.api.sql import prefix_of
from mock_halo.emulator import DeviceCaller, Emulator
from mock_halo.fhir import FhirError, FhirService

FHIR_JSON = "application/fhir+json; charset=utf-8"


def _fhir_response(body: dict[str, Any], status: int = 200) -> Response:
    response = Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON)
    if status == 405:
        # Only create/update refuse with 405 (a read-only resource type), and reading is what
        # every type allows; RFC 9110 wants the Allow header on every 405.
        response.headers["Allow"] = "GET, HEAD"
    return response


def _service(request: Request, emulator: Emulator, caller: DeviceCaller, prefix: str) -> FhirService:
    now = emulator.lifecycle.now()
    availability = emulator.lifecycle.availability(caller.site.id, now)
    if availability == "offline":
        raise errors.site_offline()
    if availability == "unreachable":
        raise errors.gateway_timeout("Site is unreachable")
    site = caller.site
    base = f"{str(request.base_url).rstrip('/')}/{prefix}/sites/{request.path_params['siteId']}/fhir/R4/"
    return FhirService(
        site_id=site.id,
        halo_link_version=site.config.halo_link_version,
        base_url=base,
        now=now,
        engine_factory=lambda: emulator.engine(site),
        new_id=emulator.ids.uuid,
    )


async def get_fhir(request: Request) -> Response:
    prefix = prefix_of(request)
    emulator = emulator_of(request)
    caller = device_caller(request, prefix)
    service = _service(request, emulator, caller, prefix)
    try:
        body = service.get(*_relative_url(request))
    except FhirError as exc:
        return _fhir_response(exc.outcome(), exc.status)
    return _fhir_response(body)


def _relative_url(request: Request) -> tuple[str, list[tuple[str, str]]]:
    """The FHIR relative URL: path and search parameters. Halo's document makes the whole of
    `Patient?given=John` the `{fhirParameters}` path parameter, so a client generated from it
    sends the `?` percent-encoded; what follows an encoded `?` is read as search parameters too."""
    path, mark, query = request.path_params["fhirParameters"].partition("?")
    pairs = parse_qsl(query, keep_blank_values=True) if mark else []
    return path, pairs + list(request.query_params.multi_items())


async def post_fhir_search(request: Request) -> Response:
    prefix = prefix_of(request)
    emulator = emulator_of(request)
    caller = device_caller(request, prefix)
    service = _service(request, emulator, caller, prefix)
    kind = media_type(request)
    raw = await read_body(request, emulator.settings.max_request_bytes)
    if kind not in (FORM, None) and raw.strip():
        error = FhirError(415, f"Unsupported media type '{kind}'; _search accepts {FORM}", code="not-supported")
        return _fhir_response(error.outcome(), error.status)
    try:
        form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        error = FhirError(400, "The form body is not valid UTF-8", code="invalid")
        return _fhir_response(error.outcome(), error.status)
    pairs = list(request.query_params.multi_items()) + form
    try:
        body = service.search(request.path_params["resource"], pairs)
    except FhirError as exc:
        return _fhir_response(exc.outcome(), exc.status)
    return _fhir_response(body)


async def _write_body(request: Request, emulator: Emulator) -> bytes:
    """The body of a create/update: JSON (``application/fhir+json`` or ``application/json``) or 415."""
    kind = media_type(request)
    raw = await read_body(request, emulator.settings.max_request_bytes)
    if kind is not None and not is_json_type(kind):
        raise FhirError(415, f"Unsupported media type '{kind}'; use application/fhir+json", code="not-supported")
    return raw


async def post_fhir_create(request: Request) -> Response:
    """``POST .../fhir/R4/{resource}``: 201 with the created resource and its Location."""
    prefix = prefix_of(request)
    emulator = emulator_of(request)
    caller = device_caller(request, prefix)
    service = _service(request, emulator, caller, prefix)
    try:
        raw = await _write_body(request, emulator)
        body = service.create(request.path_params["resource"], raw)
    except FhirError as exc:
        return _fhir_response(exc.outcome(), exc.status)
    response = _fhir_response(body, 201)
    response.headers["Location"] = f"{service.base_url}{body['resourceType']}/{body['id']}"
    return response


async def put_fhir_update(request: Request) -> Response:
    """``PUT .../fhir/R4/{resource}/{id}``: 200 with the updated resource."""
    prefix = prefix_of(request)
    emulator = emulator_of(request)
    caller = device_caller(request, prefix)
    service = _service(request, emulator, caller, prefix)
    try:
        raw = await _write_body(request, emulator)
        body = service.update(request.path_params["resource"], request.path_params["id"], raw)
    except FhirError as exc:
        return _fhir_response(exc.outcome(), exc.status)
    response = _fhir_response(body)
    response.headers["Content-Location"] = f"{service.base_url}{body['resourceType']}/{body['id']}"
    return response

"""FHIR R4 facade handlers: ``GET .../fhir/R4/{fhirParameters}``, ``POST .../{resource}/_search``,
create (``POST .../{resource}``) and update (``PUT .../{resource}/{id}``).

Auth and site rules are the SQL endpoints' (general envelope for 401/403/404 of the
site, 503/504 for an offline/unreachable site); everything the FHIR engine itself
rejects is a :class:`~mock_halo.fhir.FhirError`, answered by :func:`fhir_error` as an
``OperationOutcome``. Every FHIR answer, errors included, is ``application/json`` (Halo's
documents) unless ``_format`` or ``Accept`` asks for ``application/fhir+json``
(:func:`mock_halo.media.fhir_answer_type`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from mock_halo.api.common import cloud_of, emulator_of, media_type, operation, read_body
from mock_halo.auth import SUBSCRIPTION_KEY_QUERY
from mock_halo.cloud import Caller
from mock_halo.fhir import FhirError
from mock_halo.media import FHIR_DEFAULT, NotAcceptable, fhir_answer_type


def fhir_response(body: dict[str, Any], status: int = 200, media: str = FHIR_DEFAULT,
                  headers: dict[str, str] | None = None) -> Response:
    response = Response(orjson.dumps(body), status_code=status, media_type=f"{media}; charset=utf-8", headers=headers)
    if status == 405:
        # Only create/update refuse with 405 (a read-only resource type), and reading is what
        # every type allows; RFC 9110 wants the Allow header on every 405.
        response.headers["Allow"] = "GET, HEAD"
    return response


async def fhir_error(request: Request, exc: Exception) -> Response:
    """The app's answer to a FhirError: its OperationOutcome."""
    assert isinstance(exc, FhirError)
    return fhir_response(exc.outcome(), exc.status, error_answer_type(request))


def answer_type(request: Request, pairs: list[tuple[str, str]] | None = None) -> str:
    """The media type to answer in (``_format`` among the search ``pairs`` or the URL's query,
    else ``Accept``); a ``_format`` naming a format not served is 406 (FHIR's http rules)."""
    formats = [value for name, value in (request.query_params.multi_items() if pairs is None else pairs)
               if name == "_format"]
    try:
        return fhir_answer_type(request.headers.get("accept"), formats[-1] if formats else None)
    except NotAcceptable as exc:
        raise FhirError(406, f"_format '{str(exc)[:60]}' is not served: this FHIR facade answers JSON only "
                             "(_format=json, application/json or application/fhir+json).", code="not-supported") from None


def error_answer_type(request: Request) -> str:
    """:func:`answer_type` for an error answer: never itself an error."""
    try:
        return answer_type(request)
    except FhirError:
        return FHIR_DEFAULT


def _base_url(request: Request) -> str:
    """The FHIR base of the site as the client addressed it (bundle links, Location)."""
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    server = scope.get("server")
    root = scope.get("app_root_path", scope.get("root_path", ""))
    origin = _origin(scope.get("scheme", "http"), None if server is None else tuple(server), host, root)
    prefix = scope["path"].split("/", 2)[1]
    return f"{origin}/{prefix}/sites/{request.path_params['siteId']}/fhir/R4/"


@lru_cache(maxsize=256)
def _origin(scheme: str, server: tuple[str, int] | None, host: bytes | None, root: str) -> str:
    """``request.base_url`` without its trailing slash, for the scope parts it depends on
    (remembered: building it is a good part of a small search's time)."""
    base = {"type": "http", "scheme": scheme, "server": server, "path": root if root.endswith("/") else root + "/",
            "query_string": b"", "root_path": root, "headers": [] if host is None else [(b"host", host)]}
    return str(URL(scope=base)).rstrip("/")


def _relative_url(request: Request) -> tuple[str, list[tuple[str, str]]]:
    """The FHIR relative URL: path and search parameters. Halo's document makes the whole of
    `Patient?given=John` the `{fhirParameters}` path parameter, so a client generated from it
    sends the `?` percent-encoded; what follows an encoded `?` is read as search parameters too."""
    path, mark, query = request.path_params["fhirParameters"].partition("?")
    pairs = parse_qsl(query, keep_blank_values=True) if mark else []
    return path, pairs + _query_pairs(request)


def _query_pairs(request: Request) -> list[tuple[str, str]]:
    """The URL's query parameters as the FHIR engine sees them: the gateway's own
    ``subscription-key`` (a credential, not a search parameter) is not among them."""
    return [(name, value) for name, value in request.query_params.multi_items() if name != SUBSCRIPTION_KEY_QUERY]


@operation
async def get_fhir(request: Request, caller: Caller) -> Response:
    path, pairs = _relative_url(request)
    media = answer_type(request, pairs)
    return fhir_response(await cloud_of(request).get_fhir_query(caller, _base_url(request), path, pairs), media=media)


@operation
async def post_fhir_search(request: Request, caller: Caller) -> Response:
    media = answer_type(request)
    raw = await read_body(request, emulator_of(request).settings.max_request_bytes)
    body = await cloud_of(request).post_fhir_search(
        caller, _base_url(request), request.path_params["resource"], media_type(request), raw, _query_pairs(request),
    )
    return fhir_response(body, media=media)


@operation
async def post_fhir_create(request: Request, caller: Caller) -> Response:
    """``POST .../fhir/R4/{resource}``: 201 with the created resource and its Location."""
    base, media = _base_url(request), answer_type(request)
    raw = await read_body(request, emulator_of(request).settings.max_request_bytes)
    body = await cloud_of(request).create_fhir_resource(caller, base, request.path_params["resource"],
                                                        media_type(request), raw)
    response = fhir_response(body, 201, media)
    response.headers["Location"] = f"{base}{body['resourceType']}/{body['id']}"
    return response


@operation
async def put_fhir_update(request: Request, caller: Caller) -> Response:
    """``PUT .../fhir/R4/{resource}/{id}``: 200 with the updated resource."""
    base, media = _base_url(request), answer_type(request)
    raw = await read_body(request, emulator_of(request).settings.max_request_bytes)
    body = await cloud_of(request).update_fhir_resource(caller, base, request.path_params["resource"],
                                                        request.path_params["id"], media_type(request), raw)
    response = fhir_response(body, media=media)
    response.headers["Content-Location"] = f"{base}{body['resourceType']}/{body['id']}"
    return response

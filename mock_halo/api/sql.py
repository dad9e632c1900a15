"""SQL passthrough handlers under ``/{api}/sites/{siteId}/queries`` (halo-facts 5, 6).

Each reads the request, makes one :class:`~mock_halo.cloud.HaloCloud` call and renders.
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api import validate
from mock_halo.api.common import JSON, JSONBody, cloud_of, emulator_of, operation, read_json_object
from mock_halo.cloud import Caller
from mock_halo.lifecycle.immediate import ImmediateRequest
from mock_halo.lifecycle.pages import PageDownload


async def _command_request(request: Request, caller: Caller, bounds: tuple[int, int, int]) -> ImmediateRequest:
    """Read and validate an immediate/async body (halo-facts 4.1-4.4)."""
    body, raw = await read_json_object(request, emulator_of(request).settings.max_request_bytes)
    command = validate.parse_command(body)
    catalogue = validate.parse_catalogue(body, caller.site.config)
    if catalogue is not None:
        command = dataclasses.replace(command, catalogue=catalogue)
    return ImmediateRequest(
        command=command,
        max_time_in_queue=validate.parse_max_time_in_queue(body, bounds),
        command_size=validate.command_size(body),
        request_size=len(raw),
    )


@operation
async def create_immediate_query(request: Request, caller: Caller) -> Response:
    parsed = await _command_request(request, caller, validate.IMMEDIATE_MAX_TIME_IN_QUEUE)
    body = await cloud_of(request).create_immediate_query(caller, parsed)
    return Response(body, media_type=JSON)


@operation
async def create_async_query(request: Request, caller: Caller) -> Response:
    parsed = await _command_request(request, caller, validate.ASYNC_MAX_TIME_IN_QUEUE)
    query = await cloud_of(request).create_async_query(caller, parsed)
    return JSONBody(query, status_code=201)


@operation
async def get_query(request: Request, caller: Caller) -> Response:
    query = await cloud_of(request).get_query(caller, request.path_params["queryId"])
    return JSONBody(query)


async def _page(request: Request, caller: Caller) -> PageDownload:
    page_number = validate.page_number(request.path_params["pageNumber"])
    return await cloud_of(request).get_result_page(caller, request.path_params["queryId"], page_number)


@operation
async def get_result_page(request: Request, caller: Caller) -> Response:
    page = await _page(request, caller)
    return JSONBody(page.body, headers=page.headers)


@operation
async def stream_result_page(request: Request, caller: Caller) -> Response:
    """``GET …/results/{pageNumber}/stream`` (Integrator API): the same page, its rows as raw JSON
    (halo-facts 6.7: the decoded page, no base64 wrapper), with the page's headers."""
    page = await _page(request, caller)
    return Response(page.raw, media_type=JSON, headers=page.headers)


@operation
async def get_query_status_batch(request: Request, caller: Caller) -> Response:
    """``POST /integrator/sites/{siteId}/queries/status`` (halo-facts 6.8)."""
    body, _ = await read_json_object(request, emulator_of(request).settings.max_request_bytes)
    statuses = await cloud_of(request).get_query_status_batch(caller, validate.query_ids(body))
    return JSONBody(statuses)

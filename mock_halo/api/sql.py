"""SQL passthrough handlers under ``/{device,desktop}/sites/{siteId}/queries``."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api import validate
from mock_halo.api.common import JSON, JSONBody, device_caller, emulator_of, read_json_object
from mock_halo.api.faults import plan_override, screen
from mock_halo.lifecycle.immediate import ImmediateFault, ImmediateRequest, run_immediate
from mock_halo.scenarios import RequestFacts


def prefix_of(request: Request) -> str:
    """``device`` or ``desktop``: the first segment of the path."""
    return request.scope["path"].split("/", 2)[1]


async def _command_request(request: Request, bounds: tuple[int, int, int]):
    """Authenticate, read and validate an immediate/async body."""
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    body, raw = await read_json_object(request, emulator.settings.max_request_bytes)
    command = validate.parse_command(body)
    catalogue = validate.parse_catalogue(body, caller.site.config)
    if catalogue is not None:
        command = dataclasses.replace(command, catalogue=catalogue)
    parsed = ImmediateRequest(
        command=command,
        max_time_in_queue=validate.parse_max_time_in_queue(body, bounds),
        command_size=validate.command_size(body),
        request_size=len(raw),
    )
    return emulator, caller, parsed


def _facts(request: Request, surface: str, site_id: str, sql: str) -> RequestFacts:
    return RequestFacts(surface=surface, site=site_id, sql=sql, headers=request.headers)


async def create_immediate_query(request: Request) -> JSONBody:
    emulator, caller, parsed = await _command_request(request, validate.IMMEDIATE_MAX_TIME_IN_QUEUE)
    decision = await screen(request, emulator, _facts(request, "immediate", caller.site.id, parsed.command.text))
    fault = None
    if decision is not None and (decision.sql_error is not None or decision.error is not None):
        fault = ImmediateFault(sql_error=decision.sql_error, too_large=decision.error is not None)
    status, payload = run_immediate(emulator, caller, parsed, fault)
    return Response(payload, status_code=status, media_type=JSON)


async def create_async_query(request: Request) -> JSONBody:
    emulator, caller, parsed = await _command_request(request, validate.ASYNC_MAX_TIME_IN_QUEUE)
    decision = await screen(request, emulator, _facts(request, "async", caller.site.id, parsed.command.text))
    lifecycle = emulator.lifecycle
    query = lifecycle.submit(
        site_id=caller.site.id,
        integrator_id=caller.integrator.id,
        command=parsed.command,
        max_time_in_queue=parsed.max_time_in_queue,
        command_size=parsed.command_size,
        request_size=parsed.request_size,
        plan_override=plan_override(decision),
    )
    return JSONBody(query.render(lifecycle.now()), status_code=201)


def _not_found(query_id: str, site_id: str) -> errors.HaloError:
    return errors.not_found(f"Query '{query_id}' was not found for site '{site_id}'.")


def _own_query(request: Request):
    """The caller and the query named in the path, if it is the caller's (else 404)."""
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    query_id = request.path_params["queryId"]
    record = emulator.queries.get(caller.site.id, query_id)
    if record is None or record.integrator_id != caller.integrator.id:
        raise _not_found(query_id, caller.site.id)
    return emulator, caller, query_id


async def get_query(request: Request) -> JSONBody:
    emulator, caller, query_id = _own_query(request)
    return JSONBody(emulator.lifecycle.status(caller.site.id, query_id))


async def get_result_page(request: Request) -> JSONBody:
    emulator, caller, query_id = _own_query(request)
    raw_number = request.path_params["pageNumber"]
    try:
        page_number = int(raw_number)
    except ValueError:
        page_number = 0
    if page_number < 1 or not raw_number.isdigit():
        raise errors.bad_request(f"pageNumber must be an integer of at least 1; got '{raw_number[:40]}'.")
    download = emulator.lifecycle.page(caller.site.id, query_id, page_number)
    return JSONBody(download.body, headers=download.headers)


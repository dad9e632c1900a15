"""SQL passthrough handlers under ``/{device,desktop}/sites/{siteId}/queries``."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from mock_halo import errors
from mock_halo.api import validate
from mock_halo.api.common import JSONBody, device_caller, emulator_of, read_json_object
from mock_halo.lifecycle.immediate import ImmediateRequest, run_immediate


def prefix_of(request: Request) -> str:
    return request.url.path.split("/", 2)[1]


async def create_immediate_query(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    body, raw = await read_json_object(request, emulator.settings.max_request_bytes)
    command = validate.parse_command(body)
    catalogue = validate.parse_catalogue(body, caller.site.config)
    if catalogue is not None:
        command = dataclasses.replace(command, catalogue=catalogue)
    parsed = ImmediateRequest(
        command=command,
        max_time_in_queue=validate.parse_max_time_in_queue(body, validate.IMMEDIATE_MAX_TIME_IN_QUEUE),
        command_size=validate.command_size(body),
        request_size=len(raw),
    )
    status, payload = run_immediate(emulator, caller, parsed)
    return JSONBody(payload, status_code=status)


async def get_query(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    query_id = request.path_params["queryId"]
    record = emulator.queries.get(caller.site.id, query_id)
    if record is None or record.integrator_id != caller.integrator.id:
        raise errors.not_found(f"Query '{query_id}' was not found for site '{caller.site.id}'.")
    return JSONBody(record.render())


def not_yet(feature: str):
    """A handler for an endpoint whose issue has not landed: auth, then 501."""

    async def handler(request: Request) -> JSONBody:
        device_caller(request, prefix_of(request))
        raise errors.not_implemented(feature)

    handler.__name__ = "not_implemented_" + feature.lower().replace(" ", "_")
    return handler

"""Registered (recurring) query handlers (halo-facts 7)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api import validate
from mock_halo.api.common import JSONBody, cloud_of, emulator_of, operation, read_json_object
from mock_halo.cloud import INTEGRATOR, Caller

#: A registration is answered 201 by the Desktop (and Device) API, 202 by the Integrator API
#: (halo-facts 7.2: each as its own document says).
REGISTERED_CREATED = {INTEGRATOR: 202}


@operation
async def create_registered_query(request: Request, caller: Caller) -> Response:
    body, raw = await read_json_object(request, emulator_of(request).settings.max_request_bytes)
    register = body.get("registerCommand")
    if register is None:
        raise errors.bad_request("registerCommand is required (an object holding 'command').")
    if not isinstance(register, dict):
        raise errors.bad_request("registerCommand must be an object holding 'command'.")
    command = validate.parse_command(register, "registerCommand.command")
    query_id = await cloud_of(request).create_registered_query(
        caller,
        name=body.get("name"),
        registered_query_type=body.get("registeredQueryType"),
        frequency=_int32(body.get("frequency"), "frequency"),
        duration=_int32(body.get("duration"), "duration"),
        command=command,
        request_size=len(raw),
    )
    return JSONBody({"id": query_id}, status_code=REGISTERED_CREATED.get(caller.api, 201))


@operation
async def list_registered_queries(request: Request, caller: Caller) -> Response:
    return JSONBody(await cloud_of(request).get_registered_queries(caller))


@operation
async def get_registered_query(request: Request, caller: Caller) -> Response:
    return JSONBody(await cloud_of(request).get_registered_query(caller, request.path_params["queryId"]))


@operation
async def cancel_registered_query(request: Request, caller: Caller) -> Response:
    await cloud_of(request).cancel_registered_query(caller, request.path_params["queryId"])
    return Response(status_code=204)


@operation
async def get_registered_result(request: Request, caller: Caller) -> Response:
    return JSONBody(await cloud_of(request).get_registered_query_result(caller, request.path_params["queryId"]))


#: Halo's request models are .NET: `frequency` and `duration` are Int32s.
INT32_MAX = 2_147_483_647


def _int32(value: Any, name: str) -> Any:
    """A JSON number with no fraction (``300.0``) is an integer, as JSON Schema and the
    immediate/async validation read it; one past Int32 cannot be bound (400, never stored to
    break every later listing). Anything else is left for the range checks."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT32_MAX:
        raise errors.bad_request(f"'{name}' must be an integer number of seconds that fits in 32 bits.")
    return value

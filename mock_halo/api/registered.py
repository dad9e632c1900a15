"""Registered (recurring) query handlers (halo-facts 7)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api import validate
from mock_halo.api.common import JSONBody, device_caller, emulator_of, read_json_object
from mock_halo.api.faults import screen
from mock_halo.api.sql import prefix_of
from mock_halo.lifecycle.registered import INIT_FAILED_CACHE_ERROR
from mock_halo.scenarios import RequestFacts


async def create_registered_query(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    body, raw = await read_json_object(request, emulator.settings.max_request_bytes)
    register = body.get("registerCommand")
    if register is None:
        raise errors.bad_request("registerCommand is required (an object holding 'command').")
    if not isinstance(register, dict):
        raise errors.bad_request("registerCommand must be an object holding 'command'.")
    command = validate.parse_command(register, "registerCommand.command")
    decision = await screen(
        request, emulator,
        RequestFacts(surface="registered", site=caller.site.id, sql=command.text, headers=request.headers),
    )
    # A rule's status=initialisationFailedCacheError fails the registration (halo-facts 7).
    fail_init = decision is not None and decision.lifecycle is not None and decision.lifecycle.status == INIT_FAILED_CACHE_ERROR
    query = emulator.lifecycle.create_registered(
        site_id=caller.site.id,
        integrator_id=caller.integrator.id,
        name=body.get("name"),
        registered_query_type=body.get("registeredQueryType"),
        frequency=_int32(body.get("frequency"), "frequency"),
        duration=_int32(body.get("duration"), "duration"),
        command=command,
        request_size=len(raw),
        fail_initialisation=fail_init,
    )
    # The Desktop API answers 201 (the Integrator API 202).
    return JSONBody({"id": query.id}, status_code=201)


def _owned(request: Request):
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    query_id = request.path_params["queryId"]
    body = emulator.lifecycle.get_registered(caller.site.id, query_id)  # 404 if unknown
    if emulator.lifecycle.registered.get(caller.site.id, query_id).integrator_id != caller.integrator.id:
        raise errors.not_found(f"Registered query '{query_id}' was not found for site '{caller.site.id}'.")
    return emulator, caller, query_id, body


async def list_registered_queries(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    caller = device_caller(request, prefix_of(request))
    return JSONBody(emulator.lifecycle.list_registered(caller.site.id, caller.integrator.id))


async def get_registered_query(request: Request) -> JSONBody:
    _, _, _, body = _owned(request)
    return JSONBody(body)


async def cancel_registered_query(request: Request) -> Response:
    emulator, caller, query_id, _ = _owned(request)
    emulator.lifecycle.cancel_registered(caller.site.id, query_id)
    return Response(status_code=204)


async def get_registered_result(request: Request) -> JSONBody:
    emulator, caller, query_id, _ = _owned(request)
    return JSONBody(emulator.lifecycle.registered_result(caller.site.id, query_id))


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

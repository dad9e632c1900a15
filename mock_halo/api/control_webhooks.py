"""``/_mock/webhooks``: webhook deliveries, redelivery and each integrator's webhook."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import errors
from mock_halo.api.common import JSONBody, cloud_of, emulator_of
from mock_halo.api.control import admin, only_keys, only_params, optional_json
from mock_halo.api.control_rules import int_param
from mock_halo.config import ConfigError, webhook_config
from mock_halo.webhooks.outbox import STATES

DELIVERY_FILTERS = ("integrator", "queryId", "state", "limit")
DEFAULT_FLUSH_S = 5.0
MAX_FLUSH_S = 30.0


def _summary(emulator) -> dict[str, Any]:
    webhooks = emulator.webhooks
    return {**webhooks.counts(), "capacity": webhooks.policy.history_limit, "running": webhooks.sender is not None}


@admin
async def list_deliveries(request: Request) -> JSONBody:
    only_params(request, DELIVERY_FILTERS)
    params = request.query_params
    state = params.get("state")
    if state is not None and state not in STATES:
        raise errors.bad_request(f"state must be one of {list(STATES)}; got '{state[:40]}'.")
    emulator = emulator_of(request)
    deliveries = emulator.webhooks.list(
        integrator=params.get("integrator"), query_id=params.get("queryId"), state=state,
        limit=int_param(params.get("limit"), "limit"),
    )
    return JSONBody({"deliveries": deliveries, "count": len(deliveries), **_summary(emulator)})


@admin
async def clear_deliveries(request: Request) -> Response:
    emulator_of(request).webhooks.clear()
    return Response(status_code=204)


def _delivery(request: Request) -> tuple[int, dict[str, Any]]:
    """The delivery named in the path, or 404."""
    delivery_id = request.path_params["deliveryId"]  # the route's int convertor
    webhooks = emulator_of(request).webhooks
    delivery = webhooks.get(delivery_id)
    if delivery is None:
        raise errors.not_found(
            f"Webhook delivery {delivery_id} was not found (only the newest {webhooks.policy.history_limit} finished deliveries are kept)."
        )
    return delivery["id"], delivery


@admin
async def get_delivery(request: Request) -> JSONBody:
    return JSONBody(_delivery(request)[1])


@admin
async def redeliver(request: Request) -> JSONBody:
    """Send a delivery's notification again, now: a new delivery, same id and body, new timestamp and signature."""
    delivery_id, _ = _delivery(request)
    webhooks = emulator_of(request).webhooks
    delivery = webhooks.redeliver(delivery_id)
    if delivery is None:
        raise errors.HaloError(503, f"The webhook queue is full ({webhooks.policy.queue_limit} waiting); try again later.")
    return JSONBody(webhooks.get(delivery.id), status_code=201)


@admin
async def flush(request: Request) -> JSONBody:
    """Wait until every attempt due by the clock's now has been made (at most ``timeout`` wall seconds)."""
    body = await optional_json(request)
    only_keys(body, "timeout")
    timeout = body.get("timeout", DEFAULT_FLUSH_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_FLUSH_S:
        raise errors.bad_request(f"timeout must be a number of seconds from 0 to {MAX_FLUSH_S:g}.")
    emulator = emulator_of(request)
    await cloud_of(request).sites.catch_up_all()  # completions due by now are known first
    webhooks = emulator.webhooks
    sender = webhooks.sender
    if sender is not None:
        settled = await sender.flush(float(timeout))
    else:
        settled = webhooks.settled(webhooks.clock.now())
    return JSONBody({"settled": settled, **_summary(emulator)})


# -- configuration -----------------------------------------------------------------
def _config_entry(emulator, integrator) -> dict[str, Any]:
    config = emulator.webhooks.config_for(integrator.id)
    return {
        "integratorId": integrator.id,
        "name": integrator.name,
        "enabled": config is not None,
        "url": config.url if config else None,
        "asyncUrl": config.async_url if config else None,
        "registeredUrl": config.registered_url if config else None,
        "hasSecret": bool(config and config.secret),
    }


def _integrator(request: Request):
    emulator = emulator_of(request)
    integrator_id = request.path_params["integratorId"]
    integrator = emulator.settings.integrator(integrator_id.lower())
    if integrator is None:
        known = [i.id for i in emulator.settings.integrators]
        raise errors.not_found(f"Integrator '{integrator_id[:60]}' is not configured; known integrators: {known}.")
    return emulator, integrator


@admin
async def get_config(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    return JSONBody({"integrators": [_config_entry(emulator, i) for i in emulator.settings.integrators]})


@admin
async def put_config(request: Request) -> JSONBody:
    """Set an integrator's webhook (until the next full reset)."""
    emulator, integrator = _integrator(request)
    body = await optional_json(request)
    only_keys(body, "url", "asyncUrl", "registeredUrl", "secret")
    try:
        config = webhook_config(
            url=body.get("url"), async_url=body.get("asyncUrl"), registered_url=body.get("registeredUrl"),
            secret=body.get("secret"), where="webhook",
        )
    except ConfigError as exc:
        raise errors.bad_request(str(exc).replace("async_url", "asyncUrl").replace("registered_url", "registeredUrl")) from None
    emulator.webhooks.configure(integrator.id, config)
    return JSONBody(_config_entry(emulator, integrator))


@admin
async def delete_config(request: Request) -> Response:
    """Turn an integrator's webhook off (until the next full reset)."""
    emulator, integrator = _integrator(request)
    emulator.webhooks.configure(integrator.id, None)
    return Response(status_code=204)

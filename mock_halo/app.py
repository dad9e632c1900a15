"""``create_app``: the one route table of the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mock_halo import console, errors, resources
from mock_halo.api import control, control_rules, control_webhooks, fhir, registered, sites, sql, tokens
from mock_halo.api.common import JSONBody, error_response
from mock_halo.api.path_faults import PathScenarioMiddleware
from mock_halo.cloud import DESKTOP, DEVICE, INTEGRATOR, HaloCloud
from mock_halo.config import Settings
from mock_halo.emulator import Emulator
from mock_halo.fhir import FhirError
from mock_halo.journal import JournalMiddleware
from mock_halo.routing import IndexedRouter
from mock_halo.webhooks.sender import WebhookSender

log = logging.getLogger("mock_halo")

SITE = "/{prefix}/sites/{siteId}"


class AnyPathConvertor(PathConvertor):
    """Starlette's ``path`` without its gap: ``.*`` stops at a newline, so a FHIR URL holding
    an encoded line break (``%0A``) fell through to the create route's 405."""

    regex = r"[\s\S]*"


register_url_convertor("anypath", AnyPathConvertor())


def _site_routes(prefix: str) -> list[BaseRoute]:
    """The site-scoped operations of one API family; the same handlers serve every family."""
    base = f"/{prefix}/sites/{{siteId}}"
    # Literal segments ("registered", "status") come before the {queryId} template.
    return [
        Route(f"{base}/queries/immediate", sql.create_immediate_query, methods=["POST"]),
        Route(f"{base}/queries/async", sql.create_async_query, methods=["POST"]),
        # Without these, GET .../queries/immediate would be read as a query id.
        Route(f"{base}/queries/immediate", _only("POST"), methods=OTHER_METHODS),
        Route(f"{base}/queries/async", _only("POST"), methods=OTHER_METHODS),
        *(_integrator_query_routes(base) if prefix == INTEGRATOR else []),
        Route(f"{base}/queries/registered", registered.list_registered_queries, methods=["GET"]),
        Route(f"{base}/queries/registered", registered.create_registered_query, methods=["POST"]),
        Route(f"{base}/queries/registered/{{queryId}}", registered.get_registered_query, methods=["GET"]),
        Route(f"{base}/queries/registered/{{queryId}}", registered.cancel_registered_query, methods=["DELETE"]),
        Route(f"{base}/queries/registered/{{queryId}}/results", registered.get_registered_result, methods=["GET"]),
        Route(f"{base}/queries/{{queryId}}", sql.get_query, methods=["GET"]),
        Route(f"{base}/queries/{{queryId}}/results/{{pageNumber}}", sql.get_result_page, methods=["GET"]),
        Route(f"{base}/fhir/R4/{{resource}}/_search", fhir.post_fhir_search, methods=["POST"]),
        # `_search` is no resource id (FHIR ids admit no `_`): not an update.
        Route(f"{base}/fhir/R4/{{resource}}/_search", _only("POST"), methods=["PUT", "PATCH", "DELETE"]),
        Route(f"{base}/fhir/R4/{{resource}}", fhir.post_fhir_create, methods=["POST"]),
        Route(f"{base}/fhir/R4/{{resource}}/{{id}}", fhir.put_fhir_update, methods=["PUT"]),
        Route(f"{base}/fhir/R4/{{fhirParameters:anypath}}", fhir.get_fhir, methods=["GET"]),
    ]


OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE"]


def _integrator_site_routes() -> list[BaseRoute]:
    """The Integrator API's site operations (halo-facts 9), known by the subscription key."""
    return [
        Route("/integrator/sites", sites.get_sites, methods=["GET"]),
        Route("/integrator/sites/{siteId}", sites.get_site, methods=["GET"]),
        Route("/integrator/pair-site", sites.pair_site, methods=["POST"]),
        Route("/integrator/pairSite", sites.pair_site, methods=["POST"]),  # deprecated alias
    ]


def _integrator_query_routes(base: str) -> list[BaseRoute]:
    """Operations only the Integrator API has (halo-facts 3: batch status, streamed pages)."""
    return [
        Route(f"{base}/queries/status", sql.get_query_status_batch, methods=["POST"]),
        Route(f"{base}/queries/status", _only("POST"), methods=OTHER_METHODS),
        Route(f"{base}/queries/{{queryId}}/results/{{pageNumber}}/stream", sql.stream_result_page, methods=["GET"]),
    ]


def _allowed_methods(request: Request) -> list[str]:
    """Every method this path is served with: a method counts when the first route that
    would take it (route order, as Starlette dispatches) is a real handler, not a 405 one.

    Starlette's own 405 names only the first route's methods; and one path may be served by
    routes of different templates (``fhir/R4/Patient`` is both the create route's
    ``{resource}`` and the read route's ``{fhirParameters:anypath}``).
    """
    path = request.scope["path"]
    routes = [r for r in request.app.routes if isinstance(r, Route) and r.methods]
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    allowed = []
    for method in order:
        taker = next((r for r in routes if method in r.methods and r.path_regex.match(path)), None)
        if taker is not None and getattr(taker.endpoint, "__name__", "") != "method_not_allowed":
            allowed.append(method)
    return allowed


def _only(*allowed: str):
    """A handler answering 405 for a path whose only methods are ``allowed``."""

    async def method_not_allowed(request: Request) -> Response:
        raise HTTPException(405, headers={"Allow": ", ".join(allowed)})

    return method_not_allowed


async def openapi_document(request: Request) -> JSONBody:
    return JSONBody(resources.contract())


def routes() -> list[BaseRoute]:
    table: list[BaseRoute] = [
        Route("/integrator/token", tokens.obtain_token, methods=["POST"]),
        *_integrator_site_routes(),
        *_site_routes(DEVICE),
        *_site_routes(DESKTOP),
        *_site_routes(INTEGRATOR),
        *_control_routes(),
        Route("/openapi.json", openapi_document, methods=["GET"]),
        *console.routes(),  # /_mock/ui and /docs
    ]
    return table


def _control_routes() -> list[BaseRoute]:
    """``/_mock/*``: the control plane (mock_halo/api/control.py, control_rules.py)."""
    c, r, w = control, control_rules, control_webhooks
    return [
        Route("/_mock/health", c.health, methods=["GET"]),
        Route("/_mock/info", c.info, methods=["GET"]),
        Route("/_mock/openapi.json", c.openapi, methods=["GET"]),
        Route("/_mock/reset", c.reset, methods=["POST"]),
        Route("/_mock/snapshot", c.snapshot, methods=["POST"]),
        Route("/_mock/seed", c.get_seed, methods=["GET"]),
        Route("/_mock/seed", c.set_seed, methods=["POST"]),
        Route("/_mock/clock", c.get_clock, methods=["GET"]),
        Route("/_mock/clock/advance", c.advance_clock, methods=["POST"]),
        Route("/_mock/clock/set", c.set_clock, methods=["POST"]),
        Route("/_mock/clock/freeze", c.freeze_clock, methods=["POST"]),
        Route("/_mock/clock/speed", c.set_speed, methods=["POST"]),
        Route("/_mock/clock/real", c.real_time_clock, methods=["POST"]),
        Route("/_mock/sites", c.list_sites, methods=["GET"]),
        Route("/_mock/sites", c.create_site, methods=["POST"]),
        Route("/_mock/sites/{siteId}/availability", c.put_site, methods=["PUT"]),
        Route("/_mock/sites/{siteId}/latency", c.put_site, methods=["PUT"]),
        Route("/_mock/scenarios", r.list_scenarios, methods=["GET"]),
        Route("/_mock/scenarios", r.create_scenario, methods=["POST"]),
        Route("/_mock/scenarios", r.delete_scenarios, methods=["DELETE"]),
        Route("/_mock/scenarios/{ruleId}", r.get_scenario, methods=["GET"]),
        Route("/_mock/scenarios/{ruleId}", r.delete_scenario, methods=["DELETE"]),
        Route("/_mock/journal", r.get_journal, methods=["GET"]),
        Route("/_mock/journal", r.clear_journal, methods=["DELETE"]),
        Route("/_mock/webhooks", w.list_deliveries, methods=["GET"]),
        Route("/_mock/webhooks", w.clear_deliveries, methods=["DELETE"]),
        Route("/_mock/webhooks/flush", w.flush, methods=["POST"]),
        Route("/_mock/webhooks/config", w.get_config, methods=["GET"]),
        Route("/_mock/webhooks/config/{integratorId}", w.put_config, methods=["PUT"]),
        Route("/_mock/webhooks/config/{integratorId}", w.delete_config, methods=["DELETE"]),
        Route("/_mock/webhooks/{deliveryId:int}", w.get_delivery, methods=["GET"]),
        Route("/_mock/webhooks/{deliveryId:int}/redeliver", w.redeliver, methods=["POST"]),
    ]


def create_app(settings: Settings | None = None, *, emulator: Emulator | None = None) -> Starlette:
    """A new emulator app; with no arguments, the embedded defaults and a real clock."""
    emulator = emulator or Emulator(settings)
    style = emulator.settings.gateway_style

    async def on_halo_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.HaloError)
        return error_response(exc, style)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            err = errors.method_not_allowed(request.method, request.url.path)
            response = error_response(err, style)
            allowed = _allowed_methods(request)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
            elif exc.headers and "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        if exc.status_code == 404:
            return error_response(errors.not_found(), style)
        return error_response(errors.HaloError(exc.status_code, str(exc.detail)), style)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error handling %s %s", request.method, request.url.path)
        return error_response(errors.internal_error(f"An unexpected error occurred in the emulator ({type(exc).__name__})."), style)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # With a running clock, side effects (async executions, registered
        # runs) happen on time even when nobody polls; a moved clock catches
        # every site up at once; and every request catches its site up before
        # answering.
        cloud.sites.attach(asyncio.get_running_loop())
        ticker = asyncio.create_task(_tick(cloud))
        sender = WebhookSender(emulator.webhooks, timeout_s=emulator.settings.webhook_timeout_s)
        await sender.start()
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await sender.stop()
            cloud.sites.detach()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers={errors.HaloError: on_halo_error, FhirError: fhir.fhir_error, HTTPException: on_http_error,
                            Exception: on_crash},
    )
    # Starlette's router, but a request is matched only against the routes its path can match.
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    app.state.emulator = emulator
    app.cloud = cloud = HaloCloud(emulator)  # type: ignore[attr-defined]
    # Rules on the FHIR, poll and page surfaces sit in front of their handlers;
    # the journal (outermost) sees every Halo API request and its final response.
    app.add_middleware(PathScenarioMiddleware, cloud=cloud)
    app.add_middleware(JournalMiddleware, journal=lambda: emulator.journal, now=emulator.clock.now)
    return app


TICK_SECONDS = 0.2


async def _tick(cloud: HaloCloud) -> None:
    clock = cloud.emulator.clock
    while True:
        await asyncio.sleep(TICK_SECONDS)
        if not clock.frozen:
            try:
                await cloud.sites.catch_up_all()
            except Exception:  # keep ticking; the failure is logged
                log.exception("lifecycle tick failed")
            # Retries fall due as the running clock passes them.
            cloud.emulator.webhooks.wake()

"""The web console at ``/_mock/ui``: watch and steer a running emulator from a browser.

Pages are drawn on the server (:mod:`mock_halo.console.pages`) from the same state the
control plane serves; one small hand-written script (``static/console.js``, no build step)
sends the control plane's own requests (clock, sites, scenario rules, redelivery) and
refreshes the parts of a page that change. Reading a page changes nothing: the console
is not a Halo client, so it leaves the journal and the queries' lifecycles alone.

Access is the control plane's: loopback callers, or others with the admin token. A browser
cannot put a header on a link, so ``/_mock/ui?token=<admin token>`` once sets an HttpOnly,
SameSite=Strict cookie for the console's pages and redirects to the page without the token;
pages drawn for a token holder carry it for the script's control-plane calls.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mock_halo import errors
from mock_halo.api.common import emulator_of
from mock_halo.api.control import _has_admin_token, is_local
from mock_halo.console import docs, pages
from mock_halo.scenarios.rules import SURFACES

COOKIE = "mock_halo_admin"
#: What a console page may load and run: its own files only (inline styles draw the timelines).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STATIC = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
          "docs.js": "text/javascript; charset=utf-8"}
Page = Callable[[Request, Any], Awaitable["Drawn"]]


class Drawn:
    """A page's title, its content and, for a ``partial=1`` request, the live part alone."""

    def __init__(self, title: str, content: str, live: str | None = None, *, status: int = 200, final: bool = False) -> None:
        self.title, self.content, self.live, self.status, self.final = title, content, live, status, final


def routes() -> list[BaseRoute]:
    return [
        Route("/_mock/ui", _page(overview), methods=["GET"]),
        Route("/_mock/ui/queries", _page(queries), methods=["GET"]),
        Route("/_mock/ui/queries/{queryId}", _page(query), methods=["GET"]),
        Route("/_mock/ui/queries/{queryId}/pages/{pageNumber:int}", _page(result_page), methods=["GET"]),
        Route("/_mock/ui/journal", _page(journal), methods=["GET"]),
        Route("/_mock/ui/scenarios", _page(scenarios), methods=["GET"]),
        Route("/_mock/ui/webhooks", _page(webhooks), methods=["GET"]),
        Route("/_mock/ui/static/{name}", static, methods=["GET"]),
        *docs.routes(),
    ]


# -- access ------------------------------------------------------------------------------------
def access(request: Request) -> str | None:
    """None for a loopback caller; the admin token for a caller who sent it (header or cookie); else 403/401."""
    if is_local(request):
        return None
    token = emulator_of(request).settings.admin_token
    if not token:
        raise errors.forbidden(
            "The console, like the /_mock control plane, is open to loopback callers only. To reach it from "
            "elsewhere, set an admin token (MOCK_HALO_ADMIN_TOKEN) and open /_mock/ui?token=<admin token>."
        )
    cookie = request.cookies.get(COOKIE, "")
    if _has_admin_token(request, token) or hmac.compare_digest(cookie.encode(), token.encode()):
        return token
    raise errors.HaloError(401, "The console needs the admin token: open /_mock/ui?token=<admin token> once "
                                "(or send 'Authorization: Bearer <admin token>').")


def _sign_in(request: Request, given: str) -> Response:
    """``?token=``: the admin token becomes a cookie for the console's pages, and the URL loses it."""
    token = emulator_of(request).settings.admin_token
    if not token:
        access(request)  # loopback: nothing to sign in to; elsewhere the 403 that says how
        return RedirectResponse(_without_token(request), status_code=303)
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise errors.HaloError(401, "That is not the admin token (MOCK_HALO_ADMIN_TOKEN).")
    response = RedirectResponse(_without_token(request), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/_mock/ui")
    return response


def _without_token(request: Request) -> str:
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    return request.url.path + (f"?{urlencode(rest)}" if rest else "")


def _page(draw: Page) -> Callable[[Request], Awaitable[Response]]:
    @wraps(draw)
    async def handler(request: Request) -> Response:
        given = request.query_params.get("token")
        if given is not None:
            return _sign_in(request, given)
        token = access(request)
        emulator = emulator_of(request)
        drawn = await draw(request, emulator)
        headers = dict(SECURITY_HEADERS)
        if request.query_params.get("partial"):
            if drawn.final:
                headers["X-Console-Final"] = "1"
            return HTMLResponse(drawn.live if drawn.live is not None else drawn.content, status_code=drawn.status,
                                headers=headers)
        body = pages.layout(drawn.title, _nav_of(request.url.path), drawn.content, clock=clock_of(emulator), token=token)
        return HTMLResponse(body, status_code=drawn.status, headers=headers)

    return handler


def _nav_of(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:4]) if len(parts) > 3 else path


def clock_of(emulator: Any) -> dict[str, Any]:
    from mock_halo.api.control import _clock_body

    return _clock_body(emulator)


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        raise errors.not_found()
    body = resources.files("mock_halo.console").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


# -- pages -------------------------------------------------------------------------------------
async def overview(request: Request, emulator: Any) -> Drawn:
    from mock_halo.api.control import _sites_body

    sites = _sites_body(emulator)
    return Drawn("Overview", pages.overview(emulator, sites, clock_of(emulator)), pages.sites_table(sites))


def _choice(request: Request, name: str, allowed: Any) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        raise errors.bad_request(f"{name} must be one of {sorted(allowed)}; got '{value[:40]}'.")
    return value


async def queries(request: Request, emulator: Any) -> Drawn:
    from mock_halo.lifecycle.plan import ALL_STATUSES

    site = _choice(request, "site", emulator.sites)
    mode = _choice(request, "mode", ("immediate", "async"))
    status = _choice(request, "status", ALL_STATUSES)
    lifecycle = emulator.lifecycle
    with lifecycle.lock:
        now = lifecycle.now()

        def keep(record: Any) -> bool:
            return ((site is None or record.site_id == site) and (mode is None or record.mode == mode)
                    and (status is None or pages.status_of(record, now) == status))

        records = [(r, r.render(now)) for r in lifecycle.store.newest(pages.LIST_LIMIT, keep)]
        total = len(lifecycle.store)
    chosen = {"site": site, "mode": mode, "status": status}
    table = pages.queries_table(records, total, now)
    content = pages.queries_filter(emulator.sites, chosen) + pages.live(pages.with_partial("/_mock/ui/queries", chosen), table)
    return Drawn("Queries", content, table)


async def query(request: Request, emulator: Any) -> Drawn:
    from mock_halo.lifecycle.plan import TERMINAL

    query_id = request.path_params["queryId"]
    lifecycle = emulator.lifecycle
    with lifecycle.lock:
        now = lifecycle.now()
        record = lifecycle.store.find(query_id)
        body = record.render(now) if record is not None else None
    if body is None:
        return Drawn("Query not found", pages.message(
            f"No stored query has the id {query_id!r} (it may have been forgotten: retention, the store's cap or a reset)."),
            status=404, final=True)
    deliveries = emulator.webhooks.list(query_id=body["id"], limit=pages.LIST_LIMIT)
    detail = pages.query_detail(body, now, deliveries)
    final = body["status"] in TERMINAL
    url = f"/_mock/ui/queries/{body['id']}?partial=1"
    return Drawn(f"Query {body['id'][:8]}", detail if final else pages.live(url, detail), detail, final=final)


async def result_page(request: Request, emulator: Any) -> Drawn:
    import orjson

    query_id, number = request.path_params["queryId"], request.path_params["pageNumber"]
    lifecycle = emulator.lifecycle
    title = f"Query {query_id[:8]}, page {number}"
    back = f'<p><a href="/_mock/ui/queries/{pages.e(query_id)}">Back to the query</a></p>'
    with lifecycle.lock:
        now = lifecycle.now()
        record = lifecycle.store.find(query_id)
        try:
            if record is None:
                raise errors.not_found(f"No stored query has the id {query_id!r}.")
            if not hasattr(record, "page"):
                raise errors.not_found("An immediate query has no result pages: its rows are in its status body.")
            download = record.page(number, now)
        except errors.HaloError as exc:
            return Drawn(title, back + pages.message(f"{exc.status}: {exc.message}"), status=exc.status)
    if not download.raw:
        return Drawn(title, back + f"<pre>{pages.e(pages.json_text(download.body))}</pre>")
    rows = orjson.loads(download.raw)
    headers = "".join(f"<dt>{pages.e(k)}</dt><dd>{pages.e(v)}</dd>" for k, v in download.headers.items())
    return Drawn(title, back + f"<dl>{headers}</dl>" + pages.rows_table(rows if isinstance(rows, list) else []))


async def journal(request: Request, emulator: Any) -> Drawn:
    from mock_halo.api.control_rules import int_param

    chosen = {name: request.query_params.get(name) or None for name in ("path", "site", "status", "surface")}
    surface = _choice(request, "surface", SURFACES)
    status = int_param(chosen["status"], "status")
    entries = emulator.journal.entries(path=chosen["path"], site=chosen["site"], status=status, surface=surface,
                                       limit=pages.LIST_LIMIT)
    table = pages.journal_table(entries, emulator.journal.capacity)
    content = pages.journal_filter(chosen, SURFACES) + pages.live(pages.with_partial("/_mock/ui/journal", chosen), table, 2000)
    return Drawn("Journal", content, table)


async def scenarios(request: Request, emulator: Any) -> Drawn:
    rules = emulator.scenarios.list()
    return Drawn("Scenario rules", pages.scenarios_page(rules), pages.rules_table(rules))


async def webhooks(request: Request, emulator: Any) -> Drawn:
    hooks = emulator.webhooks
    configs = [(f"{i.name} ({i.id[:8]})", hooks.config_for(i.id)) for i in emulator.settings.integrators]
    deliveries = hooks.list(limit=pages.LIST_LIMIT)
    counts = hooks.counts()
    return Drawn("Webhooks", pages.webhooks_page(configs, deliveries, counts), pages.deliveries_part(deliveries, counts))

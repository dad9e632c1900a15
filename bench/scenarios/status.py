"""``query-status``: polling the status of an async query, the call integrators make most.

Issue 14's target: at least 0.50 of the bare Starlette baseline. The query is
a finished (``successful``) async query with one cached page, so each poll
renders the whole status body (``statusTiming``, ``metrics``, ``result.pages``).
"""

from __future__ import annotations

from bench.model import RequestSpec, Target
from bench.registry import ScenarioFailure, SetupContext, throughput
from bench.scenarios.emulator import device_login, emulator_launch

ASYNC_SQL = "SELECT TOP 5 Firstname, Surname FROM BPS_Patients ORDER BY InternalID"


@throughput("query-status", launch=emulator_launch, target=Target.min_ratio(0.50), ready_path="/_mock/health")
def query_status(ctx: SetupContext) -> RequestSpec:
    """GET the status of a successful async query (one cached page) with a device token."""
    login = device_login(ctx)
    base = f"/device/sites/{login.site_id}/queries"
    created = ctx.send(RequestSpec.json("POST", f"{base}/async", {"command": {"text": ASYNC_SQL}}, login.headers()))
    if created.status != 201:
        raise ScenarioFailure(f"POST {base}/async answered {created.status}: {created.text()}")
    query_id = created.json()["id"]
    moved = ctx.request("POST", "/_mock/clock/advance", {"Content-Type": "application/json"}, b'{"seconds": 120}')
    if moved.status != 200:
        raise ScenarioFailure(f"POST /_mock/clock/advance answered {moved.status}: {moved.text()}")
    request = RequestSpec("GET", f"{base}/{query_id}", tuple(login.headers().items()))
    reply = ctx.send(request)
    if reply.status != 200 or reply.json().get("status") != "successful":
        raise ScenarioFailure(f"the status poll answered {reply.status}: {reply.text(300)}")
    ctx.details["query_id"] = query_id
    return request

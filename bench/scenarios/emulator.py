"""The emulator as a subject: how to launch it, how to log in, and ``immediate-select``.

Launch modes (``--launch``): ``cli`` runs ``python -m mock_halo serve --host H
--port P`` (what users run; it warms the sites' engines before listening),
``factory`` runs ``uvicorn mock_halo.app:create_app --factory`` with exactly
the baseline's uvicorn settings. ``auto`` prefers the CLI. Either way the
inherited ``MOCK_HALO_*`` variables are dropped so the embedded defaults apply.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.parse
from dataclasses import dataclass
from typing import Any

from bench.model import RequestSpec, Target
from bench.net import Reply
from bench.registry import RunContext, ScenarioFailure, SetupContext, Skip, throughput
from bench.servers import REPO_ROOT, LaunchSpec, uvicorn_factory

PACKAGE_DIR = REPO_ROOT / "mock_halo"
EMULATOR_ENV = {"MOCK_HALO_LOG_LEVEL": "warning"}
#: An early exit printing one of these means "not built yet", not "broken".
NOT_BUILT_MARKERS = (
    "ImportError: cannot import name",
    "ModuleNotFoundError: No module named 'mock_halo",
    "invalid choice: 'serve'",
    "has no attribute 'create_app'",
)
DEVICE_ID = "bench-device"
DEVICE_GRANT = "urn:halo-connect:oauth:device-token"
IMMEDIATE_SQL = "SELECT TOP 1 Firstname, Surname FROM BPS_Patients WHERE InternalID = @id"
PATIENT_ID_SQL = "SELECT TOP 1 InternalID FROM BPS_Patients ORDER BY InternalID"


def _module_exists(name: str) -> bool:
    return (PACKAGE_DIR / f"{name}.py").is_file() or (PACKAGE_DIR / name / "__init__.py").is_file()


def cli_launch() -> LaunchSpec:
    """``python -m mock_halo serve`` on the harness's host and port."""
    if not _module_exists("cli"):
        raise Skip("mock_halo/cli.py does not exist yet")
    return LaunchSpec(
        name="mock-halo serve",
        argv=(sys.executable, "-m", "mock_halo", "serve", "--host", "{host}", "--port", "{port}"),
        env=EMULATOR_ENV,
        scrub_env_prefixes=("MOCK_HALO_",),
        unavailable_markers=NOT_BUILT_MARKERS,
    )


def factory_launch() -> LaunchSpec:
    """``uvicorn mock_halo.app:create_app --factory`` with the baseline's settings."""
    if not _module_exists("app"):
        raise Skip("mock_halo/app.py does not exist yet")
    spec = uvicorn_factory("mock_halo.app:create_app", "mock-halo (uvicorn factory)", EMULATOR_ENV)
    return LaunchSpec(spec.name, spec.argv, spec.env, ("MOCK_HALO_",), NOT_BUILT_MARKERS)


def emulator_launch(ctx: RunContext) -> LaunchSpec:
    """The launch chosen by ``--launch`` (``auto``: the CLI when it exists, else the factory)."""
    mode = ctx.options.launch
    if mode == "cli" or (mode == "auto" and _module_exists("cli")):
        return cli_launch()
    return factory_launch()


@dataclass(frozen=True)
class DeviceLogin:
    """A site the bench device can query, and a device token for it."""

    site_id: str
    subscription_key: str
    token: str

    def headers(self) -> dict[str, str]:
        """The headers of an authenticated device call."""
        return {"Authorization": f"Bearer {self.token}", "DeviceId": DEVICE_ID}


def _not_built(reply: Reply, what: str) -> None:
    """Skip when ``reply`` says the endpoint is a placeholder (501) or missing (404 on a fixed path)."""
    if reply.status in (404, 501):
        raise Skip(f"{what} answered {reply.status}: {reply.text(160)}")


def candidate_logins(info: dict[str, Any], pms_type: str | None = "BestPractice") -> list[tuple[str, str]]:
    """(site id, subscription key) pairs from ``/_mock/info``, best first.

    Sites an integrator is paired with come first; online sites of ``pms_type``
    before others. Unknown field spellings fall back to the obvious alternatives.
    """
    sites = {str(s.get("id") or s.get("siteId")): s for s in info.get("sites", []) if isinstance(s, dict)}

    def rank(site_id: str) -> tuple[int, int]:
        site = sites.get(site_id, {})
        online = site.get("availability", "online") == "online"
        pms_ok = pms_type is None or site.get("pmsType", site.get("pms_type")) == pms_type
        return (0 if online else 1, 0 if pms_ok else 1)

    pairs: list[tuple[str, str]] = []
    for integrator in info.get("integrators", []):
        keys = integrator.get("subscriptionKeys") or [integrator.get("subscriptionKey")]
        key = next((k for k in keys if k), None)
        if not key:
            continue
        paired = [str(s.get("id") if isinstance(s, dict) else s) for s in integrator.get("sites", [])]
        for site_id in sorted(paired or list(sites), key=rank):
            pairs.append((site_id, str(key)))
    return pairs


def device_login(ctx: SetupContext) -> DeviceLogin:
    """Discover a paired site and key from ``GET /_mock/info`` and obtain a device token."""
    reply = ctx.request("GET", "/_mock/info")
    _not_built(reply, "GET /_mock/info")
    if reply.status != 200:
        raise ScenarioFailure(f"GET /_mock/info answered {reply.status}: {reply.text()}")
    pairs = candidate_logins(reply.json())
    if not pairs:
        raise ScenarioFailure("GET /_mock/info lists no integrator with a subscriptionKey (is the caller local?)")
    last: Reply | None = None
    for site_id, key in pairs:
        form = urllib.parse.urlencode({"grant_type": DEVICE_GRANT, "device_id": DEVICE_ID, "site_id": site_id})
        last = ctx.request("POST", "/integrator/token", {
            "Ocp-Apim-Subscription-Key": key, "Content-Type": "application/x-www-form-urlencoded",
        }, form.encode())
        if last.status == 200:
            ctx.details["site_id"] = site_id
            return DeviceLogin(site_id, key, str(last.json()["access_token"]))
        _not_built(last, "POST /integrator/token")
    assert last is not None
    raise ScenarioFailure(f"no device token for any paired site; last answer {last.status}: {last.text()}")


def immediate_request(login: DeviceLogin, text: str, parameters: list[dict[str, str]] | None = None) -> RequestSpec:
    """``POST {device}/sites/{id}/queries/immediate`` running ``text``."""
    command: dict[str, Any] = {"text": text}
    if parameters:
        command["parameters"] = parameters
    return RequestSpec.json("POST", f"/device/sites/{login.site_id}/queries/immediate",
                            {"command": command}, login.headers())


def successful_rows(ctx: SetupContext, request: RequestSpec) -> list[dict[str, Any]]:
    """Send ``request``; demand 200 and ``status: successful``; return the decoded rows."""
    reply = ctx.send(request)
    if reply.status == 501:  # a placeholder route; a 404 here would be a real (site) error
        _not_built(reply, f"POST {request.path}")
    if reply.status != 200:
        raise ScenarioFailure(f"immediate query answered {reply.status}, not 200: {reply.text()}")
    body = reply.json()
    if body.get("status") != "successful":
        raise ScenarioFailure(f"immediate query status is {body.get('status')!r}, not 'successful': {reply.text()}")
    data = (body.get("result") or {}).get("data")
    return json.loads(base64.b64decode(data)) if data else []


@throughput("immediate-select", launch=emulator_launch, target=Target.min_ratio(0.30), ready_path="/_mock/health")
def immediate_select(ctx: SetupContext) -> RequestSpec:
    """POST an immediate one-row SELECT by patient id with a device token."""
    login = device_login(ctx)
    rows = successful_rows(ctx, immediate_request(login, PATIENT_ID_SQL))
    patient_id = str(rows[0].get("InternalID")) if rows else "1"
    ctx.details["patient_id"] = patient_id
    request = immediate_request(login, IMMEDIATE_SQL, [
        {"name": "@id", "type": "Int", "direction": "input", "value": patient_id},
    ])
    if len(successful_rows(ctx, request)) != 1:
        raise ScenarioFailure(f"{IMMEDIATE_SQL!r} with @id={patient_id} returned no row")
    return request


#: Both sides of the request-log scenario share a token secret, so one device token works on both.
LOG_BENCH_ENV = {"MOCK_HALO_JWT_SECRET": "bench-request-log"}


def _serve(name: str, *flags: str, env: dict[str, str]) -> LaunchSpec:
    if not _module_exists("cli"):
        raise Skip("mock_halo/cli.py does not exist yet")
    return LaunchSpec(name=name, argv=(sys.executable, "-m", "mock_halo", "serve", "--host", "{host}", "--port", "{port}", *flags),
                      env={**env, **LOG_BENCH_ENV}, scrub_env_prefixes=("MOCK_HALO_",), unavailable_markers=NOT_BUILT_MARKERS)


def logged_launch(ctx: RunContext) -> LaunchSpec:
    """``mock-halo serve`` as a user runs it: the request log on (text lines to stderr, here a file)."""
    return _serve("mock-halo serve (request log on)", env={"MOCK_HALO_LOG_LEVEL": "info"})


def quiet_launch(ctx: RunContext) -> LaunchSpec:
    """The same with ``--quiet``: no request log."""
    return _serve("mock-halo serve --quiet", "--quiet", env={"MOCK_HALO_LOG_LEVEL": "info"})


@throughput("request-log", launch=logged_launch, baseline=quiet_launch, target=Target.min_ratio(0.95),
            ready_path="/_mock/health")
def request_log(ctx: SetupContext) -> RequestSpec:
    """The immediate one-row SELECT with the request log on, against the same server with --quiet (cost < 5%)."""
    return immediate_select(ctx)

"""``/_mock/*``: the emulator's own control plane (not part of Halo's API).

Every handler here except ``health`` and ``info`` (which shows subscription
keys to loopback callers only) is wrapped in :func:`admin`: open to
loopback callers, and to others only with ``Authorization: Bearer
<admin_token>`` (``MOCK_HALO_ADMIN_TOKEN``). Subscription keys and device
tokens never open it. Bad input answers 400 in Halo's general envelope.
Scenario and journal handlers live in :mod:`mock_halo.api.control_rules`.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import lru_cache, wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mock_halo import HALO_API_VERSION, __version__, errors
from mock_halo.api.common import JSONBody, cloud_of, emulator_of, json_object, read_body
from mock_halo.clock import format_timestamp, parse_duration, parse_timestamp
from mock_halo.config import site_from_mapping
from mock_halo.cloud import SERVED_APIS

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", "testclient"}
CONTROL_BODY_LIMIT = 1024 * 1024
Handler = Callable[[Request], Awaitable[Response]]


def is_local(request: Request) -> bool:
    """True for loopback callers (and in-process test clients)."""
    client = request.client
    if client is None:
        return True
    host = client.host
    return host in LOCAL_HOSTS or host.startswith("127.")


def _has_admin_token(request: Request, token: str) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def is_privileged(request: Request) -> bool:
    """A loopback caller, or one sending the configured admin token: may see keys and seeds."""
    if is_local(request):
        return True
    token = emulator_of(request).settings.admin_token
    return bool(token) and _has_admin_token(request, token)


def check_admin(request: Request) -> None:
    """Let loopback callers in; others need the admin token (403 when none is configured)."""
    if is_local(request):
        return
    token = emulator_of(request).settings.admin_token
    if not token:
        raise errors.forbidden(
            "The /_mock control plane is open to loopback callers only. To reach it from elsewhere, "
            "set an admin token (MOCK_HALO_ADMIN_TOKEN or admin_token in the config file) and send "
            "'Authorization: Bearer <admin token>'."
        )
    if not _has_admin_token(request, token):
        raise errors.HaloError(401, "The /_mock control plane needs 'Authorization: Bearer <admin token>' (the admin token, not a subscription key or device token).")


def admin(handler: Handler) -> Handler:
    """Wrap a control handler with :func:`check_admin`."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        check_admin(request)
        return await handler(request)

    return guarded


async def optional_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or ``{}`` for an empty body (400 for anything else)."""
    raw = await read_body(request, CONTROL_BODY_LIMIT)
    if not raw.strip():
        return {}
    return json_object(raw)


def only_keys(body: dict[str, Any], *allowed: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise errors.bad_request(f"Unknown field(s) {unknown}; this endpoint accepts {list(allowed)}.")


def only_params(request: Request, allowed: tuple[str, ...], what: str = "filter") -> None:
    """400 naming any query parameter outside ``allowed``."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise errors.bad_request(f"Unknown {what}(s) {unknown}; use {list(allowed)}.")


def known_site(request: Request, site_id: Any) -> str:
    if not isinstance(site_id, str) or emulator_of(request).site(site_id) is None:
        known = sorted(emulator_of(request).sites)
        raise errors.not_found(f"Site '{site_id}' is not configured; known sites: {known}.")
    return site_id.lower()


# -- health and info ----------------------------------------------------------
async def health(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    return JSONBody({"status": "ok", "version": __version__, "time": format_timestamp(emulator.clock.now())})


async def info(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    settings = emulator.settings
    # Subscription keys and seeds (which rebuild the practice data and ids)
    # only for loopback or admin-token callers: anyone else who reaches a
    # networked emulator learns what it serves, not how to call it.
    privileged = is_privileged(request)
    integrators: list[dict[str, Any]] = []
    for integrator in settings.integrators:
        entry: dict[str, Any] = {"id": integrator.id, "name": integrator.name, "sites": list(integrator.sites)}
        if privileged:
            entry["subscriptionKey"] = integrator.subscription_keys[0]
            entry["subscriptionKeys"] = list(integrator.subscription_keys)
            # A webhook URL may carry a token of its own: privileged callers only.
            hook = emulator.webhooks.config_for(integrator.id)
            entry["webhook"] = (
                {"url": hook.url, "asyncUrl": hook.async_url, "registeredUrl": hook.registered_url} if hook else None
            )
        integrators.append(entry)
    body: dict[str, Any] = {"version": __version__, "haloApiVersion": HALO_API_VERSION}
    if privileged:
        body["seed"] = settings.seed
    sites = _sites_body(emulator)
    if not privileged:
        for site in sites:
            del site["seed"], site["pairingCode"]
    body.update(
        clock=_clock_body(emulator), tokenLifetime=settings.token_lifetime_s,
        apis=[{"name": name, "prefix": prefix, "credentials": how} for name, prefix, how in SERVED_APIS],
        prefixes=[prefix for _, prefix, _ in SERVED_APIS],
        sites=sites, integrators=integrators, state=emulator.state_summary(),
        webhooks={"configured": emulator.webhooks.configured, "deliveries": "/_mock/webhooks"},
    )
    return JSONBody(body)


def _sites_body(emulator) -> list[dict[str, Any]]:
    settings = emulator.settings
    sites: list[dict[str, Any]] = []
    for state in emulator.sites.values():
        site = state.config
        sites.append(
            {
                "id": site.id,
                "name": site.name,
                "pmsType": site.pms_type,
                "practiceManagementSiteId": site.pms_site_id,
                "availability": emulator.availability(state.id),
                "latencyMs": emulator.site_latency_ms.get(state.id, 0),
                "authoritative": site.authoritative,
                "catalogue": [{"name": c.name, "isDefault": c.is_default} for c in site.catalogues],
                "patients": settings.site_patients(site),
                "seed": settings.site_seed(site),
                "engine": "odbc" if settings.site_odbc(site) is not None else "sqlite",
                "devices": list(site.devices),
                # Pairing (halo-facts 9.1): the practice's code, and who may query the site now.
                "pairingCode": emulator.pairing_code(state),
                "pairedWith": [i.id for i in settings.integrators if emulator.paired(i, site.id)],
                "addedAt": format_timestamp(added) if (added := emulator.added_at(state)) else None,
            }
        )
    return sites


# -- reset and seed -------------------------------------------------------------
@admin
async def reset(request: Request) -> JSONBody:
    body = await optional_json(request)
    only_keys(body, "siteId")
    emulator = emulator_of(request)
    site_id = known_site(request, body["siteId"]) if body.get("siteId") is not None else None
    await cloud_of(request).sites.settle(lambda: emulator.reset(site_id))
    return JSONBody({"reset": site_id or "all", "time": format_timestamp(emulator.clock.now())})


@admin
async def snapshot(request: Request) -> JSONBody:
    """Write the state file now (``serve --state FILE`` / ``state_file``); 409 when none is configured."""
    from mock_halo.snapshot import save

    await optional_json(request)
    emulator = emulator_of(request)
    path = emulator.settings.state_file
    if not path:
        raise errors.HaloError(409, "No state file is configured: start mock-halo serve with --state FILE "
                                    "(or MOCK_HALO_STATE) to keep state across restarts.")
    try:
        return JSONBody(save(emulator, path))
    except OSError as exc:
        raise errors.HaloError(409, f"Cannot write the state file {path!r}: {exc.strerror or exc}.") from None


@admin
async def get_seed(request: Request) -> JSONBody:
    return JSONBody({"seed": emulator_of(request).settings.seed})


@admin
async def set_seed(request: Request) -> JSONBody:
    body = await optional_json(request)
    only_keys(body, "seed")
    seed = body.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise errors.bad_request("seed must be a non-negative integer, e.g. {\"seed\": 7}.")
    emulator = emulator_of(request)
    await cloud_of(request).sites.settle(lambda: emulator.reseed(seed))
    return JSONBody({"seed": seed})


# -- clock ----------------------------------------------------------------------
def _clock_body(emulator) -> dict[str, Any]:
    clock = emulator.clock
    return {"now": format_timestamp(emulator.lifecycle.now()), "speed": clock.speed, "frozen": clock.frozen}


async def _settled(request: Request) -> None:
    """After a clock move: every side effect due by the new now has happened (SQL on the sites'
    threads, awaited without blocking the event loop), so the answer means they are done."""
    await cloud_of(request).sites.catch_up_all()


@admin
async def get_clock(request: Request) -> JSONBody:
    return JSONBody(_clock_body(emulator_of(request)))


@admin
async def advance_clock(request: Request) -> JSONBody:
    body = await optional_json(request)
    only_keys(body, "seconds", "duration")
    if ("seconds" in body) == ("duration" in body):
        raise errors.bad_request('Give exactly one of "seconds" (a number) or "duration" (e.g. "15m", "2h", "PT30S").')
    value = body.get("seconds", body.get("duration"))
    if isinstance(value, bool) or ("seconds" in body and not isinstance(value, (int, float))):
        raise errors.bad_request("seconds must be a number.")
    try:
        delta = parse_duration(value)
    except (TypeError, ValueError):
        raise errors.bad_request(f"Cannot read the duration {value!r}; use e.g. 90, \"90s\", \"15m\", \"2h\", \"1d\" or \"PT2H\".") from None
    emulator = emulator_of(request)
    try:
        emulator.clock.advance(delta)
    except (ValueError, OverflowError) as exc:
        raise errors.bad_request(f"Cannot advance the clock: {exc}.") from None
    await _settled(request)
    return JSONBody(_clock_body(emulator))


@admin
async def set_clock(request: Request) -> JSONBody:
    body = await optional_json(request)
    only_keys(body, "time", "backwards")
    if not isinstance(body.get("time"), str):
        raise errors.bad_request('time is required: an ISO 8601 instant such as "2026-01-05T09:00:00Z".')
    backwards = body.get("backwards", False)
    if not isinstance(backwards, bool):
        raise errors.bad_request("backwards must be true or false.")
    try:
        instant = parse_timestamp(body["time"])
    except (ValueError, OverflowError):
        raise errors.bad_request(f"time {body['time']!r} is not an ISO 8601 instant.") from None
    emulator = emulator_of(request)
    try:
        await cloud_of(request).sites.settle(lambda: emulator.set_clock(instant, backwards=backwards))
    except ValueError as exc:
        hint = ' (send "backwards": true to move it back; that resets everything)' if "backwards" in str(exc) else ""
        raise errors.bad_request(f"Cannot set the clock: {exc}{hint}.") from None
    await _settled(request)
    return JSONBody(_clock_body(emulator))


@admin
async def freeze_clock(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    emulator.clock.freeze()
    return JSONBody(_clock_body(emulator))


@admin
async def set_speed(request: Request) -> JSONBody:
    body = await optional_json(request)
    only_keys(body, "speed")
    speed = body.get("speed")
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0 <= speed <= 1_000_000:
        raise errors.bad_request("speed must be a number from 0 (frozen) to 1000000; 1 is real time, 60 an hour a minute.")
    emulator = emulator_of(request)
    emulator.clock.set_speed(float(speed))
    return JSONBody(_clock_body(emulator))


@admin
async def real_time_clock(request: Request) -> JSONBody:
    """Back to the wall clock's now at ``speed`` (default 1); a move back resets everything first."""
    body = await optional_json(request)
    only_keys(body, "speed")
    speed = body.get("speed", 1)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0 < speed <= 1_000_000:
        raise errors.bad_request("speed must be a number above 0 and at most 1000000; 1 (the default) is real time.")
    emulator = emulator_of(request)
    await cloud_of(request).sites.settle(lambda: emulator.return_to_real_time(float(speed)))
    await _settled(request)
    return JSONBody(_clock_body(emulator))


# -- sites ----------------------------------------------------------------------
@admin
async def list_sites(request: Request) -> JSONBody:
    return JSONBody({"sites": _sites_body(emulator_of(request))})


@admin
async def put_site(request: Request) -> JSONBody:
    """``PUT /_mock/sites/{siteId}/availability`` and ``.../latency``: either field on either path."""
    site_id = known_site(request, request.path_params["siteId"])
    body = await optional_json(request)
    only_keys(body, "availability", "latency", "latencyMs", "at", "in")
    if not body:
        raise errors.bad_request('Give "availability" (online|offline|unreachable) and/or "latency" (e.g. "250ms").')
    emulator = emulator_of(request)
    when = _change_time(emulator, body)
    if "latency" in body or "latencyMs" in body:
        from mock_halo.scenarios.rules import ScenarioError, parse_latency_ms

        try:
            millis = parse_latency_ms(body["latency"]) if "latency" in body else _millis(body["latencyMs"])
        except ScenarioError as exc:
            raise errors.bad_request(str(exc)) from None
        emulator.site_latency_ms[site_id] = millis
    if "availability" in body:
        try:
            emulator.set_availability(site_id, body["availability"], at=when)
        except ValueError as exc:
            raise errors.bad_request(str(exc)) from None
    return JSONBody(next(s for s in _sites_body(emulator) if s["id"] == site_id))


def _change_time(emulator, body: dict[str, Any]):
    """When an availability change takes effect: ``at`` (an instant) or ``in`` (a duration from now); None is now."""
    if "at" not in body and "in" not in body:
        return None
    if "availability" not in body or ("at" in body and "in" in body):
        raise errors.bad_request('"at" (an instant) or "in" (a duration from now) goes with "availability", one of them.')
    try:
        if "at" in body:
            if not isinstance(body["at"], str):
                raise ValueError
            when = parse_timestamp(body["at"])
        else:
            if isinstance(body["in"], bool):
                raise ValueError
            when = emulator.clock.now() + parse_duration(body["in"])
    except (TypeError, ValueError, OverflowError):
        raise errors.bad_request('"at" must be an ISO 8601 instant and "in" a duration such as "90s" or "15m".') from None
    if when < emulator.clock.now():
        raise errors.bad_request(f'"at" is in the past (now {format_timestamp(emulator.clock.now())}).')
    return when


#: ``POST /_mock/sites`` body keys -> the keys of a ``[[sites]]`` table of the config file.
NEW_SITE_KEYS = {
    "id": "id", "name": "name", "practiceManagementSiteId": "pms_site_id", "pairingCode": "pairing_code",
    "authoritative": "authoritative", "availability": "availability", "haloLinkVersion": "halo_link_version",
    "practiceManagementVersion": "pms_version", "patients": "patients", "seed": "seed",
}


@admin
async def create_site(request: Request) -> JSONBody:
    """``POST /_mock/sites``: a Bp Premier site until the next full reset (201 with the site)."""
    body = await optional_json(request)
    only_keys(body, *NEW_SITE_KEYS, "pmsType", "pairedWith")
    emulator = emulator_of(request)
    if not isinstance(body.get("practiceManagementSiteId"), str) or not body["practiceManagementSiteId"].strip():
        raise errors.bad_request("practiceManagementSiteId is required: the practice's PMS id, a string such as \"12345\".")
    if body.get("pmsType", "BestPractice") != "BestPractice":
        raise errors.bad_request("pmsType: the control plane adds Bp Premier sites only (\"BestPractice\"); configure "
                                 "other PMS types in the config file with their data files.")
    paired_with = body.get("pairedWith", [])
    if not isinstance(paired_with, list) or not all(isinstance(i, str) for i in paired_with):
        raise errors.bad_request("pairedWith must be a list of integrator ids (GUIDs); [] (the default) leaves the site unpaired.")
    table = {NEW_SITE_KEYS[key]: value for key, value in body.items() if key in NEW_SITE_KEYS}
    if "id" in table and emulator.site(str(table["id"])) is not None:
        raise errors.bad_request(f"A site with id '{table['id']}' exists already.")
    try:
        site = site_from_mapping(table, len(emulator.sites), "POST /_mock/sites")
        if emulator.site(site.id) is not None:
            raise ValueError(f"a site with id '{site.id}' exists already; give an \"id\"")
        emulator.add_site(site, paired_with)
    except ValueError as exc:  # ConfigError too: the message names the field
        raise errors.bad_request(f"Cannot add the site: {exc}.") from None
    return JSONBody(next(s for s in _sites_body(emulator) if s["id"] == site.id), status_code=201)


def _millis(value: Any) -> int:
    from mock_halo.scenarios.rules import MAX_LATENCY_MS

    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LATENCY_MS:
        raise errors.bad_request(f"latencyMs must be an integer from 0 to {MAX_LATENCY_MS} (10 minutes).")
    return value


# -- the control plane's own contract -----------------------------------------------
@lru_cache(maxsize=1)
def control_contract() -> dict[str, Any]:
    import yaml

    from mock_halo.resources import data_path

    return yaml.safe_load(data_path("contracts/control-openapi.yaml").read_text(encoding="utf-8"))


@admin
async def openapi(request: Request) -> JSONBody:
    return JSONBody(control_contract())

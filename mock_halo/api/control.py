"""``/_mock/*``: the emulator's own control plane (not part of Halo's API)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mock_halo import HALO_API_VERSION, __version__
from mock_halo.api.common import JSONBody, emulator_of
from mock_halo.clock import format_timestamp

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", "testclient"}


def is_local(request: Request) -> bool:
    """True for loopback callers (and in-process test clients)."""
    client = request.client
    if client is None:
        return True
    host = client.host
    return host in LOCAL_HOSTS or host.startswith("127.")


async def health(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    return JSONBody({"status": "ok", "version": __version__, "time": format_timestamp(emulator.clock.now())})


async def info(request: Request) -> JSONBody:
    emulator = emulator_of(request)
    settings = emulator.settings
    local = is_local(request)
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
                "authoritative": site.authoritative,
                "catalogue": [{"name": c.name, "isDefault": c.is_default} for c in site.catalogues],
                "patients": settings.site_patients(site),
                "seed": settings.site_seed(site),
                "engine": "odbc" if site.connection else "sqlite",
                "devices": list(site.devices),
            }
        )
    integrators: list[dict[str, Any]] = []
    for integrator in settings.integrators:
        entry: dict[str, Any] = {"id": integrator.id, "name": integrator.name, "sites": list(integrator.sites)}
        if local:
            entry["subscriptionKey"] = integrator.subscription_keys[0]
            entry["subscriptionKeys"] = list(integrator.subscription_keys)
        integrators.append(entry)
    clock = emulator.clock
    return JSONBody(
        {
            "version": __version__,
            "haloApiVersion": HALO_API_VERSION,
            "seed": settings.seed,
            "clock": {"now": format_timestamp(clock.now()), "speed": clock.speed, "frozen": clock.frozen},
            "tokenLifetime": settings.token_lifetime_s,
            "prefixes": ["/device", "/desktop"],
            "sites": sites,
            "integrators": integrators,
        }
    )

"""The emulator's domain state: everything a request can see or change.

No Starlette here. ``Emulator`` holds the settings, the one clock, the id
source, the token service, each site's state (availability and SQL engine) and
the query store, and ``reset()`` puts all of it back to the start.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from mock_halo import errors
from mock_halo.auth import GRANT_PREFIX, DeviceToken, TokenService
from mock_halo.clock import Clock, parse_timestamp
from mock_halo.config import IntegratorConfig, Settings, SiteConfig, load_settings
from mock_halo.ids import IdSource
from mock_halo.lifecycle.store import QueryStore


@dataclass
class SiteState:
    """A site as the emulator runs it: its config, availability and engine."""

    config: SiteConfig
    availability: str
    _engine: object | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return self.config.id


@dataclass(frozen=True)
class DeviceCaller:
    """An authenticated device request: who is calling, for which site."""

    token: DeviceToken
    integrator: IntegratorConfig
    site: SiteState


class Emulator:
    """All state of one emulator instance."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or load_settings(env={})
        self.clock = clock or _clock_from_settings(self.settings)
        self.ids = IdSource(self.settings.seed)
        self.tokens = TokenService(self.settings, self.clock, self.ids)
        self.queries = QueryStore()
        self.sites: dict[str, SiteState] = {
            s.id: SiteState(config=s, availability=s.availability) for s in self.settings.sites
        }

    # -- sites and engines --------------------------------------------------
    def site(self, site_id: str) -> SiteState | None:
        return self.sites.get(site_id.lower())

    def engine(self, site: SiteState):
        """The site's SQL engine, opened on first use (loading its practice data)."""
        engine = site._engine
        if engine is None:
            with site._lock:
                if site._engine is None:
                    from mock_halo.sql import open_engine

                    site._engine = open_engine(site.config, self.settings, now=self._local_now)
                engine = site._engine
        return engine

    def _local_now(self) -> datetime:
        return self.clock.now()

    def warm(self) -> None:
        """Open every site's engine now (``serve`` does this before listening)."""
        for site in self.sites.values():
            self.engine(site)

    # -- device requests ----------------------------------------------------
    def authorize_device(
        self, *, bearer: str, device_header: str | None, prefix: str, site_id: str
    ) -> DeviceCaller:
        """Check a device call's token against its DeviceId header and path site.

        Order: the token itself (401), the site exists (404), the token is for
        this site (403), the integrator is paired with the site (403).
        """
        token = self.tokens.verify(bearer)
        if not device_header:
            raise errors.invalid_token("the DeviceId header is missing")
        if device_header != token.device_id:
            raise errors.invalid_token(
                f"the token was issued for device '{token.device_id}', "
                f"but the DeviceId header is '{device_header}'"
            )
        if self.settings.strict_token_prefix and GRANT_PREFIX.get(token.grant_type) != prefix:
            raise errors.invalid_token(f"a {token.grant_type} token cannot be used on /{prefix} paths")
        site = self.site(site_id)
        if site is None:
            raise errors.not_found(f"Site '{site_id}' was not found.")
        if token.site_id != site.id:
            raise errors.forbidden(
                f"The token was issued for site '{token.site_id}' and cannot be used for site '{site.id}'."
            )
        integrator = self.settings.integrator(token.integrator_id)
        if integrator is None:
            raise errors.invalid_token("the integrator that obtained this token no longer exists")
        self.check_pairing(integrator, site)
        return DeviceCaller(token=token, integrator=integrator, site=site)

    def check_pairing(self, integrator: IntegratorConfig, site: SiteState) -> None:
        if site.id not in integrator.sites:
            raise errors.forbidden(
                f"Integrator '{integrator.name}' does not have an active pairing with site '{site.id}'."
            )
        if not site.config.authoritative:
            raise errors.forbidden(
                f"Site '{site.id}' is not the authoritative Halo Link instance for its practice and cannot be queried."
            )

    # -- reset ----------------------------------------------------------------
    def reset(self, site_id: str | None = None) -> None:
        """Back to the start: all state, or one site's data, queries and availability."""
        targets = [self.sites[site_id]] if site_id else list(self.sites.values())
        for site in targets:
            site.availability = site.config.availability
            if site._engine is not None:
                site._engine.reset()
        if site_id:
            self.queries.clear(site_id)
        else:
            self.queries.clear()
            self.tokens.reset()
            self.ids.reset()

    def close(self) -> None:
        for site in self.sites.values():
            if site._engine is not None:
                site._engine.close()
                site._engine = None


def _clock_from_settings(settings: Settings) -> Clock:
    start = parse_timestamp(settings.clock_start) if settings.clock_start else None
    if settings.clock == "virtual":
        return Clock.virtual(start)
    return Clock.real(speed=settings.clock_speed, start=start)

"""What every group of operations shares: the emulator's state and the domain services over it."""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from mock_halo import errors
from mock_halo.cloud.access import Access
from mock_halo.cloud.screening import Screening

if TYPE_CHECKING:
    from mock_halo.emulator import Emulator, SiteState
    from mock_halo.lifecycle.service import Lifecycle

T = TypeVar("T")


class Operations:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.access = Access(emulator)
        self.screening = Screening(emulator)
        self.sites = SiteWork(emulator)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.emulator.lifecycle


class SiteWork:
    """Where a site's SQL runs, and the site's state brought up to the clock's now."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    async def caught_up(self, site_id: str) -> datetime:
        """The clock's now, once every side effect of the site due by then has happened."""
        return self._emulator.lifecycle.now()

    async def ready(self, site_id: str) -> datetime:
        """:meth:`caught_up`, and the site must be online: 503 offline, 504 unreachable."""
        now = await self.caught_up(site_id)
        availability = self._emulator.lifecycle.availability(site_id, now)
        if availability == "offline":
            raise errors.site_offline()
        if availability == "unreachable":
            raise errors.gateway_timeout("Site is unreachable")
        return now

    async def run_now(self, site: SiteState, work: Callable[[], T]) -> T:
        """Run ``work`` (which uses the site's engine) ahead of queued async work."""
        return work()

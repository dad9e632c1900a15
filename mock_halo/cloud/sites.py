"""The Integrator API's site operations (halo-facts 9): find sites by PMS id (``getSites``),
a site's status (``getSite``) and pairing with a practice (``Integrator_PairSite`` and the
deprecated ``pairSite``).

A site is rendered as Halo's ``SiteForIntegrator`` at the clock's now: its availability, and
the heartbeat and client timestamps of the last time Halo heard from its Halo Link, which move
with the emulator clock (see :func:`last_heard`). Pairing opens a site to an integrator until
the next reset; Bp Premier practices need the pairing code the practice generated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mock_halo import errors
from mock_halo.clock import format_timestamp
from mock_halo.cloud.access import Caller
from mock_halo.cloud.base import Operations
from mock_halo.config import PMS_DISPLAY_NAMES
from mock_halo.scenarios import RequestFacts

if TYPE_CHECKING:
    from mock_halo.emulator import SiteState

#: How often a Halo Link reports in (INFERENCE: Halo documents only the 2-minute "unreachable").
HEARTBEAT = timedelta(seconds=30)
#: No contact for this long makes a site ``unreachable`` (halo-facts 9.4, [INT]).
UNREACHABLE_AFTER = timedelta(minutes=2)
#: The site's own clock stamps its report this long before Halo receives it (INFERENCE).
CLIENT_LEAD = timedelta(milliseconds=120)
#: Practice metadata is enriched from the site once an hour (INFERENCE).
ENRICHMENT = timedelta(hours=1)
#: The Bp Premier PMS name, the one that needs a pairing code.
BEST_PRACTICE = PMS_DISPLAY_NAMES["BestPractice"]


class SiteOperations(Operations):
    async def get_sites(self, caller: Caller, pms_site_id: str, pms_name: str) -> dict[str, Any]:
        """``GET /integrator/sites``: the sites of a practice the caller is paired with (one PMS id
        may have several Halo Link instances; one is authoritative). Unpaired practices list none."""
        await self._screen_at(caller, "sites", None)
        now = self.lifecycle.now()
        sites = [site for site in self._practice(pms_site_id, pms_name) if self.emulator.paired(caller.integrator, site.id)]
        return {"sites": [self.render(site, now) for site in sites]}

    async def get_site(self, caller: Caller, site_id: str) -> dict[str, Any]:
        """``GET /integrator/sites/{siteId}``: 404 unknown, 403 not paired; a non-authoritative
        site is shown (``authoritative: false``), though it cannot be queried."""
        site = self.access.site(site_id)
        self.access.check_pairing(caller.integrator, site, authoritative=False)
        await self._screen_at(caller, "sites", site.id)
        return self.render(site, self.lifecycle.now())

    async def pair_site(self, caller: Caller, pms_site_id: str, pms_name: str, pairing_code: str | None) -> dict[str, Any]:
        """``POST /integrator/pair-site``: pair the caller with a practice, known by its PMS id and PMS
        name; Bp Premier needs the practice's pairing code. Pairs every Halo Link instance of the
        practice and answers its authoritative site. 404 no such practice, 400 no code, 403 a
        wrong code, 502 (a scenario rule) the PMS failed."""
        practice = self._practice(pms_site_id, pms_name)
        if not practice:
            raise errors.not_found(
                f"No site with practiceManagementSiteId '{pms_site_id}' and practiceManagementName '{pms_name}' was found."
            )
        site = next((s for s in practice if s.config.authoritative), practice[0])
        await self._screen_at(caller, "pairing", site.id)
        if pms_name == BEST_PRACTICE:
            if not pairing_code:
                raise errors.bad_request("pairingCode is required for Best Practice sites: the practice generates one in Bp Premier.")
            if pairing_code != self.emulator.pairing_code(site):
                raise errors.forbidden(f"The pairing code is not valid for practice '{pms_site_id}'.")
        for each in practice:
            if not self.emulator.paired(caller.integrator, each.id):
                self.emulator.pairings.make(caller.integrator.id, each.id)
        return self.render(site, self.lifecycle.now())

    # -- rendering -----------------------------------------------------------------------
    def render(self, state: SiteState, now: datetime) -> dict[str, Any]:
        """``SiteForIntegrator`` (halo-facts 9.4) as Halo would answer it at ``now``."""
        site = state.config
        availability, since = self.lifecycle.availability_since(site.id, now)
        heard = last_heard(availability, since or self.emulator.started_at, now)
        created = min(self.emulator.site_created_at(state), now)
        catalogue = [{"name": c.name, "isDefault": c.name == site.default_catalogue} for c in site.catalogues]
        return {
            "id": site.id,
            "pmsType": site.pms_type,
            "availability": availability,
            "status": "active",
            "haloLinkVersion": site.halo_link_version,
            "enrichedAt": format_timestamp(max(created, _floor(heard, ENRICHMENT))),
            "catalogue": catalogue,
            "practiceMetadata": {
                "pmsType": site.pms_type,
                "practiceName": site.name,
                "practiceManagementSiteId": site.pms_site_id,
                "practiceManagementVersion": site.pms_version,
            },
            # Deprecated fields, still sent (halo-facts 9.4).
            "name": site.name,
            "practiceManagementSiteId": site.pms_site_id,
            "practiceManagementName": site.pms_display_name,
            "practiceManagementVersion": site.pms_version,
            "createdAt": format_timestamp(created),
            "authoritative": site.authoritative,
            "clientTimestampUTC": format_timestamp(max(created, heard - CLIENT_LEAD)),
            "heartbeatTimestampUTC": format_timestamp(max(created, heard)),
        }

    # -- helpers ---------------------------------------------------------------------------
    def _practice(self, pms_site_id: str, pms_name: str) -> list[SiteState]:
        """The Halo Link instances of one practice: its sites with this PMS id and PMS name."""
        return [s for s in self.emulator.sites.values()
                if s.config.pms_site_id == pms_site_id and s.config.pms_display_name == pms_name]

    async def _screen_at(self, caller: Caller, surface: str, site_id: str | None) -> None:
        await self.screening.screen(RequestFacts(surface=surface, site=site_id, headers=caller.headers), caller.fired)


def last_heard(availability: str, since: datetime, now: datetime) -> datetime:
    """When Halo last heard from a site's Halo Link: the latest heartbeat while it is online; the
    moment it closed its session when ``offline``; two minutes before it was found ``unreachable``
    (that is what makes a site unreachable)."""
    if availability == "online":
        return max(since, _floor(now, HEARTBEAT))
    if availability == "unreachable":
        return min(now, since - UNREACHABLE_AFTER)
    return min(now, since)


def _floor(instant: datetime, step: timedelta) -> datetime:
    """``instant`` rounded down to a whole ``step`` since the epoch."""
    epoch = datetime(1970, 1, 1, tzinfo=instant.tzinfo)
    return instant - (instant - epoch) % step

"""``obtainToken`` (``POST /integrator/token``): device and desktop tokens (halo-facts 1.3)."""

from __future__ import annotations

import uuid
from typing import Any

from mock_halo import errors
from mock_halo.cloud.access import Caller
from mock_halo.cloud.base import Operations
from mock_halo.scenarios import RequestFacts


class TokenOperations(Operations):
    async def obtain_token(self, caller: Caller, *, grant_type: str, device_id: str, site_id: str) -> dict[str, Any]:
        """A token for ``device_id`` at ``site_id``, for an integrator known by its key.

        404 for an unknown site, 403 without an active pairing or for a device the
        site does not allow, or a scenario rule's error on the ``token`` surface.
        """
        emulator = self.emulator
        site = emulator.site(site_id) if _is_guid(site_id) else None
        if site is None:
            hint = "" if _is_guid(site_id) else " (site_id must be the site's Halo GUID)"
            raise errors.not_found(f"Site '{site_id[:60]}' was not found{hint}.")
        self.access.check_pairing(caller.integrator, site)
        await self.screening.screen(RequestFacts(surface="token", site=site.id, headers=caller.headers), caller.fired)
        allowed = site.config.devices
        if allowed and device_id not in allowed:
            raise errors.forbidden(f"Device '{device_id}' is not registered for site '{site.id}'.")
        token, lifetime = emulator.tokens.issue(caller.integrator, site.config, device_id, grant_type)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True

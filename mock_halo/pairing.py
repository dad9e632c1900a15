"""Which integrators may query which sites (halo-facts 1.2, 9.1).

An integrator has an active pairing with a site when its configuration lists the site, when the
site was added through the control plane paired with it, or when it paired through the
Integrator API (``POST /integrator/pair-site``) since the last reset. Bp Premier practices pair
with a pairing code the practice generates: each site has one (configured, or derived from its
GUID so it is stable and visible on the control plane).
"""

from __future__ import annotations

import hashlib

from mock_halo.config import IntegratorConfig, SiteConfig

#: Letters and digits a person reads back without mistakes (no 0/O, 1/I).
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def pairing_code(site: SiteConfig) -> str | None:
    """The code that pairs with ``site`` (None: its PMS pairs without one; only Best Practice needs one)."""
    if site.pms_type != "BestPractice":
        return None
    if site.pairing_code:
        return site.pairing_code
    digest = hashlib.sha256(f"mock-halo:pairing:{site.id}".encode()).digest()
    return "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


class Pairings:
    """Pairings beyond the configuration: given with control-plane sites (until a full reset)
    and made through the API (until a reset of the site, or a full one)."""

    def __init__(self) -> None:
        self._given: set[tuple[str, str]] = set()
        self._made: set[tuple[str, str]] = set()

    def paired(self, integrator: IntegratorConfig, site_id: str) -> bool:
        pair = (integrator.id, site_id)
        return site_id in integrator.sites or pair in self._made or pair in self._given

    def give(self, integrator_id: str, site_id: str) -> None:
        self._given.add((integrator_id, site_id))

    def make(self, integrator_id: str, site_id: str) -> None:
        self._made.add((integrator_id, site_id))

    def integrators_of(self, site_id: str) -> set[str]:
        """Integrators paired with ``site_id`` beyond the configuration."""
        return {i for i, s in self._given | self._made if s == site_id}

    @property
    def made(self) -> int:
        return len(self._made)

    def reset(self, site_id: str | None = None) -> None:
        """Undo pairings made through the API: all of them, or one site's."""
        self._made = {p for p in self._made if site_id is not None and p[1] != site_id}

    def forget_site(self, site_id: str) -> None:
        self._given = {p for p in self._given if p[1] != site_id}
        self._made = {p for p in self._made if p[1] != site_id}

"""Who may call what: the access rules of every Halo API (halo-facts 1.2, 1.3, 2).

A request presents :class:`Credentials`, read off the wire by the HTTP layer with
nothing checked. :meth:`Access.authenticate` accepts them as a :class:`Caller`
(or raises the gateway's 401s); :meth:`Access.admit` also binds the caller to the
site in the path (404 unknown site; 403 a token for another site, no active
pairing, a non-authoritative site). Operations then keep each integrator to its
own queries with :meth:`Access.own` (404 for anyone else's, so ids do not leak).

The rules by API family:

* ``device`` / ``desktop``: a bearer device token (a JWT bound to integrator,
  site and device) and a ``DeviceId`` header naming the token's device; the
  subscription key only when ``require_key_on_device_api`` is set.
* ``integrator``: the subscription key alone (``Ocp-Apim-Subscription-Key``
  header or ``subscription-key`` query parameter; primary or secondary); the
  integrator must be paired with the site (the token endpoint is part of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_halo import errors
from mock_halo.auth import GRANT_PREFIX, DeviceToken
from mock_halo.config import IntegratorConfig

if TYPE_CHECKING:
    from mock_halo.emulator import Emulator, SiteState

DEVICE = "device"
DESKTOP = "desktop"
INTEGRATOR = "integrator"
#: Every API family the emulator can serve, by its path prefix.
API_FAMILIES = (DEVICE, DESKTOP, INTEGRATOR)
#: The families whose calls carry a device token (bearer + DeviceId header).
TOKEN_APIS = (DEVICE, DESKTOP)
#: The Halo APIs served, as the banner and ``/_mock/info`` name them: (name, prefix, credentials).
SERVED_APIS = (
    ("Integrator API", f"/{INTEGRATOR}", "Ocp-Apim-Subscription-Key header (or ?subscription-key=)"),
    ("Desktop API", f"/{DESKTOP}", "Authorization: Bearer <token from POST /integrator/token> + DeviceId header"),
    ("Device API", f"/{DEVICE}", "Authorization: Bearer <token from POST /integrator/token> + DeviceId header"),
)


@dataclass(slots=True)
class Credentials:
    """What one request presents, as sent (the HTTP layer reads it; nothing is checked yet).

    ``headers`` are there for scenario rules, which may match on any header;
    ``fired`` collects the ids of the rules that fire for the request (the
    request journal shows them).
    """

    api: str
    subscription_key: str | None = None
    authorization: str | None = None
    device_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Caller:
    """An accepted request: which integrator, through which API, from which device,
    and (once admitted) for which site."""

    api: str
    integrator: IntegratorConfig
    device: DeviceToken | None = None
    site: SiteState | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)

    @property
    def site_id(self) -> str:
        assert self.site is not None, "the caller was not admitted to a site"
        return self.site.id


class Access:
    """The access rules over one emulator's settings, sites and token service."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def authenticate(self, credentials: Credentials) -> Caller:
        """A caller known by its subscription key alone (the Integrator API and the token
        endpoint, which are not bound to a site), or the gateway's 401."""
        integrator = self.integrator_for_key(credentials.subscription_key)
        return Caller(credentials.api, integrator, headers=credentials.headers, fired=credentials.fired)

    def admit(self, credentials: Credentials, site_id: str) -> Caller:
        """The caller bound to ``site_id``, checked in the order Halo's gateway and
        Cloud check it: credentials (401), the site exists (404), a device token
        is for this site (403), an active pairing with an authoritative site (403)."""
        if credentials.api in TOKEN_APIS:
            token, integrator = self._device_token(credentials)
            site = self.site(site_id)
            if token.site_id != site.id:
                raise errors.forbidden(
                    f"The token was issued for site '{token.site_id}' and cannot be used for site '{site.id}'."
                )
            if integrator is None:
                raise errors.invalid_token("the integrator that obtained this token no longer exists")
            caller = Caller(credentials.api, integrator, token, site, credentials.headers, credentials.fired)
        else:
            caller = self.authenticate(credentials)
            caller.site = site = self.site(site_id)
        self.check_pairing(caller.integrator, site)
        return caller

    # -- the rules, one by one ------------------------------------------------
    def integrator_for_key(self, key: str | None) -> IntegratorConfig:
        """The integrator owning a subscription key (primary or secondary), or a 401."""
        if not key:
            raise errors.missing_subscription_key()
        integrator = self._emulator.settings.integrator_for_key(key.strip())
        if integrator is None:
            raise errors.invalid_subscription_key()
        return integrator

    def site(self, site_id: str) -> SiteState:
        """A configured site, or 404."""
        site = self._emulator.site(site_id)
        if site is None:
            raise errors.not_found(f"Site '{site_id}' was not found.")
        return site

    def check_pairing(self, integrator: IntegratorConfig, site: SiteState, *, authoritative: bool = True) -> None:
        """403 unless the integrator has an active pairing with the site and (unless
        ``authoritative`` is False: a site's status may be read anyway) the site is the
        authoritative Halo Link instance of its practice (halo-facts 1.2)."""
        if not self._emulator.paired(integrator, site.id):
            raise errors.forbidden(
                f"Integrator '{integrator.name}' does not have an active pairing with site '{site.id}'."
            )
        if authoritative and not site.config.authoritative:
            raise errors.forbidden(
                f"Site '{site.id}' is not the authoritative Halo Link instance for its practice and cannot be queried."
            )

    def own(self, caller: Caller, record: Any, what: str, query_id: str) -> Any:
        """``record`` if it exists and belongs to the caller's integrator; otherwise the
        same 404 as for an unknown id (another integrator's ids stay invisible)."""
        if record is None or record.integrator_id != caller.integrator.id:
            raise errors.not_found(f"{what} '{query_id}' was not found for site '{caller.site_id}'.")
        return record

    def _device_token(self, credentials: Credentials) -> tuple[DeviceToken, IntegratorConfig | None]:
        """The verified token (401s: key when required, bearer, DeviceId, prefix) and the
        integrator it names (None if it no longer exists: judged after the site checks)."""
        emulator = self._emulator
        settings = emulator.settings
        if settings.require_key_on_device_api:
            self.integrator_for_key(credentials.subscription_key)
        token = emulator.tokens.verify(_bearer(credentials.authorization))
        device = credentials.device_id
        if not device:
            raise errors.invalid_token("the DeviceId header is missing")
        if device != token.device_id:
            raise errors.invalid_token(
                f"the token was issued for device '{token.device_id}', but the DeviceId header is '{device}'"
            )
        if settings.strict_token_prefix and GRANT_PREFIX.get(token.grant_type) != credentials.api:
            raise errors.invalid_token(f"a {token.grant_type} token cannot be used on /{credentials.api} paths")
        return token, settings.integrator(token.integrator_id)


def _bearer(value: str | None) -> str:
    """The token of an ``Authorization: Bearer ...`` value, or a 401."""
    if not value:
        raise errors.invalid_token("the Authorization header is missing (expected 'Bearer <token>')")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.invalid_token("the Authorization header must be 'Bearer <token>'")
    return token.strip()

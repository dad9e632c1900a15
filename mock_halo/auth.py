"""Subscription keys and device tokens (halo-facts 1.2, 1.3).

Device tokens are real HS256 JWTs bound to an integrator, a site (Halo GUID) and
a device id. Expiry is judged by the emulator's clock, so a test can move a
virtual clock past a token's lifetime instead of waiting for it.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from mock_halo import errors
from mock_halo.clock import Clock, format_timestamp
from mock_halo.config import IntegratorConfig, Settings, SiteConfig
from mock_halo.ids import IdSource

GRANT_DEVICE = "urn:halo-connect:oauth:device-token"
GRANT_DESKTOP = "urn:halo-connect:oauth:desktop-token"
GRANT_TYPES = (GRANT_DEVICE, GRANT_DESKTOP)
#: Which API prefix each grant type belongs to (used with ``strict_token_prefix``).
GRANT_PREFIX = {GRANT_DEVICE: "device", GRANT_DESKTOP: "desktop"}

ISSUER = "mock-halo"
AUDIENCE = "halo-cloud-device-api"
SUBSCRIPTION_KEY_HEADER = "ocp-apim-subscription-key"
#: Azure API Management also accepts the key as this query parameter.
SUBSCRIPTION_KEY_QUERY = "subscription-key"
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class DeviceToken:
    """What a verified device token says."""

    integrator_id: str
    site_id: str
    device_id: str
    grant_type: str
    issued_at: datetime
    expires_at: datetime
    token_id: str


class TokenService:
    """Issues and verifies device tokens against one clock and one secret."""

    def __init__(self, settings: Settings, clock: Clock, ids: IdSource) -> None:
        self._settings = settings
        self._clock = clock
        self._ids = ids
        # A configured secret, or a fresh random one: nothing a caller can learn
        # (the seed, the config) lets it mint tokens. Tokens then last as long
        # as the process, or across restarts when the secret is configured.
        self._secret = settings.jwt_secret or secrets.token_hex(32)
        # Verified tokens, so the hot path skips signature checks; expiry is
        # still judged on every use because the clock moves.
        self._verified: OrderedDict[str, DeviceToken] = OrderedDict()

    def issue(self, integrator: IntegratorConfig, site: SiteConfig, device_id: str, grant_type: str) -> tuple[str, int]:
        """A signed token and its lifetime in seconds."""
        now = self._clock.now()
        lifetime = self._settings.token_lifetime_s
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": device_id,
            "device_id": device_id,
            "site_id": site.id,
            "integrator_id": integrator.id,
            "grant_type": grant_type,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
            "jti": self._ids.uuid(),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256"), lifetime

    def verify(self, token: str) -> DeviceToken:
        """The token's claims, or a 401 saying which check failed."""
        info = self._verified.get(token)
        if info is None:
            info = self._decode(token)
            self._verified[token] = info
            if len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
        now = self._clock.now()
        if now >= info.expires_at:
            raise errors.invalid_token(f"the token expired at {format_timestamp(info.expires_at)}")
        return info

    def _decode(self, token: str) -> DeviceToken:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "iat", "site_id", "device_id"]},
            )
        except jwt.InvalidSignatureError:
            raise errors.invalid_token("the signature does not verify") from None
        except jwt.DecodeError:
            raise errors.invalid_token("the bearer value is not a well-formed JWT") from None
        except jwt.InvalidTokenError as exc:
            raise errors.invalid_token(f"the token was not issued by this emulator ({exc})") from None
        try:
            return DeviceToken(
                integrator_id=str(claims["integrator_id"]),
                site_id=str(claims["site_id"]),
                device_id=str(claims["device_id"]),
                grant_type=str(claims.get("grant_type", GRANT_DEVICE)),
                issued_at=datetime.fromtimestamp(int(claims["iat"]), tz=UTC),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
                token_id=str(claims.get("jti", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise errors.invalid_token("the token's claims are incomplete") from None

    def reset(self) -> None:
        self._verified.clear()

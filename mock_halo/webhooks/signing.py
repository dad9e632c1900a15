"""A notification's bytes, its signature, and the receiver's check (halo-facts 12).

Halo signs ``<raw JSON body>.<X-Halo-Timestamp value>`` with HMAC-SHA256 and
the integrator's secret and sends the lowercase hex digest (64 characters, no
``sha256=`` prefix) in ``X-Halo-Signature-256``. A receiver recomputes it over
the bytes it got, compares in constant time and rejects timestamps older than
five minutes. :func:`verify` does exactly that; it is what integrators' tests
(and ours) call.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

ID_HEADER = "X-Halo-Id"
TIMESTAMP_HEADER = "X-Halo-Timestamp"
SIGNATURE_HEADER = "X-Halo-Signature-256"
#: Halo's documented replay window: reject notifications stamped longer ago.
REPLAY_WINDOW = timedelta(minutes=5)
SOURCES = ("async", "registered")


def format_halo_time(value: datetime) -> str:
    """.NET's round-trip format, as in Halo's sample: ``2026-03-05T14:30:00.0000000+00:00``."""
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0+00:00"


def notification_body(notification_id: str, occurred_at: datetime, site_id: str, query_id: str, source: str) -> bytes:
    """The POST body: compact JSON, fields in the documented order."""
    return orjson.dumps(
        {
            "id": notification_id,
            "occurredAt": format_halo_time(occurred_at),
            "siteId": site_id,
            "queryId": query_id,
            "webhookSource": source,
        }
    )


def sign(body: bytes | str, timestamp: str, secret: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256 of ``body + "." + timestamp`` under ``secret``."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, raw + b"." + timestamp.encode("utf-8"), hashlib.sha256).hexdigest()


class WebhookVerificationError(ValueError):
    """A notification that must be rejected; the message says why."""


def verify(
    body: bytes | str,
    headers: Mapping[str, str] | Any,
    secret: str | bytes,
    *,
    now: datetime | None = None,
    tolerance: timedelta = REPLAY_WINDOW,
) -> dict[str, Any]:
    """Check a received notification and return its payload.

    ``body`` is the raw request body exactly as received; ``headers`` any
    mapping (names compared case-insensitively); ``now`` the receiver's time
    (default: the system clock; pass the emulator's time when its clock is
    virtual). Raises :class:`WebhookVerificationError` for a missing header, a
    signature that does not match (compared in constant time), a timestamp
    more than ``tolerance`` away from ``now``, or a body whose ``id`` is not
    ``X-Halo-Id``.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    signature = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    notification_id = _header(headers, ID_HEADER)
    expected = sign(raw, timestamp, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", "replace")):
        raise WebhookVerificationError(f"{SIGNATURE_HEADER} does not match the body and timestamp (wrong secret, or altered in transit).")
    try:
        stamped = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} {timestamp!r} is not an ISO 8601 instant.") from None
    if stamped.tzinfo is None:
        stamped = stamped.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    age = current - stamped
    if age > tolerance:
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is {age} old, more than the {tolerance} replay window.")
    if -age > tolerance:
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is {-age} in the future, more than the {tolerance} window.")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise WebhookVerificationError("The body is not JSON.") from None
    if not isinstance(payload, dict) or payload.get("id") != notification_id:
        raise WebhookVerificationError(f"The body's id does not match {ID_HEADER}.")
    return payload


def _header(headers: Any, name: str) -> str:
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None:
        wanted = name.lower()
        items = headers.items() if hasattr(headers, "items") else headers
        value = next((v for k, v in items if str(k).lower() == wanted), None)
    if value is None:
        raise WebhookVerificationError(f"The {name} header is missing.")
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)

"""Halo's signed webhooks: query-completion notifications to integrators (halo-facts 12).

* :mod:`.signing` – the payload, the HMAC-SHA256 signature and :func:`verify`
  (what a receiver runs: ``mock_halo.webhooks.verify(body, headers, secret)``);
* :mod:`.policy` – attempts, timeouts and the decorrelated-jitter backoff;
* :mod:`.faults` – the fault vocabulary scenarios use (delay, drop, duplicate,
  outOfOrder, badSignature, staleTimestamp);
* :mod:`.outbox` – :class:`Webhooks`, the deliveries on the emulator clock
  (no I/O); :mod:`.sender` and :mod:`.http` post them from the app's loop.
"""

from mock_halo.webhooks.faults import FAULT_NAMES, WebhookFaultError, WebhookFaults, parse_faults
from mock_halo.webhooks.signing import (
    ID_HEADER,
    REPLAY_WINDOW,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookVerificationError,
    format_halo_time,
    sign,
    verify,
)

__all__ = [
    "FAULT_NAMES",
    "ID_HEADER",
    "REPLAY_WINDOW",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookFaultError",
    "WebhookFaults",
    "WebhookVerificationError",
    "format_halo_time",
    "parse_faults",
    "sign",
    "verify",
]

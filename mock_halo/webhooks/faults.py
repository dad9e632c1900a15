"""The webhook fault vocabulary: what a scenario can do to a query's notification.

One place for every fault name, its argument and its meaning, shared by
scenario rules (``"outcome": {"webhook": ...}``), SQL-comment directives
(``/* mock-halo: webhook=delay:30s,duplicate */``) and anything that generates
faults (property tests). Faults are injected by the emulator, never by Halo;
``/_mock/webhooks`` marks every delivery they touched.

=================  ========================================================
``delay:<dur>``    the first attempt goes ``dur`` (emulator time) later
``drop``           the notification is never sent (recorded as dropped)
``duplicate[:n]``  ``n`` extra copies (default 1) of the same notification
                   (same id and body), each a second after the one before
``outOfOrder``     held until the integrator's next notification has been
                   attempted, then sent (at the latest 60 s after it was due)
``badSignature``   ``X-Halo-Signature-256`` does not match the body
``staleTimestamp[:<dur>]``
                   ``X-Halo-Timestamp`` is ``dur`` (default 10 minutes)
                   before the send time, correctly signed: a receiver's
                   5-minute replay check must reject it
=================  ========================================================

Two spellings parse to the same :class:`WebhookFaults`: a string of items
separated by commas or spaces (``"delay:30s,duplicate:2"``) and a JSON object
(``{"delay": "30s", "duplicate": 2, "badSignature": true}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mock_halo.clock import parse_duration

DELAY = "delay"
DROP = "drop"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "outOfOrder"
BAD_SIGNATURE = "badSignature"
STALE_TIMESTAMP = "staleTimestamp"

#: Every fault name, in the order deliveries list them.
FAULT_NAMES = (DELAY, DROP, DUPLICATE, OUT_OF_ORDER, BAD_SIGNATURE, STALE_TIMESTAMP)
DEFAULT_STALENESS = timedelta(minutes=10)
MAX_DUPLICATES = 5
MAX_DELAY = timedelta(days=1)
#: The longest an ``outOfOrder`` notification waits for another one to overtake it.
OUT_OF_ORDER_HOLD = timedelta(seconds=60)


class WebhookFaultError(ValueError):
    """A fault spec that cannot be used; the message names the bad part."""


@dataclass(frozen=True)
class WebhookFaults:
    """The faults asked for one query's notification(s). All unset: deliver normally."""

    delay: timedelta | None = None
    drop: bool = False
    duplicates: int = 0
    out_of_order: bool = False
    bad_signature: bool = False
    stale_by: timedelta | None = None

    @property
    def names(self) -> list[str]:
        """The fault names in force, in :data:`FAULT_NAMES` order (how deliveries are marked)."""
        flags = {
            DELAY: self.delay is not None,
            DROP: self.drop,
            DUPLICATE: self.duplicates > 0,
            OUT_OF_ORDER: self.out_of_order,
            BAD_SIGNATURE: self.bad_signature,
            STALE_TIMESTAMP: self.stale_by is not None,
        }
        return [name for name in FAULT_NAMES if flags[name]]

    def to_json(self) -> dict[str, Any]:
        """The object spelling (what ``parse_faults`` reads back)."""
        out: dict[str, Any] = {}
        if self.delay is not None:
            out[DELAY] = _duration_text(self.delay)
        if self.drop:
            out[DROP] = True
        if self.duplicates:
            out[DUPLICATE] = self.duplicates
        if self.out_of_order:
            out[OUT_OF_ORDER] = True
        if self.bad_signature:
            out[BAD_SIGNATURE] = True
        if self.stale_by is not None:
            out[STALE_TIMESTAMP] = _duration_text(self.stale_by)
        return out


def parse_faults(value: Any, where: str = "webhook") -> WebhookFaults:
    """A :class:`WebhookFaults` from the string, list or object spelling (WebhookFaultError if bad)."""
    if isinstance(value, str):
        items = [item for item in re.split(r"[\s,]+", value.strip()) if item]
        pairs: dict[str, Any] = {}
        for item in items:
            name, _, arg = item.partition(":")
            if name in pairs:
                raise WebhookFaultError(f"{where}: '{name}' is given twice.")
            pairs[name] = arg if arg else True
        value = pairs
    elif isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise WebhookFaultError(f"{where} must be a list of fault names such as [\"drop\"].")
        return parse_faults(",".join(value), where)
    if not isinstance(value, dict):
        raise WebhookFaultError(f"{where} must be a string such as \"delay:30s,duplicate\" or an object.")
    if not value:
        raise WebhookFaultError(f"{where} is empty; give one or more of {list(FAULT_NAMES)}.")
    unknown = sorted(set(value) - set(FAULT_NAMES))
    if unknown:
        raise WebhookFaultError(f"{where}: unknown fault(s) {unknown}; known: {list(FAULT_NAMES)}.")
    faults = WebhookFaults(
        delay=_duration(value[DELAY], f"{where}.{DELAY}", required=True) if DELAY in value else None,
        drop=_flag(value.get(DROP, False), f"{where}.{DROP}"),
        duplicates=_copies(value.get(DUPLICATE, False), f"{where}.{DUPLICATE}"),
        out_of_order=_flag(value.get(OUT_OF_ORDER, False), f"{where}.{OUT_OF_ORDER}"),
        bad_signature=_flag(value.get(BAD_SIGNATURE, False), f"{where}.{BAD_SIGNATURE}"),
        stale_by=_staleness(value.get(STALE_TIMESTAMP, False), f"{where}.{STALE_TIMESTAMP}"),
    )
    if faults.drop and len(faults.names) > 1:
        raise WebhookFaultError(f"{where}: 'drop' sends nothing, so it cannot be combined with other faults.")
    if not faults.names:
        raise WebhookFaultError(f"{where} turns every fault off; give one or more of {list(FAULT_NAMES)}.")
    return faults


def _flag(value: Any, where: str) -> bool:
    if value is True or value is False:
        return value
    raise WebhookFaultError(f"{where} takes no argument (true or false in the object spelling); got {value!r}.")


def _copies(value: Any, where: str) -> int:
    if value is True:
        return 1
    if value is False:
        return 0
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DUPLICATES:
        raise WebhookFaultError(f"{where} must be a number of extra copies from 1 to {MAX_DUPLICATES}; got {value!r}.")
    return value


def _duration(value: Any, where: str, required: bool = False) -> timedelta:
    if value is True and required:
        raise WebhookFaultError(f"{where} needs a duration, e.g. 'delay:30s'.")
    if isinstance(value, bool):
        raise WebhookFaultError(f"{where} must be a duration such as '30s' or '2m'; got {value!r}.")
    try:
        delta = parse_duration(value)
    except (TypeError, ValueError):
        raise WebhookFaultError(f"{where} must be a duration such as '30s' or '2m'; got {value!r}.") from None
    if not timedelta(0) <= delta <= MAX_DELAY:
        raise WebhookFaultError(f"{where} must be between 0 and 1 day; got {value!r}.")
    return delta


def _staleness(value: Any, where: str) -> timedelta | None:
    if value is False:
        return None
    if value is True:
        return DEFAULT_STALENESS
    return _duration(value, where)


def _duration_text(delta: timedelta) -> str:
    millis = round(delta.total_seconds() * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"

"""When Halo tries a notification again (halo-facts 12, the AsyncAPI ``x-delivery``).

Up to 10 attempts, 5 s each; any 2xx stops; 5xx, 408 and 429 are retried,
every other status is final. Between attempts Halo waits a decorrelated-jitter
exponential backoff ("~5s first, ~90min max window"): each wait is drawn
uniformly between the base (5 s) and three times the previous wait, capped at
15 minutes, so ten attempts span at most about 85 minutes. Draws come from a
generator keyed by the seed, the notification and the attempt, so the same
run gives the same schedule whatever order deliveries finish in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 10
    #: Wall-clock seconds an attempt may take (connect, send, answer): the receiver is real.
    timeout_s: float = 5.0
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=15)
    #: INFERENCE: Halo queues a notification internally before its processor sends it;
    #: the first attempt is drawn this many milliseconds after the completion.
    processing_ms: tuple[int, int] = (200, 800)
    #: Spacing of the extra copies a ``duplicate`` fault sends.
    duplicate_gap: timedelta = timedelta(seconds=1)
    #: Notifications waiting to be sent (or retried); more are refused and counted.
    queue_limit: int = 10_000
    #: Finished deliveries kept for ``/_mock/webhooks`` (the oldest drop out first).
    history_limit: int = 10_000


def retryable(status: int) -> bool:
    """5xx, 408 and 429 are tried again; other non-2xx answers are final."""
    return status >= 500 or status in (408, 429)


def succeeded(status: int) -> bool:
    return 200 <= status < 300


def processing_delay(policy: DeliveryPolicy, key: str) -> timedelta:
    low, high = policy.processing_ms
    return timedelta(milliseconds=random.Random(f"{key}/processing").randint(low, high))


def next_wait(policy: DeliveryPolicy, key: str, attempt: int, previous: timedelta | None) -> timedelta:
    """The wait after attempt ``attempt`` (1-based): min(cap, uniform(base, 3 x previous wait))."""
    base = policy.base.total_seconds()
    before = previous.total_seconds() if previous is not None else base
    drawn = random.Random(f"{key}/backoff/{attempt}").uniform(base, max(base, before * 3))
    # Whole milliseconds, as every instant the control plane shows.
    return timedelta(milliseconds=round(min(policy.cap.total_seconds(), drawn) * 1000))

"""``Webhooks``: the notifications Halo owes integrators, on the emulator clock.

The lifecycle tells :meth:`Webhooks.completed` when an async query turns
successful or a registered run uploads a changed result, at that instant (the
``occurredAt``). If the query's integrator has a webhook, a *delivery* is
scheduled: its first attempt a short processing delay later, each further one
a backoff after the one before (:mod:`mock_halo.webhooks.policy`). Nothing
here does I/O or reads the wall clock: a sender (:mod:`.sender`) takes the
attempts that are due by the clock's now (:meth:`release_due`), posts them
and reports back (:meth:`record`). So with a virtual clock an attempt goes
out when the clock passes its time, and the schedule is the same whatever the
wall clock did.

Everything is bounded: at most ``queue_limit`` deliveries wait (more are
refused and counted), at most ``history_limit`` finished ones are kept.
Thread-safe: completions arrive on whichever thread moved the clock.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from mock_halo.clock import format_timestamp
from mock_halo.config import Settings, WebhookConfig
from mock_halo.logs import log_webhook_delivery
from mock_halo.webhooks import policy as retry
from mock_halo.webhooks.faults import OUT_OF_ORDER_HOLD, WebhookFaults
from mock_halo.webhooks.policy import DeliveryPolicy
from mock_halo.webhooks.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    format_halo_time,
    notification_body,
    sign,
)

log = logging.getLogger("mock_halo.webhooks")

# Delivery states.
SCHEDULED = "scheduled"  # waiting for its next attempt time
HELD = "held"  # an outOfOrder fault: waiting to be overtaken
SENDING = "sending"  # an attempt is in flight
DELIVERED = "delivered"  # a 2xx answer
FAILED = "failed"  # a final answer, or every attempt used
DROPPED = "dropped"  # a drop fault: never sent
STATES = (SCHEDULED, HELD, SENDING, DELIVERED, FAILED, DROPPED)
FINISHED = (DELIVERED, FAILED, DROPPED)
#: Faults kept for queries that have not completed yet.
FAULTS_LIMIT = 10_000


@dataclass
class Attempt:
    number: int
    due_at: datetime
    sent_at: datetime
    timestamp: str
    status: int | None = None
    error: str | None = None
    latency_ms: float | None = None
    outcome: str | None = None  # delivered | retry | failed (None while in flight)
    response: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "dueAt": format_timestamp(self.due_at),
            "sentAt": format_timestamp(self.sent_at),
            "timestamp": self.timestamp,
            "status": self.status,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "outcome": self.outcome,
            "response": self.response,
        }


@dataclass(eq=False)
class Delivery:
    """One notification on its way to one URL (a duplicate or a redelivery is another delivery)."""

    id: int
    notification_id: str
    integrator_id: str
    site_id: str
    query_id: str
    source: str
    url: str
    occurred_at: datetime
    body: bytes
    secret: str
    faults: WebhookFaults | None
    state: str
    next_at: datetime | None
    copy_of: int | None = None
    redelivery_of: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    #: Bumped on every reschedule; timeline entries with an older ticket are stale.
    ticket: int = 0
    last_wait: timedelta | None = None
    #: For a held (outOfOrder) delivery: when it would have been due.
    held_due: datetime | None = None

    @property
    def key(self) -> str:
        """Seeds this delivery's draws (backoff) independently of every other."""
        return f"{self.notification_id}/{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "notificationId": self.notification_id,
            "integratorId": self.integrator_id,
            "siteId": self.site_id,
            "queryId": self.query_id,
            "source": self.source,
            "url": self.url,
            "occurredAt": format_halo_time(self.occurred_at),
            "state": self.state,
            "faults": self.faults.names if self.faults else [],
            "copyOf": self.copy_of,
            "redeliveryOf": self.redelivery_of,
            "nextAttemptAt": format_timestamp(self.next_at) if self.next_at is not None else None,
            "attempts": [a.to_json() for a in self.attempts],
            "payload": orjson.loads(self.body),
        }


@dataclass(frozen=True)
class Send:
    """One attempt the sender must make now."""

    delivery_id: int
    number: int
    generation: int
    url: str
    headers: list[tuple[str, str]]
    body: bytes


class Webhooks:
    """Every integrator's webhook deliveries. Ask :meth:`completed` to notify; a sender drains it."""

    def __init__(self, clock, settings: Callable[[], Settings], policy: DeliveryPolicy | None = None) -> None:
        self.clock = clock
        self._settings = settings
        self.policy = policy or DeliveryPolicy()
        self._lock = threading.Lock()
        #: Control-plane changes per integrator id (None: webhooks off); reset forgets them.
        self._overrides: dict[str, WebhookConfig | None] = {}
        self._deliveries: dict[int, Delivery] = {}
        self._finished: deque[int] = deque()
        self._timeline: list[tuple[datetime, int, int, int]] = []
        self._held: dict[str, list[int]] = {}
        self._faults: dict[str, WebhookFaults] = {}
        self._ids = itertools.count(1)
        self._generation = 0
        self.in_flight = 0
        self.overflowed = 0
        self._waker: Callable[[], None] | None = None
        #: The running sender (set by it), for the control plane's flush.
        self.sender: Any = None
        clock.on_change(lambda now: self.wake())

    # -- configuration ---------------------------------------------------------
    def config_for(self, integrator_id: str) -> WebhookConfig | None:
        if integrator_id in self._overrides:
            return self._overrides[integrator_id]
        integrator = self._settings().integrator(integrator_id)
        return integrator.webhook if integrator is not None else None

    def configure(self, integrator_id: str, config: WebhookConfig | None) -> None:
        """The control plane: this integrator's webhook from now on (None turns it off) until reset."""
        with self._lock:
            self._overrides[integrator_id] = config

    @property
    def configured(self) -> bool:
        """True when at least one integrator has a webhook."""
        return any(self.config_for(i.id) is not None for i in self._settings().integrators)

    # -- the sender's side -----------------------------------------------------
    def attach(self, waker: Callable[[], None] | None) -> None:
        """``waker()`` is called (from any thread) whenever an attempt may have fallen due."""
        self._waker = waker

    def wake(self) -> None:
        waker = self._waker
        if waker is not None:
            waker()

    # -- notifications -----------------------------------------------------------
    def fault(self, query_id: str, faults: WebhookFaults) -> None:
        """Apply ``faults`` to the notification(s) of ``query_id`` (a scenario outcome)."""
        with self._lock:
            self._faults[query_id] = faults
            while len(self._faults) > FAULTS_LIMIT:
                del self._faults[next(iter(self._faults))]

    def completed(self, source: str, query: Any, at: datetime) -> None:
        """The lifecycle's observer: ``query`` (async or registered) completed at ``at``."""
        config = self.config_for(query.integrator_id)
        template = config.url_for(source) if config is not None else None
        if config is None or template is None:
            return
        url = template.replace("{siteId}", query.site_id).replace("{queryId}", query.id).replace("{source}", source)
        seed = self._settings().seed
        notification_id = _derived_uuid(f"{seed}/{source}/{query.id}/{at.isoformat()}")
        body = notification_body(notification_id, at, query.site_id, query.id, source)
        with self._lock:
            # An async query notifies once; a registered query's faults hold for every run.
            faults = self._faults.pop(query.id, None) if source == "async" else self._faults.get(query.id)
            first = at + retry.processing_delay(self.policy, f"{seed}/{notification_id}")
            if faults is not None and faults.delay is not None:
                first += faults.delay
            copies = faults.duplicates if faults is not None else 0
            original = None
            for copy in range(copies + 1):
                delivery = self._add(
                    notification_id=notification_id, integrator_id=query.integrator_id, site_id=query.site_id,
                    query_id=query.id, source=source, url=url, occurred_at=at, body=body, secret=config.secret,
                    faults=faults, due=first + copy * self.policy.duplicate_gap, copy_of=original,
                )
                if delivery is None:
                    break
                original = original or delivery.id
        self.wake()

    def _add(self, *, due: datetime, faults: WebhookFaults | None, **fields: Any) -> Delivery | None:
        """A new delivery, scheduled (lock held); None when the queue is full."""
        pending = len(self._deliveries) - len(self._finished)
        if pending >= self.policy.queue_limit:
            self.overflowed += 1
            log.warning("webhook queue full (%d waiting): notification for query %s not sent", pending, fields["query_id"])
            return None
        delivery = Delivery(id=next(self._ids), faults=faults, state=SCHEDULED, next_at=None, **fields)
        self._deliveries[delivery.id] = delivery
        if faults is not None and faults.drop:
            delivery.state = DROPPED
            self._finish(delivery)
        elif faults is not None and faults.out_of_order and delivery.copy_of is None:
            delivery.state = HELD
            self._held.setdefault(delivery.integrator_id, []).append(delivery.id)
            delivery.held_due = due
            self._schedule(delivery, due + OUT_OF_ORDER_HOLD)
        else:
            self._schedule(delivery, due)
        self._trim()
        return delivery

    def redeliver(self, delivery_id: int) -> Delivery | None:
        """A new delivery of the same notification, due now, without faults (None: unknown id)."""
        with self._lock:
            old = self._deliveries.get(delivery_id)
            if old is None:
                return None
            delivery = self._add(
                notification_id=old.notification_id, integrator_id=old.integrator_id, site_id=old.site_id,
                query_id=old.query_id, source=old.source, url=old.url, occurred_at=old.occurred_at, body=old.body,
                secret=old.secret, faults=None, due=self.clock.now(), redelivery_of=old.id,
            )
        self.wake()
        return delivery

    # -- scheduling ---------------------------------------------------------------
    def _schedule(self, delivery: Delivery, at: datetime) -> None:
        delivery.ticket += 1
        delivery.next_at = at
        heapq.heappush(self._timeline, (at, delivery.id, delivery.ticket, self._generation))

    def _finish(self, delivery: Delivery) -> None:
        delivery.next_at = None
        self._finished.append(delivery.id)

    def _trim(self) -> None:
        while len(self._deliveries) > self.policy.history_limit and self._finished:
            self._deliveries.pop(self._finished.popleft(), None)

    def next_due(self) -> datetime | None:
        """When the earliest scheduled attempt falls due (None: nothing scheduled)."""
        with self._lock:
            self._drop_stale()
            return self._timeline[0][0] if self._timeline else None

    def _drop_stale(self) -> None:
        timeline = self._timeline
        while timeline:
            at, delivery_id, ticket, generation = timeline[0]
            delivery = self._deliveries.get(delivery_id)
            if generation == self._generation and delivery is not None and delivery.ticket == ticket and delivery.state in (SCHEDULED, HELD):
                return
            heapq.heappop(timeline)

    def release_due(self, now: datetime, limit: int) -> list[Send]:
        """Up to ``limit`` attempts due by ``now``, in time order, marked as in flight."""
        sends: list[Send] = []
        with self._lock:
            while len(sends) < limit:
                self._drop_stale()
                if not self._timeline or self._timeline[0][0] > now:
                    break
                due, delivery_id, _, _ = heapq.heappop(self._timeline)
                delivery = self._deliveries[delivery_id]
                if delivery.state == HELD:
                    self._release_held(delivery)
                sends.append(self._start_attempt(delivery, due, now))
        return sends

    def _start_attempt(self, delivery: Delivery, due: datetime, now: datetime) -> Send:
        faults = delivery.faults
        stamped = now - faults.stale_by if faults is not None and faults.stale_by is not None else now
        timestamp = format_halo_time(stamped)
        signature = sign(delivery.body, timestamp, delivery.secret)
        if faults is not None and faults.bad_signature:
            # Signed over something else: the right length and alphabet, the wrong value.
            signature = sign(delivery.body + b" ", timestamp, delivery.secret)
        number = len(delivery.attempts) + 1
        delivery.attempts.append(Attempt(number=number, due_at=due, sent_at=now, timestamp=timestamp))
        delivery.state = SENDING
        delivery.next_at = None
        self.in_flight += 1
        headers = [(ID_HEADER, delivery.notification_id), (TIMESTAMP_HEADER, timestamp), (SIGNATURE_HEADER, signature)]
        return Send(delivery.id, number, self._generation, delivery.url, headers, delivery.body)

    def _release_held(self, delivery: Delivery) -> None:
        held = self._held.get(delivery.integrator_id, [])
        if delivery.id in held:
            held.remove(delivery.id)
        delivery.state = SCHEDULED

    def record(self, send: Send, status: int | None, error: str | None, latency_ms: float, response: str = "") -> None:
        """The sender's report on ``send``: decide delivered, failed or the next attempt's time."""
        with self._lock:
            outcome = self._record(send, status, error, latency_ms, response)
        if outcome is not None:
            delivery, attempt = outcome
            log_webhook_delivery(send.url, delivery.source, status, latency_ms / 1000, attempt=send.number,
                                 site=delivery.site_id, query_id=delivery.query_id, error=error, outcome=attempt.outcome)

    def _record(self, send: Send, status: int | None, error: str | None, latency_ms: float,
                response: str) -> tuple[Delivery, Attempt] | None:
        """:meth:`record` under the lock: the delivery and its attempt, or None when they are gone."""
        self.in_flight -= 1
        delivery = self._deliveries.get(send.delivery_id)
        if send.generation != self._generation or delivery is None or delivery.state != SENDING:
            return None  # reset or cleared meanwhile
        attempt = delivery.attempts[send.number - 1]
        attempt.status, attempt.error, attempt.latency_ms, attempt.response = status, error, latency_ms, response
        # INFERENCE: no answer at all (refused, timed out) is retried like a 5xx.
        if status is not None and retry.succeeded(status):
            attempt.outcome = delivery.state = DELIVERED
            self._finish(delivery)
        elif (status is None or retry.retryable(status)) and send.number < self.policy.max_attempts:
            attempt.outcome = "retry"
            wait = retry.next_wait(self.policy, f"{self._settings().seed}/{delivery.key}", send.number, delivery.last_wait)
            delivery.last_wait = wait
            delivery.state = SCHEDULED
            self._schedule(delivery, attempt.due_at + wait)
        else:
            attempt.outcome = delivery.state = FAILED
            self._finish(delivery)
        if send.number == 1 and delivery.copy_of is None:
            self._overtaken(delivery, attempt.due_at)
        return delivery, attempt

    def _overtaken(self, delivery: Delivery, at: datetime) -> None:
        """Release the integrator's held (outOfOrder) deliveries that ``delivery`` overtook."""
        held = self._held.get(delivery.integrator_id)
        if not held:
            return
        for held_id in [h for h in held if h < delivery.id]:
            waiting = self._deliveries.get(held_id)
            held.remove(held_id)
            if waiting is not None and waiting.state == HELD:
                waiting.state = SCHEDULED
                self._schedule(waiting, max(at, waiting.held_due or at))

    # -- reading and clearing -----------------------------------------------------------
    def settled(self, now: datetime) -> bool:
        """True when nothing is in flight and no attempt is due by ``now``."""
        with self._lock:
            self._drop_stale()
            return self.in_flight == 0 and not (self._timeline and self._timeline[0][0] <= now)

    def get(self, delivery_id: int) -> dict[str, Any] | None:
        with self._lock:
            delivery = self._deliveries.get(delivery_id)
            return delivery.to_json() if delivery is not None else None

    def list(
        self,
        *,
        integrator: str | None = None,
        query_id: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Deliveries oldest first, filtered; the last ``limit``."""
        with self._lock:
            found = [
                d for d in self._deliveries.values()
                if (integrator is None or d.integrator_id == integrator)
                and (query_id is None or d.query_id == query_id.lower())
                and (state is None or d.state == state)
            ]
            if limit is not None:
                found = found[-limit:] if limit else []
            return [d.to_json() for d in found]

    def counts(self) -> dict[str, int]:
        with self._lock:
            waiting = sum(1 for d in self._deliveries.values() if d.state in (SCHEDULED, HELD))
            return {
                "total": len(self._deliveries),
                "waiting": waiting,
                "inFlight": self.in_flight,
                "overflowed": self.overflowed,
            }

    def changes(self) -> int:
        """Deliveries kept plus webhooks set through the control plane: what a full reset forgets."""
        with self._lock:
            return len(self._deliveries) + len(self._overrides)

    def clear(self, site_id: str | None = None) -> None:
        """Forget deliveries (all, or one site's) and stop their attempts; in-flight reports are ignored."""
        with self._lock:
            if site_id is None:
                self._deliveries.clear()
                self._finished.clear()
                self._timeline.clear()
                self._held.clear()
                self._faults.clear()
                self._generation += 1
                return
            gone = [i for i, d in self._deliveries.items() if d.site_id == site_id]
            for delivery_id in gone:
                del self._deliveries[delivery_id]
            self._finished = deque(i for i in self._finished if i in self._deliveries)
            for held in self._held.values():
                held[:] = [i for i in held if i in self._deliveries]

    def reset(self, site_id: str | None = None) -> None:
        """Back to the start: deliveries cleared and, for a full reset, configured webhooks restored."""
        self.clear(site_id)
        if site_id is None:
            with self._lock:
                self._overrides.clear()
                self._ids = itertools.count(1)
                self.overflowed = 0


def _derived_uuid(text: str) -> str:
    """A version-4-shaped UUID from ``text``: deterministic, and it leaves the id source alone."""
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode()).digest()[:16], version=4))


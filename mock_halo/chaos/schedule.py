"""A schedule of Halo's bad days: faults as data, applied through the control plane.

A :class:`Schedule` is a tuple of faults. Each fault says what goes wrong in
Halo's own vocabulary and turns into the control plane's calls: scenario rules
(``POST /_mock/scenarios``), availability changes at future instants (``PUT
/_mock/sites/{id}/availability`` with ``in``) or an emulator setting (the
device token lifetime), and data edits run as immediate queries before the
client starts. Every fault is valid by construction: the values a
fault can hold are the ones the rule vocabulary accepts.

Faults earlier in a schedule win over later ones of the same kind (the rules'
precedence), and rules count only the requests of their surface, so "the 2nd
async submission" means exactly that. Hypothesis strategies that generate
schedules live in :mod:`mock_halo.strategies`; :mod:`mock_halo.chaos.runner`
applies one to a fresh emulator and runs a client against it.

New kinds of fault are new :class:`Fault` subclasses: a fault only has to say
which rules, availability changes and settings it needs (:class:`WebhookFault`
is one rule with a ``webhook`` outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

#: The lifecycle statuses a fault can force on an async query (halo-facts 6.3).
ASYNC_FAILURES = (
    "executionFailed", "expiredInQueue", "uploadFailed",
    "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable", "initialisationFailedCacheError",
)
#: SQL Server errors that are the practice's problem, not the client's SQL:
#: a client should report them, not retry them (both are documented 400 causes).
SQL_FAILURES = {
    18456: "Login failed for user 'halo_integrator'.",
    229: "The SELECT permission was denied on the object 'BPS_Patients', database 'BPSPatients', schema 'dbo'.",
}


def _nth(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _times(count: int | None) -> str:
    if count is None:
        return "from then on"
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


_SURFACE_WORDS = {
    "token": "token request", "immediate": "immediate query", "async": "async submission",
    "query": "status poll or page download", "registered": "registered query submission", "fhir": "FHIR request",
}


@dataclass(frozen=True)
class Fault:
    """One thing that goes wrong. Subclasses say which control-plane changes make it happen."""

    kind: ClassVar[str] = "fault"

    def outcome(self) -> dict[str, Any] | None:
        """The scenario outcome, for faults that are a rule."""
        return None

    def match(self) -> dict[str, Any]:
        return {}

    def availability(self) -> list[tuple[float, float, str]]:
        """``(start_s, end_s, state)`` windows of site availability, seconds from the run's start."""
        return []

    def settings(self) -> dict[str, Any]:
        return {}

    def setup_sql(self) -> list[str]:
        """T-SQL run on the site before the client starts (the data it will see)."""
        return []

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class _Targeted(Fault):
    """A fault on the ``ordinal``-th request of a surface, ``count`` times (None: from then on)."""

    surface: str = "async"
    ordinal: int = 1
    count: int | None = 1

    def match(self) -> dict[str, Any]:
        return {"surface": self.surface, "ordinal": self.ordinal, "count": self.count}

    def when(self) -> str:
        return f"on the {_nth(self.ordinal)} {_SURFACE_WORDS.get(self.surface, self.surface)} {_times(self.count)}"


@dataclass(frozen=True)
class HttpError(_Targeted):
    """A gateway or platform error: 429 (with ``Retry-After``), 500, 503 or 504."""

    kind: ClassVar[str] = "http-error"
    status: int = 503
    retry_after: int | None = None

    def outcome(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.status}
        if self.status == 429:
            out["retryAfter"] = self.retry_after if self.retry_after is not None else 1
        return out

    def describe(self) -> str:
        wait = f" (Retry-After {self.outcome()['retryAfter']} s)" if self.status == 429 else ""
        return f"{self.status}{wait} {self.when()}"


@dataclass(frozen=True)
class Latency(_Targeted):
    """A slow answer: the emulator clock moves on by ``ms`` while the request is served."""

    kind: ClassVar[str] = "latency"
    ms: int = 1000

    def outcome(self) -> dict[str, Any]:
        return {"latencyMs": self.ms}

    def describe(self) -> str:
        return f"{self.ms / 1000:g} s latency {self.when()}"


@dataclass(frozen=True)
class SqlFailure(_Targeted):
    """The practice database refuses the query (immediate: 400 executionFailed; async: executionFailed)."""

    kind: ClassVar[str] = "sql-failure"
    number: int = 18456

    def outcome(self) -> dict[str, Any]:
        return {"sqlError": {"number": self.number, "message": SQL_FAILURES.get(self.number, f"SQL Server error {self.number}.")}}

    def describe(self) -> str:
        return f"SQL Server error {self.number} {self.when()}"


@dataclass(frozen=True)
class AsyncOutcome(_Targeted):
    """An async query ends in a failure status, optionally after long phases."""

    kind: ClassVar[str] = "async-outcome"
    status: str = "executionFailed"
    queued_ms: int | None = None
    executing_ms: int | None = None

    def outcome(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.queued_ms is not None:
            out["queuedMs"] = self.queued_ms
        if self.executing_ms is not None:
            out["executingMs"] = self.executing_ms
        return out

    def describe(self) -> str:
        phases = "".join(
            f", {name} {value / 1000:g} s" for name, value in (("queued", self.queued_ms), ("executing", self.executing_ms))
            if value is not None
        )
        return f"{self.status}{phases} {self.when()}"


@dataclass(frozen=True)
class SlowQuery(_Targeted):
    """An async query that succeeds, slowly: long initialising, queued or executing phases."""

    kind: ClassVar[str] = "slow-query"
    initialising_ms: int | None = None
    queued_ms: int | None = None
    executing_ms: int | None = None

    def outcome(self) -> dict[str, Any]:
        keys = {"initialisingMs": self.initialising_ms, "queuedMs": self.queued_ms, "executingMs": self.executing_ms}
        out = {k: v for k, v in keys.items() if v is not None}
        return out or {"initialisingMs": 0}

    def describe(self) -> str:
        parts = [f"{name} {value / 1000:g} s" for name, value in
                 (("initialising", self.initialising_ms), ("queued", self.queued_ms), ("executing", self.executing_ms))
                 if value is not None]
        return f"slow query ({', '.join(parts) or 'no delay'}) {self.when()}"


@dataclass(frozen=True)
class PageUploads(_Targeted):
    """Results in small pages that upload slowly, fail part-way (uploadFailed) or stall."""

    kind: ClassVar[str] = "page-uploads"
    page_size_bytes: int = 1000
    page_upload_ms: int | None = None
    fail_after_pages: int | None = None
    stall_after_pages: int | None = None

    def __post_init__(self) -> None:
        if self.fail_after_pages is not None and self.stall_after_pages is not None:
            raise ValueError("a page upload either fails or stalls, not both")

    def outcome(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pageSizeBytes": self.page_size_bytes}
        if self.page_upload_ms is not None:
            out["pageUploadMs"] = self.page_upload_ms
        if self.fail_after_pages is not None:
            out.update(status="uploadFailed", failAfterPages=self.fail_after_pages)
        if self.stall_after_pages is not None:
            out["stallAfterPages"] = self.stall_after_pages
        return out

    def describe(self) -> str:
        text = f"{self.page_size_bytes}-byte pages"
        if self.page_upload_ms is not None:
            text += f" taking {self.page_upload_ms / 1000:g} s each"
        if self.fail_after_pages is not None:
            text += f", upload fails after {self.fail_after_pages} page(s)"
        if self.stall_after_pages is not None:
            text += f", uploads stall after {self.stall_after_pages} page(s)"
        return f"{text} {self.when()}"


@dataclass(frozen=True)
class EarlyRetention(_Targeted):
    """Results expire early: pages answer 410 ``retention_ms`` after the query completes."""

    kind: ClassVar[str] = "early-retention"
    retention_ms: int = 60_000

    def outcome(self) -> dict[str, Any]:
        return {"retentionMs": self.retention_ms}

    def describe(self) -> str:
        return f"results kept only {self.retention_ms / 1000:g} s {self.when()}"


@dataclass(frozen=True)
class WebhookFault(_Targeted):
    """The completion notification of an async query is delayed, dropped, duplicated, sent out of
    order, badly signed or stale (``faults`` in :mod:`mock_halo.webhooks.faults`' spelling)."""

    kind: ClassVar[str] = "webhook-fault"
    faults: str = "duplicate"

    def outcome(self) -> dict[str, Any]:
        return {"webhook": self.faults}

    def describe(self) -> str:
        return f"webhook {self.faults} {self.when()}"


@dataclass(frozen=True)
class SiteOutage(Fault):
    """The site's Halo Link is ``offline`` or ``unreachable`` from ``start_s`` for ``duration_s`` seconds."""

    kind: ClassVar[str] = "site-outage"
    state: str = "offline"
    start_s: float = 0
    duration_s: float = 60

    def availability(self) -> list[tuple[float, float, str]]:
        return [(self.start_s, self.start_s + self.duration_s, self.state)]

    def describe(self) -> str:
        return f"site {self.state} from {self.start_s:g} s for {self.duration_s:g} s"


@dataclass(frozen=True)
class TokenExpiry(Fault):
    """Device tokens live only ``lifetime_s`` seconds, so a long flow outlives its token."""

    kind: ClassVar[str] = "token-expiry"
    lifetime_s: int = 300

    def settings(self) -> dict[str, Any]:
        return {"token_lifetime_s": self.lifetime_s}

    def describe(self) -> str:
        return f"device tokens expire after {self.lifetime_s} s"


@dataclass(frozen=True)
class DataEdit(Fault):
    """The practice's data as the client will find it: one T-SQL statement, run before the client starts."""

    kind: ClassVar[str] = "data-edit"
    sql: str = "SELECT 1"
    note: str = ""

    def setup_sql(self) -> list[str]:
        return [self.sql]

    def describe(self) -> str:
        return f"data: {self.note or self.sql}"


def _literal(text: str) -> str:
    return "N'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class RowsKept(Fault):
    """Only the rows of ``table`` whose ``key`` is at most ``keep`` are there (0: none).

    ``hide`` is how the practice's software retires a row (``"RECORDSTATUS = 2"``
    for Bp Premier: its views show only live records); without it the rows are
    deleted, the ``dependents`` (tables referring to it by the same key) first.
    """

    kind: ClassVar[str] = "data-rows"
    table: str = "PATIENTS"
    key: str = "INTERNALID"
    keep: int = 0
    hide: str = ""
    dependents: tuple[str, ...] = ()

    def setup_sql(self) -> list[str]:
        if self.hide:
            return [f"UPDATE {self.table} SET {self.hide} WHERE {self.key} > {self.keep}"]
        return ["; ".join(f"DELETE FROM {t} WHERE {self.key} > {self.keep}" for t in (*self.dependents, self.table))]

    def describe(self) -> str:
        return f"data: {self.table} holds only {self.key} up to {self.keep}" if self.keep else f"data: {self.table} is empty"


@dataclass(frozen=True)
class TextValue(Fault):
    """One row's text column holds ``value`` (quotes, accents, other scripts, emoji, blanks, full length)."""

    kind: ClassVar[str] = "data-text"
    table: str = "PATIENTS"
    key: str = "INTERNALID"
    row: int = 1
    column: str = "SURNAME"
    value: str = ""

    def setup_sql(self) -> list[str]:
        return [f"UPDATE {self.table} SET {self.column} = {_literal(self.value)} WHERE {self.key} = {self.row}"]

    def describe(self) -> str:
        return f"data: {self.table}.{self.column} of {self.key} {self.row} is {self.value!r}"


@dataclass(frozen=True)
class Schedule:
    """The faults of one generated bad day, in precedence order."""

    faults: tuple[Fault, ...] = field(default_factory=tuple)

    def rules(self) -> list[dict[str, Any]]:
        """Scenario rules (``POST /_mock/scenarios``), ids ``f1-http-error``, ``f2-latency``, ..."""
        out = []
        for number, fault in enumerate(self.faults, 1):
            outcome = fault.outcome()
            if outcome is not None:
                out.append({"id": f"f{number}-{fault.kind}", "name": fault.describe(), "match": fault.match(), "outcome": outcome})
        return out

    def availability_changes(self) -> list[tuple[float, str]]:
        """``(seconds from the start, state)`` in time order: overlapping windows merge, the later start winning."""
        windows = [w for fault in self.faults for w in fault.availability()]
        if not windows:
            return []
        instants = sorted({t for start, end, _ in windows for t in (start, end)})
        changes: list[tuple[float, str]] = []
        current = "online"
        for instant in instants:
            active = [(start, state) for start, end, state in windows if start <= instant < end]
            state = max(active)[1] if active else "online"
            if state != current:
                changes.append((instant, state))
                current = state
        return changes

    def setup_sql(self) -> list[str]:
        return [sql for fault in self.faults for sql in fault.setup_sql()]

    def settings(self) -> dict[str, Any]:
        """Emulator settings the faults need (the shortest token lifetime wins)."""
        out: dict[str, Any] = {}
        for fault in self.faults:
            for key, value in fault.settings().items():
                out[key] = min(out[key], value) if key in out else value
        return out

    def describe(self) -> str:
        if not self.faults:
            return "a good day: no faults"
        return "\n".join(f"  f{n}. {fault.describe()}" for n, fault in enumerate(self.faults, 1))

    def __str__(self) -> str:
        return self.describe()

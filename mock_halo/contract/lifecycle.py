"""Halo's async-query lifecycle contract, checked through HTTP against any target.

The pieces a contract suite reuses:

* the contract itself as pure checks over response bodies
  (:func:`check_status_body`, :func:`check_transition`, :func:`check_error`);
* how time passes: :class:`ControlTime` moves a control plane's virtual clock,
  :class:`PollingTime` waits with exponential backoff inside a time budget
  (the sleep and the monotonic clock are injectable, so the backoff can be
  exercised deterministically);
* :class:`LifecycleContract`, a hypothesis ``RuleBasedStateMachine`` that
  submits async queries, polls them, fetches their pages and (with a control
  plane) moves the clock, changes the site's availability and forces failure
  statuses with scenario rules, checking the contract on every observation.

Only Halo's documented behaviour (halo-facts 6) is checked everywhere. Checks
that rest on an INFERENCE in halo-facts (0-based inclusive row ranges, 404 for a
page that is not cached yet, expiry exactly at ``maxTimeInQueue``), or on the
Integrator document only (the page headers, the 410 message text), run only
against the emulator (``target.kind != "halo"``), so a real Halo that differs
there is not reported as broken.

Decision on read-only targets: an async ``SELECT`` only reads the practice
database, so the machine submits async queries on a real Halo too (it never
submits writes); each request costs budget, and when ``target.budget`` runs out
the run stops and the test is skipped, not failed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from mock_halo.contract.target import BudgetExhausted

# -- Halo's vocabulary (halo-facts 6.3-6.6) -----------------------------------------
PHASES = ("initialising", "queued", "executing", "uploading")
INIT_FAILURES = ("initialisationFailedCacheError", "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable")
#: status -> the phase it belongs to (the last statusTiming key it has).
PHASE_OF = {
    "initialising": "initialising", **{s: "initialising" for s in INIT_FAILURES},
    "queued": "queued", "expiredInQueue": "queued",
    "executing": "executing", "executionFailed": "executing",
    "uploading": "uploading", "uploadFailed": "uploading", "successful": "uploading",
}
STATUSES = frozenset(PHASE_OF)
TERMINAL = frozenset({*INIT_FAILURES, "expiredInQueue", "executionFailed", "uploadFailed", "successful"})
PAGE_STATUSES = ("queued", "uploading", "cached")
ERROR_TYPES = ("http", "mssql", "fbsql", "haloLink")
GONE_MESSAGE = "Access to the target resource is permanently no longer available at the origin server."
#: statuses a scenario rule can force (every terminal failure).
FORCEABLE = tuple(sorted(TERMINAL - {"successful"}))
#: the retention a scenario gives some queries, so 410s can be seen without a 24 h jump.
SHORT_RETENTION_S = 120
AVAILABILITY_FAILURE = {"offline": "initialisationFailedSiteOffline", "unreachable": "initialisationFailedSiteUnreachable"}
#: timestamps are rendered to the millisecond; allow that much rounding.
SLACK = timedelta(milliseconds=2)


REGISTERED_STATUSES = ("initialisationFailedCacheError", "enabled", "cancelled", "completed")
REGISTERED_METRIC_COUNTS = ("executionSucceededCount", "executionFailedCount", "resultSizeSum")


class ContractViolation(AssertionError):
    """The target broke Halo's lifecycle contract; the message says how."""


def expect(condition: Any, message: str) -> None:
    if not condition:
        raise ContractViolation(message)


def when(text: Any) -> datetime:
    expect(isinstance(text, str), f"a timestamp must be a string, got {text!r}")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ContractViolation(f"not an ISO 8601 timestamp: {text!r}") from None


def rank(status: str) -> float:
    """Position in the lifecycle: a terminal status sits just after its phase."""
    return PHASES.index(PHASE_OF[status]) + (0.5 if status in TERMINAL else 0.0)


# -- the contract as checks over bodies ------------------------------------------------
def check_status_body(body: Any, *, query_id: str, site_id: str, max_time_in_queue: int | None = None,
                      inferred: bool = True) -> None:
    """One async status body (201 or GET) against halo-facts 6.2-6.5."""
    expect(isinstance(body, dict), f"status body is not an object: {body!r}")
    status = body.get("status")
    expect(status in STATUSES, f"status {status!r} is not one of Halo's async statuses")
    expect(body.get("id") == query_id, f"id {body.get('id')!r} != {query_id!r}")
    expect(str(body.get("siteId", "")).lower() == site_id.lower(), f"siteId {body.get('siteId')!r} != {site_id!r}")
    expect(body.get("mode") == "async", f"mode {body.get('mode')!r} != 'async'")
    for name in ("maxTimeInQueue", "commandSize", "requestSize"):
        expect(isinstance(body.get(name), int), f"{name} missing or not an integer in {status} body")
    when(body.get("createdAt"))
    when(body.get("updatedAt"))
    timing = body.get("statusTiming")
    expect(isinstance(timing, dict) and "initialising" in timing, f"{status}: statusTiming lacks initialising: {timing!r}")
    last = PHASES.index(PHASE_OF[status])
    expect(set(timing) == set(PHASES[: last + 1]), f"{status}: statusTiming keys {sorted(timing)} != {list(PHASES[: last + 1])}")
    previous_end: datetime | None = None
    for index, phase in enumerate(PHASES[: last + 1]):
        entry = timing[phase]
        start = when(entry.get("startTime"))
        expect(previous_end is None or previous_end <= start + SLACK, f"{status}: {phase} starts before the previous phase ended")
        end = entry.get("endTime")
        if index < last or (status in TERMINAL and status != "successful"):
            expect(end is not None, f"{status}: statusTiming.{phase} has no endTime")
        elif status not in TERMINAL:
            expect(end is None, f"{status}: the current phase {phase} already has an endTime")
        if end is not None:
            previous_end = when(end)
            expect(start <= previous_end + SLACK, f"{status}: {phase} ends before it starts")
    terminal = status in TERMINAL
    expect(("completedAt" in body) == terminal, f"{status}: completedAt present={'completedAt' in body}")
    if terminal:
        completed = when(body["completedAt"])
        expect(all(when(t["startTime"]) <= completed + SLACK for t in timing.values()), f"{status}: completedAt before a phase start")
    expect(("result" in body) == (status == "successful"), f"{status}: result present={'result' in body}")
    if status in ("uploading", "uploadFailed", "successful"):
        metrics = body.get("metrics")
        expect(isinstance(metrics, dict) and isinstance(metrics.get("sqlExecutionDuration"), int),
               f"{status}: metrics.sqlExecutionDuration missing")
    if status in ("executionFailed", "uploadFailed"):
        expect(isinstance(body.get("errorCode"), int), f"{status}: errorCode missing or not an integer")
        expect(isinstance(body.get("errorMessage"), str), f"{status}: errorMessage missing")
        details = body.get("errorDetails")
        if details is not None:  # INFERENCE (halo-facts 16.8): present on async failures too
            expect(details.get("errorType") in ERROR_TYPES, f"errorDetails.errorType {details.get('errorType')!r}")
            expect(details.get("errorCode") == body["errorCode"], "errorDetails.errorCode != errorCode")
    if status == "successful":
        check_result(body["result"], inferred=inferred)
        expect(isinstance(body.get("resultSize"), int), "successful: resultSize missing")
    if inferred and max_time_in_queue is not None and "queued" in timing and "endTime" in timing["queued"]:
        waited = when(timing["queued"]["endTime"]) - when(timing["queued"]["startTime"])
        limit = timedelta(milliseconds=max_time_in_queue)
        if status == "expiredInQueue":
            expect(waited + SLACK >= limit, f"expiredInQueue after {waited} in the queue, before maxTimeInQueue {limit}")
        else:
            expect(waited <= limit + SLACK, f"left the queue after {waited}, beyond maxTimeInQueue {limit}")


def check_result(result: Any, *, inferred: bool) -> None:
    """``AsyncQueryResult``: rows, size and pages whose row counts add up (halo-facts 6.5)."""
    expect(isinstance(result, dict), f"result is not an object: {result!r}")
    total = result.get("rows", result.get("rowsAffected"))
    expect(isinstance(total, int) and isinstance(result.get("size"), int), f"result lacks rows/size: {result!r}")
    pages = result.get("pages")
    expect(isinstance(pages, list), "result.pages missing")
    if "rowsAffected" in result:
        return
    expect(pages, "a reader result has no pages")
    expect([p.get("pageNumber") for p in pages] == list(range(1, len(pages) + 1)), "pages are not numbered 1..n")
    expect(sum(p["rows"]["count"] for p in pages) == total, f"page row counts do not add up to rows={total}")
    next_start = 0
    for page in pages:
        expect(page.get("status") in PAGE_STATUSES, f"page status {page.get('status')!r}")
        rows = page["rows"]
        if inferred:  # INFERENCE (halo-facts 16.5): 0-based inclusive ranges
            expect(rows["rangeStart"] == next_start, f"page {page['pageNumber']} starts at {rows['rangeStart']}, not {next_start}")
            expect(rows["rangeEnd"] == rows["rangeStart"] + rows["count"] - 1, f"page {page['pageNumber']} range/count mismatch")
        next_start += rows["count"]


def check_transition(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Two observations of one query, in order: never backwards, terminal is sticky."""
    a, b = before["status"], after["status"]
    if a in TERMINAL:
        expect(b == a, f"terminal status {a} changed to {b}")
        expect(after.get("completedAt") == before.get("completedAt"), f"{a}: completedAt changed")
    else:
        expect(rank(b) >= rank(a), f"{a} -> {b} goes backwards")
    for name in ("id", "createdAt", "maxTimeInQueue", "commandSize", "requestSize"):
        expect(after.get(name) == before.get(name), f"{a} -> {b}: {name} changed from {before.get(name)!r} to {after.get(name)!r}")
    if isinstance(after.get("updatedAt"), str):
        expect(when(after["updatedAt"]) >= when(before["updatedAt"]), f"{a} -> {b}: updatedAt went backwards")
    later = after.get("statusTiming") if isinstance(after.get("statusTiming"), dict) else {}
    for phase, timing in before["statusTiming"].items():
        now = later.get(phase) or {}
        expect(now.get("startTime") == timing["startTime"], f"{a} -> {b}: statusTiming.{phase}.startTime changed or vanished")
        if "endTime" in timing:
            expect(now.get("endTime") == timing["endTime"], f"{a} -> {b}: statusTiming.{phase}.endTime changed or vanished")
    if before.get("result") and isinstance(after.get("result"), dict):
        for old, new in zip(before["result"]["pages"], after["result"].get("pages") or [], strict=False):
            expect(PAGE_STATUSES.index(new["status"]) >= PAGE_STATUSES.index(old["status"]),
                   f"page {old['pageNumber']} went {old['status']} -> {new['status']}")


def check_registered(body: Any, before: dict[str, Any] | None, *, query_id: str, name: str, frequency: int,
                     duration: int, inferred: bool = True) -> None:
    """A registered query (halo-facts 7.4) and, given the previous observation, how it may change."""
    expect(isinstance(body, dict), f"registered body is not an object: {body!r}")
    status = body.get("status")
    expect(status in REGISTERED_STATUSES, f"registered status {status!r} is not one of {REGISTERED_STATUSES}")
    expect(body.get("id") == query_id and body.get("name") == name and body.get("registeredQueryType") == "query",
           f"registered query fields not echoed: {body!r}")
    expect(body.get("frequency") == frequency and body.get("duration") == duration, "frequency/duration not echoed")
    created = when(body.get("createdAt"))
    metrics = body.get("metrics")
    expect(isinstance(metrics, dict), "registered query without metrics")
    for key in REGISTERED_METRIC_COUNTS:
        expect(isinstance(metrics.get(key, 0), int), f"metrics.{key} is not an integer")
    expect(("completedAt" in body) == (status == "completed"), f"{status}: completedAt present={'completedAt' in body}")
    if status == "completed" and inferred:  # the examples complete at about createdAt + duration
        expect(when(body["completedAt"]) + timedelta(seconds=1) >= created + timedelta(seconds=duration),
               "completed before createdAt + duration")
    if body.get("lastHash") is not None:
        expect(metrics.get("executionSucceededCount", 0) >= 1, "lastHash without a successful run")
    details = body.get("lastErrorDetails")
    if details is not None:
        expect(details.get("errorType") in ERROR_TYPES and isinstance(details.get("errorCode"), int),
               f"lastErrorDetails malformed: {details!r}")
        expect(metrics.get("executionFailedCount", 0) >= 1, "lastErrorDetails without a failed run")
    if before is None:
        return
    was = before["status"]
    if was != "enabled":
        expect(status == was, f"registered status {was} changed to {status}")
    else:
        expect(status != "initialisationFailedCacheError", "an enabled registered query failed to initialise")
    for key in REGISTERED_METRIC_COUNTS:
        expect(metrics.get(key, 0) >= before["metrics"].get(key, 0), f"metrics.{key} went down")


def check_error(response: Any, statuses: tuple[int, ...], *, message: str | None = None) -> dict[str, Any]:
    """Halo's general envelope ``{"error": {status, statusText, message}}`` with one of ``statuses``."""
    expect(response.status_code in statuses, f"HTTP {response.status_code}, expected one of {statuses}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        raise ContractViolation(f"HTTP {response.status_code} body is not JSON: {response.text[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    expect(isinstance(error, dict) and set(body) == {"error"}, f"not the general error envelope: {body!r}")
    expect(error.get("status") == response.status_code, f"error.status {error.get('status')} != HTTP {response.status_code}")
    expect(isinstance(error.get("statusText"), str) and error["statusText"], "error.statusText empty")
    expect(isinstance(error.get("message"), str) and error["message"], "error.message empty")
    if message is not None:
        expect(error["message"] == message, f"error.message {error['message']!r} != {message!r}")
    return error


def page_of(body: dict[str, Any], number: int) -> dict[str, Any] | None:
    pages = (body.get("result") or {}).get("pages") or []
    return pages[number - 1] if 1 <= number <= len(pages) else None


def page_statuses(body: dict[str, Any]) -> list[str]:
    return [page["status"] for page in (body.get("result") or {}).get("pages") or []]


def downloadable(body: dict[str, Any], page: dict[str, Any] | None) -> bool:
    return body["status"] == "successful" and page is not None and page["status"] == "cached"


def describe(body: dict[str, Any], page: dict[str, Any] | None) -> str:
    if body["status"] != "successful":
        return f"the query is {body['status']}"
    return "the page is out of range" if page is None else f"the page is {page['status']}"


def decode_rows(data: Any) -> list[Any]:
    try:
        rows = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ContractViolation(f"page data is not base64 of JSON: {str(data)[:80]!r}") from None
    expect(isinstance(rows, list), "page data is not a JSON array")
    return rows


# -- how time passes -------------------------------------------------------------------
class ControlTime:
    """With a control plane: move the virtual clock, never sleep."""

    polls_between = False

    def __init__(self, control: Any) -> None:
        self.control = control

    def advance(self, seconds: float) -> datetime:
        return when(self.control.advance(float(seconds)).now)

    def now(self) -> datetime:
        return when(self.control.clock().now)


class PollingTime:
    """Without one: wait for real, with exponential backoff, inside a time budget.

    ``sleep`` and ``monotonic`` are injectable so tests can drive the backoff
    without sleeping. :meth:`wait_until` returns True once ``done()`` holds, False
    when the budget ran out first (the caller then stops waiting; it is not a failure).
    """

    polls_between = True

    def __init__(self, budget_s: float, *, first_s: float = 0.5, factor: float = 2.0, cap_s: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.budget_s = budget_s
        self.first_s, self.factor, self.cap_s = first_s, factor, cap_s
        self.sleep, self.monotonic = sleep, monotonic
        self.started = monotonic()
        self.slept: list[float] = []

    @property
    def remaining(self) -> float:
        return max(0.0, self.budget_s - (self.monotonic() - self.started))

    def pause(self, seconds: float) -> None:
        """One plain pause (cut to what is left of the budget)."""
        seconds = min(seconds, self.remaining)
        if seconds > 0:
            self.slept.append(seconds)
            self.sleep(seconds)

    def wait_until(self, done: Callable[[], bool], *, at_most_s: float | None = None) -> bool:
        limit = min(self.remaining, at_most_s if at_most_s is not None else self.remaining)
        began = self.monotonic()
        delay = self.first_s
        while True:
            if done():
                return True
            left = limit - (self.monotonic() - began)
            if left <= 0:
                return False
            pause = min(delay, left, self.cap_s)
            self.slept.append(pause)
            self.sleep(pause)
            delay *= self.factor


# -- the state machine ------------------------------------------------------------------
SQL = {
    "patients": "SELECT InternalID, Surname, Firstname, DOB FROM BPS_Patients WHERE InternalID <= 40 ORDER BY InternalID",
    "count": "SELECT COUNT(*) AS PatientCount FROM BPS_Patients",
    "empty": "SELECT InternalID FROM BPS_Patients WHERE 1 = 0",
    "bad": "SELECT InternalID FROM BPS_NoSuchView",
}


@dataclass
class LifecycleRun:
    """What the runs of one test share: options, spent time and why it stopped."""

    retention_s: float = 86_400.0
    max_queries: int = 6
    time_budget_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    stopped: str | None = None
    #: the first violation seen, so it is reported even when a replay behaves differently
    #: (a target whose state hypothesis cannot reset between examples).
    violation: ContractViolation | None = None
    observations: int = 0
    statuses_seen: set[str] = field(default_factory=set)
    rules: Counter[str] = field(default_factory=Counter)
    polling: PollingTime | None = None

    def out_of_time(self) -> bool:
        """Polling has used its whole time budget: the run ends (normally; nothing more is sent)."""
        return self.polling is not None and self.polling.remaining <= 0

    def polling_time(self) -> PollingTime:
        if self.polling is None:
            self.polling = PollingTime(self.time_budget_s, sleep=self.sleep, monotonic=self.monotonic)
        return self.polling


class Stop(Exception):
    """The request budget ran out: end this run quietly (``run.stopped`` says so; the test skips)."""


def guarded(method: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(method)
    def run(self: LifecycleContract, **kwargs: Any) -> None:
        if self.run.stopped or self.run.out_of_time():
            return
        self.run.rules[method.__name__] += 1
        try:
            method(self, **kwargs)
        except Stop:
            pass
        except ContractViolation as exc:
            self.run.violation = self.run.violation or exc
            raise
    return run


@dataclass
class Tracked:
    id: str
    kind: str
    sql: str
    max_time_in_queue: int | None
    expected: frozenset[str] | None  # terminal statuses allowed, None = any
    last: dict[str, Any]
    gone: bool = False  # a page answered 410
    forgotten: bool = False  # the status answered 404 (long after completion)
    retention_s: float | None = None
    compared: bool = False


@dataclass
class TrackedRegistered:
    id: str
    kind: str
    name: str
    frequency: int
    duration: int
    last: dict[str, Any] | None = None
    forgotten: bool = False


class LifecycleContract(RuleBasedStateMachine):
    """Halo's async lifecycle, driven through ``target`` (see the module docstring)."""

    def __init__(self, target: Any, run: LifecycleRun) -> None:
        super().__init__()
        self.target = target
        self.run = run
        self.inferred = getattr(target, "kind", "inprocess") != "halo"
        self.control = target.control() if target.has_control else None
        self.time = ControlTime(self.control) if self.control is not None else run.polling_time()
        self.queries: dict[str, Tracked] = {}
        self.registered: dict[str, TrackedRegistered] = {}
        self.availability = "online"
        self.markers = 0
        self.now: datetime | None = None
        self.immediate_rows: dict[str, list[Any] | None] = {}

    # -- HTTP, budget, tokens --------------------------------------------------
    def request(self, method: str, suffix: str, **kwargs: Any) -> Any:
        try:
            response = self.target.client().request(method, self.target.path(suffix), headers=self.target.auth_headers(), **kwargs)
            if response.status_code == 401:  # the cached token outlived a clock move or a reset
                self.target.forget_tokens()
                response = self.target.client().request(method, self.target.path(suffix), headers=self.target.auth_headers(), **kwargs)
        except BudgetExhausted as exc:
            self.run.stopped = str(exc)
            raise Stop from None
        return response

    def note(self, body: dict[str, Any]) -> None:
        self.run.observations += 1
        self.run.statuses_seen.add(body["status"])

    # -- rules -------------------------------------------------------------------
    @initialize(kinds=st.lists(st.sampled_from(sorted(SQL)), min_size=1, max_size=3))
    @guarded
    def start(self, kinds: list[str]) -> None:
        """A clean slate where there is a control plane, then the first submissions.

        Submitting here, not only in rules, keeps every run about queries even when
        hypothesis's swarm testing switches the submit rules off for an example.
        """
        if self.control is not None:
            self.control.reset()
            self.now = self.time.now()
        for kind in kinds[: self.run.max_queries]:
            self.submit(kind=kind, max_time_in_queue=None)

    def teardown(self) -> None:
        if self.control is not None and not self.run.stopped:
            self.control.reset()
        elif not self.run.stopped:
            # No control plane to reset: cancel what this run registered so it stops running.
            for query in self.registered.values():
                if query.last is None or query.last["status"] == "enabled":
                    try:
                        self.request("DELETE", f"/queries/registered/{query.id}")
                    except Stop:
                        break

    @precondition(lambda self: len(self.queries) < self.run.max_queries)
    @rule(kind=st.sampled_from(sorted(SQL)), max_time_in_queue=st.sampled_from([None, 3_600_000, 0]),
          page_size=st.sampled_from([250, None, 800]), short_retention=st.booleans())
    @guarded
    def submit(self, kind: str, max_time_in_queue: int | None, page_size: int | None = None,
               short_retention: bool = False) -> None:
        """An async query; with a control plane a scenario may split its result into small pages
        and shorten its retention to 120 s (Halo's own are ~1 MB and ~24 h)."""
        expected = {"bad": {"executionFailed"}}.get(kind, {"successful"})
        if max_time_in_queue == 0:
            expected = {*expected, "expiredInQueue"}
        if self.availability in AVAILABILITY_FAILURE:
            expected = {AVAILABILITY_FAILURE[self.availability]}
        outcome: dict[str, Any] = {}
        if self.control is not None and page_size is not None:
            outcome["pageSizeBytes"] = page_size
        if self.control is not None and short_retention:
            outcome["retentionMs"] = SHORT_RETENTION_S * 1000
        if outcome:
            tracked = self._submit_marked(kind, outcome, max_time_in_queue, frozenset(expected))
            if tracked is not None and short_retention:
                tracked.retention_s = SHORT_RETENTION_S
        else:
            self._submit(kind, SQL[kind], max_time_in_queue, frozenset(expected))

    @precondition(lambda self: self.control is not None and len(self.queries) < self.run.max_queries)
    @rule(status=st.sampled_from(FORCEABLE), page_size=st.sampled_from([None, 200]))
    @guarded
    def submit_forced(self, status: str, page_size: int | None) -> None:
        """A scenario rule matching this query's SQL alone forces its failure status."""
        outcome: dict[str, Any] = {"status": status}
        if page_size is not None:
            outcome["pageSizeBytes"] = page_size
        expected = {status}
        if self.availability in AVAILABILITY_FAILURE and status not in INIT_FAILURES:
            expected.add(AVAILABILITY_FAILURE[self.availability])
        # A short maxTimeInQueue so a forced expiry happens within a settle.
        self._submit_marked("patients", outcome, 60_000 if status == "expiredInQueue" else None, frozenset(expected))

    def _submit_marked(self, kind: str, outcome: dict[str, Any], max_time_in_queue: int | None,
                       expected: frozenset[str]) -> Tracked | None:
        """Submit ``kind``'s SQL tagged with a unique comment that one new scenario rule matches."""
        self.markers += 1
        marker = f"lc{self.markers:04d}x"
        self.control.add_scenario({"surface": "async", "sql": marker}, **outcome)
        return self._submit(kind, f"{SQL[kind]} /* {marker} */", max_time_in_queue, expected)

    def _submit(self, kind: str, sql: str, max_time_in_queue: int | None, expected: frozenset[str]) -> Tracked | None:
        body: dict[str, Any] = {"command": {"text": sql, "executionMode": "reader"}}
        if max_time_in_queue is not None:
            body["maxTimeInQueue"] = max_time_in_queue
        response = self.request("POST", "/queries/async", json=body)
        expect(response.status_code == 201, f"async submit answered {response.status_code}: {response.text[:300]}")
        created = response.json()
        expect(created.get("status") == "initialising", f"a new async query is {created.get('status')!r}, not initialising")
        expect(set(created.get("statusTiming", {})) == {"initialising"}, "a new query's statusTiming is not just initialising")
        check_status_body(created, query_id=str(created.get("id")), site_id=self.target.site_id,
                          max_time_in_queue=max_time_in_queue, inferred=self.inferred)
        if max_time_in_queue is not None:
            expect(created["maxTimeInQueue"] == max_time_in_queue, "maxTimeInQueue not echoed")
        expect(created["id"] not in self.queries, "a new query reused an id")
        self.note(created)
        tracked = Tracked(created["id"], kind, sql, max_time_in_queue, expected, created)
        self.queries[created["id"]] = tracked
        return tracked

    @rule(long=st.booleans(), fraction=st.floats(0.0, 1.0))
    @guarded
    def wait(self, long: bool, fraction: float) -> None:
        """Let time pass (up to 3 s, a phase or two, or up to 2 min), then look at every running query.

        With a control plane the clock moves; without one the machine polls with backoff.
        """
        limit = 120.0 if long else 3.0
        if self.control is not None:
            self.now = self.time.advance(limit * fraction)
            for query in list(self.queries.values()):
                if self._pending(query):
                    self._poll(query)
        else:
            pending = [q for q in self.queries.values() if self._pending(q)]
            if pending:
                before = {q.id: q.last["status"] for q in pending}
                self.time.wait_until(lambda: any(self._poll(q)["status"] != before[q.id] for q in pending if not q.forgotten),
                                     at_most_s=limit)

    @precondition(lambda self: self.control is not None)
    @rule(short=st.booleans())
    @guarded
    def outlive_retention(self, short: bool) -> None:
        """Jump past a scenario's 120 s retention or Halo's ~24 h, then ask for every query's first page."""
        self.now = self.time.advance(SHORT_RETENTION_S + 1.0 if short else self.run.retention_s + 60.0)
        for query in list(self.queries.values()):
            body = self._poll(query)
            self._fetch(query, 1, page_of(body, 1))

    @precondition(lambda self: self.control is not None)
    @rule(availability=st.sampled_from(sorted(AVAILABILITY_FAILURE)), seconds=st.floats(0.0, 30.0), submit=st.booleans())
    @guarded
    def site_outage(self, availability: str, seconds: float, submit: bool) -> None:
        """The site drops out for a while: new queries fail to initialise, immediate ones are refused."""
        self.control.set_availability(self.target.site_id, availability)
        self.availability = availability
        for query in self.queries.values():
            if query.last["status"] not in TERMINAL:
                query.expected = None  # a site dropping out mid-flight may end it any way
        try:
            if submit and len(self.queries) < self.run.max_queries:
                self._submit("count", SQL["count"], None, frozenset({AVAILABILITY_FAILURE[availability]}))
            response = self.request("POST", "/queries/immediate", json={"command": {"text": SQL["count"]}})
            check_error(response, (503, 504))  # halo-facts 10.2: site offline / unreachable
            if seconds:
                self.now = self.time.advance(seconds)
        finally:
            self.control.set_availability(self.target.site_id, "online")
            self.availability = "online"

    @precondition(lambda self: bool(self.queries))
    @rule(data=st.data(), pause=st.floats(0.0, 3.0))
    @guarded
    def poll(self, data: Any, pause: float) -> None:
        """A moment later, look at a query (with a control plane, at every running one too)."""
        query = self.queries[data.draw(st.sampled_from(list(self.queries)))]
        if self.control is not None:
            self.now = self.time.advance(pause)
            for other in list(self.queries.values()):
                if other is not query and self._pending(other):
                    self._poll(other)
        else:
            self.time.pause(pause)
        body = self._poll(query)
        if body["status"] == "successful":
            self._check_pages(query, body)

    @precondition(lambda self: bool(self.queries))
    @rule(data=st.data(), number=st.integers(1, 3), beyond=st.booleans())
    @guarded
    def fetch_page(self, data: Any, number: int, beyond: bool) -> None:
        """Ask for a page whatever the status: only cached pages of successful queries download.

        Draws never depend on what was observed (that depends on timing), so runs replay exactly.
        """
        query = self.queries[data.draw(st.sampled_from(list(self.queries)))]
        body = self._poll(query)
        pages = (body.get("result") or {}).get("pages") or []
        if beyond:
            number = len(pages) + 1
        self._fetch(query, number, page_of(body, number))

    @rule(query_id=st.uuids(version=4), page=st.booleans())
    @guarded
    def unknown_query(self, query_id: uuid.UUID, page: bool) -> None:
        """A query id nobody submitted: 404 in the general envelope, for its status and its pages."""
        check_error(self.request("GET", f"/queries/{query_id}" + ("/results/1" if page else "")), (404,))

    @rule()
    @guarded
    def settle(self) -> None:
        """Wait until every query is terminal (bounded), then check the outcomes."""
        pending = [q for q in self.queries.values() if self._pending(q)]
        if not pending:
            return
        if self.control is not None:
            step = 0.25
            for _ in range(16):  # 0.25 s doubling: ~4.5 h in all, past the 2 h maxTimeInQueue limit
                self.now = self.time.advance(step)
                if not any(self._pending(self._poll_tracked(q)) for q in pending):
                    break
                step *= 2
            expect(not any(self._pending(q) for q in pending),
                   f"queries never finished: {[(q.kind, q.last['status']) for q in pending if self._pending(q)]}")
        else:
            self.time.wait_until(lambda: not any(self._pending(self._poll_tracked(q)) for q in pending))

    # -- registered queries (halo-facts 7) ---------------------------------------------
    # Registering creates a recurring query at the site, so these rules run only where
    # writes are allowed (the emulator, or a real Halo with --allow-writes); the machine
    # cancels what it registered.
    @precondition(lambda self: not self.target.read_only and len(self.registered) < 2)
    @rule(kind=st.sampled_from(["patients", "bad"]), duration=st.sampled_from([60, 300]), cancel=st.booleans())
    @guarded
    def register(self, kind: str, duration: int, cancel: bool) -> None:
        """Register a query; maybe cancel it straight away (a cancel must stick)."""
        name = f"mock-halo contract {len(self.registered) + 1}"
        body = {"name": name, "registeredQueryType": "query", "frequency": 60, "duration": duration,
                "registerCommand": {"command": {"text": SQL[kind], "executionMode": "reader"}}}
        response = self.request("POST", "/queries/registered", json=body)
        # Each API answers as its document says: the Integrator API 202, Desktop (and Device) 201.
        created = (202,) if self.target.api == "integrator" else (201,)
        expect(response.status_code in (created if self.inferred else (201, 202)),
               f"registered create answered {response.status_code}: {response.text[:300]}")
        query_id = response.json().get("id")
        expect(isinstance(query_id, str) and query_id not in self.registered, f"registered create gave id {query_id!r}")
        self.registered[query_id] = TrackedRegistered(query_id, kind, name, 60, duration)
        self._observe_registered(self.registered[query_id])
        if cancel:
            self._cancel(self.registered[query_id])

    @precondition(lambda self: bool(self.registered))
    @rule(data=st.data())
    @guarded
    def check_registered_result(self, data: Any) -> None:
        """Its latest result exists once a run succeeded, and holds the rows of the same SQL."""
        query = self.registered[data.draw(st.sampled_from(list(self.registered)))]
        body = self._observe_registered(query)
        if body is None:
            return
        response = self.request("GET", f"/queries/registered/{query.id}/results")
        if body.get("lastHash") is None and response.status_code != 200:
            # INFERENCE (halo-facts 7.6): no result before the first successful run.
            check_error(response, (404,) if self.inferred else (400, 404))
            return
        expect(response.status_code == 200, f"registered result answered {response.status_code} although lastHash is set")
        result = response.json()
        rows = decode_rows(result.get("data"))
        expect(result.get("rows") == len(rows) and isinstance(result.get("size"), int), "registered result rows/size mismatch")
        expected = self._immediate_rows(query.kind)
        if expected is not None and self.inferred:  # the practice data does not change under the emulator's runs
            expect(rows == expected, f"registered result of {query.kind!r} differs from the immediate query's rows")

    @precondition(lambda self: bool(self.registered))
    @rule(data=st.data())
    @guarded
    def cancel_registered(self, data: Any) -> None:
        self._cancel(self.registered[data.draw(st.sampled_from(list(self.registered)))])

    def _cancel(self, query: TrackedRegistered) -> None:
        before = self._observe_registered(query)
        response = self.request("DELETE", f"/queries/registered/{query.id}")
        if before is None or before["status"] != "enabled":
            expect(response.status_code != 200, "cancelling a finished registered query answered 200")
            return
        expect(response.status_code == 204, f"cancel answered {response.status_code}: {response.text[:300]}")
        after = self._observe_registered(query)
        expect(after is None or after["status"] in ("cancelled", "completed"),
               f"a cancelled registered query is {after and after['status']}")

    def _observe_registered(self, query: TrackedRegistered) -> dict[str, Any] | None:
        if query.forgotten:
            return None
        response = self.request("GET", f"/queries/registered/{query.id}")
        if response.status_code == 404 and query.last is not None and query.last["status"] != "enabled":
            check_error(response, (404,))  # a finished registration may be forgotten later
            query.forgotten = True
            return None
        expect(response.status_code == 200, f"registered GET answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        check_registered(body, query.last, query_id=query.id, name=query.name, frequency=query.frequency,
                         duration=query.duration, inferred=self.inferred)
        query.last = body
        self.run.statuses_seen.add(f"registered:{body['status']}")
        return body

    # -- observation -----------------------------------------------------------
    @staticmethod
    def _pending(query: Tracked) -> bool:
        return not query.forgotten and query.last["status"] not in TERMINAL

    def _poll_tracked(self, query: Tracked) -> Tracked:
        self._poll(query)
        return query

    def _poll(self, query: Tracked) -> dict[str, Any]:
        """Observe the query; on news (a new status, a page further along) look at its results too."""
        before = query.last
        body = self._observe(query)
        if query.forgotten or body is before:
            return body
        if body["status"] == "successful":
            if body["status"] != before["status"] or page_statuses(body) != page_statuses(before):
                self._check_pages(query, body)
        elif body["status"] != before["status"] and self.inferred:
            # Emulator targets only (it costs a request per status): no results before success.
            self._fetch(query, 1, None)
        return body

    def _observe(self, query: Tracked) -> dict[str, Any]:
        """``GET …/queries/{id}``, checked against the contract and the previous observation."""
        if query.forgotten:
            return query.last
        response = self.request("GET", f"/queries/{query.id}")
        if response.status_code == 404:
            # A record may be forgotten once its results are long gone, never before completion.
            check_error(response, (404,))
            if self.control is None:  # a polled run is far shorter than any retention
                expect(query.last["status"] in TERMINAL, f"query {query.id} vanished (404) while {query.last['status']}")
            elif self.inferred:
                # Completed at the earliest when last seen running (createdAt), so gone no earlier than that + retention.
                done = query.last.get("completedAt") or query.last["createdAt"]
                expect(self._clock() >= when(done) + timedelta(seconds=self._retention(query)),
                       f"query {query.id} ({query.last['status']} when last seen) forgotten before its results expired")
            query.forgotten = True
            return query.last
        expect(response.status_code == 200, f"status GET answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        expect(isinstance(body, dict) and body.get("status") in STATUSES, f"not an async status body: {str(body)[:300]}")
        check_transition(query.last, body)
        check_status_body(body, query_id=query.id, site_id=self.target.site_id,
                          max_time_in_queue=query.max_time_in_queue, inferred=self.inferred)
        if body["status"] in TERMINAL and query.expected is not None:
            expect(body["status"] in query.expected,
                   f"query {query.id} ({query.kind}) ended {body['status']}, expected one of {sorted(query.expected)}")
        query.last = body
        self.note(body)
        return body

    def _clock(self) -> datetime:
        """The control plane's now (its clock may be running, so ask rather than remember)."""
        self.now = self.time.now()
        return self.now

    def _retention(self, query: Tracked) -> float:
        return query.retention_s if query.retention_s is not None else self.run.retention_s

    def _gone_at(self, query: Tracked) -> datetime:
        return when(query.last["completedAt"]) + timedelta(seconds=self._retention(query))

    def _fetch(self, query: Tracked, number: int, page: dict[str, Any] | None) -> list[Any] | None:
        """``GET …/results/{number}`` judged against the last observation of the query."""
        seen = describe(query.last, page)
        # With a clock to read, bracket the request: expired before it => must be gone;
        # not yet expired after it => must not be.
        judge = self.control is not None and query.last["status"] in TERMINAL
        expired_before = judge and self._clock() >= self._gone_at(query)
        response = self.request("GET", f"/queries/{query.id}/results/{number}")
        expired_after = judge and self._clock() >= self._gone_at(query)
        if response.status_code == 410:
            check_error(response, (410,), message=GONE_MESSAGE if self.inferred else None)
            expect(query.last["status"] in TERMINAL, f"page {number} is gone (410) while the query is {query.last['status']}")
            expect(not judge or expired_after, f"page {number} gone (410) before its retention ran out")
            query.gone = True
            return None
        if query.gone or expired_before or (response.status_code != 200 and downloadable(query.last, page)):
            # Not what the last observation promised; fine only if the query is now forgotten.
            self._observe(query)
            expect(query.forgotten, f"page {number} answered {response.status_code}; expected "
                   + ("410 (gone)" if query.gone or expired_before else "200 (cached)"))
            check_error(response, (404,))
            return None
        if not downloadable(query.last, page):
            # Pages exist only for successful queries, in range, once cached.
            if response.status_code != 200:
                check_error(response, (404,) if self.inferred else (400, 404, 409, 425))
                return None
            # A running clock may have moved on since the last poll: look again before judging.
            page = page_of(self._observe(query), number)
            expect(downloadable(query.last, page), f"page {number} downloaded although {describe(query.last, page)} (was: {seen})")
        assert page is not None
        rows = decode_rows(response.json().get("data"))
        count = page["rows"]["count"]
        expect(len(rows) == count, f"page {number} holds {len(rows)} rows, its rows.count is {count}")
        # The page headers are documented for the Integrator API ([INT]); elsewhere, if present, they must agree.
        headers = response.headers
        for name, value in (("Rows-Count", count), ("Rows-Range-Start", page["rows"]["rangeStart"]),
                            ("Rows-Range-End", page["rows"]["rangeEnd"])):
            if self.inferred or name in headers:
                expect(headers.get(name) == str(value), f"page {number}: {name} header {headers.get(name)!r} != {value}")
        if self.inferred or "Size" in headers:
            expect((headers.get("Size") or "").isdigit(), f"page {number}: Size header {headers.get('Size')!r}")
        return rows

    def _check_pages(self, query: Tracked, body: dict[str, Any]) -> None:
        """Download every cached page; once all are, they must equal the immediate query's rows."""
        pages = body["result"]["pages"]
        collected: list[Any] = []
        complete = True
        for page in pages:
            rows = self._fetch(query, page["pageNumber"], page)
            if rows is None:
                complete = False
            else:
                collected += rows
        self._fetch(query, len(pages) + 1, None)
        if complete and not query.compared:
            expected = self._immediate_rows(query.kind)
            if expected is not None:
                expect(len(collected) == body["result"]["rows"], f"pages hold {len(collected)} rows, result.rows={body['result']['rows']}")
                expect(collected == expected, f"async pages of {query.kind!r} differ from the immediate query's rows")
                query.compared = True

    def _immediate_rows(self, kind: str) -> list[Any] | None:
        if self.availability != "online":
            return None
        if kind not in self.immediate_rows:
            response = self.request("POST", "/queries/immediate", json={"command": {"text": SQL[kind], "executionMode": "reader"}})
            expect(response.status_code == 200, f"immediate {kind!r} answered {response.status_code}: {response.text[:300]}")
            self.immediate_rows[kind] = decode_rows(response.json()["result"]["data"])
        return self.immediate_rows[kind]


# -- running it ---------------------------------------------------------------------------
def machine_settings(target: Any, **overrides: Any) -> settings:
    """Small, derandomised runs; a real Halo gets three short ones. Env vars override."""
    real = getattr(target, "kind", "inprocess") == "halo"
    values: dict[str, Any] = {
        "max_examples": int(os.environ.get("MOCK_HALO_LIFECYCLE_EXAMPLES", 3 if real else 6)),
        "stateful_step_count": int(os.environ.get("MOCK_HALO_LIFECYCLE_STEPS", 10 if real else 25)),
        "derandomize": True,
        "database": None,
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
        "print_blob": False,
    }
    values.update(overrides)
    return settings(**values)


def run_lifecycle_contract(target: Any, run: LifecycleRun | None = None, **setting_overrides: Any) -> LifecycleRun:
    """Run the machine against ``target``; returns the shared run (``stopped`` says why it ended early)."""
    from hypothesis.stateful import run_state_machine_as_test

    if run is None:
        run = LifecycleRun(time_budget_s=float(os.environ.get("MOCK_HALO_LIFECYCLE_TIME", 60)),
                           retention_s=float(os.environ.get("MOCK_HALO_LIFECYCLE_RETENTION", 86_400)),
                           # a real Halo: a couple of queries, so a 60-request budget sees them through
                           max_queries=2 if getattr(target, "kind", "") == "halo" else 6)
        emulator = getattr(target, "emulator", None)
        if not target.has_control and emulator is not None:
            # In-process without a control plane (--no-control): real sleeps would never move
            # its virtual clock, so the backoff's pauses move it instead.
            clock = emulator.clock
            epoch = clock.now()
            run.sleep = clock.advance
            run.monotonic = lambda: (clock.now() - epoch).total_seconds()
    try:
        run_state_machine_as_test(lambda: LifecycleContract(target, run), settings=machine_settings(target, **setting_overrides))
    except ContractViolation:
        raise
    except Exception as exc:  # e.g. hypothesis's Flaky*: the replay of a failure went differently
        if run.violation is not None:
            raise run.violation from exc
        raise
    return run

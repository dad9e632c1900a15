"""Client behaviour checks: judge an integrator's client from the request journal.

Halo's guidance for clients (halo-facts 10.2, 11, 6): honour ``Retry-After``,
fix a 4xx instead of retrying it, back off exponentially on 5xx and 429, stop
polling once a query is finished, fetch every result page before retention
ends, renew the device token before it expires, never resubmit an async query
by accident (Halo has no idempotency keys) and keep concurrency modest. Each
check reads only journal entries (``GET /_mock/journal``, or
``emulator.journal.entries()``), so it judges any client, in any language, on
any surface the journal records, and names the entries that broke it::

    report = judge(control.journal(), rules=control.scenarios())
    assert report.ok, report          # the text lists each violation and its requests

:func:`judge` runs the checks in :data:`CHECKS` (or the ones named) and
returns a :class:`Report`. Times are the emulator clock's: with a virtual
clock a client's waits are the time it let pass (``halo_chaos`` moves the
clock as the client sleeps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Statuses after which a query never changes (halo-facts 6.3).
TERMINAL = frozenset({
    "successful", "executionFailed", "uploadFailed", "expiredInQueue",
    "initialisationFailedCacheError", "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable",
})
#: Failures worth another attempt (after a wait); every other 4xx needs a fix, not a retry.
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
#: Halo's device token error when the bearer token has expired (mock_halo.auth).
EXPIRED_TOKEN = re.compile(r"token expired", re.IGNORECASE)
#: Page downloads that need the page cached first (a directive or rule can stall them).
_STALL_KEY = re.compile(r"stallAfterPages\s*=\s*(\d+)")

_QUERY_PATH = re.compile(
    r"^/(?:device|desktop|integrator)/sites/(?P<site>[^/]+)/queries/(?P<query>[^/]+)"
    r"(?:/results/(?P<page>\d+)(?P<stream>/stream)?)?/?$"
)
_NOT_QUERY_IDS = frozenset({"immediate", "async", "registered", "status"})


# -- the journal, read ---------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One journal entry, with what the checks ask of it."""

    id: int
    method: str
    path: str
    query: str
    surface: str | None
    status: int
    start: float  # emulator clock, seconds since the epoch
    end: float
    request_body: str
    response_body: str
    retry_after: float | None
    in_flight: int
    scenarios: tuple[str, ...]

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> Request:
        start = _seconds(entry["time"])
        return cls(
            id=int(entry["id"]),
            method=entry["method"],
            path=entry["path"],
            query=entry.get("query") or "",
            surface=entry.get("surface"),
            status=int(entry["status"]),
            start=start,
            end=_seconds(entry["endTime"]) if entry.get("endTime") else start,
            request_body=entry.get("requestBody") or "",
            response_body=entry.get("responseBody") or "",
            retry_after=_retry_after(entry.get("retryAfter")),
            in_flight=int(entry.get("inFlight") or 1),
            scenarios=tuple(entry.get("scenarios") or ()),
        )

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Two requests with the same identity are the same call made again."""
        return (self.method, self.path, self.query, self.request_body)

    @property
    def failed_retryably(self) -> bool:
        return self.status in RETRYABLE

    def json(self) -> Any:
        """The response body as JSON (None when it is not JSON or was truncated)."""
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def polls(self) -> list[Poll]:
        """The queries this request polled: ``GET …/queries/{id}``, or each id of the Integrator API's
        batch ``POST …/queries/status``, with what the answer said of each (nothing for an error)."""
        match = _QUERY_PATH.match(self.path)
        if match is None or match["page"]:
            return []
        if self.method == "GET" and match["query"] not in _NOT_QUERY_IDS:
            if self.status != 200:
                return [Poll(match["query"])]
            body = self.json()
            if isinstance(body, dict):
                return [Poll.of(match["query"], body)]
            # A truncated body: the record's own status comes before its result pages.
            found = re.search(r'"status"\s*:\s*"(\w+)"', self.response_body)
            return [Poll(match["query"], found.group(1) if found else None)]
        if self.method == "POST" and match["query"] == "status":
            try:
                asked = json.loads(self.request_body).get("queryIds") or []
            except (ValueError, AttributeError):
                return []
            answered = self.json() if self.status == 200 else None
            records = {r.get("queryId"): r.get("query") for r in (answered or {}).get("results") or [] if isinstance(r, dict)}
            return [Poll.of(q, records[q]) if isinstance(records.get(q), dict) else Poll(q) for q in asked if isinstance(q, str)]
        return []

    def page(self) -> tuple[str, int] | None:
        """``(query id, page number)`` when this is a result page download."""
        match = _QUERY_PATH.match(self.path)
        if self.method != "GET" or match is None or not match["page"]:
            return None
        return match["query"], int(match["page"])

    def describe(self) -> str:
        shown = self.path + (f"?{self.query}" if self.query else "")
        extra = f" Retry-After {self.retry_after:g}" if self.retry_after is not None else ""
        fired = f" [{', '.join(self.scenarios)}]" if self.scenarios else ""
        return f"#{self.id} {self.method} {shown} -> {self.status}{extra}{fired}"


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _retry_after(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # an HTTP-date: not used by Halo


@dataclass(frozen=True)
class Poll:
    """What one poll showed of one query: its status and which result pages were cached (None: unknown)."""

    query_id: str
    status: str | None = None
    cached: tuple[bool, ...] | None = None

    @classmethod
    def of(cls, query_id: str, record: Mapping[str, Any]) -> Poll:
        status = record.get("status")
        result = record.get("result")
        pages = result.get("pages") if isinstance(result, dict) else None
        cached = tuple(isinstance(p, dict) and p.get("status") == "cached" for p in pages) if isinstance(pages, list) else None
        return cls(query_id, status if isinstance(status, str) else None, cached)

    @property
    def finished(self) -> bool:
        """Terminal, and (when successful) with every page cached: nothing left to poll for."""
        return self.status in TERMINAL and (self.status != "successful" or (self.cached is not None and all(self.cached)))


# -- results --------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """One broken rule: what happened and the journal entries that show it."""

    check: str
    message: str
    entries: tuple[int, ...]


@dataclass
class CheckResult:
    name: str
    description: str
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass
class Report:
    """The result of every check run, and the requests they judged."""

    results: list[CheckResult]
    requests: list[Request]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[str]:
        """Names of the checks with violations, in check order."""
        return [r.name for r in self.results if not r.ok]

    @property
    def violations(self) -> list[Violation]:
        return [v for r in self.results for v in r.violations]

    def __getitem__(self, name: str) -> CheckResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"<Report ok={self.ok} failed={self.failed} requests={len(self.requests)}>"

    def assert_ok(self) -> None:
        if not self.ok:
            raise AssertionError(str(self))

    def __str__(self) -> str:
        lines = []
        for result in self.results:
            mark = "ok  " if result.ok else "FAIL"
            lines.append(f"{mark} {result.name}: {result.description}")
            what = "deliveries" if result.name in WEBHOOK_CHECKS else "requests"
            for violation in result.violations:
                lines.append(f"       - {violation.message} ({what} {', '.join(f'#{i}' for i in violation.entries)})")
        named = {i for v in self.violations if v.check not in WEBHOOK_CHECKS for i in v.entries}
        if self.requests:
            lines.append("requests (emulator clock, seconds from the first):")
            origin = self.requests[0].start
            for request in self.requests:
                mark = "*" if request.id in named else " "
                lines.append(f"  {mark} {request.start - origin:9.3f}s {request.describe()}")
        return "\n".join(lines)


# -- the checks ------------------------------------------------------------------------
Check = Callable[..., list[Violation]]


@dataclass(frozen=True)
class _Registered:
    name: str
    description: str
    function: Check


CHECKS: dict[str, _Registered] = {}


def check(name: str, description: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = _Registered(name, description, function)
        return function

    return register


def _retries(requests: Sequence[Request]) -> Iterable[tuple[Request, Request]]:
    """Each request paired with the next request of the same identity (its retry, if it failed)."""
    following: dict[tuple[str, str, str, str], Request] = {}
    pairs = []
    for request in reversed(requests):
        later = following.get(request.identity)
        if later is not None:
            pairs.append((request, later))
        following[request.identity] = request
    return reversed(pairs)


@check("honours_retry_after", "after a 429 with Retry-After, the same request waits at least that long")
def honours_retry_after(requests: Sequence[Request], **_: Any) -> list[Violation]:
    out = []
    for first, retry in _retries(requests):
        if first.status == 429 and first.retry_after is not None:
            waited = retry.start - first.end
            if waited + 1e-3 < first.retry_after:
                out.append(Violation(
                    "honours_retry_after",
                    f"retried after {waited:g} s; Retry-After asked for {first.retry_after:g} s",
                    (first.id, retry.id),
                ))
    return out


@check("no_retry_of_client_errors", "a 4xx other than 408/429 is not sent again unchanged (a 401 may be after a new token)")
def no_retry_of_client_errors(requests: Sequence[Request], **_: Any) -> list[Violation]:
    out = []
    for first, retry in _retries(requests):
        if 400 <= first.status < 500 and first.status not in RETRYABLE:
            if first.status == 401 and _new_token_between(requests, first, retry):
                continue
            out.append(Violation(
                "no_retry_of_client_errors",
                f"{first.method} {first.path} answered {first.status} and was sent again unchanged",
                (first.id, retry.id),
            ))
    return out


def _new_token_between(requests: Sequence[Request], first: Request, retry: Request) -> bool:
    return any(r.surface == "token" and r.status == 200 and first.id < r.id < retry.id for r in requests)


@check("backs_off", "after a 5xx/408 (or a 429 without Retry-After) the next attempt waits, and waits grow")
def backs_off(requests: Sequence[Request], *, min_delay: float = 1.0, **_: Any) -> list[Violation]:
    out = []
    chains: dict[tuple[str, str, str, str], list[float]] = {}
    for first, retry in _retries(requests):
        if not first.failed_retryably or first.retry_after is not None:
            chains.pop(first.identity, None)
            continue
        waited = retry.start - first.end
        chain = chains.setdefault(first.identity, [])
        chain.append(waited)
        if waited + 1e-3 < min_delay:
            out.append(Violation(
                "backs_off", f"retried {first.status} after {waited:g} s (at least {min_delay:g} s expected)", (first.id, retry.id)
            ))
        elif len(chain) >= 3 and waited <= chain[0] + 1e-3:
            out.append(Violation(
                "backs_off",
                f"attempt {len(chain) + 1} waited {waited:g} s, no longer than the first wait ({chain[0]:g} s)",
                (first.id, retry.id),
            ))
    return out


@check("stops_polling_at_terminal_status", "no status poll after the query was seen finished (and its pages cached)")
def stops_polling_at_terminal_status(requests: Sequence[Request], **_: Any) -> list[Violation]:
    out = []
    finished: dict[str, int] = {}  # query id -> the poll that showed it finished
    for request in requests:
        for poll in request.polls():
            if poll.query_id in finished:
                out.append(Violation(
                    "stops_polling_at_terminal_status",
                    f"polled query {poll.query_id} again after #{finished[poll.query_id]} showed it finished",
                    (finished[poll.query_id], request.id),
                ))
            elif poll.finished:
                finished[poll.query_id] = request.id
    return out


@check("polls_no_faster_than", "status polls of one query are at least min_poll_interval seconds apart")
def polls_no_faster_than(requests: Sequence[Request], *, min_poll_interval: float = 1.0, **_: Any) -> list[Violation]:
    out = []
    last: dict[str, Request] = {}
    for request in requests:
        for poll in request.polls():
            previous = last.get(poll.query_id)
            last[poll.query_id] = request
            if previous is not None:
                gap = request.start - previous.end
                if gap + 1e-3 < min_poll_interval:
                    out.append(Violation(
                        "polls_no_faster_than",
                        f"polled query {poll.query_id} {gap:g} s after the previous poll (at least {min_poll_interval:g} s expected)",
                        (previous.id, request.id),
                    ))
    return out


@check("fetches_every_page", "every page of a successful result is downloaded, promptly enough to beat retention (410)")
def fetches_every_page(requests: Sequence[Request], *, rules: Sequence[Mapping[str, Any]] = (),
                       max_page_delay: float = 30.0, gave_up: bool = False, **_: Any) -> list[Violation]:
    """A 410 is the client's fault when it idled more than ``max_page_delay`` seconds between
    seeing the page ready and asking for it (time spent waiting on Halo's answers does not count).
    Pages never downloaded are its fault unless it ``gave_up`` (reported a failure rather than
    returning a partial result)."""
    out = []
    seen_success: dict[str, Request] = {}
    page_counts: dict[str, int] = {}
    ready: dict[tuple[str, int], float] = {}  # (query, page) -> when the client first saw it downloadable
    fetched: dict[str, set[int]] = {}
    stalls = _stalled_pages(requests, rules)
    for request in requests:
        for poll in request.polls():
            if poll.status == "successful" and poll.cached is not None:
                seen_success.setdefault(poll.query_id, request)
                page_counts[poll.query_id] = len(poll.cached)
                for number, cached in enumerate(poll.cached, 1):
                    if cached:
                        ready.setdefault((poll.query_id, number), request.end)
        page = request.page()
        if page is None:
            continue
        if request.status == 200:
            fetched.setdefault(page[0], set()).add(page[1])
        elif request.status == 410:
            since = ready.get(page, seen_success[page[0]].end if page[0] in seen_success else request.start)
            idle = _idle(requests, since, request.start)
            if idle > max_page_delay + 1e-3:
                out.append(Violation(
                    "fetches_every_page",
                    f"page {page[1]} of query {page[0]} was asked for {idle:g} s after it was ready and had expired (410)",
                    (request.id,),
                ))
            else:  # it expired before the client could have known: not the client's fault
                fetched.setdefault(page[0], set()).add(page[1])
    for query_id, shown in seen_success.items():
        if gave_up:
            break
        last_page = page_counts[query_id]
        if query_id in stalls:
            last_page = min(last_page, stalls[query_id])
        missing = sorted(set(range(1, last_page + 1)) - fetched.get(query_id, set()))
        if missing:
            out.append(Violation(
                "fetches_every_page",
                f"query {query_id} succeeded with {page_counts[query_id]} page(s); never downloaded page(s) {_ranges(missing)}",
                (shown.id,),
            ))
    return out


def _idle(requests: Sequence[Request], since: float, until: float) -> float:
    """Seconds of [since, until] in which the client had no request in flight (its own delay)."""
    busy = 0.0
    covered = since
    for request in requests:
        start, end = max(request.start, covered), min(request.end, until)
        if end > start:
            busy += end - start
            covered = end
    return max(0.0, until - since - busy)


def _stalled_pages(requests: Sequence[Request], rules: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Queries whose uploads a rule or directive stalled: query id -> pages that ever finish."""
    by_rule = {r.get("id"): (r.get("outcome") or {}).get("stallAfterPages") for r in rules}
    out = {}
    for request in requests:
        if request.surface != "async" or request.status != 201:
            continue
        stall = next((by_rule[s] for s in request.scenarios if by_rule.get(s) is not None), None)
        if "sql-directive" in request.scenarios:
            match = _STALL_KEY.search(request.request_body)
            stall = int(match.group(1)) if match else stall
        body = request.json()
        if stall is not None and isinstance(body, dict) and isinstance(body.get("id"), str):
            out[body["id"]] = int(stall)
    return out


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@check("refreshes_token_before_expiry", "no request is sent with a device token that has already expired")
def refreshes_token_before_expiry(requests: Sequence[Request], **_: Any) -> list[Violation]:
    return [
        Violation("refreshes_token_before_expiry", f"{r.method} {r.path} was sent with an expired token (401)", (r.id,))
        for r in requests
        if r.status == 401 and EXPIRED_TOKEN.search(r.response_body)
    ]


@check("no_duplicate_submissions", "an async query is not submitted again while an identical one is still running")
def no_duplicate_submissions(requests: Sequence[Request], **_: Any) -> list[Violation]:
    out = []
    running: dict[tuple[str, str], tuple[str, Request]] = {}  # (path, body) -> (query id, its submission)
    finished: set[str] = set()
    for request in requests:
        finished.update(poll.query_id for poll in request.polls() if poll.status in TERMINAL)
        if request.surface != "async" or request.method != "POST":
            continue
        key = (request.path, request.request_body)
        earlier = running.get(key)
        if earlier is not None and earlier[0] not in finished:
            out.append(Violation(
                "no_duplicate_submissions",
                f"submitted the same async query again while query {earlier[0]} (#{earlier[1].id}) was not seen finished",
                (earlier[1].id, request.id),
            ))
        body = request.json() if request.status == 201 else None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            running[key] = (body["id"], request)
    return out


@check("under_concurrency_cap", "no more than max_in_flight requests at once")
def under_concurrency_cap(requests: Sequence[Request], *, max_in_flight: int = 8, **_: Any) -> list[Violation]:
    return [
        Violation("under_concurrency_cap", f"{r.in_flight} requests in flight (at most {max_in_flight})", (r.id,))
        for r in requests
        if r.in_flight > max_in_flight
    ]


# -- webhook receivers ------------------------------------------------------------------
#: Faults that make a notification one a receiver must refuse (halo-facts 12: signature, 5-minute window).
FORGED = frozenset({"badSignature", "staleTimestamp"})
WEBHOOK_CHECKS = {
    "rejects_forged_webhooks": "a notification with a bad signature or a stale timestamp is refused (no 2xx)",
    "accepts_genuine_webhooks": "a correctly signed, fresh notification is not refused with a 4xx",
}


def judge_webhooks(deliveries: Iterable[Mapping[str, Any]]) -> list[CheckResult]:
    """Checks of a webhook receiver over ``GET /_mock/webhooks`` deliveries; violations name delivery ids."""
    results = {name: CheckResult(name, description) for name, description in WEBHOOK_CHECKS.items()}
    for delivery in deliveries:
        forged = bool(FORGED & set(delivery.get("faults") or ()))
        for attempt in delivery.get("attempts") or ():
            status = attempt.get("status")
            if not isinstance(status, int):
                continue
            if forged and 200 <= status < 300:
                results["rejects_forged_webhooks"].violations.append(Violation(
                    "rejects_forged_webhooks",
                    f"delivery {delivery['id']} ({', '.join(delivery['faults'])}) was accepted with {status}", (int(delivery["id"]),)))
            elif not forged and 400 <= status < 500 and status not in (408, 429):
                results["accepts_genuine_webhooks"].violations.append(Violation(
                    "accepts_genuine_webhooks",
                    f"delivery {delivery['id']} (genuine) was refused with {status}", (int(delivery["id"]),)))
    return list(results.values())


def judge(
    entries: Iterable[Mapping[str, Any] | Request],
    checks: Iterable[str] | None = None,
    *,
    rules: Sequence[Mapping[str, Any]] = (),
    min_delay: float = 1.0,
    min_poll_interval: float = 1.0,
    max_in_flight: int = 8,
    max_page_delay: float = 30.0,
    gave_up: bool = False,
) -> Report:
    """Run ``checks`` (default: all of :data:`CHECKS`) over journal ``entries``.

    ``rules`` (``GET /_mock/scenarios``) tell which pages a rule stalled, so a
    client is not blamed for pages that never finished uploading. ``gave_up``
    says the client reported a failure (raised) instead of returning a result:
    then it is not blamed for pages it did not download.
    """
    requests = sorted((e if isinstance(e, Request) else Request.from_entry(e) for e in entries), key=lambda r: r.id)
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; known: {list(CHECKS)}")
    options = {"rules": rules, "min_delay": min_delay, "min_poll_interval": min_poll_interval,
               "max_in_flight": max_in_flight, "max_page_delay": max_page_delay, "gave_up": gave_up}
    results = []
    for name in names:
        registered = CHECKS[name]
        results.append(CheckResult(name, registered.description, registered.function(requests, **options)))
    return Report(results, requests)

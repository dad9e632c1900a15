"""A state machine over the lifecycle domain: random submissions, clock moves,
polls, page fetches and registered queries, checking the invariants that make
the emulator trustworthy (legal transitions, monotonic timings, pages, retention,
registered metrics)."""

from __future__ import annotations

from datetime import timedelta

import orjson
import base64
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from mock_halo.clock import parse_timestamp
from mock_halo.errors import HaloError
from mock_halo.lifecycle.plan import PlanOverride
from mock_halo.lifecycle.profile import LifecycleLimits
from mock_halo.lifecycle.testing import FakeCommand, World

# The transition table of halo-facts 6.3, written independently of the code.
FOLLOWS = {
    "initialising": {"queued", "initialisationFailedCacheError", "initialisationFailedSiteOffline",
                     "initialisationFailedSiteUnreachable"},
    "queued": {"executing", "expiredInQueue"},
    "executing": {"uploading", "executionFailed"},
    "uploading": {"successful", "uploadFailed"},
}
TERMINAL = {"initialisationFailedCacheError", "initialisationFailedSiteOffline", "initialisationFailedSiteUnreachable",
            "expiredInQueue", "executionFailed", "uploadFailed", "successful"}
ORDER = ["initialising", "queued", "executing", "uploading"]
PAGE_ORDER = {"queued": 0, "uploading": 1, "cached": 2}
RETENTION = timedelta(hours=2)


def reachable(status: str) -> set[str]:
    out, stack = {status}, [status]
    while stack:
        for nxt in FOLLOWS.get(stack.pop(), ()):
            if nxt not in out:
                out.add(nxt)
                stack.append(nxt)
    return out


SUBMISSIONS = st.sampled_from([
    ("rows:5", None), ("rows:40 pad:60", None), ("error:208", None), ("ms:400000", None),
    ("ms:90000", None), ("rows:0", None), ("write:x", "nonQuery"),
])


class LifecycleMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.world = World("site-a", "site-b",
                           limits=LifecycleLimits(retention=RETENTION, tombstone=RETENTION, page_size_bytes=700))
        self.queries = []  # (query, history of (now, body))
        self.registered = []
        self.gone_seen: dict[str, object] = {}

    @property
    def now(self):
        return self.world.clock.now()

    @rule(sub=SUBMISSIONS, site=st.sampled_from(["site-a", "site-b"]), mtiq=st.sampled_from([0, 30_000, 600_000, 3_600_000]))
    def submit(self, sub, site, mtiq) -> None:
        text, mode = sub
        query = self.world.submit(text, site=site, mode=mode or "reader", max_time_in_queue=mtiq)
        self.queries.append((query, []))

    @rule(kind=st.sampled_from(["uploadFailed", "executionFailed", "stall", "expiredInQueue", "cache"]))
    def submit_forced(self, kind) -> None:
        override = {
            "uploadFailed": PlanOverride(outcome="uploadFailed", fail_after_pages=2),
            "executionFailed": PlanOverride(outcome="executionFailed", executing_ms=50_000),
            "stall": PlanOverride(stall_after_pages=1),
            "expiredInQueue": PlanOverride(outcome="expiredInQueue"),
            "cache": PlanOverride(outcome="initialisationFailedCacheError"),
        }[kind]
        self.queries.append((self.world.submit("rows:40 pad:60", max_time_in_queue=5000, plan_override=override), []))

    @rule(site=st.sampled_from(["site-a", "site-b"]), state=st.sampled_from(["online", "online", "offline", "unreachable"]))
    def availability(self, site, state) -> None:
        self.world.lifecycle.set_availability(site, state)

    @rule(seconds=st.one_of(st.floats(0.001, 3), st.floats(3, 400), st.sampled_from([3600.0, 7300.0])))
    def advance(self, seconds) -> None:
        self.world.advance(seconds)

    @precondition(lambda self: self.queries)
    @rule(data=st.data())
    def poll(self, data) -> None:
        query, history = data.draw(st.sampled_from(self.queries))
        try:
            body = self.world.status(query)
        except HaloError as error:
            assert error.status == 404
            gone_at = query.gone_at
            assert gone_at is not None and self.now >= gone_at + RETENTION - timedelta(microseconds=1)
            return
        if history:
            previous = history[-1][1]
            assert body["status"] in reachable(previous["status"]), (previous["status"], body["status"])
            for phase, timing in previous["statusTiming"].items():  # known timings never change
                for key, value in timing.items():
                    assert body["statusTiming"][phase][key] == value
            if previous["status"] == "successful":
                for old, new in zip(previous["result"]["pages"], body["result"]["pages"]):
                    assert PAGE_ORDER[new["status"]] >= PAGE_ORDER[old["status"]]
        history.append((self.now, body))
        timing = body["statusTiming"]
        instants = [parse_timestamp(timing[p][k]) for p in ORDER if p in timing for k in ("startTime", "endTime") if k in timing[p]]
        assert instants == sorted(instants) and all(t <= self.now for t in instants)
        assert ("result" in body) == (body["status"] == "successful")
        assert ("completedAt" in body) == (body["status"] in TERMINAL)
        if body["status"] == "expiredInQueue":
            queued = timing["queued"]
            wait = parse_timestamp(queued["endTime"]) - parse_timestamp(queued["startTime"])
            assert wait == timedelta(milliseconds=body["maxTimeInQueue"])
        if body["status"] == "successful":
            pages = body["result"]["pages"]
            if "rows" in body["result"]:
                start = 0
                for number, page in enumerate(pages, 1):
                    assert page["pageNumber"] == number and page["rows"]["rangeStart"] == start
                    start += page["rows"]["count"]
                assert start == body["result"]["rows"]

    @precondition(lambda self: self.queries)
    @rule(data=st.data(), number=st.integers(0, 8))
    def fetch_page(self, data, number) -> None:
        query, _ = data.draw(st.sampled_from(self.queries))
        try:
            download = self.world.lifecycle.page(query.site_id, query.id, number)
        except HaloError as error:
            gone_at = query.gone_at
            if error.status == 410:
                assert gone_at is not None and self.now >= gone_at
            else:
                assert error.status == 404
                expired = gone_at is not None and self.now >= gone_at
                assert not expired or self.now >= gone_at + RETENTION
            return
        assert query.status_at(self.now) == "successful" and self.now < query.gone_at
        if "data" in download.body:
            rows = orjson.loads(base64.b64decode(download.body["data"]))
            page = query.result.pages[number - 1]
            assert len(rows) == page.count and int(download.headers["Rows-Range-Start"]) == page.range_start

    @rule(text=st.sampled_from(["rows:2", "error:2812", "rows:1 write:r"]), frequency=st.sampled_from([60, 90, 600]),
          duration=st.sampled_from([60, 300, 3600]))
    def register(self, text, frequency, duration) -> None:
        self.registered.append(self.world.lifecycle.create_registered(
            site_id="site-a", integrator_id="i", name="r", registered_query_type="query", frequency=frequency,
            duration=duration, command=FakeCommand(text), request_size=100))

    @precondition(lambda self: self.registered)
    @rule(data=st.data())
    def cancel(self, data) -> None:
        query = data.draw(st.sampled_from(self.registered))
        try:
            self.world.lifecycle.cancel_registered("site-a", query.id)
        except HaloError as error:
            assert error.status == 404

    @invariant()
    def registered_metrics_add_up(self) -> None:
        if not hasattr(self, "world"):
            return
        now = self.now
        for query in self.registered:
            try:
                body = self.world.lifecycle.get_registered("site-a", query.id)
            except HaloError:
                continue
            metrics = body["metrics"]
            runs = metrics["executionSucceededCount"] + metrics["executionFailedCount"]
            due = 0 if now < query.first_run_at else int((now - query.first_run_at).total_seconds() // query.frequency) + 1
            assert runs + query.skipped <= min(due, query.duration // query.frequency + 1)
            if body["status"] == "completed":
                assert runs + query.skipped == query.duration // query.frequency + 1
            if metrics["executionSucceededCount"]:
                assert "lastHash" in body and metrics["resultSizeSum"] > 0

    @invariant()
    def store_is_bounded_by_retention(self) -> None:
        if not hasattr(self, "world"):
            return
        for query, _ in self.queries:
            if query.gone_at is not None and self.now >= query.gone_at + RETENTION:
                assert self.world.store.get(query.site_id, query.id) is None


LifecycleMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestLifecycleMachine = LifecycleMachine.TestCase

"""The lifecycle contract machine (mock_halo.contract.lifecycle) can pass, and can fail.

It passes against the emulator with and without a control plane (the polling
path driven by a fake sleeper that moves the virtual clock), and it finds bugs
planted in the emulator's lifecycle: a terminal status that flips back, pages
served before they are cached, results that never expire, rows lost in paging,
a registered query whose cancel is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest
from conftest import SITE
from hypothesis import Phase
from mock_halo.contract.lifecycle import (
    ContractViolation,
    LifecycleRun,
    PollingTime,
    check_error,
    check_status_body,
    check_transition,
    run_lifecycle_contract,
)
from mock_halo.contract.target import Target, TargetConfig
from mock_halo.lifecycle import asyncq
from mock_halo.lifecycle.asyncq import AsyncQuery
from mock_halo.lifecycle.plan import SUCCESSFUL, TERMINAL, UPLOADING
from mock_halo.lifecycle.registered import RegisteredQueries


@pytest.fixture
def target() -> Iterator[Target]:
    """An in-process emulator with its control plane: the machine moves the clock."""
    with Target.open(TargetConfig(kind="inprocess")) as opened:
        yield opened


@pytest.fixture
def polled() -> Iterator[tuple[Target, LifecycleRun]]:
    """No control plane: the machine polls, and its sleeps move the emulator's clock behind the scenes."""
    with Target.open(TargetConfig(kind="inprocess", no_control=True)) as opened:
        assert not opened.has_control
        clock = opened.emulator.clock
        epoch = clock.now()
        run = LifecycleRun(time_budget_s=100_000.0, sleep=clock.advance,
                           monotonic=lambda: (clock.now() - epoch).total_seconds())
        yield opened, run


FAST = {"max_examples": 8, "stateful_step_count": 25}
#: The flip shows as a terminal status changing, or as an uploading body that does not fit its status.
FLIPPED = "changed to uploading|^uploading: "
#: Bug hunts: no shrinking (the failure is what matters, not its minimal form).
HUNT = {"max_examples": 100, "stateful_step_count": 25, "phases": [Phase.explicit, Phase.generate]}


def assert_finds(pattern: str, target: Target, run: LifecycleRun | None = None) -> None:
    """The machine, hunting, reports a violation matching ``pattern``."""
    try:
        run_lifecycle_contract(target, run or LifecycleRun(), **HUNT)
    except ContractViolation as exc:
        assert re.search(pattern, str(exc), re.MULTILINE), str(exc)
    else:
        pytest.fail(f"the machine did not find the planted bug in {HUNT['max_examples']} runs; if the emulator's "
                    "timings or the machine's rules changed, the derandomised runs differ: check what it now explores")


# -- it passes ------------------------------------------------------------------------
def test_machine_passes_against_the_emulator_with_a_control_plane(target):
    run = run_lifecycle_contract(target, LifecycleRun(), **FAST)
    assert run.stopped is None
    # It saw the lifecycle, not just submissions: terminal statuses, forced failures included.
    assert {"initialising", "successful"} <= run.statuses_seen
    assert len(run.statuses_seen & TERMINAL) >= 3, run.statuses_seen


def test_machine_passes_by_polling_without_a_control_plane(polled):
    target, run = polled
    run_lifecycle_contract(target, run, **FAST)
    assert run.stopped is None
    assert "successful" in run.statuses_seen and len(run.statuses_seen & TERMINAL) >= 2, run.statuses_seen
    # It waited by backing off, never beyond its cap, within its time budget.
    slept = run.polling.slept
    assert slept and max(slept) <= 8.0 and sum(slept) <= run.time_budget_s
    assert any(b == 2 * a for a, b in zip(slept, slept[1:], strict=False)), slept


def test_machine_uses_only_documented_checks_against_a_real_halo(polled):
    """A target of kind halo: no control plane, no INFERENCE-based checks; still passes here."""
    target, run = polled
    target.kind = "halo"
    run_lifecycle_contract(target, run, max_examples=3, stateful_step_count=15)
    assert run.stopped is None and "successful" in run.statuses_seen


def test_machine_stops_quietly_when_the_request_budget_runs_out():
    with Target.open(TargetConfig(kind="inprocess", budget=12)) as target:
        run = run_lifecycle_contract(target, LifecycleRun(), **FAST)
        assert run.stopped and "budget" in run.stopped
        assert target.budget.remaining == 0
        assert sum(run.rules.values()) >= 1


def test_in_process_target_without_control_moves_its_clock_by_polling():
    with Target.open(TargetConfig(kind="inprocess", no_control=True)) as target:
        before = target.emulator.clock.now()
        run = run_lifecycle_contract(target, max_examples=4, stateful_step_count=10)
        assert run.polling is not None and run.polling.slept
        # The queries got somewhere: the pauses moved the virtual clock.
        assert target.emulator.clock.now() > before and run.statuses_seen & TERMINAL, run.statuses_seen


# -- backoff, alone ---------------------------------------------------------------------
class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def monotonic(self) -> float:
        return self.t


def test_polling_backs_off_exponentially_until_done():
    fake = FakeTime()
    waiter = PollingTime(100, first_s=0.5, factor=2, cap_s=4, sleep=fake.sleep, monotonic=fake.monotonic)
    assert waiter.wait_until(lambda: fake.t >= 10)
    assert fake.sleeps == [0.5, 1, 2, 4, 4]


def test_polling_gives_up_at_its_time_budget_without_failing():
    fake = FakeTime()
    waiter = PollingTime(10, first_s=1, factor=3, cap_s=100, sleep=fake.sleep, monotonic=fake.monotonic)
    assert waiter.wait_until(lambda: False) is False
    assert fake.sleeps == [1, 3, 6]  # the last pause is cut to what is left
    assert waiter.remaining == 0
    assert waiter.wait_until(lambda: False) is False and fake.sleeps == [1, 3, 6]  # spent: no more sleeping


def test_polling_wait_can_be_shorter_than_the_budget():
    fake = FakeTime()
    waiter = PollingTime(100, first_s=1, factor=2, sleep=fake.sleep, monotonic=fake.monotonic)
    assert waiter.wait_until(lambda: False, at_most_s=2.5) is False
    assert fake.sleeps == [1, 1.5] and waiter.remaining == 97.5


# -- the checks, alone ------------------------------------------------------------------
def test_checks_reject_bodies_that_break_the_contract(target):
    created = target.client().post(target.path("/queries/async"), headers=target.auth_headers(),
                              json={"command": {"text": "SELECT 1 AS n"}}).json()
    check_status_body(created, query_id=created["id"], site_id=SITE)
    with pytest.raises(ContractViolation, match="not one of Halo's async statuses"):
        check_status_body({**created, "status": "running"}, query_id=created["id"], site_id=SITE)
    with pytest.raises(ContractViolation, match="completedAt"):
        check_status_body({**created, "completedAt": created["createdAt"]}, query_id=created["id"], site_id=SITE)
    done = {**created, "status": "expiredInQueue", "completedAt": created["createdAt"]}
    with pytest.raises(ContractViolation, match="terminal status expiredInQueue changed to queued"):
        check_transition(done, {**created, "status": "queued"})
    with pytest.raises(ContractViolation, match="createdAt changed"):
        check_transition(created, {**created, "createdAt": "2030-01-01T00:00:00.000Z"})
    response = target.client().get(target.path("/queries/00000000-0000-4000-8000-000000000000"), headers=target.auth_headers())
    assert check_error(response, (404,))["status"] == 404
    with pytest.raises(ContractViolation, match="expected one of"):
        check_error(response, (410,))


# -- it fails when the emulator is wrong ------------------------------------------------
def plant_terminal_flip(monkeypatch):
    """Bug: a query that finished more than a second ago reports uploading again."""
    original = AsyncQuery.status_at

    def flipping(self, t):
        status = original(self, t)
        if status in TERMINAL and self.completed_at is not None and t >= self.completed_at + timedelta(seconds=1):
            return UPLOADING
        return status

    monkeypatch.setattr(AsyncQuery, "status_at", flipping)
    # A finished query's status body is rendered once and kept, which alone keeps a terminal status
    # terminal; the planted bug must get past that too.
    monkeypatch.setattr(AsyncQuery, "rendered", lambda self, now: orjson.dumps(self.render(now)))


def test_machine_finds_a_terminal_status_that_flips_back(target, monkeypatch):
    plant_terminal_flip(monkeypatch)
    assert_finds(FLIPPED, target)


def test_polling_machine_finds_a_terminal_status_that_flips_back(polled, monkeypatch):
    plant_terminal_flip(monkeypatch)
    target, run = polled
    assert_finds(FLIPPED, target, run)


def test_machine_finds_pages_served_before_they_are_cached(target, monkeypatch):
    original = AsyncQuery.page

    def leaky(self, number, now):
        result = self.result
        if result is not None and not result.nonquery and 1 <= number <= len(result.pages):
            page = result.pages[number - 1]
            if page.data is not None and self.status_at(now) in (UPLOADING, SUCCESSFUL):
                return asyncq.download(page, result.parameters)
        return original(self, number, now)

    monkeypatch.setattr(AsyncQuery, "page", leaky)
    assert_finds("downloaded although", target)


def test_machine_finds_results_that_never_expire(target, monkeypatch):
    """Bug: retention is ignored; pages stay downloadable forever."""
    original = AsyncQuery.page

    def immortal(self, number, now):
        gone_at = self.gone_at
        if gone_at is not None and now >= gone_at:
            now = gone_at - timedelta(milliseconds=1)
        return original(self, number, now)

    monkeypatch.setattr(AsyncQuery, "page", immortal)
    monkeypatch.setattr(AsyncQuery, "drop_results", lambda self: None)
    assert_finds("expected 410", target)


def test_machine_finds_rows_lost_between_the_result_and_its_pages(target, monkeypatch):
    """Bug: paging drops the last row, so the pages hold one row fewer than result.rows."""
    original = asyncq.split_pages

    def lossy(data, page_size_bytes):
        rows = json.loads(data)
        return original(json.dumps(rows[:-1]).encode(), page_size_bytes)

    monkeypatch.setattr(asyncq, "split_pages", lossy)
    assert_finds("do not add up to rows", target)


def test_machine_finds_a_registered_query_whose_cancel_is_ignored(target, monkeypatch):
    """Bug: DELETE answers 204 but the registered query keeps running."""
    monkeypatch.setattr(RegisteredQueries, "cancel", lambda self, site_id, query_id, now: self.get(site_id, query_id))
    assert_finds("a cancelled registered query is enabled", target)

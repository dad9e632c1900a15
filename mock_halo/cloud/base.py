"""What every group of operations shares: the emulator's state, the domain services over
it, and :class:`SiteWork`, which runs each site's SQL off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mock_halo import errors
from mock_halo.cloud.access import Access
from mock_halo.cloud.screening import Screening
from mock_halo.lifecycle.sqlport import perform
from mock_halo.runner import BACKGROUND, IMMEDIATE, Cancelled, Late

if TYPE_CHECKING:
    from mock_halo.emulator import Emulator, SiteState
    from mock_halo.lifecycle.service import Lifecycle
    from mock_halo.lifecycle.sqlport import SqlJob

T = TypeVar("T")
log = logging.getLogger("mock_halo")

#: What a request whose SQL a reset cancelled is told (INFERENCE: like a site that
#: went away during the attempt, halo-facts 10.2).
RESET_MESSAGE = "The query was cancelled: the emulator was reset while it ran."
#: Seconds the event loop waits past a deadline for a statement to stop before it
#: answers anyway (a statement stuck in a Python function cannot be interrupted).
GRACE_S = 0.5


class Operations:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.access = Access(emulator)
        self.screening = Screening(emulator)
        self.sites = SiteWork(emulator)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.emulator.lifecycle


class SiteWork:
    """Each site's SQL on its own worker thread (``SiteState.runner``), never on the event
    loop, and each site's lifecycle brought up to the clock's now before it is read.

    * :meth:`caught_up`: every side effect of the site due by now has happened (async
      executions and registered runs, in plan order, each on the site's thread under
      the execution limit); with nothing due it costs no thread hop.
    * :meth:`run_now`: immediate work (an immediate query, a FHIR request) on the site's
      thread, ahead of queued background work, under a deadline.

    A site's work runs one piece at a time, as Halo Link runs a practice's queries;
    sites never wait for each other, and the event loop (other sites, status reads that
    need no SQL, the control plane) stays free while SQL runs.
    """

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kicking: asyncio.Future | None = None
        self._again = False
        self._listening = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Catch every site up whenever the clock is moved (the app's lifespan calls this), so
        side effects (and the webhooks they send) happen as the clock passes them, polled or not.
        The clock is listened to once, however many times the app is started."""
        if not self._listening:
            self._emulator.clock.on_change(lambda now: self.kick())
            self._listening = True
        self._loop = loop

    def detach(self) -> None:
        """The loop is gone: clock moves start nothing until the next :meth:`attach`."""
        self._loop = None
        self._kicking = None  # a catch-up of the old loop never finishes there
        self._again = False

    def kick(self) -> None:
        """Start catching every site up, soon; from any thread, never waiting."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._start_kick)

    def _start_kick(self) -> None:
        if self._kicking is not None and not self._kicking.done():
            self._again = True  # it runs once more when done, for the later clock
            return
        self._kicking = asyncio.ensure_future(self._kick())

    async def _kick(self) -> None:
        while True:
            self._again = False
            try:
                await self.catch_up_all()
            except Exception:  # noqa: BLE001 - logged; the next move or read tries again
                log.exception("catching the sites up failed")
            if not self._again:
                return

    def deadline(self) -> float:
        """The deadline of immediate work starting now (``immediate_timeout_s`` of wall time)."""
        return time.monotonic() + self._emulator.settings.immediate_timeout_s

    async def caught_up(self, site_id: str, deadline: float | None = None) -> datetime:
        """The clock's now, once every side effect of the site due by then has happened.

        With a ``deadline``, waiting past it (the site's running statement has not
        finished) is Halo's 504.
        """
        lifecycle = self._emulator.lifecycle
        now = lifecycle.clock.now()
        job = lifecycle.advance(site_id, now)
        if job is None:
            return now
        drive = self._catch_up(site_id, now, job)
        if deadline is None:
            await drive
            return now
        try:
            await asyncio.wait_for(drive, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise errors.gateway_timeout() from None
        return now

    async def catch_up_all(self) -> None:
        """Every site up to now, at the same time (the background tick of a running clock)."""
        lifecycle = self._emulator.lifecycle
        now = lifecycle.clock.now()
        drives = []
        for site_id in lifecycle.site_ids():
            job = lifecycle.advance(site_id, now)
            if job is not None:
                drives.append(self._catch_up(site_id, now, job))
        if drives:
            await asyncio.gather(*drives)

    async def ready(self, site_id: str, deadline: float | None = None) -> datetime:
        """:meth:`caught_up`, and the site must be online: 503 offline, 504 unreachable."""
        now = await self.caught_up(site_id, deadline)
        availability = self._emulator.lifecycle.availability(site_id, now)
        if availability == "offline":
            raise errors.site_offline()
        if availability == "unreachable":
            raise errors.gateway_timeout("Site is unreachable")
        return now

    def quick(self, site: SiteState, command: Any) -> Any | None:
        """An immediate read answered on the event loop: when the site's thread is idle or runs
        only reads (``SiteRunner.only_reads``: a FHIR read that went there) and the engine can run
        the command as a quick read (one plain SELECT it has translated before, stopped and
        forgotten after a fraction of a millisecond of work, never while another command holds
        the engine), its outcome; None otherwise (then :meth:`run_now`). It raises what the
        engine raises."""
        if not site.runner.only_reads:
            return None
        quick = getattr(site._engine, "try_execute", None)
        return quick(command) if quick is not None else None

    async def read_now(self, site: SiteState, work: Callable[[Callable[[], Any]], T], deadline: float) -> T:
        """Immediate work that only reads (a FHIR read or search), given the engine to use as
        ``work(engine_factory)``: on the event loop when the site's thread has nothing but reads
        to do and every command it runs is a quick read (:meth:`quick`), else (from the start)
        on the site's thread (:meth:`run_now`, marked as a read, so the reads after it are still
        tried on the loop: under load, one read on the thread used to keep all later ones there)."""
        runner = site.runner
        while hasattr(site._engine, "try_execute") and runner.only_reads:
            try:
                return work(lambda: _QuickEngine(self, site))
            except _NotQuick as not_quick:
                # Only the thread's reads hold the engine: it is the loop's again once they are
                # done, so wait for them rather than queue behind them (which would keep the
                # reads after this one on the thread as well).
                last = runner.last() if not_quick.busy else None
                if last is None or not await _settled(last, deadline):
                    break
        return await self.run_now(site, lambda: work(lambda: self._emulator.working_engine(site)), deadline,
                                  reads=True)

    async def run_now(self, site: SiteState, work: Callable[[], T], deadline: float, *, reads: bool = False) -> T:
        """Run ``work`` on the site's thread ahead of queued background work; what it returns
        or raises (``reads``: it changes nothing). Its engine commands stop at ``deadline``;
        should one not stop (a Python function cannot be interrupted), the answer is Halo's 504
        anyway, shortly after."""
        piece = site.runner.submit(work, priority=IMMEDIATE, deadline=deadline, reads=reads)
        future = asyncio.wrap_future(piece.future)
        late = []

        def give_up() -> None:
            late.append(True)
            future.cancel()

        timer = asyncio.get_running_loop().call_later(max(0.0, deadline - time.monotonic()) + GRACE_S, give_up)
        try:
            return await future
        except Cancelled:
            raise errors.gateway_timeout(RESET_MESSAGE) from None
        except Late:
            raise errors.gateway_timeout() from None
        except asyncio.CancelledError:
            if not late:
                raise  # the request itself was cancelled
            raise errors.gateway_timeout() from None
        finally:
            timer.cancel()
            if late:
                site.runner.cancel(piece)

    async def settle(self, change: Callable[[], T]) -> T:
        """Run a control-plane change that resets or reseeds (``change``, on the loop) and await the
        engine work it implies (``Emulator.engine_work``: reloading an external database takes
        seconds) on each site's thread, ahead of the site's queued work; the loop, other sites
        and the control plane keep answering meanwhile. Engine work that a later reset cancels
        is left to that reset."""
        steps: list = []
        try:
            with self._emulator.engine_work() as steps:
                return change()
        finally:
            for piece in [site.runner.submit(call, priority=IMMEDIATE) for site, call in steps]:
                try:
                    await asyncio.wrap_future(piece.future)
                except Cancelled:
                    pass

    # -- the site's background work ------------------------------------------------
    async def _catch_up(self, site_id: str, now: datetime, job: SqlJob | None) -> None:
        lifecycle = self._emulator.lifecycle
        while job is not None:
            await self._perform(job)
            job = lifecycle.advance(site_id, now)

    async def _perform(self, job: SqlJob) -> None:
        """Run a due job's SQL on its site's thread (once, however many requests wait for
        it) and complete it on the event loop; a quick read (:meth:`quick`) is answered on the
        loop itself, which then lets other work in before the site's next job."""
        emulator = self._emulator
        lifecycle = emulator.lifecycle
        piece = job.handle
        if piece is None:
            site = emulator.sites[job.site_id]
            result = perform(job, lambda command: self.quick(site, command))
            if result is not None:
                lifecycle.complete(job, result)
                await asyncio.sleep(0)
                return
            piece = job.handle = site.runner.submit(
                lambda: lifecycle.perform(job), priority=BACKGROUND, timeout=self._limit_s(job))
        try:
            result = await asyncio.shield(asyncio.wrap_future(piece.future))
        except Cancelled:
            return  # a reset forgot the job
        lifecycle.complete(job, result)

    def _limit_s(self, job: SqlJob) -> float:
        """Wall-clock seconds a job's SQL may run: the execution timeout (registered runs
        at most their documented 60 s)."""
        limit = self._emulator.settings.execution_timeout_s
        if job.kind == "registered":
            limit = min(limit, self._emulator.lifecycle.limits.registered_execution_limit.total_seconds())
        return limit


class _NotQuick(Exception):
    """A command of work tried on the event loop is not a quick read: the work goes to the site's thread
    (``busy``: it may be one once the command running on the thread now is done)."""

    def __init__(self, busy: bool) -> None:
        super().__init__()
        self.busy = busy


async def _settled(piece: Future, deadline: float) -> bool:
    """Wait until a piece of the site's work is done (however it ended); False if ``deadline`` came first."""
    waiter = asyncio.wrap_future(piece)
    waiter.add_done_callback(lambda done: done.cancelled() or done.exception())  # its outcome is its requester's
    finished, _ = await asyncio.wait([waiter], timeout=max(0.0, deadline - time.monotonic()))
    return bool(finished)


class _QuickEngine:
    """A site's engine as work tried on the event loop uses it (:meth:`SiteWork.read_now`)."""

    __slots__ = ("_work", "_site")

    def __init__(self, work: SiteWork, site: SiteState) -> None:
        self._work = work
        self._site = site

    def execute(self, command: Any) -> Any:
        outcome = self._work.quick(self._site, command)
        if outcome is None:
            raise _NotQuick(bool(getattr(self._site._engine, "busy", False)))
        return outcome

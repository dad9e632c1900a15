"""Where the patients' clinical records are made: in this process, or beside it in a worker process.

The clinical records are more than half the work of building a large practice and
depend on nothing but their own random stream and the patients' summaries, so a
large build hands them to a second interpreter (``python -m
mock_halo.practice.records_worker``) while this one draws the patients and loads rows:
chunk by chunk, the worker gets the summaries of a chunk of patients and sends back
that chunk's rows, together with its random state and id counters after them.

The rows are the same either way: the worker runs the same :class:`ClinicalFactory`
over the same stream. If the worker cannot start, fails or dies, the build goes on
here from the last chunk the worker finished (its state came with the rows), so
the result does not depend on whether or where a worker ran.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from datetime import date
from random import Random
from typing import IO, Any

from .clinical import TABLE_COLUMNS, ClinicalFactory
from .model import PatientSummary, Staff

log = logging.getLogger("mock_halo.practice")

#: Builds of at least this many patients make the clinical records in a worker process (when the
#: machine has a second core): below it the worker's start-up (about half a second) is not won back.
WORKER_MIN_PATIENTS = 8000

Rows = dict[str, list[tuple]]
_PICKLE = pickle.HIGHEST_PROTOCOL


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class LocalRecords:
    """Clinical records made here, as each chunk is submitted."""

    #: Chunks submitted but not yet collected that the generator may leave waiting.
    lag = 0

    def __init__(self, rng: Random, staff: Staff, anchor: date, window_start: date) -> None:
        self.factory = ClinicalFactory(rng, staff, anchor, window_start)

    def submit(self, summaries: list[PatientSummary]) -> None:
        add = self.factory.add_patient
        for summary in summaries:
            add(summary)

    def collect(self) -> Rows:
        return self.factory.take_rows()

    def next_id(self, table: str) -> int:
        """The id the table's next row would get (all submitted chunks collected)."""
        return self.factory.ids[table] + 1

    def close(self) -> None:
        return None


class WorkerRecords:
    """Clinical records made by a worker process, one chunk behind the patients.

    :meth:`submit` never waits (a thread feeds the worker), :meth:`collect` waits for
    the oldest chunk's rows. Any trouble with the worker turns this into a
    :class:`LocalRecords` that starts from the last chunk the worker finished.
    """

    lag = 1

    def __init__(self, rng: Random, staff: Staff, anchor: date, window_start: date) -> None:
        self._setup = (staff, anchor, window_start)
        self._state: tuple[Any, dict[str, int]] = (rng.getstate(), dict.fromkeys(TABLE_COLUMNS, 0))
        self._waiting: deque[list[PatientSummary]] = deque()
        self._local: LocalRecords | None = None
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._proc = _start_worker()
        self._sender = threading.Thread(target=self._feed, name="mock-halo-records-feed", daemon=True)
        self._outbox.put(("start", self._state[0], staff, anchor, window_start))
        self._sender.start()

    def _feed(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while (message := self._outbox.get()) is not None:
                pickle.dump(message, stdin, _PICKLE)
                stdin.flush()
        except (OSError, ValueError):  # the worker is gone (or closed): collect() finds out and goes on here
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def submit(self, summaries: list[PatientSummary]) -> None:
        self._waiting.append(summaries)
        if self._local is None:
            self._outbox.put(("chunk", summaries))

    def collect(self) -> Rows:
        summaries = self._waiting.popleft()
        if self._local is None:
            try:
                reply = pickle.load(self._proc.stdout)  # type: ignore[arg-type]
                if reply[0] != "rows":
                    raise RuntimeError(f"worker failed: {reply[1]}")
                _, rows, rng_state, ids = reply
                self._state = (rng_state, ids)
                return rows
            except Exception as exc:  # noqa: BLE001 - EOF, a broken pipe, a failure in the worker
                log.warning("the clinical-records worker stopped (%s); the build goes on in this process", exc)
                self._go_local()
        assert self._local is not None
        self._local.submit(summaries)
        return self._local.collect()

    def _go_local(self) -> None:
        """Carry on here from the state after the last chunk the worker sent back."""
        rng = Random()
        rng.setstate(self._state[0])
        self._local = LocalRecords(rng, *self._setup)
        self._local.factory.ids.update(self._state[1])
        self._stop()

    def next_id(self, table: str) -> int:
        if self._local is not None:
            return self._local.next_id(table)
        return self._state[1][table] + 1

    def close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        self._outbox.put(None)
        proc = self._proc
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _start_worker() -> subprocess.Popen:
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen([sys.executable, "-m", "mock_halo.practice.records_worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)


def clinical_records(rng: Random, staff: Staff, anchor: date, window_start: date, patients: int,
                     worker: bool | None = None) -> LocalRecords | WorkerRecords:
    """Records made in a worker process when ``worker`` says so (None: for a large build on a machine
    with a second core), else here. A worker that cannot start means here."""
    if worker is None:
        worker = patients >= WORKER_MIN_PATIENTS and usable_cores() > 1
    if worker:
        try:
            return WorkerRecords(rng, staff, anchor, window_start)
        except OSError as exc:
            log.warning("cannot start a clinical-records worker (%s); building in this process", exc)
    return LocalRecords(rng, staff, anchor, window_start)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker's side: a start message, then chunks of summaries until the input ends."""
    message = pickle.load(stdin)
    _, rng_state, staff, anchor, window_start = message
    rng = Random()
    rng.setstate(rng_state)
    records = LocalRecords(rng, staff, anchor, window_start)
    factory = records.factory
    while True:
        try:
            message = pickle.load(stdin)
        except EOFError:
            return
        try:
            records.submit(message[1])
            reply: tuple = ("rows", records.collect(), rng.getstate(), dict(factory.ids))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which goes on by itself
            reply = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(reply, stdout, _PICKLE)
        stdout.flush()
        if reply[0] == "error":
            return

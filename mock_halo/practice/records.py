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
import marshal
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import weakref
from collections import deque
from dataclasses import fields
from datetime import date
from operator import attrgetter
from random import Random
from typing import IO, Any

from .clinical import TABLE_COLUMNS, ClinicalFactory
from .model import PatientSummary, Staff

log = logging.getLogger("mock_halo.practice")

#: Builds of at least this many patients make the clinical records in a worker process (when the
#: machine has a second core): below it the worker's start-up (about half a second) is not won back.
WORKER_MIN_PATIENTS = 8000

Rows = dict[str, list[tuple]]
#: A summary's fields in order, as a tuple (``PatientSummary(*fields)`` makes it again).
_summary_fields = attrgetter(*(f.name for f in fields(PatientSummary)))
_PICKLE = pickle.HIGHEST_PROTOCOL
#: Replies (rows of plain values) travel as marshal data, quicker than pickle both ways, after their length.
_LENGTH = struct.Struct("!Q")


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class LocalRecords:
    """Clinical records made here, as each chunk is submitted."""

    #: Chunks submitted but not yet collected that the generator may leave waiting.
    lag = 0

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.factory: ClinicalFactory | None = None

    def begin(self, staff: Staff, anchor: date, window_start: date) -> None:
        """The practice the records are for (before the first chunk)."""
        self.factory = ClinicalFactory(self.rng, staff, anchor, window_start)

    def submit(self, summaries: list[PatientSummary]) -> None:
        assert self.factory is not None
        add = self.factory.add_patient
        for summary in summaries:
            add(summary)

    def collect(self) -> Rows:
        assert self.factory is not None
        return self.factory.take_rows()

    def next_id(self, table: str) -> int:
        """The id the table's next row would get (all submitted chunks collected)."""
        assert self.factory is not None
        return self.factory.ids[table] + 1

    def close(self) -> None:
        return None


class WorkerRecords:
    """Clinical records made by a worker process, up to :attr:`lag` chunks behind the patients.

    The process starts with the object (it takes about half a second to import what it
    needs, while the practice's staff are made here). :meth:`submit` never waits (a thread
    feeds the worker) and the worker never waits to send (a thread here reads its replies
    as they come); :meth:`collect` waits for the oldest chunk's rows. Any trouble with the
    worker turns this into a :class:`LocalRecords` that starts from the last chunk the
    worker finished. The process is killed with the object if :meth:`close` is never called.
    """

    lag = 2

    def __init__(self, rng: Random) -> None:
        self._state: tuple[Any, dict[str, int]] = (rng.getstate(), dict.fromkeys(TABLE_COLUMNS, 0))
        self._setup: tuple[Staff, date, date] | None = None
        self._waiting: deque[list[PatientSummary]] = deque()
        self._local: LocalRecords | None = None
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._proc = proc = _start_worker()
        self._stopper = weakref.finalize(self, _kill, proc, self._outbox)
        threading.Thread(target=_feed, args=(proc.stdin, self._outbox), name="mock-halo-records-feed",
                         daemon=True).start()
        threading.Thread(target=_drain, args=(proc.stdout, self._inbox), name="mock-halo-records-read",
                         daemon=True).start()

    def begin(self, staff: Staff, anchor: date, window_start: date) -> None:
        self._setup = (staff, anchor, window_start)
        self._outbox.put(("start", self._state[0], staff, anchor, window_start))

    def submit(self, summaries: list[PatientSummary]) -> None:
        self._waiting.append(summaries)
        if self._local is None:  # as plain tuples: they unpickle several times quicker than the records
            self._outbox.put(("chunk", [_summary_fields(s) for s in summaries]))

    def collect(self) -> Rows:
        summaries = self._waiting.popleft()
        if self._local is None:
            try:
                data = self._inbox.get()
                if isinstance(data, BaseException):
                    raise data
                reply = marshal.loads(data)
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
        assert self._setup is not None
        rng = Random()
        rng.setstate(self._state[0])
        self._local = LocalRecords(rng)
        self._local.begin(*self._setup)
        assert self._local.factory is not None
        self._local.factory.ids.update(self._state[1])
        self._stopper()

    def next_id(self, table: str) -> int:
        if self._local is not None:
            return self._local.next_id(table)
        return self._state[1][table] + 1

    def close(self) -> None:
        """End the worker: it sees the end of its input when it has nothing left to send, else it is killed."""
        if not self._waiting and self._stopper.alive:
            self._outbox.put(None)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._stopper()


def _kill(proc: subprocess.Popen, outbox: queue.SimpleQueue) -> None:
    outbox.put(None)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _feed(stdin: IO[bytes], outbox: queue.SimpleQueue) -> None:
    """Send the worker its messages (pickled) until told to stop."""
    try:
        while (message := outbox.get()) is not None:
            pickle.dump(message, stdin, _PICKLE)
            stdin.flush()
    except (OSError, ValueError):  # the worker is gone: collect() finds out and goes on here
        pass
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _drain(stdout: IO[bytes], inbox: queue.SimpleQueue) -> None:
    """Read the worker's replies as they come (a length, then marshal data), so it never waits to send."""
    try:
        while True:
            head = stdout.read(_LENGTH.size)
            if not head:
                raise EOFError("the worker ended")
            size, = _LENGTH.unpack(head)
            data = stdout.read(size)
            if len(data) < size:
                raise EOFError("the worker ended mid-reply")
            inbox.put(data)
    except (EOFError, OSError, ValueError, struct.error) as exc:
        inbox.put(exc)
    finally:
        stdout.close()


def _start_worker() -> subprocess.Popen:
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return subprocess.Popen([sys.executable, "-m", "mock_halo.practice.records_worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)


def clinical_records(rng: Random, patients: int, worker: bool | None = None) -> LocalRecords | WorkerRecords:
    """Records made in a worker process when ``worker`` says so (None: for a large build on a machine
    with a second core), else here. A worker that cannot start means here. Call ``begin`` before
    the first chunk and ``close`` at the end."""
    if worker is None:
        worker = patients >= WORKER_MIN_PATIENTS and usable_cores() > 1
    if worker:
        try:
            return WorkerRecords(rng)
        except OSError as exc:
            log.warning("cannot start a clinical-records worker (%s); building in this process", exc)
    return LocalRecords(rng)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker's side: a start message, then chunks of summaries until the input ends.

    Replies are written by a thread, so the next chunk is worked on while one is being sent.
    """
    message = pickle.load(stdin)
    _, rng_state, staff, anchor, window_start = message
    rng = Random()
    rng.setstate(rng_state)
    records = LocalRecords(rng)
    records.begin(staff, anchor, window_start)
    factory = records.factory
    assert factory is not None
    replies: queue.SimpleQueue = queue.SimpleQueue()
    writer = threading.Thread(target=_write_replies, args=(stdout, replies), name="mock-halo-records-write")
    writer.start()
    try:
        while True:
            try:
                message = pickle.load(stdin)
            except EOFError:
                return
            try:
                records.submit([PatientSummary(*values) for values in message[1]])
                reply: tuple = ("rows", records.collect(), rng.getstate(), dict(factory.ids))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which goes on by itself
                replies.put(marshal.dumps(("error", f"{type(exc).__name__}: {exc}")))
                return
            replies.put(marshal.dumps(reply))
    finally:
        replies.put(None)
        writer.join()


def _write_replies(stdout: IO[bytes], replies: queue.SimpleQueue) -> None:
    try:
        while (data := replies.get()) is not None:
            stdout.write(_LENGTH.pack(len(data)))
            stdout.write(data)
            stdout.flush()
    except OSError:  # the parent is gone
        pass

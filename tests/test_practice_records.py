"""A large practice's clinical records made in a worker process: the same rows as made here, whatever
happens to the worker."""

from __future__ import annotations

import gc
import io
import logging
import marshal
import pickle
import struct
import subprocess
import sys
from dataclasses import fields
from datetime import date, datetime, timedelta
from operator import attrgetter
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.practice import generate_practice, records
from mock_halo.practice.draw import below_from
from mock_halo.practice.generator import PATIENT_CHUNK
from mock_halo.practice.model import PatientSummary, Staff, StaffMember
from mock_halo.practice.records import LocalRecords, WorkerRecords, clinical_records

fields_of = attrgetter(*(f.name for f in fields(PatientSummary)))

ANCHOR = date(2026, 12, 4)


def batches(seed: int, patients: int, **kwargs: object) -> list[tuple]:
    return [(b.table, b.columns, b.rows) for b in generate_practice(seed, patients, anchor=ANCHOR, **kwargs)]


@pytest.fixture(scope="module")
def made_here() -> list[tuple]:
    return batches(8, 2 * PATIENT_CHUNK + 700, worker=False)


def test_a_worker_makes_the_same_rows_in_the_same_order(made_here: list[tuple]) -> None:
    assert batches(8, 2 * PATIENT_CHUNK + 700, worker=True) == made_here


def test_a_worker_that_never_answers_leaves_the_build_to_this_process(
        made_here: list[tuple], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def silent() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    monkeypatch.setattr(records, "_start_worker", silent)
    with caplog.at_level(logging.WARNING, "mock_halo.practice"):
        assert batches(8, 2 * PATIENT_CHUNK + 700, worker=True) == made_here
    assert "goes on in this process" in caplog.text


def test_a_worker_that_cannot_start_means_building_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def unstartable() -> subprocess.Popen:
        raise OSError("no such interpreter")

    monkeypatch.setattr(records, "_start_worker", unstartable)
    made = clinical_records(Random(1), 50_000, worker=True)
    assert isinstance(made, LocalRecords)


def test_auto_uses_a_worker_only_for_a_large_build_with_a_second_core(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []

    class Recorder(LocalRecords):
        def __init__(self, rng: Random) -> None:
            started.append(True)
            super().__init__(rng)

    monkeypatch.setattr(records, "WorkerRecords", Recorder)
    monkeypatch.setattr(records, "usable_cores", lambda: 2)
    clinical_records(Random(1), records.WORKER_MIN_PATIENTS - 1)
    assert started == []
    clinical_records(Random(1), records.WORKER_MIN_PATIENTS)
    assert started == [True]
    monkeypatch.setattr(records, "usable_cores", lambda: 1)
    clinical_records(Random(1), 10 * records.WORKER_MIN_PATIENTS)
    assert started == [True]


def _staff() -> Staff:
    doctor = StaffMember(user_id=2, group=1, title_code=1, first_name="Ann", surname="Lee", location_id=1,
                         books=True, display="Dr Ann Lee")
    nurse = StaffMember(user_id=3, group=3, title_code=1, first_name="Bo", surname="Ng", location_id=1,
                        books=True, display="Bo Ng")
    return Staff(members=[doctor, nurse])


def _patients(first: int, count: int) -> list[PatientSummary]:
    rng = Random(first)
    out = []
    for internal_id in range(first, first + count):
        dob = ANCHOR - timedelta(days=rng.randrange(100 * 365))
        created = max(dob, ANCHOR - timedelta(days=rng.randrange(4000)))
        out.append(PatientSummary(internal_id, dob, 1 + internal_id % 2, 1, 2,
                                  datetime.combine(created, datetime.min.time()) + timedelta(hours=10)))
    return out


def test_a_worker_killed_between_chunks_is_taken_over_from_its_last_chunk(caplog: pytest.LogCaptureFixture) -> None:
    window = ANCHOR - timedelta(days=30)
    chunks = [_patients(1, 300), _patients(301, 300), _patients(601, 300)]
    here = LocalRecords(Random(5))
    here.begin(_staff(), ANCHOR, window)
    expected = []
    for chunk in chunks:
        here.submit(chunk)
        expected.append(here.collect())

    there = WorkerRecords(Random(5))
    try:
        there.begin(_staff(), ANCHOR, window)
        there.submit(chunks[0])
        got = [there.collect()]
        there._proc.kill()  # noqa: SLF001 - the worker dies with chunks waiting
        there._proc.wait()  # noqa: SLF001
        there.submit(chunks[1])
        there.submit(chunks[2])
        with caplog.at_level(logging.WARNING, "mock_halo.practice"):
            got += [there.collect(), there.collect()]
        assert got == expected
        assert there.next_id("VISITS") == here.next_id("VISITS")
        assert "stopped" in caplog.text
    finally:
        there.close()
    assert there._proc.poll() is not None  # noqa: SLF001 - no worker left behind


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen]:
    """The worker processes started during the test, in order."""
    out: list[subprocess.Popen] = []
    start = records._start_worker  # noqa: SLF001

    def recorded() -> subprocess.Popen:
        out.append(start())
        return out[-1]

    monkeypatch.setattr(records, "_start_worker", recorded)
    return out


def test_a_stream_never_read_leaves_no_worker_behind(started: list[subprocess.Popen]) -> None:
    stream = generate_practice(3, 2 * PATIENT_CHUNK, anchor=ANCHOR, worker=True)
    assert len(started) == 1 and started[0].poll() is None  # started at once, to be ready for the first patients
    del stream
    gc.collect()
    assert started[0].poll() is not None


def test_closing_early_stops_the_worker(started: list[subprocess.Popen]) -> None:
    stream = generate_practice(3, 2 * PATIENT_CHUNK, anchor=ANCHOR, worker=True)
    for batch in stream:
        if batch.table == "PATIENTS":
            break
    assert len(started) == 1 and started[0].poll() is None
    stream.close()
    assert started[0].poll() is not None


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 2**40))
def test_below_takes_the_draws_randrange_randint_and_choice_take(seed: int, n: int) -> None:
    a, b = Random(seed), Random(seed)
    below = below_from(b)
    assert [a.randrange(n) for _ in range(3)] == [below(n) for _ in range(3)]
    assert a.randint(-7, n) == -7 + below(n + 8)
    population = range(n % 50 + 1)
    assert a.choice(population) == population[below(len(population))]
    assert a.random() == b.random()  # the stream goes on from the same place


def test_a_chunk_the_worker_cannot_make_is_answered_as_an_error_and_ends_it() -> None:
    window = ANCHOR - timedelta(days=30)
    requests = io.BytesIO()
    pickle.dump(("start", Random(5).getstate(), _staff(), ANCHOR, window), requests)
    pickle.dump(("chunk", [(1, "not a date", 1, 1, 2, None, None, False)]), requests)
    pickle.dump(("chunk", [fields_of(p) for p in _patients(1, 5)]), requests)  # never read: the worker has ended
    requests.seek(0)
    replies = io.BytesIO()
    records.serve(requests, replies)
    data = replies.getvalue()
    size, = struct.unpack("!Q", data[:8])
    kind, message = marshal.loads(data[8:8 + size])
    assert kind == "error" and "AttributeError" in message
    assert len(data) == 8 + size  # one reply: the worker stopped at the failure


def test_the_parent_takes_over_when_the_worker_answers_an_error(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    failing = ("import sys, marshal, struct, pickle; pickle.load(sys.stdin.buffer); pickle.load(sys.stdin.buffer); "
               "d = marshal.dumps(('error', 'ValueError: no')); "
               "sys.stdout.buffer.write(struct.pack('!Q', len(d)) + d); sys.stdout.buffer.flush()")
    monkeypatch.setattr(records, "_start_worker", lambda: subprocess.Popen(
        [sys.executable, "-c", failing], stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    window = ANCHOR - timedelta(days=30)
    here = LocalRecords(Random(5))
    here.begin(_staff(), ANCHOR, window)
    here.submit(_patients(1, 200))
    there = WorkerRecords(Random(5))
    try:
        there.begin(_staff(), ANCHOR, window)
        there.submit(_patients(1, 200))
        with caplog.at_level(logging.WARNING, "mock_halo.practice"):
            assert there.collect() == here.collect()
        assert "ValueError: no" in caplog.text
    finally:
        there.close()

"""Deterministic generation of a whole fake Bp Premier practice, as a stream of batches.

The practice is anchored to a date (the emulator clock's date in the practice's
time zone, :data:`PRACTICE_TIMEZONE`): the appointment book spans
:data:`~mock_halo.practice.schedule.WINDOW_DAYS` days either side of it and the
data is as the practice would have it at the start of that day (nothing has
happened yet today). The same (seed, patients, anchor) gives byte-identical rows
in any process with the pinned Faker release: one ``Faker("en_AU",
use_weighting=False)`` seeded with ``seed_instance(seed)`` draws the practice, the
staff and pools of places; everything else comes from ``random.Random`` streams
derived from ``random.Random(seed)`` in a fixed order. Nothing depends on hash
randomisation, wall time or batch sizes.

Batches are yielded in foreign-key order (lookups, practice, users, address book,
sessions and days away, then patients with their clinical records chunk by
chunk, then the appointment book with its visits, invoices and cancellations),
so a consumer can insert them as they come.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from faker import Faker

from ..clock import DEFAULT_EPOCH
from . import codes
from .clinical import TABLE_COLUMNS, TABLE_ORDER
from .contacts import make_contacts
from .model import Batch, PatientSummary, ProgressCallback
from .records import LocalRecords, WorkerRecords, clinical_records
from .people import EMAIL_COLUMNS, NEXTOFKIN_COLUMNS, NEXTOFKIN_NONE, PATIENT_COLUMNS, NamePools, PatientFactory
from .schedule import (
    APPOINTMENT_COLUMNS,
    CANCELLATION_COLUMNS,
    CANCELLED_COLUMNS,
    INVOICE_COLUMNS,
    SERVICE_COLUMNS,
    VISIT_COLUMNS,
    VISITREASON_COLUMNS,
    WINDOW_DAYS,
    AppointmentBook,
    make_days_away,
    make_sessions,
)
from .staff import make_practice, make_staff

#: The practice's time zone: the SQL engine's GETDATE() is the emulator clock in this zone,
#: and the anchor date is the clock's date there.
PRACTICE_TIMEZONE = "Australia/Sydney"
PATIENT_CHUNK = 2000
APPOINTMENT_CHUNK = 5000
_BOOK_COLUMNS = {"VISITS": VISIT_COLUMNS, "VISITREASON": VISITREASON_COLUMNS, "CANCELLATIONS": CANCELLATION_COLUMNS,
                 "CANCELLEDAPPOINTMENTS": CANCELLED_COLUMNS, "INVOICES": INVOICE_COLUMNS, "SERVICES": SERVICE_COLUMNS}


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def practice_zone(name: str = PRACTICE_TIMEZONE) -> tzinfo:
    """The zone as a tzinfo; without a tz database, Australian Eastern Standard Time (as the engine does)."""
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, or no tzdata at all
        return timezone(timedelta(hours=10))


def normalise_anchor(anchor: date | datetime | None) -> date:
    """The practice-local date the data is anchored to.

    None means the emulator's default epoch. An aware datetime is converted to
    :data:`PRACTICE_TIMEZONE` first; a naive one is taken as practice-local already.
    """
    if anchor is None:
        anchor = DEFAULT_EPOCH
    if isinstance(anchor, datetime):
        if anchor.tzinfo is not None:
            anchor = anchor.astimezone(practice_zone()).replace(tzinfo=None)
        return anchor.date()
    return anchor


#: The anchor of the default data: :data:`mock_halo.clock.DEFAULT_EPOCH` (2026-01-05T09:00:00Z) in
#: Sydney, i.e. Monday 5 January 2026.
DEFAULT_ANCHOR = normalise_anchor(None)


def generate_practice(
    seed: int,
    patients: int,
    *,
    anchor: date | datetime | None = None,
    progress: ProgressCallback | None = None,
    first_doctor: tuple[str, str] | None = None,
    worker: bool | None = None,
) -> Iterator[Batch]:
    """Yield the rows of a fake practice with ``patients`` patients.

    ``anchor`` is the practice-local date of "today" (see :func:`normalise_anchor`;
    default :data:`DEFAULT_ANCHOR`). ``progress`` is called with (stage, done,
    total). ``first_doctor`` names the first GP (the principal). ``worker`` says whether the
    clinical records are made in a worker process (:mod:`.records`; None: for a large practice on a
    machine with two cores); the rows are the same either way.
    """
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 0:
        raise ValueError(f"patients must be a non-negative integer, got {patients!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    master = random.Random(seed)
    rng_practice, rng_people, rng_clinical, rng_schedule = (random.Random(master.getrandbits(64)) for _ in range(4))
    # A worker starts now, so that it is ready when the first patients are.
    records = clinical_records(rng_clinical, patients, worker)
    return _generate(records, seed, patients, normalise_anchor(anchor), progress or _no_progress, first_doctor,
                     rng_practice, rng_people, rng_schedule)


def _generate(records: LocalRecords | WorkerRecords, seed: int, patients: int, today: date, report: ProgressCallback,
              first_doctor: tuple[str, str] | None, rng_practice: random.Random, rng_people: random.Random,
              rng_schedule: random.Random) -> Iterator[Batch]:
    try:
        yield from _practice(records, seed, patients, today, report, first_doctor, rng_practice, rng_people,
                             rng_schedule)
    finally:
        records.close()


def _practice(records: LocalRecords | WorkerRecords, seed: int, patients: int, today: date, report: ProgressCallback,
              first_doctor: tuple[str, str] | None, rng_practice: random.Random, rng_people: random.Random,
              rng_schedule: random.Random) -> Iterator[Batch]:
    now = datetime.combine(today, datetime.min.time())
    fake = Faker("en_AU", use_weighting=False)  # a fresh instance (~1 ms) keeps generators independent
    fake.seed_instance(seed)

    for table, (columns, rows) in codes.LOOKUPS.items():
        yield Batch(table, columns, list(rows))
    yield Batch("REMINDERBATCH", codes.REMINDER_BATCH_COLUMNS, [(0, codes.INSTALLED, 0, 0, codes.INSTALLED, 0)])
    opened = now - timedelta(days=3650)
    practice, batches = make_practice(fake, rng_practice, opened)
    yield from batches
    staff, batches = make_staff(fake, rng_practice, practice, patients, now, first_doctor)
    yield from batches
    yield from make_contacts(fake, rng_practice, practice, opened)
    sessions, session_batch = make_sessions(rng_schedule, staff, opened)
    yield session_batch
    manager = staff.by_group(codes.GROUP_MANAGER)[0].user_id
    away, away_batch = make_days_away(rng_schedule, staff, today, manager)
    yield away_batch
    report("staff", 1, 1)

    window_start = today - timedelta(days=WINDOW_DAYS)
    people = PatientFactory(NamePools(fake, patients), rng_people, practice, staff, now)
    summaries: list[PatientSummary] = []
    yield Batch("NEXTOFKIN", NEXTOFKIN_COLUMNS, [NEXTOFKIN_NONE])
    report("patients", 0, patients)
    records.begin(staff, today, window_start)
    # A chunk's patient rows wait for its clinical records; with a worker making those, the
    # next chunk of patients is drawn meanwhile (records.lag chunks may wait).
    waiting: deque[tuple[list[tuple], tuple[list[tuple], list[tuple]], int]] = deque()
    pending: list[tuple] = []
    chunk: list[PatientSummary] = []
    for rows, household in people.households(patients):
        pending.extend(rows)
        chunk.extend(household)
        if len(pending) >= PATIENT_CHUNK:
            summaries.extend(chunk)
            records.submit(chunk)
            waiting.append((pending, people.take_extra(), len(summaries)))
            pending, chunk = [], []
            while len(waiting) > records.lag:
                yield from _patient_batches(*waiting.popleft(), records, report, patients)
    if pending:
        summaries.extend(chunk)
        records.submit(chunk)
        waiting.append((pending, people.take_extra(), len(summaries)))
    while waiting:
        yield from _patient_batches(*waiting.popleft(), records, report, patients)
    first_visit = records.next_id("VISITS")
    report("patients", len(summaries), patients)

    book = AppointmentBook(rng_schedule, staff, sessions, summaries, today, away, first_visit, practice.domain)
    total_days = len(book.days())
    appointments: list[tuple] = []
    for day, day_appointments in enumerate(book.generate(patients), start=1):
        appointments.extend(day_appointments)
        if len(appointments) >= APPOINTMENT_CHUNK:
            yield from _book_batches(appointments, book)
            appointments = []
        report("appointments", day, total_days)
    yield from _book_batches(appointments, book)
    report("appointments", total_days, total_days)


def _patient_batches(rows: list[tuple], extra: tuple[list[tuple], list[tuple]], done: int,
                     records: LocalRecords | WorkerRecords, report: ProgressCallback, patients: int) -> Iterator[Batch]:
    emails, kin = extra
    if kin:
        yield Batch("NEXTOFKIN", NEXTOFKIN_COLUMNS, kin)
    yield Batch("PATIENTS", PATIENT_COLUMNS, rows)
    if emails:
        yield Batch("EMAIL", EMAIL_COLUMNS, emails)
    made = records.collect()
    for table in TABLE_ORDER:
        if made[table]:
            yield Batch(table, TABLE_COLUMNS[table], made[table])
    if done < patients:
        report("patients", done, patients)


def _book_batches(appointments: list[tuple], book: AppointmentBook) -> Iterator[Batch]:
    extra = book.take_extra()
    for table in ("VISITS", "VISITREASON"):
        if extra[table]:
            yield Batch(table, _BOOK_COLUMNS[table], extra[table])
    if appointments:
        yield Batch("APPOINTMENTS", APPOINTMENT_COLUMNS, appointments)
    for table in ("CANCELLATIONS", "CANCELLEDAPPOINTMENTS", "INVOICES", "SERVICES"):
        if extra[table]:
            yield Batch(table, _BOOK_COLUMNS[table], extra[table])

"""Deterministic generation of a whole fake Bp Premier practice, as a stream of batches.

Determinism: one ``Faker("en_AU", use_weighting=False)`` seeded with
``seed_instance(seed)`` draws names and places; everything else comes from
``random.Random`` streams derived from ``random.Random(seed)`` in a fixed order.
Nothing depends on hash randomisation, wall time or batch sizes, so the same
(seed, patients, reference) gives byte-identical rows in any process with the
pinned Faker release.

Batches are yielded in foreign-key order (lookups, practice, users, sessions,
then patients with their clinical records chunk by chunk, then the appointment
book and its visits), so a consumer can insert them as they come.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from faker import Faker

from ..clock import DEFAULT_EPOCH
from . import codes
from .clinical import (
    CURRENTRX_COLUMNS,
    IMMUNISATION_COLUMNS,
    INVESTIGATION_COLUMNS,
    PASTHISTORY_COLUMNS,
    REACTION_COLUMNS,
    VISIT_COLUMNS,
    ClinicalFactory,
)
from .model import Batch, PatientSummary, ProgressCallback
from .people import PATIENT_COLUMNS, PatientFactory
from .schedule import APPOINTMENT_COLUMNS, WINDOW_DAYS, AppointmentBook, make_sessions
from .staff import make_practice, make_staff

#: The practice's time zone: the SQL engine's GETDATE() is the emulator clock in this zone,
#: so the appointment book's "now" is computed the same way.
PRACTICE_TIMEZONE = "Australia/Sydney"
PATIENT_CHUNK = 2000
APPOINTMENT_CHUNK = 5000

_CLINICAL_COLUMNS = {
    "PASTHISTORY": PASTHISTORY_COLUMNS,
    "CURRENTRX": CURRENTRX_COLUMNS,
    "REACTIONS": REACTION_COLUMNS,
    "IMMUNISATIONS": IMMUNISATION_COLUMNS,
    "INVESTIGATIONS": INVESTIGATION_COLUMNS,
    "VISITS": VISIT_COLUMNS,
}


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def practice_zone(name: str = PRACTICE_TIMEZONE) -> tzinfo:
    """The zone as a tzinfo; without a tz database, Australian Eastern Standard Time (as the engine does)."""
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, or no tzdata at all
        return timezone(timedelta(hours=10))


def normalise_reference(reference: datetime | None) -> datetime:
    """The practice-local, naive "now" of the data.

    None means the emulator's default epoch. An aware datetime is converted to
    :data:`PRACTICE_TIMEZONE`; a naive one is taken as practice-local already.
    """
    if reference is None:
        reference = DEFAULT_EPOCH
    if reference.tzinfo is not None:
        reference = reference.astimezone(practice_zone()).replace(tzinfo=None)
    return reference.replace(microsecond=0)


#: The practice-local "now" of the default data: :data:`mock_halo.clock.DEFAULT_EPOCH`
#: (2026-01-05T09:00:00Z) in Sydney, i.e. Monday 5 January 2026, 20:00 (after hours).
DEFAULT_REFERENCE = normalise_reference(None)


def generate_practice(
    seed: int,
    patients: int,
    *,
    reference: datetime | None = None,
    progress: ProgressCallback | None = None,
    first_doctor: tuple[str, str] | None = None,
) -> Iterator[Batch]:
    """Yield the rows of a fake practice with ``patients`` patients.

    ``reference`` is "now" (see :func:`normalise_reference`; default
    :data:`DEFAULT_REFERENCE`); the appointment book spans 60 days either side
    of its date and its statuses are consistent with it. ``progress`` is
    called with (stage, done, total). ``first_doctor`` names the first GP.
    """
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 0:
        raise ValueError(f"patients must be a non-negative integer, got {patients!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    report = progress or _no_progress
    ref = normalise_reference(reference)
    master = random.Random(seed)
    rng_practice, rng_people, rng_clinical, rng_schedule = (random.Random(master.getrandbits(64)) for _ in range(4))
    fake = Faker("en_AU", use_weighting=False)  # a fresh instance (~1 ms) keeps generators independent
    fake.seed_instance(seed)

    for table, rows in codes.LOOKUP_ROWS.items():
        yield Batch(table, codes.LOOKUP_COLUMNS[table], list(rows))
    practice, batches = make_practice(fake, rng_practice)
    yield from batches
    staff, users = make_staff(fake, rng_practice, practice, ref, first_doctor)
    yield users
    sessions, session_batch = make_sessions(rng_schedule, staff)
    yield session_batch
    report("staff", 1, 1)

    window_start = ref.date() - timedelta(days=WINDOW_DAYS)
    people = PatientFactory(fake, rng_people, practice, staff, ref)
    clinical = ClinicalFactory(rng_clinical, staff, ref, window_start)
    summaries: list[PatientSummary] = []
    pending: list[tuple] = []
    report("patients", 0, patients)
    for rows, household in people.households(patients):
        pending.extend(rows)
        for summary in household:
            clinical.add_patient(summary)
        summaries.extend(household)
        if len(pending) >= PATIENT_CHUNK:
            yield from _patient_batches(pending, clinical)
            pending = []
            report("patients", len(summaries), patients)
    if pending:
        yield from _patient_batches(pending, clinical)
    report("patients", len(summaries), patients)

    book = AppointmentBook(rng_schedule, staff, sessions, summaries, ref, clinical.ids["VISITS"] + 1)
    total_days = len(book.days())
    appointments: list[tuple] = []
    visits: list[tuple] = []
    for day, (day_appointments, day_visits) in enumerate(book.generate(patients), start=1):
        appointments.extend(day_appointments)
        visits.extend(day_visits)
        if len(appointments) >= APPOINTMENT_CHUNK:
            yield Batch("APPOINTMENTS", APPOINTMENT_COLUMNS, appointments)
            yield Batch("VISITS", VISIT_COLUMNS, visits)
            appointments, visits = [], []
        report("appointments", day, total_days)
    if appointments:
        yield Batch("APPOINTMENTS", APPOINTMENT_COLUMNS, appointments)
    if visits:
        yield Batch("VISITS", VISIT_COLUMNS, visits)
    report("appointments", total_days, total_days)


def _patient_batches(rows: list[tuple], clinical: ClinicalFactory) -> Iterator[Batch]:
    yield Batch("PATIENTS", PATIENT_COLUMNS, rows)
    for table, clinical_rows in clinical.take_rows().items():
        if clinical_rows:
            yield Batch(table, _CLINICAL_COLUMNS[table], clinical_rows)


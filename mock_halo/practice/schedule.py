"""Weekly sessions and the appointment book around the reference instant.

Invariants (checked by the tests):

* every appointment lies inside one of its practitioner's sessions for that
  weekday, starts on a slot boundary (sessions start on quarter hours, slots are
  15 minutes) and ends by the session's end;
* a practitioner's appointments never overlap (cancelled ones included: a
  cancelled slot is simply left empty) and a patient has at most one
  appointment a day;
* statuses agree with the reference instant ("now"): before today Completed or
  Cancelled; today Completed / At billing / With doctor / Waiting / Booked by
  time; after today Booked or Cancelled. ArrivalTime and ConsultationTime are
  0 until the patient arrives / is called in, and never after "now";
* Completed and At billing appointments have a VISITS row.

The practice is closed on weekends (bar an optional Saturday morning session)
and on the public holidays in :data:`codes.PUBLIC_HOLIDAYS`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from . import codes as c
from .model import Batch, PatientSummary, Staff, StaffMember, sql_date, sql_datetime

SESSION_COLUMNS = ("SESSIONID", "RECORDSTATUS", "USERID", "LOCATIONID", "DAYOFWEEK", "STARTTIME", "ENDTIME",
                   "SLOTLENGTH")
APPOINTMENT_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "LOCATIONID", "APPOINTMENTDATE",
                       "APPOINTMENTTIME", "APPOINTMENTLENGTH", "APPOINTMENTCODE", "APPOINTMENTSTATUS", "URGENT",
                       "ARRIVALTIME", "CONSULTATIONTIME", "REASON", "BOOKEDBY", "ONLINEBOOKINGID", "CREATED", "UPDATED")

SLOT = 900
#: Days of the appointment book before and after the reference date.
WINDOW_DAYS = 60
#: Appointments booked over the whole window per patient (bounded by capacity).
APPOINTMENTS_PER_PATIENT = 4.0
_H = 3600
_DEFAULT_LENGTH = {row[0]: row[3] for row in c.LOOKUP_ROWS["APPOINTMENTTYPES"]}
_DOCTOR_TYPES = ((c.TYPE_STANDARD, 68), (c.TYPE_LONG, 12), (c.TYPE_NEW, 3), (c.TYPE_TELEHEALTH, 8),
                 (c.TYPE_CARE_PLAN, 5), (c.TYPE_HEALTH_ASSESSMENT, 2), (c.TYPE_PROCEDURE, 2))
_NURSE_TYPES = ((c.TYPE_NURSE, 50), (c.TYPE_IMMUNISATION, 40), (c.TYPE_CARE_PLAN, 10))


def bp_day_of_week(d: date) -> int:
    """Bp's DAYOFWEEK (1 = Sunday ... 7 = Saturday) of a date."""
    return (d.weekday() + 1) % 7 + 1


@dataclass(frozen=True, slots=True)
class Session:
    session_id: int
    user: StaffMember
    location_id: int
    day_of_week: int
    start: int
    end: int


def make_sessions(rng: random.Random, staff: Staff) -> tuple[list[Session], Batch]:
    """The weekly template: one or two blocks per working day per clinician."""
    sessions: list[Session] = []
    for member in staff.clinicians:
        cat = member.category
        if cat in (c.CAT_GP, c.CAT_REGISTRAR):
            days = sorted(rng.sample(range(2, 7), 5 if cat == c.CAT_REGISTRAR else rng.randint(3, 5)))
        elif cat == c.CAT_NURSE:
            days = sorted(rng.sample(range(2, 7), rng.randint(4, 5)))
        else:
            days = sorted(rng.sample(range(2, 7), rng.randint(1, 2)))
        blocks_by_day = []
        for dow in days:
            am_start = rng.choice((8 * _H, 8 * _H + 1800, 9 * _H))
            shape = rng.random()
            if shape < 0.75 or cat in (c.CAT_REGISTRAR, c.CAT_NURSE):
                blocks = [(am_start, 12 * _H + 1800), (13 * _H + 1800, rng.choice((17 * _H, 17 * _H + 1800)))]
            elif shape < 0.9:
                blocks = [(am_start, 12 * _H + 1800)]
            else:
                blocks = [(13 * _H + 1800, 18 * _H)]
            blocks_by_day.append((dow, blocks))
        if cat == c.CAT_GP and member is staff.by_category(c.CAT_GP)[0] and rng.random() < 0.5:
            blocks_by_day.append((7, [(9 * _H, 12 * _H)]))  # Saturday morning
        for dow, blocks in blocks_by_day:
            for start, end in blocks:
                sessions.append(Session(len(sessions) + 1, member, member.location_id, dow, start, end))
    rows = [(s.session_id, c.RECORD_CURRENT, s.user.user_id, s.location_id, s.day_of_week, s.start, s.end, SLOT)
            for s in sessions]
    return sessions, Batch("SESSIONS", SESSION_COLUMNS, rows)


class AppointmentBook:
    """Fills the appointment book and records the visits of attended appointments."""

    def __init__(self, rng: random.Random, staff: Staff, sessions: list[Session], patients: list[PatientSummary],
                 reference: datetime, first_visit_id: int) -> None:
        self.rng = rng
        self.reference = reference
        self.today = reference.date()
        self.now_seconds = reference.hour * _H + reference.minute * 60 + reference.second
        self.sessions_by_day: dict[int, list[Session]] = {}
        for s in sessions:
            self.sessions_by_day.setdefault(s.day_of_week, []).append(s)
        self.patients = patients
        self.active = [p for p in patients if not p.deleted and p.status == c.STATUS_ACTIVE]
        self.former = [p for p in patients if not p.deleted and p.until is not None]
        self.by_doctor: dict[int, list[PatientSummary]] = {}
        for p in self.active:
            if p.usual_doctor is not None:
                self.by_doctor.setdefault(p.usual_doctor, []).append(p)
        self.reception = [m.user_id for m in staff.by_category(c.CAT_RECEPTION) if m.user_id != staff.online_user]
        self.online = staff.online_user
        self.next_visit_id = first_visit_id
        self.booked_days: set[tuple[int, date]] = set()

    def days(self) -> list[date]:
        start = self.today - timedelta(days=WINDOW_DAYS)
        return [start + timedelta(days=i) for i in range(2 * WINDOW_DAYS + 1)]

    def _open(self, d: date) -> bool:
        return d.isoformat() not in c.PUBLIC_HOLIDAYS

    def capacity(self) -> int:
        """Number of 15-minute slots in the window's sessions."""
        total = 0
        for d in self.days():
            if self._open(d):
                total += sum((s.end - s.start) // SLOT for s in self.sessions_by_day.get(bp_day_of_week(d), ()))
        return total

    def generate(self, patient_count: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
        """Yield (appointment rows, visit rows) for each day of the window, in date order."""
        base = min(0.8, APPOINTMENTS_PER_PATIENT * patient_count / max(1, self.capacity())) if self.active else 0.0
        record_id = 0
        for d in self.days():
            if not self._open(d) or not self.active:
                yield [], []  # closed: one (empty) step per day keeps progress reporting simple
                continue
            ahead = (d - self.today).days
            occupancy = base * (max(0.25, 1 - 0.75 * ahead / WINDOW_DAYS) if ahead > 0 else 1.0)
            if ahead == 0:
                occupancy = max(occupancy, 0.5)  # "today" always looks busy
            appointments, visits = [], []
            for s in self.sessions_by_day.get(bp_day_of_week(d), ()):
                t = s.start
                while t + SLOT <= s.end:
                    if self.rng.random() >= occupancy:
                        t += SLOT
                        continue
                    patient = self._pick_patient(d, s.user)
                    if patient is None:
                        t += SLOT
                        continue
                    record_id += 1
                    row, visit, length = self._appointment(record_id, d, t, s, patient)
                    appointments.append(row)
                    if visit is not None:
                        visits.append(visit)
                    t += length
            yield appointments, visits

    def _pick_patient(self, d: date, user: StaffMember) -> PatientSummary | None:
        rng = self.rng
        own = self.by_doctor.get(user.user_id)
        for _ in range(6):
            if d < self.today and self.former and rng.random() < 0.06:
                p = rng.choice(self.former)
                if p.until is None or p.until < d:
                    continue
            elif own and rng.random() < 0.7:
                p = rng.choice(own)
            else:
                p = rng.choice(self.active)
            if p.created.date() <= d and (p.internal_id, d) not in self.booked_days:
                self.booked_days.add((p.internal_id, d))
                return p
        return None

    def _appointment(self, record_id: int, d: date, t: int, s: Session,
                     p: PatientSummary) -> tuple[tuple, tuple | None, int]:
        """(APPOINTMENTS row, VISITS row or None, length in seconds) of a booking at ``t``."""
        rng = self.rng
        cat = s.user.category
        if cat in (c.CAT_GP, c.CAT_REGISTRAR):
            appt_type = rng.choices([k for k, _ in _DOCTOR_TYPES], [w for _, w in _DOCTOR_TYPES])[0]
        elif cat == c.CAT_NURSE:
            appt_type = rng.choices([k for k, _ in _NURSE_TYPES], [w for _, w in _NURSE_TYPES])[0]
        else:
            appt_type = c.TYPE_LONG
        length = _DEFAULT_LENGTH[appt_type]
        if t + length > s.end:
            appt_type = c.TYPE_NURSE if cat == c.CAT_NURSE else c.TYPE_STANDARD
            length = SLOT
        status, arrival, consult = self._status(d, t, length)
        start_dt = datetime.combine(d, time()) + timedelta(seconds=t)
        online = rng.random() < 0.12 and self.online is not None
        if online:
            booked_by = self.online
        elif rng.random() < 0.1 or not self.reception:
            booked_by = s.user.user_id
        else:
            booked_by = rng.choice(self.reception)
        booked = start_dt - timedelta(days=rng.randint(0, 21), minutes=rng.randint(30, 600))
        booked = max(min(booked, self.reference - timedelta(minutes=rng.randint(5, 600))), p.created)
        updated = booked
        if status != c.APPT_BOOKED:
            updated = max(booked, min(start_dt + timedelta(seconds=length), self.reference))
        reason = rng.choice(c.VISIT_REASONS) if rng.random() < 0.5 else ""
        row = (
            record_id, c.RECORD_CURRENT, p.internal_id, s.user.user_id, s.location_id, sql_date(d), t, length,
            appt_type, status, 1 if rng.random() < 0.03 else 0, arrival, consult, reason, booked_by,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) if online else None,
            sql_datetime(booked), sql_datetime(updated),
        )
        visit = None
        if status in (c.APPT_COMPLETED, c.APPT_AT_BILLING):
            visit_code = c.VISIT_TELEHEALTH if appt_type == c.TYPE_TELEHEALTH else c.VISIT_SURGERY
            seen = datetime.combine(d, time()) + timedelta(seconds=consult)
            visit = (self.next_visit_id, c.RECORD_CURRENT, p.internal_id, s.user.user_id, s.location_id,
                     sql_datetime(seen), visit_code, max(300, length + rng.randint(-5, 5) * 60), record_id,
                     reason or rng.choice(c.VISIT_REASONS), sql_datetime(seen))
            self.next_visit_id += 1
        return row, visit, length

    def _status(self, d: date, t: int, length: int) -> tuple[int, int, int]:
        """(status, arrival time, consultation time) of an appointment at ``t`` on ``d``."""
        rng = self.rng
        if d > self.today:
            return (c.APPT_CANCELLED if rng.random() < 0.04 else c.APPT_BOOKED), 0, 0
        if rng.random() < (0.06 if d < self.today else 0.04):
            return c.APPT_CANCELLED, 0, 0
        now = self.now_seconds if d == self.today else 48 * _H
        end = t + length
        if t <= now:  # started (or finished) before now
            arrival = max(0, t - rng.randint(0, 15) * 60)
            consult = min(t + rng.randint(0, 10) * 60, now)
            arrival = min(arrival, consult)
            if end > now:
                return c.APPT_WITH_DOCTOR, arrival, consult
            if d == self.today and end > now - 20 * 60:
                return c.APPT_AT_BILLING, arrival, consult
            return c.APPT_COMPLETED, arrival, consult
        if t - now <= 30 * 60 and rng.random() < 0.65:
            return c.APPT_WAITING, max(0, now - rng.randint(1, 15) * 60), 0
        return c.APPT_BOOKED, 0, 0

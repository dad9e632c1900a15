"""Weekly sessions, days away and the appointment book around the anchor date.

The anchor is the emulator clock's date (practice-local); the data is as the
practice would have it at the start of that day. Invariants (checked by the tests):

* every appointment lies inside one of its practitioner's sessions for that
  weekday, starts on a slot boundary (sessions start on quarter hours, slots are
  15 minutes) and ends by the session's end; nobody is booked on a day they are
  away (DAYSAWAY) or on a public holiday;
* a practitioner's appointments never overlap (cancelled ones included: a
  cancelled slot is simply left empty) and a patient has at most one
  appointment a day;
* statuses (APPOINTMENTCODE) agree with the anchor: before it, Completed or Paid
  with a visit (VISITS, VISITREASON) and an invoice, or Did not attend (10);
  from it on, Booked (1). A cancelled booking keeps its code and gets
  RECORDSTATUS 2, a CANCELLATIONS and a CANCELLEDAPPOINTMENTS row. ArrivalTime and
  ConsultationTime are 0 until the patient arrives / is called in.

The practice is closed on weekends (bar an optional Saturday morning session)
and on public holidays (:mod:`holidays`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from . import codes as c
from .holidays import is_public_holiday
from .model import Batch, PatientSummary, Staff, StaffMember, sql_datetime, sql_midnight

SESSION_COLUMNS = ("SESSIONID", "RECORDSTATUS", "USERID", "LOCATIONID", "DAYOFWEEK", "STARTTIME", "ENDTIME", "LENGTH",
                   "LABEL", "RGB", "WEEKS", "CYCLEWEEK", "CREATED", "CREATEDBY")
DAYSAWAY_COLUMNS = ("RECORDID", "RECORDSTATUS", "USERID", "STARTDATE", "FINISHDATE", "AWAYREASON", "CREATED",
                    "CREATEDBY")
APPOINTMENT_COLUMNS = ("RECORDID", "INTERNALID", "RECORDSTATUS", "USERID", "LOCATIONID", "VISITID", "APPOINTMENTDATE",
                       "APPOINTMENTTIME", "APPOINTMENTLENGTH", "APPOINTMENTCODE", "APPOINTMENTTYPE", "URGENT", "REASON",
                       "ARRIVALTIME", "CONSULTATIONTIME", "VISITLENGTH", "ROOMID", "BOOKEDBY", "COMMENT",
                       "ATTENDANCECONFIRMED", "CREATED", "CREATEDBY", "UPDATED", "UPDATEDBY", "VIDEOURL")
VISIT_COLUMNS = ("VISITID", "INTERNALID", "USERID", "RECORDSTATUS", "VISITCODE", "DRNAME", "VISITDATE", "RECORDEDDATE",
                 "STARTTIME", "ENDTIME", "DURATION", "LOCATION", "CREATED", "CREATEDBY")
VISITREASON_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "VISITID", "REASON", "CREATED", "CREATEDBY")
CANCELLATION_COLUMNS = ("RECORDID", "RECORDSTATUS", "INTERNALID", "USERID", "APPOINTMENTID", "CREATED", "CREATEDBY")
CANCELLED_COLUMNS = ("APPOINTMENTID", "CANCELLEDBY", "CANCELLEDDATE", "CANCELLEDTIME", "REASON")
INVOICE_COLUMNS = ("INVOICEID", "RECORDSTATUS", "USERID", "LOCATIONID", "INTERNALID", "INVOICEDATE", "PAYERCODE",
                   "APPOINTMENTID", "TOTAL", "CREATED", "CREATEDBY")
SERVICE_COLUMNS = ("SERVICEID", "RECORDSTATUS", "SERVICESTATUS", "SERVICEDATE", "INVOICEID", "VISITID", "ITEMCODE",
                   "MBSITEM", "DESCRIPTION", "FEE", "TOTALFEE", "PAID", "CREATED", "CREATEDBY", "LOCATIONID", "USERID",
                   "PAYERCODE")

SLOT = 900
#: Days of the appointment book before and after the anchor date.
WINDOW_DAYS = 60
#: Appointments booked over the whole window per patient (bounded by capacity).
APPOINTMENTS_PER_PATIENT = 1.6
_H = 3600
_DEFAULT_LENGTH = {row[0]: row[4] for row in c.LOOKUPS["APPOINTMENTTYPES"][1]}
_DOCTOR_TYPES = ((c.TYPE_STANDARD, 66), (c.TYPE_LONG, 12), (c.TYPE_NEW, 3), (c.TYPE_TELEHEALTH, 6),
                 (c.TYPE_TELEPHONE, 3), (c.TYPE_CARE_PLAN, 5), (c.TYPE_HEALTH_ASSESSMENT, 2), (c.TYPE_PROCEDURE, 2),
                 (c.TYPE_RECALL, 1))
_NURSE_TYPES = ((c.TYPE_NURSE, 50), (c.TYPE_IMMUNISATION, 40), (c.TYPE_CARE_PLAN, 10))
#: MBS items by appointment type: (item, description, fee in cents).
_MBS = {c.TYPE_STANDARD: (23, "Level B consultation", 4240), c.TYPE_LONG: (36, "Level C consultation", 8210),
        c.TYPE_NEW: (36, "Level C consultation", 8210), c.TYPE_TELEHEALTH: (91800, "Telehealth consultation", 4240),
        c.TYPE_TELEPHONE: (91891, "Telephone consultation", 4240), c.TYPE_CARE_PLAN: (721, "GP management plan", 15655),
        c.TYPE_HEALTH_ASSESSMENT: (703, "Health assessment", 23260), c.TYPE_PROCEDURE: (30071, "Skin biopsy", 6385),
        c.TYPE_RECALL: (23, "Level B consultation", 4240), c.TYPE_NURSE: (10997, "Nurse chronic disease service", 1300),
        c.TYPE_IMMUNISATION: (10997, "Nurse immunisation service", 1300)}


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


def make_sessions(rng: random.Random, staff: Staff, created: datetime) -> tuple[list[Session], Batch]:
    """The weekly template: one or two blocks per working day per clinician."""
    sessions: list[Session] = []
    first_gp = staff.by_group(c.GROUP_PRINCIPAL)[0]
    for member in staff.clinicians:
        group = member.group
        if group in c.DOCTOR_GROUPS:
            days = sorted(rng.sample(range(2, 7), 5 if group == c.GROUP_REGISTRAR else rng.randint(3, 5)))
        elif group == c.GROUP_NURSE:
            days = sorted(rng.sample(range(2, 7), rng.randint(4, 5)))
        else:
            days = sorted(rng.sample(range(2, 7), rng.randint(1, 2)))
        blocks_by_day = []
        for dow in days:
            am_start = rng.choice((8 * _H, 8 * _H + 1800, 9 * _H))
            shape = rng.random()
            if shape < 0.75 or group in (c.GROUP_REGISTRAR, c.GROUP_NURSE):
                blocks = [(am_start, 12 * _H + 1800), (13 * _H + 1800, rng.choice((17 * _H, 17 * _H + 1800)))]
            elif shape < 0.9:
                blocks = [(am_start, 12 * _H + 1800)]
            else:
                blocks = [(13 * _H + 1800, 18 * _H)]
            blocks_by_day.append((dow, blocks))
        if member is first_gp and rng.random() < 0.5:
            blocks_by_day.append((7, [(9 * _H, 12 * _H)]))  # Saturday morning
        for dow, blocks in blocks_by_day:
            for start, end in blocks:
                sessions.append(Session(len(sessions) + 1, member, member.location_id, dow, start, end))
    stamp = sql_datetime(created)
    rows = [(s.session_id, c.RECORD_CURRENT, s.user.user_id, s.location_id, s.day_of_week, s.start, s.end, SLOT,
             "Morning" if s.start < 12 * _H else "Afternoon", 0, 1, 1, stamp, 0) for s in sessions]
    return sessions, Batch("SESSIONS", SESSION_COLUMNS, rows)


def make_days_away(rng: random.Random, staff: Staff, anchor: date, created_by: int) -> tuple[dict[int, set[date]], Batch]:
    """Leave in the book's window: some clinicians take one or two breaks; the second clinician
    (never the principal) is always away for a week starting 7-13 days after the anchor, so the
    "away on that date" answers can be tried against any practice."""
    away: dict[int, set[date]] = {}
    rows = []
    clinicians = staff.clinicians
    for index, member in enumerate(clinicians):
        periods = []
        if index == 1:
            periods.append((anchor + timedelta(days=rng.randint(7, 13)), 7))
        elif rng.random() < 0.35:
            periods.append((anchor + timedelta(days=rng.randint(-WINDOW_DAYS, WINDOW_DAYS - 5)), rng.randint(1, 10)))
        for start, days in periods:
            finish = start + timedelta(days=days - 1)
            away.setdefault(member.user_id, set()).update(start + timedelta(days=i) for i in range(days))
            booked = datetime.combine(start, datetime.min.time()) - timedelta(days=rng.randint(20, 90), hours=-10)
            rows.append((len(rows) + 1, c.RECORD_CURRENT, member.user_id, sql_midnight(start), sql_midnight(finish),
                         rng.choice(c.DAYS_AWAY_REASONS), sql_datetime(booked), created_by))
    return away, Batch("DAYSAWAY", DAYSAWAY_COLUMNS, rows)


class AppointmentBook:
    """Fills the appointment book and records the visits, invoices and cancellations it implies."""

    def __init__(self, rng: random.Random, staff: Staff, sessions: list[Session], patients: list[PatientSummary],
                 anchor: date, away: dict[int, set[date]], first_visit_id: int, domain: str) -> None:
        self.rng = rng
        self.today = anchor
        self.now = datetime.combine(anchor, datetime.min.time())
        self.sessions_by_day: dict[int, list[Session]] = {}
        for s in sessions:
            self.sessions_by_day.setdefault(s.day_of_week, []).append(s)
        self.away = away
        self.active = [p for p in patients if not p.deleted and p.status == c.STATUS_ACTIVE]
        self.former = [p for p in patients if not p.deleted and p.until is not None]
        self.by_doctor: dict[int, list[PatientSummary]] = {}
        for p in self.active:
            if p.usual_doctor:
                self.by_doctor.setdefault(p.usual_doctor, []).append(p)
        self.reception = [m.user_id for m in staff.by_group(c.GROUP_RECEPTION) if m.user_id != staff.online_user]
        self.online = staff.online_user
        self.domain = domain
        self.next_visit_id = first_visit_id
        self.booked_days: set[tuple[int, date]] = set()
        self.record_id = 0
        self.next_invoice = 0
        self.next_cancellation = 0
        self.extra: dict[str, list[tuple]] = {"VISITS": [], "VISITREASON": [], "CANCELLATIONS": [],
                                              "CANCELLEDAPPOINTMENTS": [], "INVOICES": [], "SERVICES": []}

    def take_extra(self) -> dict[str, list[tuple]]:
        out = self.extra
        self.extra = {name: [] for name in out}
        return out

    def days(self) -> list[date]:
        start = self.today - timedelta(days=WINDOW_DAYS)
        return [start + timedelta(days=i) for i in range(2 * WINDOW_DAYS + 1)]

    def _sessions_on(self, d: date) -> list[Session]:
        if is_public_holiday(d):
            return []
        return [s for s in self.sessions_by_day.get(bp_day_of_week(d), ()) if d not in self.away.get(s.user.user_id, ())]

    def capacity(self) -> int:
        """Number of 15-minute slots in the window's sessions."""
        return sum((s.end - s.start) // SLOT for d in self.days() for s in self._sessions_on(d))

    def generate(self, patient_count: int) -> Iterator[list[tuple]]:
        """Yield the appointment rows of each day of the window, in date order (other rows: :meth:`take_extra`)."""
        base = min(0.8, APPOINTMENTS_PER_PATIENT * patient_count / max(1, self.capacity())) if self.active else 0.0
        r = self.rng.random
        for d in self.days():
            sessions = self._sessions_on(d) if self.active else []
            ahead = (d - self.today).days
            occupancy = base * (max(0.25, 1 - 0.75 * ahead / WINDOW_DAYS) if ahead > 0 else 1.0)
            if 0 <= ahead <= 1:
                occupancy = max(occupancy, 0.5)  # today and tomorrow always look busy
            appointments = []
            for s in sessions:
                t = s.start
                while t + SLOT <= s.end:
                    if r() >= occupancy:
                        t += SLOT
                        continue
                    patient = self._pick_patient(d, s.user)
                    if patient is None:
                        t += SLOT
                        continue
                    row, length = self._appointment(d, t, s, patient)
                    appointments.append(row)
                    t += length
            yield appointments

    def _pick_patient(self, d: date, user: StaffMember) -> PatientSummary | None:
        rng = self.rng
        own = self.by_doctor.get(user.user_id)
        for _ in range(6):
            if d < self.today and self.former and rng.random() < 0.06:
                p = self.former[int(rng.random() * len(self.former))]
                if p.until is None or p.until < d:
                    continue
            elif own and rng.random() < 0.7:
                p = own[int(rng.random() * len(own))]
            else:
                p = self.active[int(rng.random() * len(self.active))]
            if p.created.date() <= d and (p.internal_id, d) not in self.booked_days:
                self.booked_days.add((p.internal_id, d))
                return p
        return None

    def _appointment(self, d: date, t: int, s: Session, p: PatientSummary) -> tuple[tuple, int]:
        """(APPOINTMENTS row, length in seconds) of a booking at ``t``; visits and the rest go to ``extra``."""
        rng = self.rng
        r = rng.random
        self.record_id += 1
        record_id = self.record_id
        group = s.user.group
        if group in c.DOCTOR_GROUPS:
            appt_type = rng.choices([k for k, _ in _DOCTOR_TYPES], [w for _, w in _DOCTOR_TYPES])[0]
        elif group == c.GROUP_NURSE:
            appt_type = rng.choices([k for k, _ in _NURSE_TYPES], [w for _, w in _NURSE_TYPES])[0]
        else:
            appt_type = c.TYPE_LONG
        length = _DEFAULT_LENGTH[appt_type]
        if t + length > s.end:
            appt_type = c.TYPE_NURSE if group == c.GROUP_NURSE else c.TYPE_STANDARD
            length = SLOT
        start_dt = datetime.combine(d, datetime.min.time()) + timedelta(seconds=t)
        online = r() < 0.12
        if online:
            booked_by = self.online
        elif r() < 0.1 or not self.reception:
            booked_by = s.user.user_id
        else:
            booked_by = self.reception[int(r() * len(self.reception))]
        booked = start_dt - timedelta(days=rng.randint(0, 21), minutes=rng.randint(30, 600))
        booked = max(min(booked, self.now - timedelta(minutes=rng.randint(5, 600))), p.created)
        reason = c.VISIT_REASONS[int(r() * len(c.VISIT_REASONS))] if r() < 0.5 else ""
        video = (f"https://video.{self.domain}/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                 if appt_type == c.TYPE_TELEHEALTH else None)
        code, record_status, arrival, consult, visit_length, visit_id = c.APPT_BOOKED, c.RECORD_CURRENT, 0, 0, 0, 0
        updated = updated_by = None
        if d < self.today:
            x = r()
            if x < 0.06:
                record_status = c.RECORD_CANCELLED
            elif x < 0.10:
                code = c.APPT_DNA
            else:
                arrival = max(0, t - rng.randint(0, 15) * 60)
                consult = t + rng.randint(0, 10) * 60
                visit_length = max(300, length + rng.randint(-5, 5) * 60)
                visit_id = self._visit(record_id, d, consult, visit_length, appt_type, reason, s, p)
                code = self._invoice(record_id, d, consult, visit_id, appt_type, s, p)
            updated, updated_by = sql_datetime(start_dt + timedelta(seconds=length)), s.user.user_id
        elif r() < 0.04:
            record_status = c.RECORD_CANCELLED
        if record_status == c.RECORD_CANCELLED:
            cancelled = max(booked + timedelta(minutes=5), min(start_dt - timedelta(hours=rng.randint(1, 72)),
                                                                self.now - timedelta(minutes=5)))
            cancelled_by = self.reception[int(r() * len(self.reception))] if self.reception else s.user.user_id
            stamp = sql_datetime(cancelled)
            self.next_cancellation += 1
            self.extra["CANCELLATIONS"].append((self.next_cancellation, c.RECORD_CURRENT,
                                                p.internal_id, s.user.user_id, record_id, stamp, cancelled_by))
            self.extra["CANCELLEDAPPOINTMENTS"].append((
                record_id, cancelled_by, sql_midnight(cancelled.date()),
                cancelled.hour * _H + cancelled.minute * 60 + cancelled.second,
                rng.choice(c.LOOKUPS["CANCELLATIONREASONS"][1])[2]))
            updated, updated_by = stamp, cancelled_by
        row = (
            record_id, p.internal_id, record_status, s.user.user_id, s.location_id, visit_id, sql_midnight(d), t, length,
            code, appt_type, 1 if r() < 0.03 else 0, reason, arrival, consult, visit_length, s.user.room_id, booked_by,
            "Requested online" if online and r() < 0.3 else None, None, sql_datetime(booked), booked_by, updated,
            updated_by, video,
        )
        return row, length

    def _visit(self, record_id: int, d: date, consult: int, length: int, appt_type: int, reason: str, s: Session,
               p: PatientSummary) -> int:
        visit_id = self.next_visit_id
        self.next_visit_id += 1
        seen = datetime.combine(d, datetime.min.time()) + timedelta(seconds=consult)
        stamp = sql_datetime(seen)
        code = (c.VISIT_TELEHEALTH if appt_type == c.TYPE_TELEHEALTH else c.VISIT_TELEPHONE
                if appt_type == c.TYPE_TELEPHONE else c.VISIT_SURGERY)
        self.extra["VISITS"].append((visit_id, p.internal_id, s.user.user_id, c.RECORD_CURRENT, code, s.user.display,
                                     stamp, stamp, consult, consult + length, length // 60, s.location_id, stamp,
                                     s.user.user_id))
        self.extra["VISITREASON"].append((visit_id, c.RECORD_CURRENT, p.internal_id, visit_id,
                                          reason or self.rng.choice(c.VISIT_REASONS), stamp, s.user.user_id))
        return visit_id

    def _invoice(self, record_id: int, d: date, consult: int, visit_id: int, appt_type: int, s: Session,
                 p: PatientSummary) -> int:
        """The visit's invoice and its one service; returns the appointment's final status."""
        item, description, fee = _MBS[appt_type]
        bulk_billed = self.rng.random() < 0.75
        payer = 2 if bulk_billed else 1
        self.next_invoice += 1
        invoice_id = self.next_invoice
        when = sql_datetime(datetime.combine(d, datetime.min.time()) + timedelta(seconds=consult + 900))
        self.extra["INVOICES"].append((invoice_id, c.RECORD_CURRENT, s.user.user_id, s.location_id, p.internal_id,
                                       sql_midnight(d), payer, record_id, fee, when, s.user.user_id))
        total = fee if bulk_billed else fee + 3500
        self.extra["SERVICES"].append((invoice_id, c.RECORD_CURRENT, 1, sql_midnight(d), invoice_id, visit_id, item,
                                       item, description, fee, total, total, when, s.user.user_id, s.location_id,
                                       s.user.user_id, payer))
        return c.APPT_COMPLETED if bulk_billed else c.APPT_PAID

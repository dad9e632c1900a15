"""The appointment book's procedures: free slots, booking, cancelling, arriving, moving, reading.

Bp's conventions (bp-premier-schema 5, 6.2): times are seconds since midnight and
lengths seconds; ``@aptdate`` is a date or a string (``'2023-01-10'``,
``'20191204'``); new ids are the RETURN value; APPOINTMENTCODE is the status
(1 Booked, 2 Waiting, 10 Did not attend) and APPOINTMENTTYPE the type; a
cancelled booking keeps its row with RECORDSTATUS 2.
"""

from __future__ import annotations

from datetime import date, datetime

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure

from .. import codes as c
from .common import as_date, as_int, as_text, changed, insert, result, seconds_now, stamp

SLOT = 900


def bp_day_of_week(day: str) -> int:
    """Bp's DAYOFWEEK: 1 = Sunday ... 7 = Saturday."""
    return date.fromisoformat(day[:10]).isoweekday() % 7 + 1


def away_reason(call: ProcedureCall, userid: int, day: str) -> str | None:
    """Why the practitioner is away on ``day`` (DAYSAWAY), or None when they are not."""
    stored = day[:10] + "T00:00:00"
    found = call.query("SELECT AWAYREASON FROM DAYSAWAY WHERE RECORDSTATUS = 1 AND USERID = ? AND STARTDATE <= ? "
                       "AND FINISHDATE >= ? ORDER BY STARTDATE", (userid, stored, stored))
    return (found[0][0] or "").strip() if found else None


def free_slots(call: ProcedureCall, userid: int, day: str) -> list[tuple[int, int]]:
    """(start, length) of the free slots of ``userid``'s sessions on ``day`` (``YYYY-MM-DD``).

    Sessions are the weekly SESSIONS of that weekday in force on the day plus the
    day's EXTRASESSIONS, cut into slots of the session's LENGTH; a slot is free when
    no current booking (RECORDSTATUS 1, whatever its status) overlaps it. Nothing is
    free on a day the practitioner is away.
    """
    stored = day[:10] + "T00:00:00"
    if away_reason(call, userid, day) is not None:
        return []
    sessions = call.query(
        "SELECT STARTTIME, ENDTIME, LENGTH FROM SESSIONS WHERE RECORDSTATUS = 1 AND USERID = ? AND DAYOFWEEK = ? "
        "AND (STARTDATE IS NULL OR STARTDATE <= ?) AND (ENDDATE IS NULL OR ENDDATE >= ?) "
        "UNION ALL SELECT STARTTIME, ENDTIME, LENGTH FROM EXTRASESSIONS WHERE RECORDSTATUS = 1 AND USERID = ? "
        "AND SESSIONDATE = ? ORDER BY 1", (userid, bp_day_of_week(day), stored, stored, userid, stored))
    booked = call.query("SELECT APPOINTMENTTIME, APPOINTMENTLENGTH FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
                        "AND USERID = ? AND APPOINTMENTDATE = ?", (userid, stored))
    slots = []
    for start, end, length in sessions:
        length = length or SLOT
        for slot in range(start, end - length + 1, length):
            if not any(b < slot + length and slot < b + max(n, 1) for b, n in booked):
                slots.append((slot, length))
    return slots


def _provider(call: ProcedureCall, userid: int) -> str:
    found = call.query("SELECT RTRIM(T.TITLE), RTRIM(U.FIRSTNAME), RTRIM(U.SURNAME) FROM USERS U "
                       "LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE WHERE U.USERID = ?", (userid,))
    return " ".join(part for part in found[0] if part) if found else f"User {userid}"


@procedure("BP_GetFreeAppointments", "@aptdate DATE", "@userid INT")
def get_free_appointments(call: ProcedureCall) -> ProcedureResult:
    """Free slots of one practitioner on one date; an error (not an empty set) when they are away."""
    day = as_date(call, "aptdate")
    userid = as_int(call, "userid")
    if day is None or userid is None:
        return ProcedureResult(result_sets=[result([("AppointmentTime", K.INT), ("AppointmentLength", K.INT)], [])])
    reason = away_reason(call, userid, day)
    if reason is not None:
        when = datetime.fromisoformat(day[:10]).strftime("%d/%m/%Y")
        raise errors.raised(f"{_provider(call, userid)} is away on that date ({when}"
                             f"{': ' + reason if reason else ''}).")
    rows = free_slots(call, userid, day)
    return ProcedureResult(result_sets=[result([("AppointmentTime", K.INT), ("AppointmentLength", K.INT)], rows)])


@procedure("BP_IsAppointmentBooked", "@userid INT", "@aptdate DATE", "@apttime INT")
def is_appointment_booked(call: ProcedureCall) -> ProcedureResult:
    """RETURN 1 when a booking still in Booked status covers the time, else 0."""
    found = call.query("SELECT COUNT(*) FROM APPOINTMENTS WHERE RECORDSTATUS = 1 AND APPOINTMENTCODE = ? "
                       "AND USERID = ? AND APPOINTMENTDATE = ? AND APPOINTMENTTIME <= ? "
                       "AND APPOINTMENTTIME + APPOINTMENTLENGTH > ?",
                       (c.APPT_BOOKED, as_int(call, "userid"), as_date(call, "aptdate"), as_int(call, "apttime"),
                        as_int(call, "apttime")))
    return ProcedureResult(return_value=1 if found[0][0] else 0)


def _book(call: ProcedureCall, kind: int, reason: str, video: str | None) -> ProcedureResult:
    patient, practitioner = as_int(call, "patientid"), as_int(call, "practitionerid")
    alive = call.query("SELECT RECORDSTATUS FROM PATIENTS WHERE INTERNALID = ?", (patient,))
    if not alive or alive[0][0] != c.RECORD_CURRENT:
        return ProcedureResult(return_value=0)  # a deleted or unknown patient: no booking, return value 0
    room = call.query("SELECT ROOMID FROM APPOINTMENTS WHERE USERID = ? AND ROOMID <> 0 ORDER BY RECORDID DESC "
                      "LIMIT 1", (practitioner,))
    login = as_int(call, "loginid") or 0
    new_id = insert(call, "APPOINTMENTS", {
        "INTERNALID": patient, "RECORDSTATUS": c.RECORD_CURRENT, "USERID": practitioner,
        "LOCATIONID": as_int(call, "locationid") or 1, "APPOINTMENTDATE": as_date(call, "aptdate"),
        "APPOINTMENTTIME": as_int(call, "apttime"), "APPOINTMENTLENGTH": as_int(call, "aptlen") or SLOT,
        "APPOINTMENTCODE": c.APPT_BOOKED, "APPOINTMENTTYPE": kind, "REASON": reason,
        "ROOMID": room[0][0] if room else 0, "BOOKEDBY": login, "CREATED": stamp(call), "CREATEDBY": login,
        "VIDEOURL": video,
    })
    return ProcedureResult(rows_affected=1, return_value=new_id)


@procedure("BP_AddAppointment", "@aptdate DATE", "@apttime INT", "@aptlen INT", "@practitionerid INT",
           "@patientid INT", "@loginid INT = 0", "@locationid INT = 1")
def add_appointment(call: ProcedureCall) -> ProcedureResult:
    """Book a slot (type 1, no reason); the new RECORDID is the return value."""
    return _book(call, c.TYPE_STANDARD, "", None)


@procedure("BP_AddAppointmentEx", "@aptdate DATE", "@apttime INT", "@appointmenttype INT", "@aptlen INT",
           "@practitionerid INT", "@patientid INT", "@reason VARCHAR(500)", "@loginid INT = 0",
           "@locationid INT = 1", "@videourl VARCHAR(2000) = NULL")
def add_appointment_ex(call: ProcedureCall) -> ProcedureResult:
    """Book a slot with a type, a reason and a video link; the new RECORDID is the return value."""
    return _book(call, as_int(call, "appointmenttype") or c.TYPE_STANDARD, as_text(call, "reason"),
                 call.args.get("videourl"))


@procedure("BP_CancelAppointment", "@aptid INT", "@loginid INT = 0")
def cancel_appointment(call: ProcedureCall) -> ProcedureResult:
    """RECORDSTATUS 2, with the CANCELLATIONS and CANCELLEDAPPOINTMENTS rows; 0, or 1 when there is no booking."""
    aptid, login = as_int(call, "aptid"), as_int(call, "loginid") or 0
    found = call.query("SELECT INTERNALID, USERID FROM APPOINTMENTS WHERE RECORDID = ? AND RECORDSTATUS = 1", (aptid,))
    count = call.execute("UPDATE APPOINTMENTS SET RECORDSTATUS = ?, UPDATED = ?, UPDATEDBY = ? WHERE RECORDID = ? "
                         "AND RECORDSTATUS = 1", (c.RECORD_CANCELLED, stamp(call), login, aptid))
    if found:
        insert(call, "CANCELLATIONS", {"RECORDSTATUS": c.RECORD_CURRENT, "INTERNALID": found[0][0],
                                       "USERID": found[0][1], "APPOINTMENTID": aptid, "CREATED": stamp(call),
                                       "CREATEDBY": login})
        call.execute("INSERT INTO CANCELLEDAPPOINTMENTS (APPOINTMENTID, CANCELLEDBY, CANCELLEDDATE, CANCELLEDTIME, "
                     "REASON) VALUES (?, ?, ?, ?, ?)", (aptid, login, call.now.strftime("%Y-%m-%dT00:00:00"),
                                                        seconds_now(call), None))
    return ProcedureResult(rows_affected=count, return_value=changed(count))


def _update(call: ProcedureCall, assignments: str, values: tuple) -> ProcedureResult:
    count = call.execute(f"UPDATE APPOINTMENTS SET {assignments}, UPDATED = ? WHERE RECORDID = ?",
                         (*values, stamp(call), as_int(call, "aptid")))
    return ProcedureResult(rows_affected=count, return_value=changed(count))


@procedure("BP_ArriveAppointment", "@aptid INT")
def arrive_appointment(call: ProcedureCall) -> ProcedureResult:
    """The patient has arrived: status Waiting (2) and the arrival time."""
    return _update(call, "APPOINTMENTCODE = ?, ARRIVALTIME = ?", (c.APPT_WAITING, seconds_now(call)))


@procedure("BP_UnarriveAppointment", "@aptid INT")
def unarrive_appointment(call: ProcedureCall) -> ProcedureResult:
    """Undo an arrival: back to Booked (1), arrival time 0."""
    return _update(call, "APPOINTMENTCODE = ?, ARRIVALTIME = 0", (c.APPT_BOOKED,))


@procedure("BP_ConfirmAppointment", "@aptid INT")
def confirm_appointment(call: ProcedureCall) -> ProcedureResult:
    """The patient confirmed by SMS: ATTENDANCECONFIRMED 1."""
    return _update(call, "ATTENDANCECONFIRMED = 1, ATTENDANCEUPDATED = ?", (stamp(call),))


@procedure("BP_DeclineAppointment", "@aptid INT")
def decline_appointment(call: ProcedureCall) -> ProcedureResult:
    """The patient declined by SMS: ATTENDANCECONFIRMED 2."""
    return _update(call, "ATTENDANCECONFIRMED = 2, ATTENDANCEUPDATED = ?", (stamp(call),))


@procedure("BP_UpdateAppointment", "@aptid INT", "@apttype INT", "@aptlen INT", "@reason VARCHAR(500)")
def update_appointment(call: ProcedureCall) -> ProcedureResult:
    """Type, length and reason; NULL keeps the current value."""
    return _update(call, "APPOINTMENTTYPE = COALESCE(?, APPOINTMENTTYPE), "
                         "APPOINTMENTLENGTH = COALESCE(?, APPOINTMENTLENGTH), REASON = COALESCE(?, REASON)",
                   (as_int(call, "apttype"), as_int(call, "aptlen"), call.args.get("reason")))


@procedure("BP_MoveAppointment", "@aptid INT", "@aptdate DATE", "@apttime INT", "@practitionerid INT",
           "@locationid INT")
def move_appointment(call: ProcedureCall) -> ProcedureResult:
    """New date, time, practitioner and location."""
    return _update(call, "APPOINTMENTDATE = ?, APPOINTMENTTIME = ?, USERID = ?, LOCATIONID = ?",
                   (as_date(call, "aptdate"), as_int(call, "apttime"), as_int(call, "practitionerid"),
                    as_int(call, "locationid")))


@procedure("BP_GetAppointmentDetails", "@aptid INT")
def get_appointment_details(call: ProcedureCall) -> ProcedureResult:
    """One appointment with its patient, type and practitioner (no record status: clients read that apart)."""
    rows = call.query(
        "SELECT P.FIRSTNAME, P.SURNAME, A.APPOINTMENTDATE, A.APPOINTMENTTIME, A.APPOINTMENTTYPE, TY.DESCRIPTION, "
        "T.TITLE, U.FIRSTNAME, U.SURNAME FROM APPOINTMENTS A LEFT JOIN PATIENTS P ON P.INTERNALID = A.INTERNALID "
        "LEFT JOIN APPOINTMENTTYPES TY ON TY.APPOINTMENTCODE = A.APPOINTMENTTYPE "
        "LEFT JOIN USERS U ON U.USERID = A.USERID LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE "
        "WHERE A.RECORDID = ?", (as_int(call, "aptid"),))
    columns = [("Firstname", K.STR), ("Surname", K.STR), ("AppointmentDate", K.DATETIME), ("AppointmentTime", K.INT),
               ("AppointmentType", K.INT), ("Description", K.STR), ("UserTitle", K.STR), ("UserFirstname", K.STR),
               ("UserSurname", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_GetPatientAppointments", "@patientid INT")
def get_patient_appointments(call: ProcedureCall) -> ProcedureResult:
    """A patient's upcoming bookings (today on, not cancelled), soonest first."""
    rows = call.query(
        "SELECT A.RECORDID, A.APPOINTMENTCODE, T.TITLE, U.SURNAME, A.APPOINTMENTDATE, A.APPOINTMENTTIME, "
        "A.APPOINTMENTTYPE FROM APPOINTMENTS A LEFT JOIN USERS U ON U.USERID = A.USERID "
        "LEFT JOIN TITLES T ON T.TITLECODE = U.TITLECODE WHERE A.RECORDSTATUS = 1 AND A.INTERNALID = ? "
        "AND A.APPOINTMENTDATE >= ? ORDER BY A.APPOINTMENTDATE, A.APPOINTMENTTIME",
        (as_int(call, "patientid"), call.now.strftime("%Y-%m-%dT00:00:00")))
    columns = [("RecordID", K.INT), ("AppointmentCode", K.INT), ("UserTitle", K.STR), ("UserSurname", K.STR),
               ("AppointmentDate", K.DATETIME), ("AppointmentTime", K.INT), ("AppointmentType", K.INT)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_GetUserBookedAppointments", "@userid INT", "@aptdate DATE")
def get_user_booked_appointments(call: ProcedureCall) -> ProcedureResult:
    """A practitioner's bookings still in Booked status on a date (InternalID comes twice, as in Bp)."""
    rows = call.query(
        "SELECT A.RECORDID, P.FIRSTNAME, P.SURNAME, A.INTERNALID, P.INTERNALID, A.APPOINTMENTTIME, "
        "A.APPOINTMENTLENGTH, A.APPOINTMENTTYPE, A.APPOINTMENTCODE, A.URGENT FROM APPOINTMENTS A "
        "LEFT JOIN PATIENTS P ON P.INTERNALID = A.INTERNALID WHERE A.RECORDSTATUS = 1 AND A.APPOINTMENTCODE = ? "
        "AND A.USERID = ? AND A.APPOINTMENTDATE = ? ORDER BY A.APPOINTMENTTIME",
        (c.APPT_BOOKED, as_int(call, "userid"), as_date(call, "aptdate")))
    columns = [("RecordID", K.INT), ("Firstname", K.STR), ("Surname", K.STR), ("InternalID", K.INT),
               ("InternalID", K.INT), ("AppointmentTime", K.INT), ("AppointmentLength", K.INT),
               ("AppointmentType", K.INT), ("AppointmentCode", K.INT), ("Urgent", K.INT)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_GetUserDaysAway", "@userid INT", "@start DATE")
def get_user_days_away(call: ProcedureCall) -> ProcedureResult:
    """A practitioner's current days away that end on or after ``@start``."""
    rows = call.query("SELECT RECORDID, USERID, STARTDATE, FINISHDATE, AWAYREASON FROM DAYSAWAY WHERE RECORDSTATUS = 1 "
                      "AND USERID = ? AND FINISHDATE >= ? ORDER BY STARTDATE",
                      (as_int(call, "userid"), as_date(call, "start")))
    columns = [("RecordID", K.INT), ("UserID", K.INT), ("StartDate", K.DATETIME), ("FinishDate", K.DATETIME),
               ("Reason", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_GetAllSessions")
def get_all_sessions(call: ProcedureCall) -> ProcedureResult:
    """Every current weekly session (DAYOFWEEK 1 = Sunday ... 7 = Saturday)."""
    rows = call.query("SELECT USERID, LOCATIONID, DAYOFWEEK, STARTTIME, ENDTIME, LENGTH, STARTDATE, ENDDATE, "
                      "CYCLEDATE, WEEKS, CYCLEWEEK FROM SESSIONS WHERE RECORDSTATUS = 1 "
                      "ORDER BY USERID, DAYOFWEEK, STARTTIME", ())
    columns = [("UserID", K.INT), ("LocationID", K.INT), ("DayOfWeek", K.INT), ("StartTime", K.INT),
               ("EndTime", K.INT), ("Length", K.INT), ("StartDate", K.DATETIME), ("EndDate", K.DATETIME),
               ("CycleDate", K.DATETIME), ("Weeks", K.INT), ("CycleWeek", K.INT)]
    return ProcedureResult(result_sets=[result(columns, rows)])

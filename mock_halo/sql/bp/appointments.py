"""Appointment book procedures: free slots, add, update, move, cancel, arrive, a patient's list.

Status codes (APPOINTMENTSTATUSCODES): 1 Booked, 2 Waiting, 6 Cancelled. Times are
seconds since midnight; lengths in seconds; free slots are 15 minutes (900 s).
"""

from __future__ import annotations

from datetime import date

from mock_halo.sql.bp.common import as_date, as_int, result, stamp
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure
from mock_halo.sql.semantics import kinds as K

BOOKED, WAITING, CANCELLED = 1, 2, 6
SLOT = 900


def bp_day_of_week(day: str) -> int:
    """Bp's DAYOFWEEK: 1 = Sunday ... 7 = Saturday."""
    return date.fromisoformat(day).isoweekday() % 7 + 1


def free_slots(call: ProcedureCall, userid: int, day: str) -> list[int]:
    """Start times of the free 15-minute slots of ``userid``'s sessions on ``day``."""
    sessions = call.query("SELECT STARTTIME, ENDTIME FROM SESSIONS WHERE RECORDSTATUS = 1 AND USERID = ? "
                          "AND DAYOFWEEK = ? ORDER BY STARTTIME", (userid, bp_day_of_week(day)))
    booked = call.query("SELECT APPOINTMENTTIME, APPOINTMENTLENGTH FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
                        "AND USERID = ? AND APPOINTMENTDATE = ? AND APPOINTMENTSTATUS <> ?",
                        (userid, day, CANCELLED))
    slots = []
    for start, end in sessions:
        for slot in range(start, end - SLOT + 1, SLOT):
            if not any(b < slot + SLOT and slot < b + max(length, 1) for b, length in booked):
                slots.append(slot)
    return slots


@procedure("BP_GetFreeAppointments", "userid", "aptdate")
def get_free_appointments(call: ProcedureCall) -> ProcedureResult:
    day = as_date(call, "aptdate")
    userid = as_int(call, "userid")
    slots = free_slots(call, userid, day) if day is not None and userid is not None else []
    rows = [(userid, day, slot, SLOT) for slot in slots]
    columns = [("UserID", K.INT), ("AppointmentDate", K.DATE), ("AppointmentTime", K.INT),
               ("AppointmentLength", K.INT)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_AddAppointment", "aptdate", "apttime", "aptlen", "practitionerid", "patientid", "locationid")
def add_appointment(call: ProcedureCall) -> ProcedureResult:
    """Book a slot; the new RECORDID is the return value."""
    values = (as_int(call, "patientid"), as_int(call, "practitionerid"), as_int(call, "locationid"),
              as_date(call, "aptdate"), as_int(call, "apttime"), as_int(call, "aptlen") or SLOT, BOOKED,
              stamp(call), stamp(call))
    call.execute("INSERT INTO APPOINTMENTS (INTERNALID, USERID, LOCATIONID, APPOINTMENTDATE, APPOINTMENTTIME, "
                 "APPOINTMENTLENGTH, APPOINTMENTSTATUS, CREATED, UPDATED) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    new_id = call.query("SELECT last_insert_rowid()", ())[0][0]
    return ProcedureResult(rows_affected=1, return_value=new_id)


def _change(call: ProcedureCall, sql: str, values: tuple) -> ProcedureResult:
    changed = call.execute(sql, values)
    return ProcedureResult(rows_affected=changed, return_value=0 if changed else 1)


@procedure("BP_CancelAppointment", "aptid")
def cancel_appointment(call: ProcedureCall) -> ProcedureResult:
    return _change(call, "UPDATE APPOINTMENTS SET APPOINTMENTSTATUS = ?, UPDATED = ? WHERE RECORDID = ?",
                   (CANCELLED, stamp(call), as_int(call, "aptid")))


@procedure("BP_ArriveAppointment", "aptid")
def arrive_appointment(call: ProcedureCall) -> ProcedureResult:
    now = call.now.hour * 3600 + call.now.minute * 60 + call.now.second
    return _change(call, "UPDATE APPOINTMENTS SET APPOINTMENTSTATUS = ?, ARRIVALTIME = ?, UPDATED = ? "
                         "WHERE RECORDID = ?", (WAITING, now, stamp(call), as_int(call, "aptid")))


@procedure("BP_UpdateAppointment", "aptid", "apttype", "aptlen", "reason")
def update_appointment(call: ProcedureCall) -> ProcedureResult:
    return _change(call, "UPDATE APPOINTMENTS SET APPOINTMENTCODE = COALESCE(?, APPOINTMENTCODE), "
                         "APPOINTMENTLENGTH = COALESCE(?, APPOINTMENTLENGTH), REASON = COALESCE(?, REASON), "
                         "UPDATED = ? WHERE RECORDID = ?",
                   (as_int(call, "apttype"), as_int(call, "aptlen"), call.args.get("reason"), stamp(call),
                    as_int(call, "aptid")))


@procedure("BP_MoveAppointment", "aptid", "aptdate", "apttime", "practitionerid", "locationid")
def move_appointment(call: ProcedureCall) -> ProcedureResult:
    return _change(call, "UPDATE APPOINTMENTS SET APPOINTMENTDATE = ?, APPOINTMENTTIME = ?, USERID = ?, "
                         "LOCATIONID = ?, UPDATED = ? WHERE RECORDID = ?",
                   (as_date(call, "aptdate"), as_int(call, "apttime"), as_int(call, "practitionerid"),
                    as_int(call, "locationid"), stamp(call), as_int(call, "aptid")))


@procedure("BP_GetPatientAppointments", "patientid")
def get_patient_appointments(call: ProcedureCall) -> ProcedureResult:
    rows = call.query("SELECT A.RECORDID, A.APPOINTMENTDATE, A.APPOINTMENTTIME, A.APPOINTMENTLENGTH, A.USERID, "
                      "S.STATUSTEXT, A.REASON FROM APPOINTMENTS A LEFT JOIN APPOINTMENTSTATUSCODES S "
                      "ON S.STATUSCODE = A.APPOINTMENTSTATUS WHERE A.RECORDSTATUS = 1 AND A.INTERNALID = ? "
                      "ORDER BY A.APPOINTMENTDATE, A.APPOINTMENTTIME", (as_int(call, "patientid"),))
    columns = [("AppointmentID", K.INT), ("AppointmentDate", K.DATE), ("AppointmentTime", K.INT),
               ("AppointmentLength", K.INT), ("UserID", K.INT), ("Status", K.STR), ("Reason", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


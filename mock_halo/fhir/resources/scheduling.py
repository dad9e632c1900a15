"""Appointment (APPOINTMENTS): start/end from the date and seconds since midnight, in practice-local time.

The status comes from APPOINTMENTCODE (Bp's workflow status) and RECORDSTATUS (2: cancelled).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_halo.fhir import mapping as m
from mock_halo.fhir.params import sql_bound
from mock_halo.fhir.query import Binder
from mock_halo.fhir.spec import Context, ResourceSpec, date_param, id_param, reference_param, token_map_param

#: APPOINTMENTCODES -> Appointment.status; 0 stands for a cancelled booking (RECORDSTATUS 2).
STATUS = {0: "cancelled", 1: "booked", 2: "arrived", 3: "checked-in", 4: "fulfilled", 5: "fulfilled", 6: "fulfilled",
          7: "fulfilled", 10: "noshow"}
#: The status code of a row: APPOINTMENTCODE, or 0 when the booking is cancelled.
STATUS_EXPRESSION = "CASE WHEN A.RECORDSTATUS = 1 THEN A.APPOINTMENTCODE ELSE 0 END"
STATUS_CODES: dict[str, list[int]] = {}
for _code, _status in STATUS.items():
    STATUS_CODES.setdefault(_status, []).append(_code)


def _split(moment: datetime) -> tuple[str, int]:
    moment = sql_bound(moment)
    return moment.strftime("%Y-%m-%d"), moment.hour * 3600 + moment.minute * 60 + moment.second


def _at_or_after(b: Binder, moment: datetime) -> str:
    day, seconds = _split(moment)
    d = b.date(day)
    return f"(A.APPOINTMENTDATE > {d} OR (A.APPOINTMENTDATE = {d} AND A.APPOINTMENTTIME >= {b.int(seconds)}))"


def _before(b: Binder, moment: datetime) -> str:
    day, seconds = _split(moment)
    d = b.date(day)
    return f"(A.APPOINTMENTDATE < {d} OR (A.APPOINTMENTDATE = {d} AND A.APPOINTMENTTIME < {b.int(seconds)}))"


def appointment(row: dict[str, Any], ctx: Context) -> dict[str, Any]:
    start = datetime.fromisoformat(row["APPOINTMENTDATE"][:10]) + timedelta(seconds=int(row["APPOINTMENTTIME"]))
    length = int(row.get("APPOINTMENTLENGTH") or 0)
    end = start + timedelta(seconds=length)
    status = STATUS.get(row.get("STATUSCODE"), "booked")
    patient = m.display_name(row.get("PATIENTTITLE"), row.get("PATIENTFIRSTNAME"), row.get("PATIENTSURNAME"))
    doctor = m.display_name(row.get("USERTITLE"), row.get("USERFIRSTNAME"), row.get("USERSURNAME"))
    resource: dict[str, Any] = {"resourceType": "Appointment", "id": str(row["RECORDID"]), "status": status}
    if kind := m.text(row.get("TYPENAME")):
        resource["appointmentType"] = m.concept(kind)
    if reason := m.text(row.get("REASON")):
        resource["reasonCode"] = [m.concept(reason)]
        resource["description"] = reason
    if row.get("URGENT"):
        resource["priority"] = 1
    resource["start"] = m.local_to_fhir(start)
    resource["end"] = m.local_to_fhir(end)
    resource["minutesDuration"] = max(1, length // 60)
    if row.get("CREATED"):
        resource["created"] = m.fhir_datetime(row["CREATED"])
    participant_status = "declined" if status == "cancelled" else "accepted"
    resource["participant"] = [
        {"actor": m.reference("Patient", row["INTERNALID"], patient or None), "required": "required",
         "status": participant_status},
        {"actor": m.reference("Practitioner", row["USERID"], doctor or None), "required": "required",
         "status": participant_status},
        {"actor": m.reference("Location", row["LOCATIONID"]), "required": "information-only", "status": "accepted"},
    ]
    return resource


APPOINTMENT = ResourceSpec(
    type="Appointment",
    columns=("A.RECORDID, A.INTERNALID, A.USERID, A.LOCATIONID, A.APPOINTMENTDATE, A.APPOINTMENTTIME, "
             f"A.APPOINTMENTLENGTH, {STATUS_EXPRESSION} AS STATUSCODE, A.URGENT, A.REASON, A.CREATED, "
             "TY.DESCRIPTION AS TYPENAME, "
             "PT.TITLE AS PATIENTTITLE, P.FIRSTNAME AS PATIENTFIRSTNAME, P.SURNAME AS PATIENTSURNAME, "
             "UT.TITLE AS USERTITLE, U.FIRSTNAME AS USERFIRSTNAME, U.SURNAME AS USERSURNAME"),
    tables=("APPOINTMENTS A LEFT JOIN APPOINTMENTTYPES TY ON TY.APPOINTMENTCODE = A.APPOINTMENTTYPE "
            "LEFT JOIN PATIENTS P ON P.INTERNALID = A.INTERNALID LEFT JOIN TITLES PT ON PT.TITLECODE = P.TITLECODE "
            "LEFT JOIN USERS U ON U.USERID = A.USERID LEFT JOIN TITLES UT ON UT.TITLECODE = U.TITLECODE"),
    base_filter="A.RECORDSTATUS IN (1, 2)",
    id_column="A.RECORDID",
    to_resource=appointment,
    params={
        "_id": id_param("A.RECORDID"),
        "patient": reference_param("patient", "A.INTERNALID", "Patient", "The patient of the appointment"),
        "practitioner": reference_param("practitioner", "A.USERID", "Practitioner", "The practitioner"),
        "location": reference_param("location", "A.LOCATIONID", "Location", "Where the appointment is"),
        "date": date_param("date", _at_or_after, _before, "Appointment start (practice-local time)"),
        "status": token_map_param("status", f"({STATUS_EXPRESSION})", STATUS_CODES, "The appointment status",
                                  "http://hl7.org/fhir/appointmentstatus"),
    },
    sorts={"_id": "A.RECORDID", "date": "A.APPOINTMENTDATE, A.APPOINTMENTTIME"},
    includes={"Appointment:patient": ("Patient", "INTERNALID"), "Appointment:practitioner": ("Practitioner", "USERID"),
              "Appointment:location": ("Location", "LOCATIONID")},
    profile="http://hl7.org/fhir/StructureDefinition/Appointment",
    operations=(("find-free", "http://hl7.org/fhir/uv/scheduling/OperationDefinition/find-free"),),
    documentation="The appointment book (Bp Premier APPOINTMENTS); times are Australia/Sydney local",
)

SPECS = [APPOINTMENT]

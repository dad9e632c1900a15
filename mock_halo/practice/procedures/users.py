"""Users, locations and messages: BP_GetAllUsers, BP_GetAppointmentBookUsers, BP_GetPracticeLocations,
BP_GetPracticeLocation and BP_AddMessage."""

from __future__ import annotations

from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.procedures import ProcedureCall, ProcedureResult, procedure


from .common import as_int, as_text, insert, result, seconds_now, stamp

_USER_COLUMNS = [("UserID", K.INT), ("Surname", K.STR), ("Firstname", K.STR), ("GroupName", K.STR),
                 ("Appointments", K.INT), ("LocationID", K.INT)]
_USER_SELECT = ("SELECT U.USERID, U.SURNAME, U.FIRSTNAME, G.GROUPNAME, U.APPOINTMENTS, U.LOCATIONID FROM USERS U "
                "LEFT JOIN USERGROUPS G ON G.GROUPCODE = U.GROUPCODE WHERE U.RECORDSTATUS = 1 AND U.USERSTATUS = 1 "
                "AND U.USERID <> 0")
_LOCATION_COLUMNS = [("LocationID", K.INT), ("LocationName", K.STR), ("Address1", K.STR), ("Address2", K.STR),
                     ("City", K.STR), ("Postcode", K.STR), ("Phone", K.STR), ("Fax", K.STR), ("Email", K.STR)]


@procedure("BP_GetAllUsers")
def get_all_users(call: ProcedureCall) -> ProcedureResult:
    """Every active user (practitioners and staff), by surname; Appointments = has an appointment book."""
    rows = call.query(_USER_SELECT + " ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID", ())
    return ProcedureResult(result_sets=[result(_USER_COLUMNS, rows)])


@procedure("BP_GetAppointmentBookUsers")
def get_appointment_book_users(call: ProcedureCall) -> ProcedureResult:
    """The active users with an appointment book (USERS.APPOINTMENTS = 1)."""
    rows = call.query(_USER_SELECT + " AND U.APPOINTMENTS = 1 ORDER BY U.SURNAME, U.FIRSTNAME, U.USERID", ())
    return ProcedureResult(result_sets=[result(_USER_COLUMNS, rows)])


@procedure("BP_GetPracticeLocations")
def get_practice_locations(call: ProcedureCall) -> ProcedureResult:
    rows = call.query("SELECT LOCATIONID, LOCATIONNAME, ADDRESS1, ADDRESS2, CITY, POSTCODE, PHONE, FAX, EMAIL "
                      "FROM LOCATIONS WHERE RECORDSTATUS = 1 ORDER BY LOCATIONID", ())
    return ProcedureResult(result_sets=[result(_LOCATION_COLUMNS, rows)])


@procedure("BP_GetPracticeLocation", "@locationid INT")
def get_practice_location(call: ProcedureCall) -> ProcedureResult:
    rows = call.query("SELECT LOCATIONNAME, ADDRESS1, ADDRESS2, CITY, POSTCODE, PHONE FROM LOCATIONS "
                      "WHERE LOCATIONID = ?", (as_int(call, "locationid"),))
    columns = [("LOCATIONNAME", K.STR), ("ADDRESS1", K.STR), ("ADDRESS2", K.STR), ("CITY", K.STR),
               ("POSTCODE", K.STR), ("PHONE", K.STR)]
    return ProcedureResult(result_sets=[result(columns, rows)])


@procedure("BP_AddMessage", "@userid INT", "@subject VARCHAR(100)", "@message VARCHAR(MAX)", "@patid INT = 0")
def add_message(call: ProcedureCall) -> ProcedureResult:
    """A message in the user's Bp inbox (MESSAGES), optionally about a patient; returns 0."""
    insert(call, "MESSAGES", {"MESSAGESTATUS": 0, "PRIORITY": 0, "USERID": as_int(call, "userid"), "FROMID": 0,
                              "INTERNALID": as_int(call, "patid") or 0, "MESSAGEDATE": call.now.strftime(
                                  "%Y-%m-%dT00:00:00"), "MESSAGETIME": seconds_now(call),
                              "SUBJECT": as_text(call, "subject"), "MESSAGE": as_text(call, "message"),
                              "CREATED": stamp(call), "CREATEDBY": 0})
    return ProcedureResult(rows_affected=1, return_value=0)




"""Bp stored procedures over the generated practice: real signatures, return values, result columns and errors
(bp-premier-schema 5), through EXEC in text and storedProcedure commands. Expected values come from the raw
template tables, read with plain SQLite before the engine sees anything."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mock_halo.practice import build_catalogue
from mock_halo.sql import SqlError, SqlParameter, procedures
from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.testing import FIXED_NOW, rows, run

DAY = date(2026, 2, 3)


@pytest.fixture()
def engine():
    template = build_catalogue("BestPractice", "BPSPatients", 1, 50)
    engine = SqliteEngine({"BPSPatients": template.serialize()}, "BPSPatients", now=lambda: FIXED_NOW)
    engine.raw = template
    yield engine
    engine.close()


def raw(engine, sql: str, params: tuple = ()) -> list[tuple]:
    return engine.raw.execute(sql, params).fetchall()


def sp(engine, name: str, mode: str = "reader", **values):
    """A storedProcedure command with typed input parameters (int -> Int, date -> Date, str -> VarChar)."""
    params = []
    for key, value in values.items():
        kind = "Int" if isinstance(value, int) else "Date" if isinstance(value, date) else "VarChar"
        params.append(SqlParameter(f"@{key}", "input", kind, None if value is None else str(value)))
    params.append(SqlParameter("@ret", "returnValue", "Int", None))
    return run(engine, name, mode=mode, command_type="storedProcedure", parameters=params)


def not_away(engine, day: date) -> int:
    """A practitioner with a session on ``day``'s weekday who is not away that day."""
    stored = day.isoformat() + "T00:00:00"
    return raw(engine, "SELECT S.USERID FROM SESSIONS S WHERE S.RECORDSTATUS = 1 AND S.DAYOFWEEK = ? AND NOT EXISTS "
                       "(SELECT 1 FROM DAYSAWAY D WHERE D.USERID = S.USERID AND D.RECORDSTATUS = 1 "
                       "AND ? BETWEEN D.STARTDATE AND D.FINISHDATE) ORDER BY S.USERID",
               (day.isoweekday() % 7 + 1, stored))[0][0]


def test_add_appointment_return_value_in_the_clients_pattern(engine):
    text = ("DECLARE @AppointmentId INT; EXEC @AppointmentId = BPSPATIENTS.dbo.BP_AddAppointment "
            "@aptdate = '2026-02-02', @apttime = 36000, @aptlen = 900, @practitionerid = 1, @patientid = 3, "
            "@locationid = 1; SELECT @AppointmentId AS AppointmentId")
    expected = raw(engine, "SELECT MAX(RECORDID) + 1 FROM APPOINTMENTS")[0][0]
    assert rows(engine, text) == [{"AppointmentId": expected}]
    assert rows(engine, f"SELECT INTERNALID, APPOINTMENTTIME, APPOINTMENTCODE, APPOINTMENTTYPE, APPOINTMENTDATE "
                        f"FROM APPOINTMENTS WHERE RECORDID = {expected}") == [
        {"INTERNALID": 3, "APPOINTMENTTIME": 36000, "APPOINTMENTCODE": 1, "APPOINTMENTTYPE": 1,
         "APPOINTMENTDATE": "2026-02-02T00:00:00"}]


def test_positional_add_appointment_with_login_and_location(engine):
    """OQEA's seven positional arguments: date, time, length, practitioner, patient, login, location."""
    got = sp(engine, "BP_AddAppointment", "nonQuery", aptdate="20260203", apttime=32400, aptlen=1800,
             practitionerid=2, patientid=4, loginid=5, locationid=1)
    new_id = int(got.parameters[-1]["value"])
    assert rows(engine, f"SELECT APPOINTMENTLENGTH, CREATEDBY, BOOKEDBY FROM APPOINTMENTS WHERE RECORDID = {new_id}") == [
        {"APPOINTMENTLENGTH": 1800, "CREATEDBY": 5, "BOOKEDBY": 5}]
    run(engine, "EXEC BP_AddAppointment '2026-02-03', 33300, 900, 2, 4, 5, 1")


def test_add_appointment_ex_keeps_type_reason_and_video_and_refuses_deleted_patients(engine):
    got = sp(engine, "BP_AddAppointmentEx", "nonQuery", aptdate="2026-02-03", apttime=29700, appointmenttype=29,
             aptlen=900, practitionerid=1, patientid=2, reason="Telehealth review", videourl="https://v.example/x")
    new_id = int(got.parameters[-1]["value"])
    assert rows(engine, f"SELECT APPOINTMENTTYPE, REASON, VIDEOURL, APPOINTMENTCODE FROM APPOINTMENTS "
                        f"WHERE RECORDID = {new_id}") == [
        {"APPOINTMENTTYPE": 29, "REASON": "Telehealth review", "VIDEOURL": "https://v.example/x", "APPOINTMENTCODE": 1}]
    deleted = raw(engine, "SELECT INTERNALID FROM PATIENTS WHERE RECORDSTATUS <> 1")
    target = deleted[0][0] if deleted else 10 ** 6
    got = sp(engine, "BP_AddAppointmentEx", "nonQuery", aptdate="2026-02-03", apttime=29700, appointmenttype=1,
             aptlen=900, practitionerid=1, patientid=target, reason="")
    assert got.parameters[-1]["value"] == "0"


def test_free_appointments_are_the_session_slots_minus_bookings(engine):
    userid = not_away(engine, DAY)
    sessions = raw(engine, "SELECT STARTTIME, ENDTIME, LENGTH FROM SESSIONS WHERE USERID = ? AND DAYOFWEEK = ? "
                           "AND RECORDSTATUS = 1 ORDER BY STARTTIME", (userid, DAY.isoweekday() % 7 + 1))
    slots = [(t, n) for s, e, n in sessions for t in range(s, e - n + 1, n)]
    assert slots, "the fixture should give the practitioner a session on that weekday"
    run(engine, f"EXEC BP_AddAppointment '{DAY:%Y%m%d}', {slots[0][0]}, 900, {userid}, 3")
    got = rows(engine, "BP_GetFreeAppointments", command_type="storedProcedure",
               parameters=[SqlParameter("@userid", "input", "Int", str(userid)),
                           SqlParameter("@aptdate", "input", "Date", DAY.isoformat())])
    booked = raw(engine, "SELECT APPOINTMENTTIME, APPOINTMENTLENGTH FROM APPOINTMENTS WHERE USERID = ? AND "
                         "APPOINTMENTDATE = ? AND RECORDSTATUS = 1", (userid, f"{DAY}T00:00:00")) + [(slots[0][0], 900)]
    free = [{"AppointmentTime": t, "AppointmentLength": n} for t, n in slots
            if not any(b < t + n and t < b + m for b, m in booked)]
    assert got == free and slots[0][0] not in [r["AppointmentTime"] for r in got]


def test_free_appointments_raise_the_away_error_on_a_day_away(engine):
    """Clients recognise the error by 'away' and 'that date' in its message (bp-premier-schema 5.2)."""
    userid, start, reason = raw(engine, "SELECT USERID, STARTDATE, AWAYREASON FROM DAYSAWAY WHERE RECORDSTATUS = 1 "
                                        "ORDER BY RECORDID")[0]
    with pytest.raises(SqlError) as info:
        run(engine, f"EXEC BP_GetFreeAppointments @userid = {userid}, @aptdate = '{start[:10]}'")
    assert info.value.number == 50000
    message = info.value.message.lower()
    assert "away" in message and "that date" in message and reason.strip().lower() in message
    other = date.fromisoformat(start[:10]) - timedelta(days=400)
    assert isinstance(rows(engine, f"EXEC BP_GetFreeAppointments '{other}', {userid}"), list)


def test_is_appointment_booked_counts_only_bookings_still_booked(engine):
    userid = not_away(engine, DAY)
    run(engine, f"EXEC BP_AddAppointment '{DAY}', 36000, 1800, {userid}, 3")
    booked = sp(engine, "BP_IsAppointmentBooked", "nonQuery", userid=userid, aptdate=DAY, apttime=36900)
    free = sp(engine, "BP_IsAppointmentBooked", "nonQuery", userid=userid, aptdate=DAY, apttime=37800)
    assert (booked.parameters[-1]["value"], free.parameters[-1]["value"]) == ("1", "0")


def test_cancel_keeps_the_row_with_record_status_2_and_the_audit_rows(engine):
    aptid = raw(engine, "SELECT MIN(RECORDID) FROM APPOINTMENTS WHERE RECORDSTATUS = 1")[0][0]
    outcome = sp(engine, "BP_CancelAppointment", "nonQuery", aptid=aptid)
    assert outcome.parameters[-1]["value"] == "0" and outcome.rows_affected == 1
    assert rows(engine, f"SELECT RECORDSTATUS FROM APPOINTMENTS WHERE RECORDID = {aptid}") == [{"RECORDSTATUS": 2}]
    assert rows(engine, f"SELECT COUNT(*) AS n FROM CANCELLATIONS WHERE APPOINTMENTID = {aptid}") == [{"n": 1}]
    assert rows(engine, f"SELECT CANCELLEDBY FROM CANCELLEDAPPOINTMENTS WHERE APPOINTMENTID = {aptid}") == [
        {"CANCELLEDBY": 0}]
    assert sp(engine, "BP_CancelAppointment", "nonQuery", aptid=aptid, loginid=0).parameters[-1]["value"] == "1"


def test_arrive_unarrive_confirm_decline(engine):
    aptid = raw(engine, "SELECT MAX(RECORDID) FROM APPOINTMENTS WHERE RECORDSTATUS = 1")[0][0]
    run(engine, f"EXEC BP_ArriveAppointment {aptid}")
    arrived = FIXED_NOW.hour * 3600 + FIXED_NOW.minute * 60
    assert rows(engine, f"SELECT APPOINTMENTCODE, ARRIVALTIME FROM APPOINTMENTS WHERE RECORDID = {aptid}") == [
        {"APPOINTMENTCODE": 2, "ARRIVALTIME": arrived}]
    assert rows(engine, "SELECT RTRIM(Status) AS s FROM BPS_Appointments WHERE ArrivalTime = "
                        f"{arrived}") == [{"s": "Waiting"}]
    run(engine, f"EXEC BP_UnarriveAppointment @aptid = {aptid}")
    run(engine, f"EXEC BP_ConfirmAppointment {aptid}")
    assert rows(engine, f"SELECT APPOINTMENTCODE, ARRIVALTIME, ATTENDANCECONFIRMED FROM APPOINTMENTS "
                        f"WHERE RECORDID = {aptid}") == [{"APPOINTMENTCODE": 1, "ARRIVALTIME": 0,
                                                          "ATTENDANCECONFIRMED": 1}]
    run(engine, f"EXEC BP_DeclineAppointment {aptid}")
    assert rows(engine, f"SELECT ATTENDANCECONFIRMED FROM APPOINTMENTS WHERE RECORDID = {aptid}") == [
        {"ATTENDANCECONFIRMED": 2}]


def test_user_booked_appointments_have_internal_id_twice(engine):
    userid, day = raw(engine, "SELECT USERID, APPOINTMENTDATE FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
                              "AND APPOINTMENTCODE = 1 ORDER BY APPOINTMENTDATE, USERID")[0]
    expected = raw(engine, "SELECT RECORDID, INTERNALID FROM APPOINTMENTS WHERE RECORDSTATUS = 1 AND APPOINTMENTCODE = 1 "
                           "AND USERID = ? AND APPOINTMENTDATE = ? ORDER BY APPOINTMENTTIME", (userid, day))
    got = rows(engine, f"EXEC BP_GetUserBookedAppointments {userid}, '{day[:10]}'")
    assert [(r["RecordID"], r["InternalID"], r["InternalID1"]) for r in got] == [(a, p, p) for a, p in expected]
    assert list(got[0]) == ["RecordID", "Firstname", "Surname", "InternalID", "InternalID1", "AppointmentTime",
                            "AppointmentLength", "AppointmentType", "AppointmentCode", "Urgent"]


def test_users_procedures_match_the_users_table(engine):
    active = raw(engine, "SELECT USERID, APPOINTMENTS FROM USERS WHERE RECORDSTATUS = 1 AND USERSTATUS = 1 "
                         "AND USERID <> 0")
    books = rows(engine, "EXEC BP_GetAppointmentBookUsers")
    assert sorted(r["UserID"] for r in books) == sorted(u for u, a in active if a == 1)
    every = rows(engine, "EXEC dbo.BP_GetAllUsers")
    assert sorted(r["UserID"] for r in every) == sorted(u for u, _ in active)
    assert list(every[0]) == ["UserID", "Surname", "Firstname", "GroupName", "Appointments", "LocationID"]


def test_sessions_and_days_away_procedures(engine):
    sessions = raw(engine, "SELECT USERID, DAYOFWEEK, STARTTIME FROM SESSIONS WHERE RECORDSTATUS = 1 "
                           "ORDER BY USERID, DAYOFWEEK, STARTTIME")
    got = rows(engine, "BP_GetAllSessions", command_type="storedProcedure")
    assert [(r["UserID"], r["DayOfWeek"], r["StartTime"]) for r in got] == sessions
    userid, finish = raw(engine, "SELECT USERID, FINISHDATE FROM DAYSAWAY ORDER BY RECORDID")[0]
    away = rows(engine, f"EXEC BP_GetUserDaysAway @userid = {userid}, @start = '{finish[:10]}'")
    assert finish in [r["FinishDate"] for r in away]


def test_add_patient_accepts_code_zero_and_the_optional_tail(engine):
    """GEM's 28 arguments with 0 for title, sex, pension and DVA; the e-mail goes to table EMAIL."""
    args = ("0, 'Ava', '', 'Stone', '', '1 Main St', '', 'Springfield', '2000', '', '', '', '1990-05-06', 0, '', '', "
            "'0400 000 001', '', '', '', 0, '', NULL, 0, '', '', '', 'ava@example.com'")
    text = f"DECLARE @id INT; EXEC @id = BPSPATIENTS.dbo.BP_AddPatient {args}; SELECT @id AS id"
    new_id = rows(engine, text)[0]["id"]
    assert new_id == raw(engine, "SELECT MAX(INTERNALID) + 1 FROM PATIENTS")[0][0]
    got = rows(engine, f"SELECT RTRIM(P.FIRSTNAME) AS f, P.SEXCODE, P.PENSIONCODE, P.DVACODE, P.TITLECODE, E.EMAIL "
                       f"FROM PATIENTS P JOIN EMAIL E ON E.INTERNALID = P.INTERNALID WHERE P.INTERNALID = {new_id}")
    assert got == [{"f": "Ava", "SEXCODE": 0, "PENSIONCODE": 0, "DVACODE": 0, "TITLECODE": 0,
                    "EMAIL": "ava@example.com"}]
    assert rows(engine, f"SELECT InternalID, RTRIM(Sex) AS Sex FROM BPS_Patients WHERE InternalID = {new_id}") == [
        {"InternalID": new_id, "Sex": ""}]
    tail = rows(engine, f"DECLARE @id INT; EXEC @id = BP_AddPatient {args}, 1, 4, 1, 0, 2, 3; SELECT @id AS id")
    assert tail[0]["id"] == new_id + 1


@pytest.mark.parametrize(("text", "number", "message"), [
    ("EXEC BP_CancelAppointment", 201,
     "Procedure or function 'BP_CancelAppointment' expects parameter '@aptid', which was not supplied."),
    ("EXEC BP_CancelAppointment 1, 2, 3", 8144, "Procedure or function BP_CancelAppointment has too many arguments "
                                                "specified."),
    ("EXEC BP_AddPatient @titlecode = 0, @firstname = 'A', @surname = 'B', @emergencycontact = 0", 8145,
     "@emergencycontact is not a parameter for procedure BP_AddPatient."),
    ("EXEC BP_AddPatient @titlecode = 0, @firstname = 'A', @surname = 'B'", 201,
     "Procedure or function 'BP_AddPatient' expects parameter '@middlename', which was not supplied."),
    ("EXEC BP_UpdatePatientHealthFund @internalid = 1, @healthfundno = '', @healthfundname = '', @healthfundid = 0, "
     "@healthfundexpiry = NULL", 8145, "@internalid is not a parameter for procedure BP_UpdatePatientHealthFund."),
    ("EXEC BP_Nope 1", 2812, "Could not find stored procedure 'BP_Nope'."),
])
def test_argument_errors(engine, text, number, message):
    with pytest.raises(SqlError) as info:
        run(engine, text)
    assert (info.value.number, info.value.message) == (number, message)


def test_patient_updates_and_lookups(engine):
    patient = raw(engine, "SELECT INTERNALID, SURNAME, FIRSTNAME, DOB FROM PATIENTS WHERE RECORDSTATUS = 1 "
                          "ORDER BY INTERNALID")[0]
    pid, surname, first, dob = patient
    for text in (f"EXEC BP_UpdatePatientMedicare {pid}, '2950123456', '2', '11/2029'",
                 f"EXEC BP_UpdatePatientPension {pid}, 1, 'CRN1', NULL, '2027-01-01'",
                 f"EXEC BP_UpdatePatientDVA {pid}, 1, 'NX1'",
                 f"EXEC BP_UpdatePatientContacts {pid}, '', '', '0411 111 111'",
                 f"EXEC BP_UpdatePatientAddress {pid}, '9 High St', NULL, 'Newtown', '2042'",
                 f"EXEC BP_UpdatePatientEmail {pid}, 'new@example.com'",
                 f"EXEC BP_UpdatePatientHealthFund @patientid = {pid}, @healthfundno = '77', "
                 "@healthfundname = 'HCF', @healthfundid = 0, @healthfundexpiry = NULL",
                 f"EXEC BP_SetNextOfKin {pid}, 0, 'Stone', 'Bo', '', '', '', '0400', 'Son', ''"):
        run(engine, text)
    got = rows(engine, f"EXEC BP_GetPatientByInternalID {pid}")[0]
    assert (got["MedicareNo"], got["MedicareLineNo"], got["MedicareExpiry"], got["PensionCode"], got["DVACode"],
            got["MobilePhone"], got["Address1"], got["Email"]) == (
        "2950123456", "2", "11/2029", 1, 1, "0411 111 111", "9 High St", "new@example.com")
    kin = rows(engine, f"SELECT RTRIM(K.FIRSTNAME) AS f, K.TYPE FROM NEXTOFKIN K JOIN PATIENTS P "
                       f"ON P.NEXTOFKINID = K.NEXTOFKINID WHERE P.INTERNALID = {pid}")
    assert kin == [{"f": "Bo", "TYPE": 1}]
    by_name = rows(engine, f"EXEC BP_GetPatientByNameDOB '{surname.upper()}', '{first}', '{dob[:10]}'")
    assert pid in [r["InternalID"] for r in by_name]
    by_part = rows(engine, f"EXEC BP_GetPatientByPartSurnameDOB '{surname[:3]}', '{dob[:10]}'")
    assert pid in [r["InternalID"] for r in by_part]
    run(engine, f"EXEC BP_DeletePatient {pid}")
    assert rows(engine, f"EXEC BP_GetPatientByInternalID {pid}") == []


def test_messages_and_clinical_notes_are_stored(engine):
    run(engine, "EXEC BP_AddMessage @userid = 1, @subject = 'Call back', @message = 'Please ring', @patid = 2")
    run(engine, "EXEC BP_AddMessage 1, 'No patient', 'Hello'")
    assert rows(engine, "SELECT USERID, INTERNALID, SUBJECT FROM MESSAGES ORDER BY RECORDID") == [
        {"USERID": 1, "INTERNALID": 2, "SUBJECT": "Call back"}, {"USERID": 1, "INTERNALID": 0, "SUBJECT": "No patient"}]
    before = raw(engine, "SELECT COUNT(*) FROM VISITS")[0][0]
    run(engine, "EXEC BP_AddClinicalNote @patientid = 2, @visittext = 'Nursing home visit', @locationid = 1")
    assert rows(engine, "SELECT COUNT(*) AS n FROM VISITS") == [{"n": before + 1}]
    assert rows(engine, "SELECT TOP 1 VISITCODE, CAST(VISITNOTES AS VARCHAR(50)) AS notes FROM VISITS "
                        "ORDER BY VISITID DESC") == [{"VISITCODE": 12, "notes": "Nursing home visit"}]


def _sample(parameter: procedures.Parameter):
    if parameter.type.startswith(("DATE", "DATETIME")):
        return "'2026-02-03'"
    if parameter.type.startswith(("VARCHAR", "CHAR")):
        return "''"
    return "1"


@pytest.mark.parametrize("name", procedures.names())
def test_every_procedure_runs_with_only_its_required_arguments(engine, name):
    """An omitted optional parameter takes its default; nothing surfaces a raw engine error."""
    fn = procedures.find(name)
    declared = procedures.declared_parameters(fn) or ()
    args = ", ".join(f"@{p.name} = {_sample(p)}" for p in declared if not p.optional)
    try:
        run(engine, f"EXEC {procedures.display_name(name)} {args}".strip())
    except SqlError as exc:
        assert exc.number == 50000 and "away" in exc.message, exc  # BP_GetFreeAppointments on a day away

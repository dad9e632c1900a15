"""Bp stored procedures over the generated practice: EXEC in text, storedProcedure commands, argument errors."""

from __future__ import annotations

from datetime import date

import pytest

from mock_halo.practice import build_catalogue
from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.testing import FIXED_NOW, rows, run


@pytest.fixture()
def engine():
    template = build_catalogue("BestPractice", "BPSPatients", 1, 50)
    raw = template
    engine = SqliteEngine({"BPSPatients": template.serialize()}, "BPSPatients", now=lambda: FIXED_NOW)
    engine.raw = raw
    yield engine
    engine.close()


def test_add_appointment_return_value_in_the_clients_pattern(engine):
    text = ("DECLARE @AppointmentId INT; EXEC @AppointmentId = BPSPATIENTS.dbo.BP_AddAppointment "
            "@aptdate = '2026-02-02', @apttime = 36000, @aptlen = 900, @practitionerid = 1, @patientid = 3, "
            "@locationid = 1; SELECT @AppointmentId AS AppointmentId")
    expected = engine.raw.execute("SELECT MAX(RECORDID) + 1 FROM APPOINTMENTS").fetchone()[0]
    assert rows(engine, text) == [{"AppointmentId": expected}]
    assert rows(engine, f"SELECT INTERNALID, APPOINTMENTTIME FROM APPOINTMENTS WHERE RECORDID = {expected}") == [
        {"INTERNALID": 3, "APPOINTMENTTIME": 36000}]


def test_free_appointments_are_the_session_slots_minus_bookings(engine):
    userid, day = 1, date(2026, 2, 3)
    bp_dow = day.isoweekday() % 7 + 1
    sessions = engine.raw.execute("SELECT STARTTIME, ENDTIME FROM SESSIONS WHERE USERID = ? AND DAYOFWEEK = ? "
                                  "AND RECORDSTATUS = 1", (userid, bp_dow)).fetchall()
    slots = [t for s, e in sessions for t in range(s, e - 899, 900)]
    assert slots, "the fixture should give practitioner 1 a session on that weekday"
    run(engine, "EXEC BP_AddAppointment '2026-02-03', ?, 900, 1, 3, 1".replace("?", str(slots[0])))
    got = rows(engine, "BP_GetFreeAppointments", command_type="storedProcedure",
               parameters=[SqlParameter("@userid", "input", "Int", "1"),
                           SqlParameter("@aptdate", "input", "Date", day.isoformat())])
    booked = engine.raw.execute("SELECT APPOINTMENTTIME, APPOINTMENTLENGTH FROM APPOINTMENTS WHERE USERID = ? AND "
                                "APPOINTMENTDATE = ? AND APPOINTMENTSTATUS <> 6 AND RECORDSTATUS = 1",
                                (userid, day.isoformat())).fetchall() + [(slots[0], 900)]
    free = [t for t in slots if not any(b < t + 900 and t < b + n for b, n in booked)]
    assert [r["AppointmentTime"] for r in got] == free and slots[0] not in free


def test_stored_procedure_command_echoes_the_return_value(engine):
    outcome = run(engine, "BP_CancelAppointment", mode="nonQuery", command_type="storedProcedure",
                  parameters=[SqlParameter("@aptid", "input", "Int", "1"),
                              SqlParameter("@ret", "returnValue", "Int", None)])
    assert outcome.parameters[0]["value"] == "0" and outcome.rows_affected == 1
    assert rows(engine, "SELECT APPOINTMENTSTATUS FROM APPOINTMENTS WHERE RECORDID = 1") == [{"APPOINTMENTSTATUS": 6}]


def test_users_procedures_match_the_users_table(engine):
    expected = engine.raw.execute("SELECT COUNT(*) FROM USERS WHERE RECORDSTATUS = 1 AND APPOINTMENTBOOK = 1"
                                  ).fetchone()[0]
    assert len(rows(engine, "EXEC BP_GetAppointmentBookUsers")) == expected
    assert len(rows(engine, "EXEC dbo.BP_GetAllUsers")) == engine.raw.execute(
        "SELECT COUNT(*) FROM USERS WHERE RECORDSTATUS = 1").fetchone()[0]


@pytest.mark.parametrize(("text", "number", "message"), [
    ("EXEC BP_CancelAppointment", 201,
     "Procedure or function 'BP_CancelAppointment' expects parameter '@aptid', which was not supplied."),
    ("EXEC BP_CancelAppointment 1, 2", 8144, "Procedure or function BP_CancelAppointment has too many arguments "
                                             "specified."),
    ("EXEC BP_Nope 1", 2812, "Could not find stored procedure 'BP_Nope'."),
])
def test_argument_errors(engine, text, number, message):
    with pytest.raises(SqlError) as info:
        run(engine, text)
    assert (info.value.number, info.value.message) == (number, message)

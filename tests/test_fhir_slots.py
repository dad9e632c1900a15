"""FHIR Schedule and Slot: free slots = sessions minus non-cancelled appointments (as BP_GetFreeAppointments)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fhir_support import Fhir, assert_outcome, ids

DAY = "2026-01-05"
WINDOW = f"start=ge{DAY}&start=lt2026-01-06"


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


@pytest.fixture
def doctor(halo) -> int:
    """A practitioner with sessions on the Monday 2026-01-05 (Bp DAYOFWEEK 2) who is not away that day."""
    return halo.rows("SELECT TOP 1 USERID FROM SESSIONS S WHERE RECORDSTATUS = 1 AND DAYOFWEEK = 2 AND NOT EXISTS "
                     "(SELECT 1 FROM DAYSAWAY D WHERE D.USERID = S.USERID AND D.RECORDSTATUS = 1 "
                     f"AND '{DAY}' BETWEEN D.STARTDATE AND D.FINISHDATE) ORDER BY USERID")[0]["USERID"]


def proc_free(halo, userid: int, day: str) -> list[int]:
    rows = halo.rows("BP_GetFreeAppointments", type="storedProcedure", parameters=[
        {"name": "@userid", "direction": "input", "type": "Int", "value": str(userid)},
        {"name": "@aptdate", "direction": "input", "type": "Date", "value": day}])
    return [r["AppointmentTime"] for r in rows]


def seconds_of(resource) -> int:
    start = datetime.fromisoformat(resource["start"])
    return start.hour * 3600 + start.minute * 60


def test_schedules_are_one_per_practitioner_with_sessions(fhir, halo, doctor):
    users = [r["USERID"] for r in halo.rows(
        "SELECT DISTINCT USERID FROM SESSIONS WHERE RECORDSTATUS = 1 ORDER BY USERID")]
    found, _ = fhir.all_pages("Schedule?_count=3")
    assert sorted(int(s["id"]) for s in found) == sorted(users)
    one = fhir.ok(f"Schedule?actor=Practitioner/{doctor}&_include=Schedule:actor")
    assert ids(one) == [str(doctor)] and ids(one, "include") == [str(doctor)]
    assert fhir.ok(f"Schedule/{doctor}")["actor"][0]["reference"] == f"Practitioner/{doctor}"


def test_slots_equal_bp_get_free_appointments(fhir, halo, doctor):
    found, first = fhir.all_pages(f"Slot?schedule=Schedule/{doctor}&{WINDOW}&status=free&_count=7")
    assert first["total"] == len(found) > 0
    assert [seconds_of(s) for s in found] == proc_free(halo, doctor, DAY)
    for resource in found:
        assert resource["status"] == "free" and resource["schedule"]["reference"] == f"Schedule/{doctor}"
        assert resource["id"] == f"{doctor}-20260105-{seconds_of(resource)}"
        assert fhir.ok(f"Slot/{resource['id']}") == resource
        assert datetime.fromisoformat(resource["end"]) - datetime.fromisoformat(resource["start"]) == timedelta(minutes=15)


def test_slots_never_overlap_a_booked_appointment(fhir, halo):
    found, _ = fhir.all_pages(f"Slot?start=ge{DAY}&start=lt2026-01-10&_count=500")
    booked = halo.rows("SELECT USERID, APPOINTMENTDATE, APPOINTMENTTIME, APPOINTMENTLENGTH FROM APPOINTMENTS "
                       "WHERE RECORDSTATUS = 1")
    for resource in found:
        user = int(resource["schedule"]["reference"].split("/")[1])
        start = datetime.fromisoformat(resource["start"]).replace(tzinfo=None)
        for b in booked:
            if b["USERID"] != user:
                continue
            b_start = datetime.fromisoformat(b["APPOINTMENTDATE"][:10]) + timedelta(seconds=b["APPOINTMENTTIME"])
            b_end = b_start + timedelta(seconds=max(b["APPOINTMENTLENGTH"], 1))
            assert not (b_start < start + timedelta(minutes=15) and start < b_end), (resource, b)


def test_booking_through_bp_add_appointment_removes_the_slot(fhir, halo, doctor):
    bundle = fhir.ok(f"Slot?schedule={doctor}&{WINDOW}")
    target = bundle["entry"][0]["resource"]
    halo.rows("BP_AddAppointment", type="storedProcedure", parameters=[
        {"name": "@aptdate", "direction": "input", "type": "Date", "value": DAY},
        {"name": "@apttime", "direction": "input", "type": "Int", "value": str(seconds_of(target))},
        {"name": "@aptlen", "direction": "input", "type": "Int", "value": "900"},
        {"name": "@practitionerid", "direction": "input", "type": "Int", "value": str(doctor)},
        {"name": "@patientid", "direction": "input", "type": "Int", "value": "1"},
        {"name": "@locationid", "direction": "input", "type": "Int", "value": "1"}])
    after = fhir.ok(f"Slot?schedule={doctor}&{WINDOW}")
    assert target["id"] not in ids(after) and after["total"] == bundle["total"] - 1
    assert_outcome(fhir.get(f"Slot/{target['id']}"), 404, "not-found")


def test_status_other_than_free_matches_nothing(fhir, doctor):
    assert fhir.ok(f"Slot?schedule={doctor}&{WINDOW}&status=busy")["total"] == 0


@pytest.mark.parametrize(("query", "fragment"), [
    ("Slot", "start range"),
    (f"Slot?start=ge{DAY}", "start range"),
    ("Slot?start=ge2026-01-01&start=lt2026-03-01", "31 days"),
    (f"Slot?start=ap{DAY}&start=lt2026-01-06", "prefix"),
    (f"Slot?{WINDOW}&status=nonsense", "status"),
    (f"Slot?{WINDOW}&start=ge2026-13-01", "start"),
    (f"Slot?{WINDOW}&schedule=abc", "reference"),
])
def test_slot_search_errors(fhir, query, fragment):
    assert_outcome(fhir.get(query), 400, "invalid", fragment)


def test_unknown_slot_parameter_and_ids(fhir):
    assert_outcome(fhir.get(f"Slot?{WINDOW}&foo=1"), 400, "not-supported", "foo")
    for bad in ("nope", "1-20261399-0", "99999-20260105-32400"):
        assert_outcome(fhir.get(f"Slot/{bad}"), 404, "not-found")


def test_metadata_lists_schedule_and_slot(fhir):
    resources = {r["type"]: r for r in fhir.ok("metadata")["rest"][0]["resource"]}
    assert {p["name"] for p in resources["Slot"]["searchParam"]} == {"schedule", "start", "status"}
    assert {p["name"] for p in resources["Schedule"]["searchParam"]} == {"_id", "actor"}


@pytest.mark.parametrize("resource", ["Appointment", "Slot"])
def test_find_free_returns_the_slot_search_bundle(fhir, doctor, resource):
    expected = fhir.ok(f"Slot?schedule={doctor}&{WINDOW}")
    for query in (f"start={DAY}&end=2026-01-06&practitioner=Practitioner/{doctor}", f"start={DAY}&schedule={doctor}"):
        found = fhir.ok(f"{resource}/$find-free?{query}")
        assert found["type"] == "searchset" and ids(found) == ids(expected) and found["total"] == expected["total"]


def test_find_free_errors(fhir):
    assert_outcome(fhir.get("Appointment/$find-free"), 400, "invalid", "start")
    assert_outcome(fhir.get("Appointment/$find-free?start=2026-01-01&end=2026-04-01"), 400, "invalid", "31 days")
    assert_outcome(fhir.get(f"Appointment/$find-free?start={DAY}&x=1"), 400, "not-supported", "x")

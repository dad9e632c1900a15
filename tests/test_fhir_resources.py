"""FHIR directory, scheduling and clinical resources: mapping, search by patient/practitioner/date/status."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir_support import Fhir, ids

SYDNEY = ZoneInfo("Australia/Sydney")
APPOINTMENT_SQL = ("SELECT RECORDID, INTERNALID, USERID, APPOINTMENTDATE, APPOINTMENTTIME, APPOINTMENTLENGTH, "
                   "CASE WHEN RECORDSTATUS = 1 THEN APPOINTMENTCODE ELSE 0 END AS APPOINTMENTSTATUS "
                   "FROM APPOINTMENTS WHERE RECORDSTATUS IN (1, 2) ORDER BY RECORDID")
#: APPOINTMENTCODE (0: a cancelled booking, RECORDSTATUS 2) -> Appointment.status
STATUS = {0: "cancelled", 1: "booked", 2: "arrived", 3: "checked-in", 4: "fulfilled", 5: "fulfilled", 6: "fulfilled",
          7: "fulfilled", 10: "noshow"}


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


@pytest.fixture
def appointments(halo):
    return halo.rows(APPOINTMENT_SQL)


def _start(row) -> datetime:
    return datetime.fromisoformat(row["APPOINTMENTDATE"][:10]) + timedelta(seconds=row["APPOINTMENTTIME"])


def test_directory_reads(fhir, halo):
    providers = halo.rows("SELECT U.USERID, RTRIM(U.SURNAME) AS SURNAME, RTRIM(U.PROVIDERNO) AS PROVIDERNO, "
                          "RTRIM(U.HPII) AS HPII FROM USERS U WHERE U.RECORDSTATUS = 1 AND U.USERSTATUS = 1 "
                          "AND U.GROUPCODE IN (1, 2, 3, 4, 5) ORDER BY U.USERID")
    bundle = fhir.ok("Practitioner?_count=1000")
    assert [int(i) for i in ids(bundle)] == [p["USERID"] for p in providers]
    first = fhir.ok(f"Practitioner/{providers[0]['USERID']}")
    assert first["name"][0]["family"] == providers[0]["SURNAME"]
    assert {"system": "http://ns.electronichealth.net.au/id/hi/hpii/1.0", "value": providers[0]["HPII"]}.items() <= \
        first["identifier"][0].items()
    role = fhir.ok(f"PractitionerRole/{providers[0]['USERID']}")
    assert role["practitioner"]["reference"] == f"Practitioner/{providers[0]['USERID']}"
    assert role["identifier"][0]["value"] == providers[0]["PROVIDERNO"]
    roles = fhir.ok(f"PractitionerRole?practitioner={providers[0]['USERID']}&_include=PractitionerRole:practitioner")
    assert ids(roles) == [str(providers[0]["USERID"])] and ids(roles, "include") == [str(providers[0]["USERID"])]
    practice = halo.rows("SELECT PRACTICENAME, RTRIM(ABN) AS ABN FROM PRACTICE")[0]
    org = fhir.ok("Organization/1")
    assert org["name"] == practice["PRACTICENAME"]
    assert any(i["value"] == practice["ABN"] for i in org["identifier"])
    assert fhir.ok("Location/1")["managingOrganization"]["reference"] == "Organization/1"
    assert fhir.ok(f"Practitioner?family={providers[0]['SURNAME']}")["total"] >= 1


def test_appointment_mapping_equals_sql(fhir, appointments):
    for row in appointments[:20]:
        resource = fhir.ok(f"Appointment/{row['RECORDID']}")
        start = _start(row)
        assert datetime.fromisoformat(resource["start"]) == start.replace(tzinfo=SYDNEY)
        assert datetime.fromisoformat(resource["end"]) == (start + timedelta(seconds=row["APPOINTMENTLENGTH"])).replace(tzinfo=SYDNEY)
        assert resource["status"] == STATUS[row["APPOINTMENTSTATUS"]]
        actors = [p["actor"]["reference"] for p in resource["participant"]]
        assert f"Patient/{row['INTERNALID']}" in actors and f"Practitioner/{row['USERID']}" in actors


def test_appointment_search_by_patient_practitioner_status(fhir, appointments):
    patient = appointments[0]["INTERNALID"]
    body = fhir.ok(f"Appointment?patient=Patient/{patient}&_include=Appointment:patient&_count=1000")
    assert {int(i) for i in ids(body)} == {r["RECORDID"] for r in appointments if r["INTERNALID"] == patient}
    assert ids(body, "include") == [str(patient)]
    doctor = appointments[0]["USERID"]
    found, first = fhir.all_pages(f"Appointment?practitioner={doctor}&_count=9")
    assert sorted(int(r["id"]) for r in found) == [r["RECORDID"] for r in appointments if r["USERID"] == doctor]
    for status in ("booked", "fulfilled", "cancelled", "noshow", "arrived"):
        got = fhir.ok(f"Appointment?status={status}&_count=1000")
        assert {int(i) for i in ids(got)} == {r["RECORDID"] for r in appointments if STATUS[r["APPOINTMENTSTATUS"]] == status}


@pytest.mark.parametrize("prefix", ["eq", "ge", "gt", "lt", "le", "ne"])
def test_appointment_date_prefixes(fhir, appointments, prefix):
    day = date.fromisoformat(appointments[len(appointments) // 2]["APPOINTMENTDATE"][:10])
    got = fhir.ok(f"Appointment?date={prefix}{day.isoformat()}&_count=1000")
    check = {"eq": lambda d: d == day, "ge": lambda d: d >= day, "gt": lambda d: d > day, "lt": lambda d: d < day,
             "le": lambda d: d <= day, "ne": lambda d: d != day}[prefix]
    assert {int(i) for i in ids(got)} == {r["RECORDID"] for r in appointments if check(_start(r).date())}


def test_appointment_date_with_time_and_offset(fhir, appointments):
    row = appointments[3]
    local = _start(row).replace(tzinfo=SYDNEY)
    utc = local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = fhir.ok("Appointment", params={"date": f"ge{utc}", "_count": "1000"})
    assert {int(i) for i in ids(got)} == {r["RECORDID"] for r in appointments if _start(r) >= _start(row)}
    sorted_desc = fhir.ok("Appointment?_sort=-date&_count=1000")
    starts = [e["resource"]["start"] for e in sorted_desc["entry"]]
    assert [datetime.fromisoformat(s) for s in starts] == sorted((datetime.fromisoformat(s) for s in starts), reverse=True)


@pytest.mark.parametrize("resource,table", [
    ("Condition", "PASTHISTORY"), ("AllergyIntolerance", "REACTIONS"),
    ("Immunization", "IMMUNISATIONS"), ("MedicationStatement", "CURRENTRX"),
])
def test_clinical_resources_by_patient(fhir, halo, resource, table):
    rows = halo.rows(f"SELECT RECORDID, INTERNALID FROM {table} WHERE RECORDSTATUS = 1 ORDER BY RECORDID")
    patient = rows[0]["INTERNALID"]
    body = fhir.ok(f"{resource}?patient={patient}&_count=1000")
    assert {int(i) for i in ids(body)} == {r["RECORDID"] for r in rows if r["INTERNALID"] == patient}
    found, first = fhir.all_pages(f"{resource}?_count=25")
    assert sorted(int(r["id"]) for r in found) == [r["RECORDID"] for r in rows]
    one = fhir.ok(f"{resource}/{rows[0]['RECORDID']}")
    subject = one.get("subject") or one.get("patient")
    assert subject["reference"] == f"Patient/{patient}"


def test_medication_statement_contains_its_request(fhir):
    statement = fhir.ok("MedicationStatement/1")
    contained = statement["contained"][0]
    assert contained["resourceType"] == "MedicationRequest"
    assert statement["basedOn"][0]["reference"] == f"#{contained['id']}"
    assert contained["medicationCodeableConcept"] == statement["medicationCodeableConcept"]

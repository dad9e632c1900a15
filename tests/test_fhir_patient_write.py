"""FHIR Patient create (POST) and update (PUT): write-through to PATIENTS, validation, routing."""

from __future__ import annotations

import pytest
from fhir_support import Fhir, assert_outcome, validate

MEDICARE = "http://ns.electronichealth.net.au/id/medicare-number"
IHI = "http://ns.electronichealth.net.au/id/hi/ihi/1.0"
DVA = "http://ns.electronichealth.net.au/id/dva"
_TEXT = ("FIRSTNAME", "MIDDLENAME", "SURNAME", "PREFERREDNAME", "HOMEPHONE", "WORKPHONE", "MOBILEPHONE", "ADDRESS1",
         "ADDRESS2", "CITY", "POSTCODE", "POSTALADDRESS", "POSTALCITY", "POSTALPOSTCODE", "MEDICARENO", "MEDICARELINENO",
         "MEDICAREEXPIRY", "IHI", "DVANO")
#: The patient's row as a client reads it (CHAR columns trimmed; the e-mail address lives in table EMAIL).
ROW_SQL = ("SELECT P.INTERNALID, P.TITLECODE, P.DOB, P.SEXCODE, P.RECORDSTATUS, P.PATIENTSTATUS, P.CREATED, P.UPDATED, "
           + ", ".join(f"RTRIM(P.{c}) AS {c}" for c in _TEXT)
           + ", ISNULL(E.EMAIL, '') AS EMAIL FROM PATIENTS P LEFT JOIN EMAIL E ON E.INTERNALID = P.INTERNALID "
             "AND E.RECORDSTATUS = 1 WHERE P.INTERNALID = @id")


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


@pytest.fixture
def seeded(halo) -> str:
    """The id of the first active seeded patient."""
    return str(halo.rows("SELECT TOP 1 INTERNALID FROM PATIENTS WHERE RECORDSTATUS = 1 ORDER BY INTERNALID")[0]["INTERNALID"])


def new_patient(**overrides):
    patient = {
        "resourceType": "Patient",
        "identifier": [
            {"system": MEDICARE, "value": "29501234561", "period": {"end": "2029-08"}},
            {"system": IHI, "value": "8003608166690503"},
            {"system": DVA, "value": "NX123456"},
        ],
        "active": False,
        "name": [{"use": "official", "family": "Nguyen", "given": ["Thi", "Mai"], "prefix": ["Mrs"]},
                 {"use": "usual", "given": ["May"]}],
        "telecom": [{"system": "phone", "value": "0291234567", "use": "home"},
                    {"system": "phone", "value": "0412345678", "use": "mobile"},
                    {"system": "email", "value": "mai@example.com"}],
        "gender": "female",
        "birthDate": "1984-02-29",
        "address": [{"use": "home", "line": ["12 Smith St", "Unit 3"], "city": "Parramatta", "state": "NSW",
                     "postalCode": "2150"},
                    {"use": "home", "type": "postal", "line": ["PO Box 9"], "city": "Parramatta", "postalCode": "2124"}],
    }
    patient.update(overrides)
    return patient


def sql_row(halo, patient_id):
    rows = halo.rows(ROW_SQL, parameters=[{"name": "@id", "direction": "input", "type": "Int", "value": str(patient_id)}])
    return rows[0] if rows else None


def create(fhir, patient=None):
    response = fhir.post("Patient", patient or new_patient())
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    validate(body)
    assert response.headers["location"].endswith(f"/fhir/R4/Patient/{body['id']}")
    return body


def test_create_writes_a_patients_row_that_fhir_and_sql_both_see(fhir, halo):
    before = halo.rows("SELECT MAX(INTERNALID) AS n FROM PATIENTS")[0]["n"]
    created = create(fhir)
    assert created["id"] == str(before + 1)
    assert fhir.ok(f"Patient/{created['id']}") == created
    row = sql_row(halo, created["id"])
    assert (row["FIRSTNAME"], row["MIDDLENAME"], row["SURNAME"], row["PREFERREDNAME"]) == ("Thi", "Mai", "Nguyen", "May")
    assert row["DOB"].startswith("1984-02-29") and row["SEXCODE"] == 2
    assert (row["HOMEPHONE"], row["WORKPHONE"], row["MOBILEPHONE"], row["EMAIL"]) == (
        "0291234567", "", "0412345678", "mai@example.com")
    assert (row["ADDRESS1"], row["ADDRESS2"], row["CITY"], row["POSTCODE"]) == (
        "12 Smith St", "Unit 3", "Parramatta", "2150")
    assert created["address"][0]["state"] == "NSW"  # Bp keeps no state: it follows from the postcode
    assert (row["POSTALADDRESS"], row["POSTALCITY"], row["POSTALPOSTCODE"]) == ("PO Box 9", "Parramatta", "2124")
    assert (row["MEDICARENO"], row["MEDICARELINENO"], row["MEDICAREEXPIRY"]) == ("2950123456", "1", "08/2029")
    assert (row["IHI"], row["DVANO"]) == ("8003608166690503", "NX123456")
    assert row["RECORDSTATUS"] == 1 and row["PATIENTSTATUS"] == 1  # active is not creatable
    assert row["CREATED"] and row["UPDATED"]
    assert row["TITLECODE"] != 0
    assert created["name"][0]["prefix"] == ["Mrs"]
    assert created["birthDate"] == "1984-02-29" and created["gender"] == "female"
    idents = {i["system"]: i["value"] for i in created["identifier"]}
    assert idents[MEDICARE] == "29501234561" and idents[IHI] == "8003608166690503" and idents[DVA] == "NX123456"
    found = fhir.ok("Patient?family:exact=Nguyen&given=Thi&birthdate=1984-02-29")
    assert [e["resource"]["id"] for e in found["entry"]] == [created["id"]]


def test_create_accepts_plain_json_and_ignores_a_client_id(fhir):
    response = fhir.post("Patient", new_patient(id="999999"), content_type="application/json")
    assert response.status_code == 201, response.text
    assert response.json()["id"] != "999999"


def test_two_creates_get_consecutive_ids(fhir):
    first, second = create(fhir), create(fhir)
    assert int(second["id"]) == int(first["id"]) + 1


def test_update_replaces_the_mapped_columns_visible_in_sql(fhir, halo):
    created = create(fhir)
    changed = new_patient(id=created["id"], gender="male", birthDate="1980-01-01",
                          name=[{"family": "Tran", "given": ["Minh"]}],
                          telecom=[{"system": "phone", "value": "0299990000", "use": "work"}])
    response = fhir.put(f"Patient/{created['id']}", changed)
    assert response.status_code == 200, response.text
    body = response.json()
    validate(body)
    assert body["name"][0]["family"] == "Tran" and body["gender"] == "male"
    row = sql_row(halo, created["id"])
    assert (row["SURNAME"], row["FIRSTNAME"], row["MIDDLENAME"], row["PREFERREDNAME"]) == ("Tran", "Minh", "", "")
    assert (row["SEXCODE"], row["DOB"][:10], row["TITLECODE"]) == (1, "1980-01-01", 0)
    assert (row["HOMEPHONE"], row["WORKPHONE"], row["MOBILEPHONE"], row["EMAIL"]) == ("", "0299990000", "", "")
    assert fhir.ok(f"Patient/{created['id']}") == body


def test_update_of_a_seeded_patient_round_trips_and_is_visible_in_sql(fhir, halo):
    for row in halo.rows("SELECT TOP 10 INTERNALID FROM PATIENTS WHERE RECORDSTATUS = 1 ORDER BY INTERNALID"):
        patient_id = str(row["INTERNALID"])
        current = fhir.ok(f"Patient/{patient_id}")
        before = sql_row(halo, patient_id)
        unchanged = fhir.put(f"Patient/{patient_id}", current)
        assert unchanged.status_code == 200, unchanged.text
        after = sql_row(halo, patient_id)
        assert {k: v for k, v in after.items() if k != "UPDATED"} == {k: v for k, v in before.items() if k != "UPDATED"}
        current["name"][0]["family"] = "Zed"
        assert fhir.put(f"Patient/{patient_id}", current).status_code == 200
        assert sql_row(halo, patient_id)["SURNAME"] == "Zed"


def test_update_unknown_id_is_404(fhir):
    assert_outcome(fhir.put("Patient/987654", new_patient(id="987654")), 404, "not-found", "Patient/987654")


def test_update_with_a_different_or_missing_body_id_is_400(fhir, seeded):
    assert_outcome(fhir.put(f"Patient/{seeded}", new_patient(id="0")), 400, "invalid", "does not match")
    assert_outcome(fhir.put(f"Patient/{seeded}", new_patient()), 400, "invalid", "does not match")


@pytest.mark.parametrize(("body", "fragment"), [
    (b"{not json", "not valid json"),
    (b"[1, 2]", "json object"),
    ({"resourceType": "Practitioner", "name": [{"family": "X", "given": ["Y"]}]}, "expected a resource of type patient"),
    (new_patient(birthDate="1984-02-30"), "birthdate"),
    (new_patient(birthDate="1984"), "birthdate"),
    (new_patient(birthDate=19840101), "birthdate"),
    (new_patient(gender="f"), "gender"),
    (new_patient(name=[{"family": "OnlyFamily"}]), "official name"),
    (new_patient(name="Smith"), "patient.name"),
    (new_patient(identifier=[{"system": MEDICARE, "value": "123"}]), "medicare"),
    (new_patient(identifier=[{"system": IHI, "value": "1234567890123456"}]), "ihi"),
    (new_patient(address=[{"postalCode": "123456"}]), "postcode"),
])
def test_invalid_bodies_are_400_operation_outcomes(fhir, seeded, body, fragment):
    assert_outcome(fhir.post("Patient", body), 400, "invalid", fragment)
    if isinstance(body, dict):
        body = {**body, "id": seeded}
    assert_outcome(fhir.put(f"Patient/{seeded}", body), 400, "invalid", fragment)


def test_wrong_media_type_is_415(fhir):
    assert_outcome(fhir.post("Patient", b"a=b", content_type="application/x-www-form-urlencoded"),
                   415, "not-supported")


def test_other_resource_types_are_read_only_405(fhir):
    assert_outcome(fhir.post("Practitioner", {"resourceType": "Practitioner"}), 405, "not-supported", "read-only")
    assert_outcome(fhir.put("Practitioner/1", {"resourceType": "Practitioner", "id": "1"}), 405, "not-supported")
    assert_outcome(fhir.post("Nonsense", {"resourceType": "Nonsense"}), 404, "not-supported")


def test_search_post_still_routes_to_search(fhir):
    response = fhir.halo.client.post(fhir.base + "Patient/_search", data={"_count": "1"}, headers=fhir.headers)
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle"

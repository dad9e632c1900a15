"""FHIR Patient through HTTP: read, search parameters, paging, sorting, SQL agreement."""

from __future__ import annotations

from datetime import date

import pytest
from fhir_support import Fhir, ids, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MEDICARE = "http://ns.electronichealth.net.au/id/medicare-number"
IHI = "http://ns.electronichealth.net.au/id/hi/ihi/1.0"
DVA = "http://ns.electronichealth.net.au/id/dva"
PATIENT_SQL = ("SELECT P.INTERNALID, RTRIM(P.FIRSTNAME) AS FIRSTNAME, RTRIM(P.MIDDLENAME) AS MIDDLENAME, "
               "RTRIM(P.SURNAME) AS SURNAME, P.DOB, P.SEXCODE, RTRIM(P.MEDICARENO) AS MEDICARENO, "
               "RTRIM(P.MEDICARELINENO) AS MEDICARELINENO, RTRIM(P.IHI) AS IHI, RTRIM(P.DVANO) AS DVANO, "
               "RTRIM(P.HOMEPHONE) AS HOMEPHONE, RTRIM(P.WORKPHONE) AS WORKPHONE, RTRIM(P.MOBILEPHONE) AS MOBILEPHONE, "
               "ISNULL(E.EMAIL, '') AS EMAIL, P.PATIENTSTATUS "
               "FROM PATIENTS P LEFT JOIN EMAIL E ON E.INTERNALID = P.INTERNALID AND E.RECORDSTATUS = 1 "
               "WHERE P.RECORDSTATUS = 1 ORDER BY P.INTERNALID")


@pytest.fixture
def fhir(halo) -> Fhir:
    return Fhir(halo)


@pytest.fixture
def rows(halo):
    return halo.rows(PATIENT_SQL)


def _ident(resource, system):
    return next((i["value"] for i in resource.get("identifier", []) if i["system"] == system), None)


def assert_matches_row(resource, row):
    assert resource["id"] == str(row["INTERNALID"])
    official = resource["name"][0]
    assert official["use"] == "official"
    assert official["family"] == row["SURNAME"]
    assert official["given"] == [g for g in (row["FIRSTNAME"], row["MIDDLENAME"]) if g]
    assert resource.get("birthDate") == (row["DOB"][:10] if row["DOB"] else None)
    assert resource.get("gender") == {1: "male", 2: "female", 3: "other", 4: "unknown"}.get(row["SEXCODE"])
    medicare = (row["MEDICARENO"] + row["MEDICARELINENO"]) if row["MEDICARENO"] else None
    assert _ident(resource, MEDICARE) == medicare
    assert _ident(resource, IHI) == (row["IHI"] or None)
    assert _ident(resource, DVA) == (row["DVANO"] or None)
    phones = {t["use"]: t["value"] for t in resource.get("telecom", []) if t["system"] == "phone"}
    expected = {u: row[c] for u, c in (("home", "HOMEPHONE"), ("work", "WORKPHONE"), ("mobile", "MOBILEPHONE")) if row[c]}
    assert phones == expected
    emails = [t["value"] for t in resource.get("telecom", []) if t["system"] == "email"]
    assert emails == ([row["EMAIL"]] if row["EMAIL"] else [])
    assert resource["active"] == (row["PATIENTSTATUS"] == 1)
    assert resource["meta"]["profile"] == ["http://hl7.org.au/fhir/StructureDefinition/au-patient"]


def test_read_returns_an_au_patient_equal_to_the_sql_row(fhir, rows):
    for row in rows[:5]:
        resource = fhir.ok(f"Patient/{row['INTERNALID']}")
        assert_matches_row(resource, row)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_every_patient_agrees_with_sql(fhir, rows, data):
    row = data.draw(st.sampled_from(rows))
    assert_matches_row(fhir.ok(f"Patient/{row['INTERNALID']}"), row)
    by_id = fhir.ok(f"Patient?_id={row['INTERNALID']}")
    assert ids(by_id) == [str(row["INTERNALID"])]
    assert_matches_row(by_id["entry"][0]["resource"], row)


def test_search_all_pages_cover_every_patient_exactly_once(fhir, rows):
    found, first = fhir.all_pages("Patient?_count=7")
    assert first["total"] == len(rows)
    assert sorted(int(r["id"]) for r in found) == [r["INTERNALID"] for r in rows]
    assert len({r["id"] for r in found}) == len(found)
    assert first["link"][0]["relation"] == "self"


def test_every_page_states_the_same_total(fhir, rows):
    """The last page's total comes from its rows (no COUNT); every other page's from a COUNT."""
    size = 7
    assert len(rows) % size, "a short last page is the case under test"
    for offset in (0, size, len(rows) - len(rows) % size, len(rows), len(rows) + 3):
        body = fhir.ok(f"Patient?_count={size}&_getpagesoffset={offset}")
        assert body["total"] == len(rows), offset
        assert len(body.get("entry", [])) == max(0, min(size, len(rows) - offset))
    assert fhir.ok(f"Patient?family=no-such-family&_count={size}")["total"] == 0


def test_count_zero_gives_total_only(fhir, rows):
    body = fhir.ok("Patient?_count=0")
    assert body["total"] == len(rows) and "entry" not in body


def test_string_modifiers(fhir, rows):
    target = rows[0]["SURNAME"]
    starts = fhir.ok(f"Patient?family={target[:2].lower()}&_count=1000")
    assert {r["INTERNALID"] for r in rows if r["SURNAME"].lower().startswith(target[:2].lower())} == \
        {int(i) for i in ids(starts)}
    exact = fhir.ok(f"Patient?family:exact={target}&_count=1000")
    assert {int(i) for i in ids(exact)} == {r["INTERNALID"] for r in rows if r["SURNAME"] == target}
    assert fhir.ok(f"Patient?family:exact={target.upper()}")["total"] == (1 if target.isupper() else 0) * exact["total"]
    middle = target[1:3]
    contains = fhir.ok(f"Patient?family:contains={middle}&_count=1000")
    assert {int(i) for i in ids(contains)} == {r["INTERNALID"] for r in rows if middle.lower() in r["SURNAME"].lower()}


def test_name_and_given_match_any_name_part(fhir, rows):
    row = rows[1]
    assert str(row["INTERNALID"]) in ids(fhir.ok(f"Patient?given={row['FIRSTNAME']}&_count=1000"))
    assert str(row["INTERNALID"]) in ids(fhir.ok(f"Patient?name={row['FIRSTNAME']}&_count=1000"))
    assert str(row["INTERNALID"]) in ids(fhir.ok(f"Patient?name={row['SURNAME']}&_count=1000"))
    both = fhir.ok(f"Patient?given={row['FIRSTNAME']}&family={row['SURNAME']}&_count=1000")
    assert str(row["INTERNALID"]) in ids(both)
    assert all(r["name"][0]["family"].lower().startswith(row["SURNAME"].lower()) for r in
               (e["resource"] for e in both["entry"]))


def _dob(row):
    return date.fromisoformat(row["DOB"][:10])


@pytest.mark.parametrize("prefix,predicate", [
    ("", lambda d, v: d == v), ("eq", lambda d, v: d == v), ("ne", lambda d, v: d != v),
    ("gt", lambda d, v: d > v), ("lt", lambda d, v: d < v), ("ge", lambda d, v: d >= v),
    ("le", lambda d, v: d <= v), ("sa", lambda d, v: d > v), ("eb", lambda d, v: d < v),
])
def test_birthdate_prefixes_on_a_full_date(fhir, rows, prefix, predicate):
    value = _dob(rows[3])
    body = fhir.ok(f"Patient?birthdate={prefix}{value.isoformat()}&_count=1000")
    expected = {r["INTERNALID"] for r in rows if r["DOB"] and predicate(_dob(r), value)}
    assert {int(i) for i in ids(body)} == expected
    assert body["total"] == len(expected)


def test_birthdate_partial_dates(fhir, rows):
    value = _dob(rows[5])
    year = fhir.ok(f"Patient?birthdate={value.year}&_count=1000")
    assert {int(i) for i in ids(year)} == {r["INTERNALID"] for r in rows if r["DOB"] and _dob(r).year == value.year}
    month = fhir.ok(f"Patient?birthdate={value:%Y-%m}&_count=1000")
    assert {int(i) for i in ids(month)} == {
        r["INTERNALID"] for r in rows if r["DOB"] and (_dob(r).year, _dob(r).month) == (value.year, value.month)}
    after = fhir.ok(f"Patient?birthdate=gt{value.year}&_count=1000")
    assert {int(i) for i in ids(after)} == {r["INTERNALID"] for r in rows if r["DOB"] and _dob(r).year > value.year}
    ranged = fhir.ok(f"Patient?birthdate=ge{value.year}&birthdate=lt{value.year + 10}&_count=1000")
    assert {int(i) for i in ids(ranged)} == {
        r["INTERNALID"] for r in rows if r["DOB"] and value.year <= _dob(r).year < value.year + 10}


def test_birthdate_ap_includes_the_exact_day(fhir, rows):
    value = _dob(rows[2])
    assert str(rows[2]["INTERNALID"]) in ids(fhir.ok(f"Patient?birthdate=ap{value.isoformat()}&_count=1000"))


def test_birthdate_or_values(fhir, rows):
    a, b = _dob(rows[0]), _dob(rows[1])
    body = fhir.ok(f"Patient?birthdate={a.isoformat()},{b.isoformat()}&_count=1000")
    assert {int(i) for i in ids(body)} == {r["INTERNALID"] for r in rows if r["DOB"] and _dob(r) in (a, b)}


@pytest.mark.parametrize("gender,code", [("male", 1), ("female", 2)])
def test_gender(fhir, rows, gender, code):
    body = fhir.ok(f"Patient?gender={gender}&_count=1000")
    assert {int(i) for i in ids(body)} == {r["INTERNALID"] for r in rows if r["SEXCODE"] == code}


def test_identifiers(fhir, rows):
    with_ihi = next(r for r in rows if r["IHI"])
    assert ids(fhir.ok(f"Patient?identifier={IHI}|{with_ihi['IHI']}")) == [str(with_ihi["INTERNALID"])]
    assert ids(fhir.ok(f"Patient?identifier={with_ihi['IHI']}")) == [str(with_ihi["INTERNALID"])]
    assert fhir.ok(f"Patient?identifier={DVA}|{with_ihi['IHI']}")["total"] == 0
    with_medicare = next(r for r in rows if r["MEDICARENO"])
    eleven = with_medicare["MEDICARENO"] + with_medicare["MEDICARELINENO"]
    assert ids(fhir.ok(f"Patient?identifier={MEDICARE}|{eleven}")) == [str(with_medicare["INTERNALID"])]
    card = fhir.ok(f"Patient?identifier={MEDICARE}|{with_medicare['MEDICARENO']}&_count=1000")
    assert {int(i) for i in ids(card)} == {r["INTERNALID"] for r in rows if r["MEDICARENO"] == with_medicare["MEDICARENO"]}
    with_dva = [r for r in rows if r["DVANO"]]
    if with_dva:
        assert str(with_dva[0]["INTERNALID"]) in ids(fhir.ok(f"Patient?identifier={DVA}|{with_dva[0]['DVANO']}"))


def test_phone_and_email(fhir, rows):
    row = next(r for r in rows if r["MOBILEPHONE"])
    compact = row["MOBILEPHONE"].replace(" ", "")
    assert str(row["INTERNALID"]) in ids(fhir.ok(f"Patient?phone={compact}"))
    assert str(row["INTERNALID"]) in ids(fhir.ok("Patient", params={"phone": row["MOBILEPHONE"]}))
    row = next(r for r in rows if r["EMAIL"])
    assert ids(fhir.ok("Patient", params={"email": row["EMAIL"].upper()})) == [
        str(r["INTERNALID"]) for r in rows if r["EMAIL"].lower() == row["EMAIL"].lower()]


@pytest.mark.parametrize("sort,key,reverse", [
    ("birthdate", "DOB", False), ("-birthdate", "DOB", True), ("family", "SURNAME", False),
    ("-family", "SURNAME", True), ("given", "FIRSTNAME", False),
])
def test_sort(fhir, rows, sort, key, reverse):
    body = fhir.ok(f"Patient?_sort={sort}&_count=1000")
    got = [e["resource"] for e in body["entry"]]
    by_id = {r["INTERNALID"]: r for r in rows}
    values = [(by_id[int(r["id"])][key] or "").lower() for r in got]
    assert values == sorted(values, reverse=reverse)


def test_post_search_equals_get(fhir, rows):
    surname = rows[0]["SURNAME"]
    posted = fhir.post_search("Patient", {"family": surname, "_sort": "birthdate"})
    assert posted.status_code == 200 and posted.headers["content-type"].startswith("application/fhir+json")
    validate(posted.json())
    got = fhir.ok(f"Patient?family={surname}&_sort=birthdate")
    assert ids(posted.json()) == ids(got) and posted.json()["total"] == got["total"]
    assert "family=" in posted.json()["link"][0]["url"]


def test_revinclude_conditions(fhir, halo):
    owner = halo.rows("SELECT TOP 1 INTERNALID FROM PASTHISTORY WHERE RECORDSTATUS = 1 ORDER BY RECORDID")[0]["INTERNALID"]
    conditions = halo.rows(f"SELECT RECORDID FROM PASTHISTORY WHERE RECORDSTATUS = 1 AND INTERNALID = {owner}")
    body = fhir.ok(f"Patient?_id={owner}&_revinclude=Condition:patient")
    assert ids(body) == [str(owner)]
    assert sorted(int(i) for i in ids(body, "include")) == sorted(r["RECORDID"] for r in conditions)
    assert all(e["resource"]["resourceType"] == "Condition" for e in body["entry"] if e["search"]["mode"] == "include")


def test_sql_update_is_visible_through_fhir(fhir, halo, rows):
    target = rows[4]["INTERNALID"]
    before = fhir.ok(f"Patient/{target}")  # read first, so a stale mapping could be served
    assert before["name"][0]["family"] != "Zzyzx"
    halo.immediate(f"UPDATE PATIENTS SET SURNAME = 'Zzyzx' WHERE INTERNALID = {target}", executionMode="nonQuery")
    assert fhir.ok(f"Patient/{target}")["name"][0]["family"] == "Zzyzx"
    assert ids(fhir.ok("Patient?family=zzy")) == [str(target)]


def test_deceased_patient(fhir, halo, rows):
    target = rows[6]["INTERNALID"]
    response = halo.immediate(
        f"UPDATE PATIENTS SET PATIENTSTATUS = 3, DATEOFDEATH = '2025-03-04T10:00:00' WHERE INTERNALID = {target}",
        executionMode="nonQuery")
    assert response.status_code == 200, response.text
    resource = fhir.ok(f"Patient/{target}")
    assert resource["deceasedDateTime"].startswith("2025-03-04T10:00:00")
    assert resource["active"] is False


@pytest.mark.parametrize("prefix, found", [
    ("zzyz", {"Zzyzx", "ZZYZ@b", "zzyz"}), ("ZZYZ", {"Zzyzx", "ZZYZ@b", "zzyz"}), ("Zzyzx", {"Zzyzx"}),
    ("zzyz@", {"ZZYZ@b"}), ("zzyy", set()), ("zzyzy", set()), ("Zoë", {"Zoëlle"}), ("zo", {"Zoëlle"}),
])
def test_family_prefixes_at_the_edges_of_the_index_range(fhir, halo, rows, prefix, found):
    """Starts-with runs as an index range whose upper bound is the prefix raised by one ('zzyz' -> 'zzy{')."""
    for row, surname in zip(rows[:4], ("Zzyzx", "ZZYZ@b", "zzyz", "Zoëlle")):
        halo.immediate(f"UPDATE PATIENTS SET SURNAME = N'{surname}' WHERE INTERNALID = {row['INTERNALID']}",
                       executionMode="nonQuery")
    bundle = fhir.ok(f"Patient?family={prefix}&_count=1000")
    assert {e["resource"]["name"][0]["family"] for e in bundle.get("entry", [])} == found

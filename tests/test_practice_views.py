"""Each BPS_* view returns exactly what a Python join over the base tables gives,
both as created in SQLite and as plain ``sqlglot.transpile(tsql -> sqlite)`` output."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.practice import build_catalogue
from mock_halo.practice.schema import tsql_batches

Row = dict[str, Any]


@pytest.fixture(scope="module", params=["BPSPatients", "BPSSamples"])
def db(request: pytest.FixtureRequest) -> sqlite3.Connection:
    return build_catalogue("BestPractice", request.param, 42, 200)


def table(db: sqlite3.Connection, name: str) -> list[Row]:
    cur = db.execute(f"SELECT * FROM {name}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def lookup(db: sqlite3.Connection, name: str, key: str, value: str) -> dict[Any, Any]:
    return {r[key]: r[value] for r in table(db, name)}


def display_name(titles: dict[int, str], person: Row | None) -> str | None:
    if person is None:
        return None
    return f"{titles.get(person['TITLECODE']) or ''} {person['FIRSTNAME']} {person['SURNAME']}".lstrip(" ")


def expected_patients(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    users = {u["USERID"]: u for u in table(db, "USERS")}
    sexes = lookup(db, "SEXCODES", "SEXCODE", "SEXNAME")
    genders = lookup(db, "GENDERCODES", "GENDERCODE", "GENDERNAME")
    ethnic = lookup(db, "ETHNICCODES", "ETHNICCODE", "ETHNICNAME")
    pensions = lookup(db, "PENSIONCODES", "PENSIONCODE", "PENSIONNAME")
    religions = lookup(db, "RELIGIONS", "RELIGIONCODE", "RELIGIONNAME")
    funds = lookup(db, "HEALTHFUNDS", "HEALTHFUNDID", "FUNDNAME")
    statuses = lookup(db, "PATIENTSTATUSCODES", "STATUSCODE", "STATUSTEXT")
    out = []
    for p in table(db, "PATIENTS"):
        if p["RECORDSTATUS"] != 1:
            continue
        out.append((
            p["INTERNALID"], titles.get(p["TITLECODE"]), p["FIRSTNAME"], p["MIDDLENAME"], p["SURNAME"],
            p["PREFERREDNAME"], p["ADDRESS1"], p["ADDRESS2"], p["CITY"], p["POSTCODE"], p["POSTALADDRESS"],
            p["POSTALCITY"], p["POSTALPOSTCODE"], p["DOB"], sexes.get(p["SEXCODE"]), genders.get(p["GENDERCODE"]),
            ethnic.get(p["ETHNICCODE"]), p["HOMEPHONE"], p["WORKPHONE"], p["MOBILEPHONE"], p["EMAIL"],
            p["MEDICARENO"], p["MEDICARELINENO"], p["MEDICAREEXPIRY"], p["PENSIONNO"], p["PENSIONSTART"],
            p["PENSIONEXPIRY"], pensions.get(p["PENSIONCODE"]), p["DVANO"], p["SAFETYNETNO"], p["RECORDNO"],
            {1: "Tier 1", 2: "Tier 2", 3: "Tier 3"}.get(p["HCHTIER"]), p["HCHSTART"],
            religions.get(p["RELIGIONCODE"]), funds.get(p["HEALTHFUNDID"]), p["HEALTHFUNDNO"], p["IHI"],
            display_name(titles, users.get(p["USUALDOCTOR"])), statuses.get(p["PATIENTSTATUS"]),
        ))
    return out


def expected_appointments(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    users = {u["USERID"]: u for u in table(db, "USERS")}
    patients = {p["INTERNALID"]: p for p in table(db, "PATIENTS")}
    types = lookup(db, "APPOINTMENTTYPES", "APPOINTMENTCODE", "DESCRIPTION")
    statuses = lookup(db, "APPOINTMENTSTATUSCODES", "STATUSCODE", "STATUSTEXT")
    return [(
        display_name(titles, patients.get(a["INTERNALID"])), a["INTERNALID"], a["APPOINTMENTDATE"],
        a["APPOINTMENTTIME"], a["APPOINTMENTLENGTH"], display_name(titles, users.get(a["USERID"])),
        "Yes" if a["URGENT"] == 1 else "No", types.get(a["APPOINTMENTCODE"]), statuses.get(a["APPOINTMENTSTATUS"]),
        a["ARRIVALTIME"], a["CONSULTATIONTIME"], display_name(titles, users.get(a["BOOKEDBY"])),
    ) for a in table(db, "APPOINTMENTS") if a["RECORDSTATUS"] == 1]


def expected_users(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    locations = lookup(db, "LOCATIONS", "LOCATIONID", "LOCATIONNAME")
    return [(u["USERID"], u["SURNAME"], u["FIRSTNAME"], locations.get(u["LOCATIONID"]), titles.get(u["TITLECODE"]),
             u["PROVIDERNO"]) for u in table(db, "USERS") if u["RECORDSTATUS"] == 1]


DAY_NAMES = {1: "Sunday", 2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday", 7: "Saturday"}


def expected_sessions(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    users = {u["USERID"]: u for u in table(db, "USERS")}
    return [(display_name(titles, users.get(s["USERID"])), DAY_NAMES.get(s["DAYOFWEEK"]), s["ENDTIME"])
            for s in table(db, "SESSIONS") if s["RECORDSTATUS"] == 1]


def expected_visits(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    users = {u["USERID"]: u for u in table(db, "USERS")}
    codes = lookup(db, "VISITCODES", "VISITCODE", "VISITTYPE")
    return [(v["INTERNALID"], codes.get(v["VISITCODE"]), v["VISITDATE"], v["USERID"],
             display_name(titles, users.get(v["USERID"]))) for v in table(db, "VISITS") if v["RECORDSTATUS"] == 1]


def expected_immunisations(db: sqlite3.Connection) -> list[tuple]:
    vaccines = lookup(db, "VACCINES", "VACCINEID", "VACCINENAME")
    return [(i["INTERNALID"], i["GIVENDATE"], vaccines.get(i["VACCINEID"]), i["VACCINEID"])
            for i in table(db, "IMMUNISATIONS") if i["RECORDSTATUS"] == 1]


def expected_current_rx(db: sqlite3.Connection) -> list[tuple]:
    return [(r["INTERNALID"], r["DRUGNAME"]) for r in table(db, "CURRENTRX") if r["RECORDSTATUS"] == 1]


def expected_investigations(db: sqlite3.Connection) -> list[tuple]:
    return [(i["INTERNALID"], i["REPORTID"], i["TESTNAME"], i["REPORTDATE"], i["CHECKDATE"], i["ACTIONDATE"],
             i["COLLECTIONDATE"]) for i in table(db, "INVESTIGATIONS") if i["RECORDSTATUS"] == 1]


EXPECTED: dict[str, Callable[[sqlite3.Connection], list[tuple]]] = {
    "BPS_Patients": expected_patients,
    "BPS_Appointments": expected_appointments,
    "BPS_Users": expected_users,
    "BPS_Sessions": expected_sessions,
    "BPS_Visits": expected_visits,
    "BPS_Immunisations": expected_immunisations,
    "BPS_CurrentRx": expected_current_rx,
    "BPS_Investigations": expected_investigations,
}


def view_selects() -> dict[str, str]:
    """Each view's SELECT, as T-SQL, from the fixture DDL."""
    out = {}
    for _name, batches in tsql_batches():
        for batch in batches:
            tree = sqlglot.parse_one(batch, read="tsql")
            if isinstance(tree, exp.Create) and tree.args.get("kind") == "VIEW":
                out[tree.this.name] = tree.expression.sql("tsql")
    return out


def canonical(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=repr)


@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_view_matches_python_join(db: sqlite3.Connection, view: str) -> None:
    expected = EXPECTED[view](db)
    actual = db.execute(f"SELECT * FROM {view}").fetchall()
    assert expected, f"{view} is empty"
    assert canonical(actual) == canonical(expected)


@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_plain_sqlglot_transpile_of_the_view_is_correct_on_sqlite(db: sqlite3.Connection, view: str) -> None:
    sql = sqlglot.transpile(view_selects()[view], read="tsql", write="sqlite")[0]
    assert canonical(db.execute(sql).fetchall()) == canonical(EXPECTED[view](db))


def test_views_hide_deleted_records(db: sqlite3.Connection) -> None:
    from mock_halo.practice import copy_catalogue

    copy = copy_catalogue(db)
    before = copy.execute("SELECT COUNT(*) FROM BPS_Patients").fetchone()[0]
    victim = copy.execute("SELECT MIN(INTERNALID) FROM PATIENTS WHERE RECORDSTATUS = 1").fetchone()[0]
    copy.execute("UPDATE PATIENTS SET RECORDSTATUS = 2 WHERE INTERNALID = ?", (victim,))
    assert copy.execute("SELECT COUNT(*) FROM BPS_Patients").fetchone()[0] == before - 1
    assert expected_patients(copy) == [r for r in expected_patients(db) if r[0] != victim]


def test_display_names_handle_missing_titles_and_people(db: sqlite3.Connection) -> None:
    from mock_halo.practice import copy_catalogue

    copy = copy_catalogue(db)
    pid = copy.execute("SELECT MIN(InternalID) FROM BPS_Patients").fetchone()[0]
    copy.execute("UPDATE PATIENTS SET TITLECODE = 0, FIRSTNAME = 'Ann', SURNAME = 'Lee', USUALDOCTOR = NULL "
                 "WHERE INTERNALID = ?", (pid,))
    row = copy.execute("SELECT Title, UsualDoctor FROM BPS_Patients WHERE InternalID = ?", (pid,)).fetchone()
    assert row == ("", None)
    copy.execute("UPDATE APPOINTMENTS SET INTERNALID = ? WHERE RECORDID = 1", (pid,))
    assert copy.execute("SELECT Patient FROM BPS_Appointments WHERE InternalID = ?", (pid,)).fetchone()[0] == "Ann Lee"

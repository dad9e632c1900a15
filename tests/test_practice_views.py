"""Each BPS_* view that holds data returns exactly what a Python join over the base tables gives (the formulas of
bp-premier-schema 6.11: trimmed names joined by one space, Yes/No words, decoded codes), both as created in SQLite
and as plain ``sqlglot.transpile(tsql -> sqlite)`` output."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.practice import build_catalogue, copy_catalogue
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


def rt(value: str | None) -> str | None:
    return None if value is None else value.rstrip(" ")


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


class Names:
    """The views' display names: 'Title First Surname' (Provider) and 'First Surname' (Patient, BookedBy)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
        self.users = {u["USERID"]: u for u in table(db, "USERS")}

    def provider(self, userid: int | None) -> str | None:
        user = self.users.get(userid)
        if user is None:
            return None
        return f"{rt(self.titles[user['TITLECODE']])} {rt(user['FIRSTNAME'])} {rt(user['SURNAME'])}".lstrip(" ")

    @staticmethod
    def plain(person: Row | None) -> str | None:
        if person is None or person["FIRSTNAME"] is None or person["SURNAME"] is None:
            return None
        return f"{rt(person['FIRSTNAME'])} {rt(person['SURNAME'])}".lstrip(" ")


def expected_patients(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    sexes = lookup(db, "SEX", "SEXCODE", "SEX")
    ethnic = lookup(db, "ETHNICITY", "ETHNICCODE", "ETHNICTYPE")
    pensions = lookup(db, "PENSIONTYPE", "PENSIONCODE", "PENSIONTYPE")
    tiers = lookup(db, "HCHTIERS", "TIERCODE", "TIERNAME")
    statuses = lookup(db, "PATIENTSTATUS", "STATUSCODE", "STATUSTEXT")
    emails = {e["INTERNALID"]: e["EMAIL"] for e in table(db, "EMAIL") if e["RECORDSTATUS"] == 1}
    out = []
    for p in table(db, "PATIENTS"):
        if p["RECORDSTATUS"] != 1:
            continue
        out.append((
            p["INTERNALID"], p["EXTERNALID"], statuses.get(p["PATIENTSTATUS"]), names.titles[p["TITLECODE"]],
            p["FIRSTNAME"], p["MIDDLENAME"], p["SURNAME"], p["PREFERREDNAME"], p["ADDRESS1"], p["ADDRESS2"], p["CITY"],
            p["POSTCODE"], p["POSTALADDRESS"], p["POSTALCITY"], p["POSTALPOSTCODE"], p["DOB"], sexes[p["SEXCODE"]],
            ethnic.get(p["ETHNICCODE"], ""), p["HOMEPHONE"], p["WORKPHONE"], p["MOBILEPHONE"],
            emails.get(p["INTERNALID"]), p["MEDICARENO"], p["MEDICARELINENO"], p["MEDICAREEXPIRY"], p["PENSIONNO"],
            p["PENSIONSTART"], p["PENSIONEXPIRY"], pensions[p["PENSIONCODE"]], p["DVANO"], p["SAFETYNETNO"],
            p["RECORDNO"], tiers.get(p["HCHTIER"]), p["HCHSTARTED"], p["RELIGION"], p["HEALTHFUNDNAME"],
            p["HEALTHFUNDNO"], p["IHI"], names.provider(p["USERID"]) if p["USERID"] else None,
        ))
    return out


def expected_appointments(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    patients = {p["INTERNALID"]: p for p in table(db, "PATIENTS")}
    types = lookup(db, "APPOINTMENTTYPES", "APPOINTMENTCODE", "DESCRIPTION")
    statuses = lookup(db, "APPOINTMENTCODES", "APPOINTMENTCODE", "DESCRIPTION")
    return [(
        Names.plain(patients.get(a["INTERNALID"])), a["INTERNALID"], a["APPOINTMENTDATE"], a["APPOINTMENTTIME"],
        a["APPOINTMENTLENGTH"], names.provider(a["USERID"]), yes_no(a["URGENT"] == 1), types.get(a["APPOINTMENTTYPE"]),
        statuses[a["APPOINTMENTCODE"]], a["ARRIVALTIME"], a["CONSULTATIONTIME"],
        Names.plain(names.users.get(abs(a["CREATEDBY"]))),
    ) for a in table(db, "APPOINTMENTS") if a["RECORDSTATUS"] == 1]


def expected_users(db: sqlite3.Connection) -> list[tuple]:
    titles = lookup(db, "TITLES", "TITLECODE", "TITLE")
    groups = lookup(db, "USERGROUPS", "GROUPCODE", "GROUPNAME")
    locations = lookup(db, "LOCATIONS", "LOCATIONID", "LOCATIONNAME")
    return [(u["USERID"], u["SURNAME"], u["FIRSTNAME"], u["REGISTRATIONNO"], u["PROVIDERNO"], u["PRESCRIBERNO"],
             u["HOMEPHONE"], u["MOBILEPHONE"], u["EMAIL"], u["PAGER"], u["ABN"], titles[u["TITLECODE"]],
             groups[u["GROUPCODE"]], locations[u["LOCATIONID"]])
            for u in table(db, "USERS") if u["RECORDSTATUS"] == 1 and u["USERSTATUS"] == 1]


def expected_sessions(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    days = lookup(db, "DAYOFWEEK", "DAYCODE", "DAY")
    return [(days[s["DAYOFWEEK"]], s["STARTTIME"], s["ENDTIME"], s["LENGTH"], s["STARTDATE"], s["ENDDATE"],
             names.provider(s["USERID"])) for s in table(db, "SESSIONS") if s["RECORDSTATUS"] == 1]


def expected_days_away(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    return [(d["STARTDATE"], d["FINISHDATE"], d["AWAYREASON"], names.provider(d["USERID"]))
            for d in table(db, "DAYSAWAY") if d["RECORDSTATUS"] == 1]


def expected_visits(db: sqlite3.Connection) -> list[tuple]:
    types = lookup(db, "VISITTYPE", "VISITCODE", "VISITTYPE")
    return [(v["INTERNALID"], v["VISITID"], v["USERID"], v["VISITCODE"], types[v["VISITCODE"]],
             yes_no(v["CONFIDENTIAL"] == 1), v["DRNAME"], v["VISITDATE"], v["STARTTIME"], v["ENDTIME"], v["DURATION"],
             v["REVIEWDATE"], v["VISITNOTES"], v["CREATED"]) for v in table(db, "VISITS") if v["RECORDSTATUS"] == 1]


def expected_immunisations(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    return [(i["INTERNALID"], i["RECORDID"], i["USERID"], i["GIVENDATE"], i["NOTGIVENHERE"], i["VACCINENAME"],
             i["VACCINEID"], i["BATCHNUMBER"], i["SEQUENCE"], i["CONSENTCODE"], i["SITECODE"], i["ROUTE"],
             i["COMMENT"], i["VIVASPRINTED"], i["ACIRTRANSMITTED"], names.provider(i["USERID"]), i["CREATED"])
            for i in table(db, "IMMUNISATIONS") if i["RECORDSTATUS"] == 1]


def expected_current_rx(db: sqlite3.Connection) -> list[tuple]:
    frequency = lookup(db, "FREQUENCYCODES", "FREQUENCYCODE", "FREQUENCYTEXT")
    food = lookup(db, "FOODCODES", "FOODCODE", "FOODTEXT")
    other = lookup(db, "INSTRUCTIONCODES", "INSTRUCTIONCODE", "INSTRUCTIONTEXT")
    return [(r["INTERNALID"], r["DRUGNAME"], r["DOSE"], frequency.get(r["FREQUENCY"], ""), food.get(r["FOOD"], ""),
             other.get(r["OTHERDETAIL"], ""), yes_no(r["PRN"] == 1), r["INSTRUCTIONS"], r["ROUTE"], r["QUANTITY"],
             r["PRODUCTUNIT"], r["REPEATS"], r["INDICATION"], r["FIRSTDATE"], r["LASTDATE"], r["PRODUCTID"], r["SCID"],
             r["SCIDNO"], r["CREATED"], r["RECORDID"]) for r in table(db, "CURRENTRX") if r["RECORDSTATUS"] == 1]


def expected_investigations(db: sqlite3.Connection) -> list[tuple]:
    names = Names(db)
    notation = {1: "Normal", 2: "Abnormal", 3: "Abnormal, expected"}
    action = {1: "No action", 2: "Discuss at next visit", 6: "Non-urgent Appointment", 7: "Urgent Appointment"}
    return [(i["INTERNALID"], i["PROVIDERNAME"], i["COLLECTIONDATE"], i["TESTNAME"], i["REPORTDATE"], i["REPORTTIME"],
             i["REPORTHEADER"], i["REPORTBODY"], yes_no(i["NORMALFLAG"] == 1), yes_no(i["COMPLETIONFLAG"] == 1),
             yes_no(i["CONFIDENTIALFLAG"] == 1), i["CHECKDATE"],
             names.provider(i["CHECKEDBY"]) if i["CHECKEDBY"] else None, notation.get(i["NOTATION"], ""),
             action.get(i["ACTION"], ""), i["ACTIONDATE"], i["COMMENT"], names.provider(i["USERID"]), i["REPORTID"],
             i["STORED"], i["CREATED"]) for i in table(db, "INVESTIGATIONS") if i["RECORDSTATUS"] == 1]


def expected_report_values(db: sqlite3.Connection) -> list[tuple]:
    return [(v["INTERNALID"], v["REPORTID"], v["REPORTDATE"], v["RESULTNAME"], v["LOINCCODE"], v["BPCODE"],
             v["RESULTVALUE"], v["UNITS"], v["RANGE"], v["ABNORMALFLAG"])
            for v in table(db, "REPORTVALUES") if v["RECORDSTATUS"] == 1]


def expected_services(db: sqlite3.Connection) -> list[tuple]:
    invoices = {i["INVOICEID"]: i for i in table(db, "INVOICES")}
    return [(s["SERVICEID"], invoices[s["INVOICEID"]]["INTERNALID"], s["SERVICEDATE"], s["MBSITEM"], s["DESCRIPTION"])
            for s in table(db, "SERVICES") if s["RECORDSTATUS"] == 1]


EXPECTED: dict[str, Callable[[sqlite3.Connection], list[tuple]]] = {
    "BPS_Patients": expected_patients,
    "BPS_Appointments": expected_appointments,
    "BPS_Users": expected_users,
    "BPS_Sessions": expected_sessions,
    "BPS_DaysAway": expected_days_away,
    "BPS_Visits": expected_visits,
    "BPS_Immunisations": expected_immunisations,
    "BPS_CurrentRx": expected_current_rx,
    "BPS_Investigations": expected_investigations,
    "BPS_ReportValues": expected_report_values,
    "BPS_Services": expected_services,
}


def view_selects() -> dict[str, str]:
    """Each view's SELECT, as T-SQL, from the fixture DDL."""
    out = {}
    for _name, batches in tsql_batches():
        for batch in batches:
            if "CREATE VIEW" not in batch:
                continue
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
    assert expected or view == "BPS_DaysAway", f"{view} is empty"
    assert canonical(actual) == canonical(expected)


@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_plain_sqlglot_transpile_of_the_view_is_correct_on_sqlite(db: sqlite3.Connection, view: str) -> None:
    sql = sqlglot.transpile(view_selects()[view], read="tsql", write="sqlite")[0]
    assert canonical(db.execute(sql).fetchall()) == canonical(EXPECTED[view](db))


def test_views_hide_deleted_records(db: sqlite3.Connection) -> None:
    copy = copy_catalogue(db)
    before = copy.execute("SELECT COUNT(*) FROM BPS_Patients").fetchone()[0]
    victim = copy.execute("SELECT MIN(INTERNALID) FROM PATIENTS WHERE RECORDSTATUS = 1").fetchone()[0]
    copy.execute("UPDATE PATIENTS SET RECORDSTATUS = 2 WHERE INTERNALID = ?", (victim,))
    assert copy.execute("SELECT COUNT(*) FROM BPS_Patients").fetchone()[0] == before - 1
    assert expected_patients(copy) == [r for r in expected_patients(db) if r[0] != victim]


def test_display_names_handle_missing_titles_and_people(db: sqlite3.Connection) -> None:
    copy = copy_catalogue(db)
    pid = copy.execute("SELECT MIN(InternalID) FROM BPS_Patients").fetchone()[0]
    copy.execute("UPDATE PATIENTS SET TITLECODE = 0, FIRSTNAME = 'Ann', SURNAME = 'Lee', USERID = 0 "
                 "WHERE INTERNALID = ?", (pid,))
    row = copy.execute("SELECT Title, UsualDoctor FROM BPS_Patients WHERE InternalID = ?", (pid,)).fetchone()
    assert row == ("", None)
    copy.execute("UPDATE APPOINTMENTS SET INTERNALID = ? WHERE RECORDID = 1", (pid,))
    assert copy.execute("SELECT Patient FROM BPS_Appointments WHERE InternalID = ?", (pid,)).fetchone()[0] == "Ann Lee"


def test_cancelled_bookings_leave_the_appointment_view(db: sqlite3.Connection) -> None:
    cancelled = db.execute("SELECT COUNT(*) FROM APPOINTMENTS WHERE RECORDSTATUS = 2").fetchone()[0]
    total = db.execute("SELECT COUNT(*) FROM APPOINTMENTS").fetchone()[0]
    assert 0 < cancelled < total
    assert db.execute("SELECT COUNT(*) FROM BPS_Appointments").fetchone()[0] == total - cancelled

"""A corpus of realistic T-SQL an integrator sends to Bp Premier, run on the generated practice.

Every expected result is derived independently, in Python, from the raw base-table rows (read
once with plain ``SELECT *`` from the template, before the engine sees any SQL): never from the
engine's own output. Cases cover the constructs tooling-notes marks as silently wrong on SQLite
(string ``+``, ``CAST AS datetime2``, ``DATEADD`` keeping the time, ``DATEDIFF(year)`` boundaries,
Unicode ``UPPER``, ``DATEPART``, ``N''`` literals, ``NEWID``).

Values are compared in Halo's JSON encoding: datetimes and dates as ``YYYY-MM-DDTHH:MM:SS``, bits as
booleans, money and decimals as numbers.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from mock_halo.practice import build_catalogue
from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.testing import FIXED_NOW, rows, run

Tables = dict[str, list[dict[str, Any]]]
Case = Callable[[Tables], tuple[str, list[dict[str, Any]]]]

SEED, SIZE = 1, 50
NOW = FIXED_NOW
TODAY = NOW.date()


def _template() -> sqlite3.Connection:
    return build_catalogue("BestPractice", "BPSPatients", SEED, SIZE)


def _read_tables(conn: sqlite3.Connection) -> Tables:
    """Every base table as a list of dicts, read with plain ``SELECT *``."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    tables: Tables = {}
    for name in names:
        cursor = conn.execute(f"SELECT * FROM {name}")
        columns = [d[0] for d in cursor.description]
        tables[name.upper()] = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return tables


_TEMPLATE = _template()
_DRUGS = build_catalogue("BestPractice", "BPSDrugs", SEED, SIZE)
VACCINE = {v: n for v, n in _DRUGS.execute("SELECT VACCINEID, VACCINENAME FROM VACCINES")}
T: Tables = _read_tables(_TEMPLATE)
_IMAGE = _TEMPLATE.serialize()


def _engine() -> SqliteEngine:
    return SqliteEngine({"BPSPatients": _IMAGE, "BPSDrugs": _DRUGS.serialize()}, "BPSPatients", now=lambda: FIXED_NOW)


@pytest.fixture(scope="module")
def reader():
    engine = _engine()
    yield engine
    engine.close()


@pytest.fixture()
def writer():
    engine = _engine()
    yield engine
    engine.close()


# ---------------------------------------------------------------- Python models of the data


def dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def iso(value: datetime | date | None) -> str | None:
    """Halo's JSON form of a datetime or date."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def lookup(table: str, key: str, value: str) -> dict[Any, Any]:
    return {r[key]: r[value] for r in T[table]}


TITLE = lookup("TITLES", "TITLECODE", "TITLE")
SEX = lookup("SEX", "SEXCODE", "SEX")
APT_STATUS = lookup("APPOINTMENTCODES", "APPOINTMENTCODE", "DESCRIPTION")
USERS = {u["USERID"]: u for u in T["USERS"]}
PATIENTS_BY_ID = {p["INTERNALID"]: p for p in T["PATIENTS"]}
EMAILS = {e["INTERNALID"]: e["EMAIL"] for e in T["EMAIL"] if e["RECORDSTATUS"] == 1}


def display(person: dict[str, Any] | None) -> str | None:
    """'Title Firstname Surname' as the BPS_* views build it."""
    if person is None:
        return None
    title = TITLE.get(person["TITLECODE"]) or ""
    return f"{title.rstrip()} {person['FIRSTNAME'].rstrip()} {person['SURNAME'].rstrip()}".lstrip()


def current(table: str) -> list[dict[str, Any]]:
    return [r for r in T[table] if r["RECORDSTATUS"] == 1]


PATIENTS = current("PATIENTS")
APPOINTMENTS = current("APPOINTMENTS")
VISITS = current("VISITS")


def ci(text: str) -> str:
    """SQL Server's case-insensitive comparison key (the fixture's names are ASCII)."""
    return text.casefold()


def years_between(start: datetime, end: datetime) -> int:
    """DATEDIFF(year, ...): the count of year boundaries crossed."""
    return end.year - start.year


def common_date() -> str:
    """The appointment date with the most bookings (``YYYY-MM-DD``; APPOINTMENTDATE is a DATETIME at midnight)."""
    return Counter(a["APPOINTMENTDATE"][:10] for a in APPOINTMENTS).most_common(1)[0][0]


def patient_with_most(table: str) -> int:
    counts = Counter(r["INTERNALID"] for r in current(table))
    return min(counts, key=lambda k: (-counts[k], k))


CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


# ---------------------------------------------------------------- reads with joins


@case
def patient_by_surname(t):
    sql = "SELECT InternalID, Firstname, Surname FROM BPS_Patients WHERE Surname = 'norris' ORDER BY InternalID"
    return sql, [{"InternalID": p["INTERNALID"], "Firstname": p["FIRSTNAME"], "Surname": p["SURNAME"]}
                 for p in PATIENTS if ci(p["SURNAME"]) == "norris"]


@case
def patient_search_like_prefix(t):
    sql = "SELECT InternalID FROM dbo.BPS_Patients WHERE Surname LIKE 'B%' ORDER BY InternalID"
    return sql, [{"InternalID": p["INTERNALID"]} for p in PATIENTS if ci(p["SURNAME"]).startswith("b")]


@case
def postcode_text_compared_with_a_number(t):
    """Data type precedence: the nvarchar POSTCODE converts to int ('2487' < '300' as text, not as numbers)."""
    sql = ("SELECT InternalID FROM PATIENTS WHERE RECORDSTATUS = 1 AND (POSTCODE < 300 OR POSTCODE IN (2487, 2511)) "
           "ORDER BY InternalID")
    codes = {p["INTERNALID"]: int(p["POSTCODE"] or 0) for p in PATIENTS if p["POSTCODE"] is not None}
    return sql, [{"InternalID": key} for key, code in sorted(codes.items()) if code < 300 or code in (2487, 2511)]


@case
def postcode_text_between_numbers(t):
    """BETWEEN with int bounds converts the nvarchar POSTCODE too (as text, '300' would sort after '2500')."""
    sql = "SELECT InternalID, POSTCODE FROM PATIENTS WHERE POSTCODE BETWEEN 300 AND 2500 ORDER BY InternalID"
    return sql, [{"InternalID": p["INTERNALID"], "POSTCODE": p["POSTCODE"]}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])
                 if p["POSTCODE"] is not None and 300 <= int(p["POSTCODE"].strip() or 0) <= 2500]


@case
def patient_three_part_name_nolock(t):
    sql = ("SELECT COUNT(*) AS n FROM BPSPatients.dbo.PATIENTS WITH (NOLOCK) "
           "WHERE RECORDSTATUS = 1 AND PATIENTSTATUS = 1")
    return sql, [{"n": sum(1 for p in PATIENTS if p["PATIENTSTATUS"] == 1)}]


@case
def day_book_joined_to_patients(t):
    day = common_date()
    sql = ("SELECT a.AppointmentTime, a.InternalID, p.DOB, a.Status FROM BPS_Appointments a "
           "JOIN BPS_Patients p ON p.InternalID = a.InternalID "
           f"WHERE a.AppointmentDate = '{day}' ORDER BY a.AppointmentTime, a.InternalID")
    got = [{"AppointmentTime": a["APPOINTMENTTIME"], "InternalID": a["INTERNALID"],
            "DOB": PATIENTS_BY_ID[a["INTERNALID"]]["DOB"], "Status": APT_STATUS[a["APPOINTMENTCODE"]]}
           for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day
           and PATIENTS_BY_ID[a["INTERNALID"]]["RECORDSTATUS"] == 1]
    return sql, sorted(got, key=lambda r: (r["AppointmentTime"], r["InternalID"]))


@case
def base_tables_join_with_provider_name(t):
    day = common_date()
    sql = ("SELECT A.RECORDID, U.SURNAME, P.FIRSTNAME FROM APPOINTMENTS A "
           "INNER JOIN USERS U ON U.USERID = A.USERID INNER JOIN PATIENTS P ON P.INTERNALID = A.INTERNALID "
           f"WHERE A.APPOINTMENTDATE = '{day}' AND A.RECORDSTATUS = 1 ORDER BY A.RECORDID")
    return sql, [{"RECORDID": a["RECORDID"], "SURNAME": USERS[a["USERID"]]["SURNAME"],
                  "FIRSTNAME": PATIENTS_BY_ID[a["INTERNALID"]]["FIRSTNAME"]}
                 for a in sorted(APPOINTMENTS, key=lambda a: a["RECORDID"]) if a["APPOINTMENTDATE"][:10] == day]


@case
def current_medications_of_a_patient(t):
    pid = patient_with_most("CURRENTRX")
    sql = f"SELECT DrugName FROM BPS_CurrentRx WHERE InternalID = {pid} ORDER BY DrugName"
    return sql, [{"DrugName": d} for d in sorted((r["DRUGNAME"] for r in current("CURRENTRX")
                                                   if r["INTERNALID"] == pid), key=ci)]


@case
def immunisations_with_vaccine_names(t):
    pid = patient_with_most("IMMUNISATIONS")
    sql = ("SELECT V.VACCINENAME, I.GIVENDATE FROM IMMUNISATIONS I JOIN BPSDrugs.dbo.VACCINES V "
           f"ON V.VACCINEID = I.VACCINEID WHERE I.INTERNALID = {pid} AND I.RECORDSTATUS = 1 "
           "ORDER BY I.GIVENDATE, I.RECORDID")
    got = sorted((r for r in current("IMMUNISATIONS") if r["INTERNALID"] == pid),
                 key=lambda r: (r["GIVENDATE"], r["RECORDID"]))
    return sql, [{"VACCINENAME": VACCINE[r["VACCINEID"]], "GIVENDATE": r["GIVENDATE"]} for r in got]


@case
def left_join_patients_without_allergies(t):
    sql = ("SELECT COUNT(*) AS n FROM PATIENTS P LEFT JOIN REACTIONS R ON R.INTERNALID = P.INTERNALID "
           "AND R.RECORDSTATUS = 1 WHERE P.RECORDSTATUS = 1 AND R.RECORDID IS NULL")
    allergic = {r["INTERNALID"] for r in current("REACTIONS")}
    return sql, [{"n": sum(1 for p in PATIENTS if p["INTERNALID"] not in allergic)}]


@case
def not_exists_patients_never_visited(t):
    sql = ("SELECT p.InternalID FROM BPS_Patients p WHERE NOT EXISTS "
           "(SELECT 1 FROM VISITS v WHERE v.INTERNALID = p.InternalID AND v.RECORDSTATUS = 1) ORDER BY p.InternalID")
    seen = {v["INTERNALID"] for v in VISITS}
    return sql, [{"InternalID": p["INTERNALID"]} for p in PATIENTS if p["INTERNALID"] not in seen]


@case
def in_subquery_patients_on_a_drug(t):
    drug = sorted(r["DRUGNAME"] for r in current("CURRENTRX"))[0]
    sql = ("SELECT InternalID FROM BPS_Patients WHERE InternalID IN "
           f"(SELECT INTERNALID FROM CURRENTRX WHERE DRUGNAME = '{drug}' AND RECORDSTATUS = 1) ORDER BY InternalID")
    ids = {r["INTERNALID"] for r in current("CURRENTRX") if r["DRUGNAME"] == drug}
    return sql, [{"InternalID": p["INTERNALID"]} for p in PATIENTS if p["INTERNALID"] in ids]


@case
def unchecked_abnormal_results(t):
    sql = ("SELECT REPORTID, TESTNAME FROM INVESTIGATIONS WHERE NORMALFLAG = 0 AND CHECKDATE IS NULL "
           "AND RECORDSTATUS = 1 ORDER BY REPORTID")
    return sql, [{"REPORTID": r["REPORTID"], "TESTNAME": r["TESTNAME"]}
                 for r in current("INVESTIGATIONS") if r["NORMALFLAG"] == 0 and r["CHECKDATE"] is None]


@case
def users_with_titles_view(t):
    sql = "SELECT UserID, Title, Surname FROM BPS_Users ORDER BY UserID"
    return sql, [{"UserID": u["USERID"], "Title": TITLE.get(u["TITLECODE"]), "Surname": u["SURNAME"]}
                 for u in current("USERS") if u["USERSTATUS"] == 1]  # BPS_Users shows active users only


@case
def visits_view_for_patient(t):
    pid = patient_with_most("VISITS")
    sql = f"SELECT VisitDate, DrName FROM BPS_Visits WHERE InternalID = {pid} ORDER BY VisitDate DESC"
    got = sorted((v for v in VISITS if v["INTERNALID"] == pid), key=lambda v: v["VISITDATE"], reverse=True)
    return sql, [{"VisitDate": v["VISITDATE"], "DrName": display(USERS[v["USERID"]])} for v in got]


@case
def sessions_today_by_day_name(t):
    sql = "SELECT COUNT(*) AS n FROM BPS_Sessions WHERE Day = DATENAME(dw, GETDATE())"
    bp_dow = TODAY.isoweekday() % 7 + 1
    return sql, [{"n": sum(1 for s in current("SESSIONS") if s["DAYOFWEEK"] == bp_dow)}]


@case
def appointment_status_join_lookup(t):
    sql = ("SELECT S.DESCRIPTION, COUNT(A.RECORDID) AS n FROM APPOINTMENTCODES S "
           "LEFT JOIN APPOINTMENTS A ON A.APPOINTMENTCODE = S.APPOINTMENTCODE AND A.RECORDSTATUS = 1 "
           "GROUP BY S.APPOINTMENTCODE, S.DESCRIPTION ORDER BY S.APPOINTMENTCODE")
    counts = Counter(a["APPOINTMENTCODE"] for a in APPOINTMENTS)
    return sql, [{"DESCRIPTION": s["DESCRIPTION"], "n": counts.get(s["APPOINTMENTCODE"], 0)}
                 for s in sorted(T["APPOINTMENTCODES"], key=lambda s: s["APPOINTMENTCODE"])]


# ---------------------------------------------------------------- date arithmetic


@case
def dateadd_keeps_time_of_day(t):
    return "SELECT DATEADD(day, 7, GETDATE()) AS v", [{"v": iso(NOW + timedelta(days=7))}]


@case
def dateadd_hour_on_column(t):
    v = min(VISITS, key=lambda v: v["VISITID"])
    sql = f"SELECT DATEADD(hour, 3, VISITDATE) AS v FROM VISITS WHERE VISITID = {v['VISITID']}"
    return sql, [{"v": iso(dt(v["VISITDATE"]) + timedelta(hours=3))}]


@case
def dateadd_month_end_clamps(t):
    return "SELECT DATEADD(month, 1, CAST('2024-01-31' AS date)) AS v", [{"v": "2024-02-29T00:00:00"}]


@case
def cast_as_datetime2(t):
    return "SELECT CAST('2024-03-01 10:15:00' AS datetime2) AS v", [{"v": "2024-03-01T10:15:00"}]


@case
def cast_column_as_datetime2(t):
    p = PATIENTS[0]
    sql = f"SELECT CAST(DOB AS datetime2) AS v FROM PATIENTS WHERE INTERNALID = {p['INTERNALID']}"
    return sql, [{"v": p["DOB"]}]


@case
def datediff_year_counts_boundaries(t):
    return "SELECT DATEDIFF(year, '2024-12-31', '2025-01-01') AS v", [{"v": 1}]


@case
def datediff_year_same_year(t):
    return "SELECT DATEDIFF(year, '2025-01-01', '2025-12-31T23:59:59') AS v", [{"v": 0}]


@case
def age_by_datediff_year(t):
    sql = ("SELECT InternalID, DATEDIFF(year, DOB, GETDATE()) AS Age FROM BPS_Patients "
           "WHERE DOB IS NOT NULL ORDER BY InternalID")
    return sql, [{"InternalID": p["INTERNALID"], "Age": years_between(dt(p["DOB"]), NOW)}
                 for p in PATIENTS if p["DOB"]]


@case
def exact_age_with_birthday_correction(t):
    sql = ("SELECT InternalID, DATEDIFF(year, DOB, GETDATE()) - CASE WHEN DATEADD(year, DATEDIFF(year, DOB, "
           "GETDATE()), DOB) > GETDATE() THEN 1 ELSE 0 END AS Age FROM BPS_Patients WHERE DOB IS NOT NULL "
           "ORDER BY InternalID")

    def age(dob: datetime) -> int:
        return NOW.year - dob.year - ((NOW.month, NOW.day, NOW.time()) < (dob.month, dob.day, dob.time()))
    return sql, [{"InternalID": p["INTERNALID"], "Age": age(dt(p["DOB"]))} for p in PATIENTS if p["DOB"]]


@case
def datediff_day_since_last_visit(t):
    last: dict[int, datetime] = {}
    for v in VISITS:
        d = dt(v["VISITDATE"])
        last[v["INTERNALID"]] = max(last.get(v["INTERNALID"], d), d)
    sql = ("SELECT INTERNALID, DATEDIFF(day, MAX(VISITDATE), GETDATE()) AS days FROM VISITS WHERE RECORDSTATUS = 1 "
           "GROUP BY INTERNALID ORDER BY INTERNALID")
    return sql, [{"INTERNALID": k, "days": (TODAY - last[k].date()).days} for k in sorted(last)]


@case
def datediff_minute(t):
    return ("SELECT DATEDIFF(minute, '2026-01-05T08:59:59', '2026-01-05T09:00:00') AS v", [{"v": 1}])


@case
def datediff_month(t):
    return "SELECT DATEDIFF(month, '2025-01-31', '2025-02-01') AS v", [{"v": 1}]


@case
def convert_style_103(t):
    sql = ("SELECT InternalID, CONVERT(varchar(10), DOB, 103) AS dob FROM BPS_Patients WHERE DOB IS NOT NULL "
           "ORDER BY InternalID")
    return sql, [{"InternalID": p["INTERNALID"], "dob": dt(p["DOB"]).strftime("%d/%m/%Y")}
                 for p in PATIENTS if p["DOB"]]


@case
def convert_style_112(t):
    p = PATIENTS[1]
    sql = f"SELECT CONVERT(varchar(8), DOB, 112) AS v FROM PATIENTS WHERE INTERNALID = {p['INTERNALID']}"
    return sql, [{"v": dt(p["DOB"]).strftime("%Y%m%d")}]


@case
def convert_style_120(t):
    v = min(VISITS, key=lambda v: v["VISITID"])
    sql = f"SELECT CONVERT(varchar(19), VISITDATE, 120) AS v FROM VISITS WHERE VISITID = {v['VISITID']}"
    return sql, [{"v": dt(v["VISITDATE"]).strftime("%Y-%m-%d %H:%M:%S")}]


@case
def convert_to_date_strips_time(t):
    return "SELECT CONVERT(date, GETDATE()) AS v", [{"v": iso(TODAY)}]


@case
def datepart_fields(t):
    v = min(VISITS, key=lambda v: v["VISITID"])
    d = dt(v["VISITDATE"])
    sql = ("SELECT DATEPART(year, VISITDATE) AS y, DATEPART(month, VISITDATE) AS m, DATEPART(day, VISITDATE) AS d, "
           "DATEPART(hour, VISITDATE) AS h, DATEPART(minute, VISITDATE) AS mi "
           f"FROM VISITS WHERE VISITID = {v['VISITID']}")
    return sql, [{"y": d.year, "m": d.month, "d": d.day, "h": d.hour, "mi": d.minute}]


@case
def datepart_weekday_sunday_first(t):
    sql = ("SELECT DATEPART(weekday, AppointmentDate) AS dw, COUNT(*) AS n FROM BPS_Appointments "
           "GROUP BY DATEPART(weekday, AppointmentDate) ORDER BY dw")
    counts = Counter(date.fromisoformat(a["APPOINTMENTDATE"][:10]).isoweekday() % 7 + 1 for a in APPOINTMENTS)
    return sql, [{"dw": k, "n": counts[k]} for k in sorted(counts)]


@case
def datename_month(t):
    p = PATIENTS[2]
    sql = f"SELECT DATENAME(month, DOB) AS v FROM PATIENTS WHERE INTERNALID = {p['INTERNALID']}"
    return sql, [{"v": dt(p["DOB"]).strftime("%B")}]


@case
def year_month_functions_birthdays_this_month(t):
    sql = ("SELECT InternalID FROM BPS_Patients WHERE MONTH(DOB) = MONTH(GETDATE()) ORDER BY DAY(DOB), InternalID")
    got = sorted((p for p in PATIENTS if p["DOB"] and dt(p["DOB"]).month == NOW.month),
                 key=lambda p: (dt(p["DOB"]).day, p["INTERNALID"]))
    return sql, [{"InternalID": p["INTERNALID"]} for p in got]


@case
def appointment_start_as_datetime(t):
    a = min(APPOINTMENTS, key=lambda a: a["RECORDID"])
    sql = ("SELECT DATEADD(second, APPOINTMENTTIME, CAST(APPOINTMENTDATE AS datetime)) AS v FROM APPOINTMENTS "
           f"WHERE RECORDID = {a['RECORDID']}")
    start = datetime.fromisoformat(a["APPOINTMENTDATE"]) + timedelta(seconds=a["APPOINTMENTTIME"])
    return sql, [{"v": iso(start)}]


@case
def appointments_next_fortnight(t):
    sql = ("SELECT COUNT(*) AS n FROM BPS_Appointments WHERE AppointmentDate >= CAST(GETDATE() AS date) "
           "AND AppointmentDate < DATEADD(day, 14, CAST(GETDATE() AS date))")
    end = TODAY + timedelta(days=14)
    return sql, [{"n": sum(1 for a in APPOINTMENTS if TODAY <= date.fromisoformat(a["APPOINTMENTDATE"][:10]) < end)}]


@case
def visits_in_last_year_between(t):
    sql = ("SELECT COUNT(*) AS n FROM VISITS WHERE RECORDSTATUS = 1 AND VISITDATE BETWEEN DATEADD(year, -1, "
           "GETDATE()) AND GETDATE()")
    start = NOW.replace(year=NOW.year - 1)
    return sql, [{"n": sum(1 for v in VISITS if start <= dt(v["VISITDATE"]) <= NOW)}]


@case
def eomonth_of_today(t):
    return "SELECT EOMONTH(GETDATE()) AS v", [{"v": "2026-01-31T00:00:00"}]


@case
def datefromparts(t):
    return "SELECT DATEFROMPARTS(2026, 2, 28) AS v", [{"v": "2026-02-28T00:00:00"}]


@case
def format_date(t):
    return "SELECT FORMAT(GETDATE(), 'dd/MM/yyyy') AS v", [{"v": NOW.strftime("%d/%m/%Y")}]


# ---------------------------------------------------------------- paging


def _by_name(ps):
    return sorted(ps, key=lambda p: (ci(p["SURNAME"]), ci(p["FIRSTNAME"]), p["INTERNALID"]))


@case
def offset_fetch_page_two(t):
    sql = ("SELECT InternalID FROM BPS_Patients ORDER BY Surname, Firstname, InternalID "
           "OFFSET 10 ROWS FETCH NEXT 10 ROWS ONLY")
    return sql, [{"InternalID": p["INTERNALID"]} for p in _by_name(PATIENTS)[10:20]]


@case
def offset_past_the_end(t):
    sql = "SELECT InternalID FROM BPS_Patients ORDER BY InternalID OFFSET 1000 ROWS FETCH NEXT 10 ROWS ONLY"
    return sql, []


@case
def offset_without_fetch(t):
    sql = "SELECT InternalID FROM BPS_Patients ORDER BY InternalID OFFSET 45 ROWS"
    return sql, [{"InternalID": p["INTERNALID"]} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])[45:]]


@case
def top_youngest(t):
    sql = "SELECT TOP 5 InternalID, DOB FROM BPS_Patients WHERE DOB IS NOT NULL ORDER BY DOB DESC, InternalID"
    got = sorted((p for p in PATIENTS if p["DOB"]), key=lambda p: (-dt(p["DOB"]).timestamp(), p["INTERNALID"]))[:5]
    return sql, [{"InternalID": p["INTERNALID"], "DOB": p["DOB"]} for p in got]


@case
def top_parenthesised(t):
    sql = "SELECT TOP (3) RECORDID FROM APPOINTMENTS ORDER BY RECORDID DESC"
    return sql, [{"RECORDID": r} for r in sorted((a["RECORDID"] for a in T["APPOINTMENTS"]), reverse=True)[:3]]


@case
def top_with_ties(t):
    counts = Counter(a["USERID"] for a in APPOINTMENTS)
    sql = ("SELECT TOP 1 WITH TIES USERID, COUNT(*) AS n FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           "GROUP BY USERID ORDER BY COUNT(*) DESC")
    best = max(counts.values())
    return sql, [{"USERID": u, "n": n} for u, n in counts.items() if n == best]


@case
def top_percent(t):
    ordered = sorted(p["INTERNALID"] for p in PATIENTS)
    n = -(-len(ordered) * 10 // 100)
    sql = "SELECT TOP (10) PERCENT InternalID FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"InternalID": i} for i in ordered[:n]]


@case
def top_fractional_percent_rounds_up(t):
    n = -(-len(PATIENTS) * 125 // 1000)
    sql = "SELECT TOP (12.5) PERCENT InternalID FROM BPS_Patients ORDER BY 1 DESC"
    return sql, [{"InternalID": i} for i in sorted((p["INTERNALID"] for p in PATIENTS), reverse=True)[:n]]


@case
def top_percent_star_grouped(t):
    counts = Counter(a["USERID"] for a in APPOINTMENTS)
    n = -(-len(counts) * 50 // 100)
    sql = ("SELECT TOP 50 PERCENT * FROM (SELECT USERID, COUNT(*) AS n FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           "GROUP BY USERID) x ORDER BY n DESC, USERID")
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return sql, [{"USERID": u, "n": c} for u, c in ordered]


@case
def top_with_ties_on_alias_keeps_every_tie(t):
    first = min((SEX.get(p["SEXCODE"]) for p in PATIENTS if p["SEXCODE"] in SEX), key=ci)
    sql = ("SELECT TOP 1 WITH TIES InternalID, Sex AS s FROM BPS_Patients WHERE Sex IS NOT NULL "
           "ORDER BY s, InternalID DESC")
    return sql, [{"InternalID": max(p["INTERNALID"] for p in PATIENTS if SEX.get(p["SEXCODE"]) == first),
                  "s": first}]


@case
def top_with_ties_by_ordinal(t):
    first = min((SEX.get(p["SEXCODE"]) for p in PATIENTS if p["SEXCODE"] in SEX), key=ci)
    sql = "SELECT TOP 2 WITH TIES Sex FROM BPS_Patients WHERE Sex IS NOT NULL ORDER BY 1"
    return sql, [{"Sex": first}] * sum(1 for p in PATIENTS if SEX.get(p["SEXCODE"]) == first)


# ---------------------------------------------------------------- string building


@case
def plus_concatenation_full_name(t):
    sql = "SELECT Firstname + ' ' + Surname AS Name FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"Name": f"{p['FIRSTNAME']} {p['SURNAME']}"} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def plus_concatenation_surname_first(t):
    sql = ("SELECT UPPER(Surname) + ', ' + Firstname + ISNULL(' (' + NULLIF(Preferredname, '') + ')', '') AS Name "
           "FROM BPS_Patients ORDER BY InternalID")
    return sql, [{"Name": f"{p['SURNAME'].upper()}, {p['FIRSTNAME']}"
                          + (f" ({p['PREFERREDNAME']})" if p["PREFERREDNAME"] else "")}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def plus_with_null_is_null(t):
    return "SELECT 'Dr ' + NULL AS v", [{"v": None}]


@case
def plus_with_cast_number(t):
    sql = "SELECT 'BP' + CAST(InternalID AS varchar(10)) AS v FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"v": f"BP{p['INTERNALID']}"} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def plus_string_and_int_is_addition(t):
    return "SELECT '5' + 3 AS v", [{"v": 8}]


@case
def concat_ignores_nulls(t):
    sql = "SELECT CONCAT('ID-', InternalID, '-', NULL, Surname) AS v FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"v": f"ID-{p['INTERNALID']}-{p['SURNAME']}"} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def initial_and_surname(t):
    sql = "SELECT LEFT(Firstname, 1) + '. ' + Surname AS v FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"v": f"{p['FIRSTNAME'][0]}. {p['SURNAME']}"} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def medicare_formatting_substring(t):
    sql = ("SELECT SUBSTRING(MedicareNo, 1, 4) + ' ' + SUBSTRING(MedicareNo, 5, 5) + ' ' + SUBSTRING(MedicareNo, 10, 1) "
           "AS v FROM BPS_Patients WHERE MedicareNo <> '' ORDER BY InternalID")
    return sql, [{"v": f"{m[:4]} {m[4:9]} {m[9:10]}"}
                 for m in (p["MEDICARENO"] for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])) if m]


@case
def upper_unicode_literal(t):
    return "SELECT UPPER(N'zoë émile') AS v", [{"v": "ZOË ÉMILE"}]


@case
def national_literal_in_where(t):
    p = PATIENTS[0]
    sql = f"SELECT InternalID FROM BPS_Patients WHERE Firstname = N'{p['FIRSTNAME']}' ORDER BY InternalID"
    return sql, [{"InternalID": q["INTERNALID"]} for q in PATIENTS if ci(q["FIRSTNAME"]) == ci(p["FIRSTNAME"])]


@case
def national_literal_concatenated(t):
    return "SELECT N'Ç' + N'a va' AS v", [{"v": "Ça va"}]


@case
def phone_digits_replace(t):
    sql = ("SELECT REPLACE(REPLACE(REPLACE(MobilePhone, ' ', ''), '(', ''), ')', '') AS v FROM BPS_Patients "
           "WHERE MobilePhone <> '' ORDER BY InternalID")
    return sql, [{"v": p["MOBILEPHONE"].replace(" ", "").replace("(", "").replace(")", "")}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"]) if p["MOBILEPHONE"]]


@case
def best_phone_isnull_nullif(t):
    sql = ("SELECT COALESCE(NULLIF(MobilePhone, ''), NULLIF(HomePhone, ''), 'none') AS v FROM BPS_Patients "
           "ORDER BY InternalID")
    return sql, [{"v": p["MOBILEPHONE"] or p["HOMEPHONE"] or "none"}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def len_ignores_trailing_spaces(t):
    return "SELECT LEN('ab  ') AS a, DATALENGTH('ab  ') AS b", [{"a": 2, "b": 4}]


@case
def email_domain_charindex(t):
    sql = ("SELECT SUBSTRING(Email, CHARINDEX('@', Email) + 1, 100) AS domain FROM BPS_Patients "
           "WHERE CHARINDEX('@', Email) > 0 ORDER BY InternalID")
    return sql, [{"domain": EMAILS[p["INTERNALID"]].split("@", 1)[1]}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"]) if "@" in EMAILS.get(p["INTERNALID"], "")]


@case
def zero_padded_right(t):
    sql = "SELECT RIGHT('00000' + CAST(InternalID AS varchar(5)), 5) AS v FROM BPS_Patients ORDER BY InternalID"
    return sql, [{"v": f"{p['INTERNALID']:05d}"} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def string_agg_medications(t):
    by: dict[int, list[str]] = defaultdict(list)
    for r in current("CURRENTRX"):
        by[r["INTERNALID"]].append(r["DRUGNAME"])
    sql = ("SELECT INTERNALID, STRING_AGG(DRUGNAME, '; ') WITHIN GROUP (ORDER BY DRUGNAME) AS drugs FROM CURRENTRX "
           "WHERE RECORDSTATUS = 1 GROUP BY INTERNALID ORDER BY INTERNALID")
    return sql, [{"INTERNALID": k, "drugs": "; ".join(sorted(by[k], key=ci))} for k in sorted(by)]


@case
def string_agg_ordered_descending_multi_key(t):
    by: dict[int, list[dict]] = defaultdict(list)
    for r in current("CURRENTRX"):
        by[r["INTERNALID"]].append(r)
    sql = ("SELECT INTERNALID, STRING_AGG(DRUGNAME, ' | ') WITHIN GROUP (ORDER BY FIRSTDATE DESC, RECORDID) AS drugs "
           "FROM CURRENTRX WHERE RECORDSTATUS = 1 GROUP BY INTERNALID ORDER BY INTERNALID")
    expected = []
    for k in sorted(by):
        items = sorted(by[k], key=lambda r: r["RECORDID"])
        items.sort(key=lambda r: (r["FIRSTDATE"] is not None, r["FIRSTDATE"] or ""), reverse=True)
        expected.append({"INTERNALID": k, "drugs": " | ".join(r["DRUGNAME"] for r in items)})
    return sql, expected


@case
def rand_is_registered(t):
    return "SELECT CASE WHEN RAND() >= 0 AND RAND() < 1 THEN 1 ELSE 0 END AS v", [{"v": 1}]


@case
def newid_is_a_fresh_guid(t):
    return ("SELECT LEN(CAST(NEWID() AS varchar(36))) AS n, CASE WHEN NEWID() = NEWID() THEN 1 ELSE 0 END AS same",
            [{"n": 36, "same": 0}])


@case
def lower_email_ltrim_rtrim(t):
    sql = "SELECT LOWER(LTRIM(RTRIM('  Sean.Norris@Example.COM  '))) AS v"
    return sql, [{"v": "sean.norris@example.com"}]


# ---------------------------------------------------------------- aggregates


@case
def count_by_sex(t):
    counts = Counter(SEX.get(p["SEXCODE"]) for p in PATIENTS)
    sql = "SELECT Sex, COUNT(*) AS n FROM BPS_Patients GROUP BY Sex ORDER BY Sex"
    return sql, [{"Sex": k, "n": counts[k]} for k in sorted(counts, key=lambda s: (s is not None, s or ""))]


@case
def providers_with_many_bookings_having(t):
    counts = Counter(display(USERS[a["USERID"]]) for a in APPOINTMENTS)
    limit = sorted(counts.values())[len(counts) // 2]
    sql = (f"SELECT Provider, COUNT(*) AS n FROM BPS_Appointments GROUP BY Provider HAVING COUNT(*) >= {limit} "
           "ORDER BY n DESC, Provider")
    got = sorted(((k, n) for k, n in counts.items() if n >= limit), key=lambda kn: (-kn[1], ci(kn[0])))
    return sql, [{"Provider": k, "n": n} for k, n in got]


@case
def avg_of_int_truncates(t):
    lengths = [a["APPOINTMENTLENGTH"] for a in APPOINTMENTS]
    sql = "SELECT AVG(APPOINTMENTLENGTH) AS a, AVG(CAST(APPOINTMENTLENGTH AS float)) AS f FROM APPOINTMENTS " \
          "WHERE RECORDSTATUS = 1"
    return sql, [{"a": sum(lengths) // len(lengths), "f": pytest.approx(sum(lengths) / len(lengths))}]


@case
def urgent_count_sum_case(t):
    sql = ("SELECT SUM(CASE WHEN Urgent = 'Yes' THEN 1 ELSE 0 END) AS urgent, COUNT(*) AS total "
           "FROM BPS_Appointments")
    return sql, [{"urgent": sum(1 for a in APPOINTMENTS if a["URGENT"]), "total": len(APPOINTMENTS)}]


@case
def count_distinct_patients_seen(t):
    sql = "SELECT COUNT(DISTINCT INTERNALID) AS n FROM VISITS WHERE RECORDSTATUS = 1"
    return sql, [{"n": len({v["INTERNALID"] for v in VISITS})}]


@case
def min_max_visit_per_patient(t):
    spans: dict[int, list[str]] = defaultdict(list)
    for v in VISITS:
        spans[v["INTERNALID"]].append(v["VISITDATE"])
    sql = ("SELECT InternalID, MIN(VisitDate) AS first, MAX(VisitDate) AS last FROM BPS_Visits GROUP BY InternalID "
           "ORDER BY InternalID")
    return sql, [{"InternalID": k, "first": min(spans[k]), "last": max(spans[k])} for k in sorted(spans)]


@case
def visits_per_year_month(t):
    counts = Counter((dt(v["VISITDATE"]).year, dt(v["VISITDATE"]).month) for v in VISITS)
    sql = ("SELECT YEAR(VISITDATE) AS y, MONTH(VISITDATE) AS m, COUNT(*) AS n FROM VISITS WHERE RECORDSTATUS = 1 "
           "GROUP BY YEAR(VISITDATE), MONTH(VISITDATE) ORDER BY y, m")
    return sql, [{"y": y, "m": m, "n": counts[(y, m)]} for y, m in sorted(counts)]


@case
def total_booked_minutes_per_day(t):
    day = common_date()
    total = sum(a["APPOINTMENTLENGTH"] for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day)
    sql = f"SELECT SUM(AppointmentLength) / 60 AS minutes FROM BPS_Appointments WHERE AppointmentDate = '{day}'"
    return sql, [{"minutes": total // 60}]


@case
def count_with_no_rows_gives_zero_and_null(t):
    sql = "SELECT COUNT(*) AS n, MAX(VISITDATE) AS m FROM VISITS WHERE INTERNALID = -1"
    return sql, [{"n": 0, "m": None}]


# ---------------------------------------------------------------- CTEs


@case
def cte_latest_visit(t):
    last: dict[int, dict] = {}
    for v in sorted(VISITS, key=lambda v: (v["VISITDATE"], v["VISITID"])):
        last[v["INTERNALID"]] = v
    sql = ("WITH ranked AS (SELECT INTERNALID, VISITID, VISITDATE, ROW_NUMBER() OVER (PARTITION BY INTERNALID "
           "ORDER BY VISITDATE DESC, VISITID DESC) AS rn FROM VISITS WHERE RECORDSTATUS = 1) "
           "SELECT INTERNALID, VISITID FROM ranked WHERE rn = 1 ORDER BY INTERNALID")
    return sql, [{"INTERNALID": k, "VISITID": last[k]["VISITID"]} for k in sorted(last)]


@case
def cte_counts_joined_back(t):
    counts = Counter(a["INTERNALID"] for a in APPOINTMENTS)
    sql = ("WITH c AS (SELECT InternalID, COUNT(*) AS n FROM BPS_Appointments GROUP BY InternalID) "
           "SELECT p.InternalID, ISNULL(c.n, 0) AS n FROM BPS_Patients p LEFT JOIN c ON c.InternalID = p.InternalID "
           "ORDER BY p.InternalID")
    return sql, [{"InternalID": p["INTERNALID"], "n": counts.get(p["INTERNALID"], 0)}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def recursive_cte_calendar(t):
    sql = ("WITH days AS (SELECT CAST('2026-01-01' AS date) AS d UNION ALL SELECT DATEADD(day, 1, d) FROM days "
           "WHERE d < '2026-01-07') SELECT d, DATENAME(weekday, d) AS name FROM days ORDER BY d")
    return sql, [{"d": iso(date(2026, 1, i)), "name": date(2026, 1, i).strftime("%A")} for i in range(1, 8)]


@case
def two_ctes(t):
    ids = {r["INTERNALID"] for r in current("CURRENTRX")} & {r["INTERNALID"] for r in current("REACTIONS")}
    sql = ("WITH rx AS (SELECT DISTINCT INTERNALID FROM CURRENTRX WHERE RECORDSTATUS = 1), "
           "al AS (SELECT DISTINCT INTERNALID FROM REACTIONS WHERE RECORDSTATUS = 1) "
           "SELECT rx.INTERNALID FROM rx JOIN al ON al.INTERNALID = rx.INTERNALID ORDER BY rx.INTERNALID")
    return sql, [{"INTERNALID": i} for i in sorted(ids)]


# ---------------------------------------------------------------- window functions


@case
def row_number_paging(t):
    ordered = _by_name(PATIENTS)
    sql = ("SELECT InternalID, rn FROM (SELECT InternalID, ROW_NUMBER() OVER (ORDER BY Surname, Firstname, InternalID) "
           "AS rn FROM BPS_Patients) x WHERE rn BETWEEN 11 AND 15 ORDER BY rn")
    return sql, [{"InternalID": p["INTERNALID"], "rn": i + 1} for i, p in enumerate(ordered) if 11 <= i + 1 <= 15]


@case
def rank_and_dense_rank_busiest_patients(t):
    counts = Counter(v["INTERNALID"] for v in VISITS)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    values = [n for _, n in ordered]
    expected = [{"INTERNALID": k, "n": n, "rk": values.index(n) + 1,
                 "drk": sorted(set(values), reverse=True).index(n) + 1} for k, n in ordered]
    sql = ("SELECT INTERNALID, COUNT(*) AS n, RANK() OVER (ORDER BY COUNT(*) DESC) AS rk, "
           "DENSE_RANK() OVER (ORDER BY COUNT(*) DESC) AS drk FROM VISITS WHERE RECORDSTATUS = 1 "
           "GROUP BY INTERNALID ORDER BY n DESC, INTERNALID")
    return sql, expected


@case
def running_total_sum_over(t):
    day = common_date()
    by: dict[int, list[dict]] = defaultdict(list)
    for a in sorted(APPOINTMENTS, key=lambda a: (a["USERID"], a["APPOINTMENTTIME"], a["RECORDID"])):
        if a["APPOINTMENTDATE"][:10] == day:
            by[a["USERID"]].append(a)
    expected = []
    for uid in sorted(by):
        total = 0
        for a in by[uid]:
            total += a["APPOINTMENTLENGTH"]
            expected.append({"RECORDID": a["RECORDID"], "booked": total})
    sql = ("SELECT RECORDID, SUM(APPOINTMENTLENGTH) OVER (PARTITION BY USERID ORDER BY APPOINTMENTTIME, RECORDID "
           "ROWS UNBOUNDED PRECEDING) AS booked FROM APPOINTMENTS "
           f"WHERE APPOINTMENTDATE = '{day}' AND RECORDSTATUS = 1 ORDER BY USERID, APPOINTMENTTIME, RECORDID")
    return sql, expected


@case
def count_over_total_with_page(t):
    sql = ("SELECT TOP 3 InternalID, COUNT(*) OVER () AS total FROM BPS_Patients ORDER BY InternalID")
    return sql, [{"InternalID": p["INTERNALID"], "total": len(PATIENTS)}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])[:3]]


@case
def lag_previous_visit(t):
    pid = patient_with_most("VISITS")
    got = sorted((v for v in VISITS if v["INTERNALID"] == pid), key=lambda v: (v["VISITDATE"], v["VISITID"]))
    sql = ("SELECT VISITID, LAG(VISITDATE) OVER (ORDER BY VISITDATE, VISITID) AS prev FROM VISITS "
           f"WHERE INTERNALID = {pid} AND RECORDSTATUS = 1 ORDER BY VISITDATE, VISITID")
    return sql, [{"VISITID": v["VISITID"], "prev": got[i - 1]["VISITDATE"] if i else None} for i, v in enumerate(got)]


@case
def sum_over_partition_share(t):
    counts = Counter(a["USERID"] for a in APPOINTMENTS)
    total = sum(counts.values())
    sql = ("SELECT USERID, COUNT(*) * 100 / SUM(COUNT(*)) OVER () AS pct FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           "GROUP BY USERID ORDER BY USERID")
    return sql, [{"USERID": u, "pct": counts[u] * 100 // total} for u in sorted(counts)]


# ---------------------------------------------------------------- CASE


@case
def case_age_bands(t):
    def band(p):
        age = years_between(dt(p["DOB"]), NOW)
        return "child" if age < 18 else "adult" if age < 65 else "senior"
    counts = Counter(band(p) for p in PATIENTS if p["DOB"])
    sql = ("SELECT Band, COUNT(*) AS n FROM (SELECT CASE WHEN DATEDIFF(year, DOB, GETDATE()) < 18 THEN 'child' "
           "WHEN DATEDIFF(year, DOB, GETDATE()) < 65 THEN 'adult' ELSE 'senior' END AS Band FROM BPS_Patients "
           "WHERE DOB IS NOT NULL) x GROUP BY Band ORDER BY Band")
    return sql, [{"Band": k, "n": counts[k]} for k in sorted(counts)]


@case
def simple_case_sexcode(t):
    sql = ("SELECT INTERNALID, CASE SEXCODE WHEN 1 THEN 'M' WHEN 2 THEN 'F' ELSE 'U' END AS s FROM PATIENTS "
           "WHERE RECORDSTATUS = 1 ORDER BY INTERNALID")
    return sql, [{"INTERNALID": p["INTERNALID"], "s": {1: "M", 2: "F"}.get(p["SEXCODE"], "U")}
                 for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])]


@case
def iif_arrived(t):
    day = common_date()
    sql = ("SELECT RECORDID, IIF(ARRIVALTIME > 0, 'arrived', 'expected') AS s FROM APPOINTMENTS "
           f"WHERE APPOINTMENTDATE = '{day}' AND RECORDSTATUS = 1 ORDER BY RECORDID")
    return sql, [{"RECORDID": a["RECORDID"], "s": "arrived" if a["ARRIVALTIME"] > 0 else "expected"}
                 for a in sorted(APPOINTMENTS, key=lambda a: a["RECORDID"]) if a["APPOINTMENTDATE"][:10] == day]


@case
def case_in_order_by(t):
    day = common_date()
    rank = {"Waiting": 0, "Booked": 1}
    got = sorted((a for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day),
                 key=lambda a: (rank.get(APT_STATUS[a["APPOINTMENTCODE"]], 2), a["RECORDID"]))
    sql = ("SELECT A.RECORDID FROM APPOINTMENTS A JOIN APPOINTMENTCODES S ON S.APPOINTMENTCODE = A.APPOINTMENTCODE "
           f"WHERE A.APPOINTMENTDATE = '{day}' AND A.RECORDSTATUS = 1 ORDER BY CASE S.DESCRIPTION WHEN 'Waiting' "
           "THEN 0 WHEN 'Booked' THEN 1 ELSE 2 END, A.RECORDID")
    return sql, [{"RECORDID": a["RECORDID"]} for a in got]


@case
def case_formats_time_of_day(t):
    a = min(APPOINTMENTS, key=lambda a: a["RECORDID"])
    h, m = divmod(a["APPOINTMENTTIME"] // 60, 60)
    sql = ("SELECT RIGHT('0' + CAST(APPOINTMENTTIME / 3600 AS varchar(2)), 2) + ':' + "
           "RIGHT('0' + CAST(APPOINTMENTTIME % 3600 / 60 AS varchar(2)), 2) AS v FROM APPOINTMENTS "
           f"WHERE RECORDID = {a['RECORDID']}")
    return sql, [{"v": f"{h:02d}:{m:02d}"}]


# ---------------------------------------------------------------- batches with variables (read only)


@case
def batch_declare_and_filter(t):
    p = PATIENTS[3]
    sql = (f"DECLARE @id INT = {p['INTERNALID']}; SELECT Firstname + ' ' + Surname AS Name FROM BPS_Patients "
           "WHERE InternalID = @id")
    return sql, [{"Name": f"{p['FIRSTNAME']} {p['SURNAME']}"}]


@case
def batch_variable_string_building(t):
    sql = "DECLARE @f NVARCHAR(50) = N'Zoë', @s NVARCHAR(50); SET @s = @f + N' ' + N'Émile'; SELECT UPPER(@s) AS v"
    return sql, [{"v": "ZOË ÉMILE"}]


@case
def batch_select_assign_and_if(t):
    n = len(PATIENTS)
    sql = ("DECLARE @n INT; SELECT @n = COUNT(*) FROM BPS_Patients; "
           "IF @n > 10 SELECT 'many' AS v, @n AS n ELSE SELECT 'few' AS v, @n AS n")
    return sql, [{"v": "many" if n > 10 else "few", "n": n}]


@case
def batch_date_window_variables(t):
    start, end = NOW - timedelta(days=90), NOW
    sql = ("DECLARE @to DATETIME = GETDATE(); DECLARE @from DATETIME = DATEADD(day, -90, @to); "
           "SELECT COUNT(*) AS n FROM VISITS WHERE VISITDATE >= @from AND VISITDATE < @to AND RECORDSTATUS = 1")
    return sql, [{"n": sum(1 for v in VISITS if start <= dt(v["VISITDATE"]) < end)}]


@case
def batch_datetime2_variable_dateadd(t):
    sql = "DECLARE @d DATETIME2 = '2024-03-01 10:15:00'; SELECT DATEADD(minute, 90, @d) AS v"
    return sql, [{"v": "2024-03-01T11:45:00"}]


@case
def batch_top_variable(t):
    sql = "DECLARE @n INT = 4; SELECT TOP (@n) InternalID FROM BPS_Patients ORDER BY InternalID DESC"
    return sql, [{"InternalID": p["INTERNALID"]} for p in sorted(PATIENTS, key=lambda p: -p["INTERNALID"])[:4]]


@case
def batch_paging_variables(t):
    sql = ("DECLARE @page INT = 3, @size INT = 7; SELECT InternalID FROM BPS_Patients ORDER BY InternalID "
           "OFFSET (@page - 1) * @size ROWS FETCH NEXT @size ROWS ONLY")
    return sql, [{"InternalID": p["INTERNALID"]} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])[14:21]]


# ---------------------------------------------------------------- expected failures found by the corpus

XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_read(reader, name, request):
    if name in XFAIL:
        request.applymarker(pytest.mark.xfail(strict=True, reason=XFAIL[name]))
    sql, expected = CASES[name](T)
    assert rows(reader, sql) == expected


def test_top_with_ties_needs_order_by(reader):
    with pytest.raises(SqlError) as info:
        rows(reader, "SELECT TOP 1 WITH TIES InternalID FROM BPS_Patients")
    assert info.value.number == 1062


def test_read_with_request_parameters(reader):
    p = PATIENTS[5]
    got = rows(reader, "SELECT InternalID FROM BPS_Patients WHERE Surname = @surname AND DOB = @dob",
               parameters=[SqlParameter("@surname", "input", "NVarChar", p["SURNAME"]),
                           SqlParameter("@dob", "input", "DateTime", p["DOB"])])
    assert {"InternalID": p["INTERNALID"]} in got
    assert all(ci(PATIENTS_BY_ID[r["InternalID"]]["SURNAME"]) == ci(p["SURNAME"]) for r in got)


def test_paging_with_request_parameters(reader):
    got = rows(reader, "SELECT InternalID FROM BPS_Patients ORDER BY InternalID OFFSET @skip ROWS FETCH NEXT @take "
                       "ROWS ONLY", parameters=[SqlParameter("@skip", "input", "Int", "5"),
                                                SqlParameter("@take", "input", "Int", "5")])
    assert got == [{"InternalID": p["INTERNALID"]} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])[5:10]]


# ---------------------------------------------------------------- writes by SQL


def _max(table: str, key: str) -> int:
    return max(r[key] for r in T[table])


def test_update_mobile_phone(writer):
    pid = PATIENTS[0]["INTERNALID"]
    outcome = run(writer, f"UPDATE PATIENTS SET MOBILEPHONE = '0400 000 000', UPDATED = GETDATE() "
                          f"WHERE INTERNALID = {pid}", mode="nonQuery")
    assert outcome.rows_affected == 1
    assert rows(writer, f"SELECT MobilePhone FROM BPS_Patients WHERE InternalID = {pid}") == [
        {"MobilePhone": "0400 000 000"}]
    assert rows(writer, f"SELECT UPDATED FROM PATIENTS WHERE INTERNALID = {pid}") == [{"UPDATED": iso(NOW)}]


def test_update_many_rows_counts(writer):
    day = common_date()
    expected = sum(1 for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day)
    outcome = run(writer, f"UPDATE APPOINTMENTS SET REASON = 'Clinic closed' WHERE APPOINTMENTDATE = '{day}' "
                          "AND RECORDSTATUS = 1", mode="nonQuery")
    assert outcome.rows_affected == expected


def test_insert_output_inserted(writer):
    pid = PATIENTS[0]["INTERNALID"]
    got = rows(writer, "INSERT INTO PASTHISTORY (RECORDSTATUS, INTERNALID, USERID, [YEAR], [MONTH], [DAY], ITEMTEXT, "
                       "ITEMCODE, STATUSCODE, LOCATIONCODE, POSITIONCODE, DESCRIPTIONCODE, SEVERITYCODE, ACUTECODE, "
                       "PRIVACYCODE, SUMMARYCODE, FRACTURE, DISPLACED, COMPOUND, COMMINUTED, SPIRAL, GREENSTICK, "
                       "CREATED, CREATEDBY, PCEHR, PROVISIONAL, VisitUpdated) "
                       f"OUTPUT INSERTED.RECORDID, INSERTED.ITEMTEXT VALUES (1, {pid}, 1, 2025, 6, 1, N'Hypertension', "
                       "1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, GETDATE(), 1, 0, 0, 0)")
    assert got == [{"RECORDID": _max("PASTHISTORY", "RECORDID") + 1, "ITEMTEXT": "Hypertension"}]


def test_insert_then_scope_identity(writer):
    pid = PATIENTS[1]["INTERNALID"]
    got = rows(writer, "INSERT INTO REACTIONS (INTERNALID, USERID, RECORDSTATUS, ITEMTYPE, ITEMCODE, ITEMNAME, "
                       "REACTIONCODE, REACTION, SEVERITY, CREATED, CREATEDBY, VisitUpdated) "
                       f"VALUES ({pid}, 1, 1, 3, 25, N'Penicillin', 1, N'Rash', 2, GETDATE(), 1, 0); "
                       "SELECT CAST(SCOPE_IDENTITY() AS int) AS id")
    new_id = _max("REACTIONS", "RECORDID") + 1
    assert got == [{"id": new_id}]
    assert rows(writer, f"SELECT ITEMNAME, CREATED FROM REACTIONS WHERE RECORDID = {new_id}") == [
        {"ITEMNAME": "Penicillin", "CREATED": iso(NOW)}]


def test_soft_delete_and_rowcount(writer):
    pid = patient_with_most("CURRENTRX")
    n = sum(1 for r in current("CURRENTRX") if r["INTERNALID"] == pid)
    got = rows(writer, f"UPDATE CURRENTRX SET RECORDSTATUS = 2 WHERE INTERNALID = {pid} AND RECORDSTATUS = 1; "
                       "SELECT @@ROWCOUNT AS n")
    assert got == [{"n": n}]
    assert rows(writer, f"SELECT COUNT(*) AS n FROM BPS_CurrentRx WHERE InternalID = {pid}") == [{"n": 0}]


def test_delete_returns_rows_affected(writer):
    pid = patient_with_most("REACTIONS")
    n = sum(1 for r in T["REACTIONS"] if r["INTERNALID"] == pid)
    assert run(writer, f"DELETE FROM REACTIONS WHERE INTERNALID = {pid}", mode="nonQuery").rows_affected == n


def test_update_with_join(writer):
    day = common_date()
    ids = sorted(a["RECORDID"] for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day
                 and APT_STATUS[a["APPOINTMENTCODE"]] == "Booked")
    outcome = run(writer, "UPDATE A SET A.APPOINTMENTCODE = 2 FROM APPOINTMENTS A JOIN APPOINTMENTCODES S "
                          f"ON S.APPOINTMENTCODE = A.APPOINTMENTCODE WHERE S.DESCRIPTION = 'Booked' "
                          f"AND A.APPOINTMENTDATE = '{day}' AND A.RECORDSTATUS = 1", mode="nonQuery")
    assert outcome.rows_affected == len(ids)


def test_unicode_name_round_trip(writer):
    pid = PATIENTS[2]["INTERNALID"]
    run(writer, f"UPDATE PATIENTS SET FIRSTNAME = N'Zoë', SURNAME = N'Émile' WHERE INTERNALID = {pid}",
        mode="nonQuery")
    assert rows(writer, f"SELECT UPPER(Firstname + N' ' + Surname) AS v FROM BPS_Patients WHERE InternalID = {pid}"
                ) == [{"v": "ZOË ÉMILE"}]


def test_try_catch_with_semicolon_before_end_try(writer):
    got = rows(writer, "BEGIN TRY SELECT 1 / 0 AS v; END TRY BEGIN CATCH SELECT ERROR_NUMBER() AS n; END CATCH")
    assert got == [{"n": 8134}]


def test_batch_insert_and_read_back_with_variables(writer):
    pid = PATIENTS[4]["INTERNALID"]
    got = rows(writer, f"DECLARE @pid INT = {pid}; DECLARE @id INT; "
                       "INSERT INTO IMMUNISATIONS (RECORDSTATUS, INTERNALID, NOTGIVENHERE, USERID, ADMINISTEREDBY, "
                       "GIVENDATE, VACCINENAME, VACCINEID, [SEQUENCE], CONSENTCODE, SITECODE, ROUTE, VIVAS, ACIR, "
                       "INFLUENZASENT, CREATED, CREATEDBY, VisitUpdated, Status) VALUES (1, @pid, 0, 1, 1, "
                       "DATEADD(hour, -1, GETDATE()), 'Comirnaty', 14, 1, 0, 1, 1, 0, 0, 0, GETDATE(), 1, 0, 1); "
                       "SET @id = SCOPE_IDENTITY(); "
                       "SELECT @id AS id, GivenDate, VaccineName FROM BPS_Immunisations WHERE InternalID = @pid "
                       "AND GivenDate = DATEADD(hour, -1, GETDATE())")
    assert got == [{"id": _max("IMMUNISATIONS", "RECORDID") + 1, "GivenDate": iso(NOW - timedelta(hours=1)),
                    "VaccineName": VACCINE[14]}]


# ---------------------------------------------------------------- writes by procedure


def test_add_appointment_visible_in_view(writer):
    pid = PATIENTS[0]["INTERNALID"]
    got = rows(writer, "DECLARE @id INT; EXEC @id = BP_AddAppointment @aptdate = '2026-03-02', @apttime = 37800, "
                       f"@aptlen = 900, @practitionerid = 1, @patientid = {pid}, @locationid = 1; SELECT @id AS id")
    assert got == [{"id": _max("APPOINTMENTS", "RECORDID") + 1}]
    before = [(a["APPOINTMENTTIME"], a["RECORDID"], a["INTERNALID"], a["USERID"]) for a in APPOINTMENTS
              if a["APPOINTMENTDATE"] == "2026-03-02T00:00:00"]
    booked = sorted([*before, (37800, got[0]["id"], pid, 1)])
    assert rows(writer, "SELECT Patient, Provider, AppointmentTime FROM BPS_Appointments "
                        "WHERE AppointmentDate = '2026-03-02' ORDER BY AppointmentTime") == [
        {"Patient": f"{PATIENTS_BY_ID[i]['FIRSTNAME'].rstrip()} {PATIENTS_BY_ID[i]['SURNAME'].rstrip()}",
         "Provider": display(USERS[u]), "AppointmentTime": time}
        for time, _, i, u in booked]


def test_cancel_appointment_by_procedure(writer):
    a = min((a for a in APPOINTMENTS if APT_STATUS[a["APPOINTMENTCODE"]] == "Booked"), key=lambda a: a["RECORDID"])
    outcome = run(writer, f"EXEC BP_CancelAppointment @aptid = {a['RECORDID']}", mode="nonQuery")
    assert outcome.rows_affected == 1
    assert rows(writer, f"SELECT RECORDSTATUS FROM APPOINTMENTS WHERE RECORDID = {a['RECORDID']}") == [
        {"RECORDSTATUS": 2}]


def test_patient_appointments_procedure(writer):
    pid = patient_with_most("APPOINTMENTS")
    got = rows(writer, f"EXEC BP_GetPatientAppointments {pid}")
    assert len(got) == sum(1 for a in APPOINTMENTS if a["INTERNALID"] == pid and a["APPOINTMENTDATE"][:10] >= str(TODAY))


def test_find_patient_by_name_and_dob_procedure(writer):
    p = next(p for p in PATIENTS if p["DOB"])
    got = rows(writer, "BP_GetPatientByNameDOB", command_type="storedProcedure",
               parameters=[SqlParameter("@firstname", "input", "NVarChar", p["FIRSTNAME"]),
                           SqlParameter("@surname", "input", "NVarChar", p["SURNAME"]),
                           SqlParameter("@dob", "input", "DateTime", p["DOB"])])
    assert p["INTERNALID"] in [next(iter(r.values())) for r in got]


def test_corpus_size():
    assert len(CASES) >= 80

"""SQL written the way real Bp Premier integrations write it, run on the generated practice.

Appointment books, lateness and reminder lists, recalls, immunisation audits, medication lists, free-slot
searches over sessions and days away, patient matching with trimmed (padded in Bp) names, billing, and the
T-SQL habits that come with them (``WITH (NOLOCK)``, ``DATEADD(second, APPOINTMENTTIME, 0)`` times,
``CONVERT`` styles, ``STUFF ... FOR XML PATH('')``, ``CROSS APPLY (VALUES ...)``, CTEs and window functions).

Every expected result is derived in Python from the raw base tables of the corpus practice
(``test_tsql_corpus.T``), never from the engine. ``test_tsql_corpus_postgres.py`` runs the same cases on
PostgreSQL and compares the bytes with the embedded engine's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest

import test_tsql_corpus as corpus
from mock_halo.sql.testing import rows

reader = corpus.reader
T = corpus.T
NOW: datetime = corpus.NOW
TODAY: date = NOW.date()
PATIENTS = sorted(corpus.PATIENTS, key=lambda p: p["INTERNALID"])
BY_ID = {p["INTERNALID"]: p for p in T["PATIENTS"]}
APPTS = sorted(corpus.APPOINTMENTS, key=lambda a: a["RECORDID"])
USERS = {u["USERID"]: u for u in T["USERS"]}
DAY = corpus.common_date()  # the busiest day of the book, 'YYYY-MM-DD'
CASES: dict[str, Any] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def rt(value: str | None) -> str | None:
    return None if value is None else value.rstrip(" ")


def day_of(a: dict) -> str:
    return a["APPOINTMENTDATE"][:10]


def hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def current(table: str) -> list[dict]:
    return [r for r in T[table] if r["RECORDSTATUS"] == 1]


def d(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# ------------------------------------------------------------------ appointment books


@case
def book_for_today_nolock(t):
    sql = ("SELECT A.RECORDID, A.INTERNALID, A.USERID, A.APPOINTMENTTIME FROM APPOINTMENTS A WITH (NOLOCK) "
           "WHERE A.APPOINTMENTDATE = CAST(GETDATE() AS DATE) AND A.RECORDSTATUS = 1 ORDER BY A.APPOINTMENTTIME, A.RECORDID")
    got = sorted((a for a in APPTS if day_of(a) == TODAY.isoformat()), key=lambda a: (a["APPOINTMENTTIME"], a["RECORDID"]))
    return sql, [{k: a[k] for k in ("RECORDID", "INTERNALID", "USERID", "APPOINTMENTTIME")} for a in got]


@case
def book_with_times_and_names(t):
    sql = ("SELECT CONVERT(VARCHAR(5), DATEADD(second, a.APPOINTMENTTIME, 0), 108) AS [Time], "
           "RTRIM(p.FIRSTNAME) + ' ' + RTRIM(p.SURNAME) AS Patient, a.APPOINTMENTLENGTH / 60 AS Minutes "
           "FROM dbo.APPOINTMENTS a INNER JOIN dbo.PATIENTS p ON p.INTERNALID = a.INTERNALID "
           f"WHERE a.APPOINTMENTDATE = '{DAY}' AND a.RECORDSTATUS = 1 ORDER BY a.APPOINTMENTTIME, a.RECORDID")
    got = sorted((a for a in APPTS if day_of(a) == DAY), key=lambda a: (a["APPOINTMENTTIME"], a["RECORDID"]))
    return sql, [{"Time": hhmm(a["APPOINTMENTTIME"]), "Patient": f"{rt(BY_ID[a['INTERNALID']]['FIRSTNAME'])} "
                  f"{rt(BY_ID[a['INTERNALID']]['SURNAME'])}", "Minutes": a["APPOINTMENTLENGTH"] // 60} for a in got]


@case
def book_status_counts_decoded(t):
    sql = ("SELECT c.DESCRIPTION AS Status, COUNT(*) AS n FROM APPOINTMENTS a JOIN APPOINTMENTCODES c "
           "ON c.APPOINTMENTCODE = a.APPOINTMENTCODE WHERE a.RECORDSTATUS = 1 GROUP BY c.APPOINTMENTCODE, c.DESCRIPTION "
           "ORDER BY c.APPOINTMENTCODE")
    names = {c["APPOINTMENTCODE"]: c["DESCRIPTION"] for c in T["APPOINTMENTCODES"]}
    counts = Counter(a["APPOINTMENTCODE"] for a in APPTS)
    return sql, [{"Status": names[code], "n": counts[code]} for code in sorted(counts)]


@case
def book_per_provider_including_empty(t):
    sql = ("SELECT u.USERID, COUNT(a.RECORDID) AS Booked FROM USERS u LEFT JOIN APPOINTMENTS a ON a.USERID = u.USERID "
           f"AND a.APPOINTMENTDATE = '{DAY}' AND a.RECORDSTATUS = 1 WHERE u.APPOINTMENTS = 1 AND u.RECORDSTATUS = 1 "
           "GROUP BY u.USERID ORDER BY u.USERID")
    counts = Counter(a["USERID"] for a in APPTS if day_of(a) == DAY)
    return sql, [{"USERID": uid, "Booked": counts[uid]} for uid in sorted(USERS)
                 if USERS[uid]["APPOINTMENTS"] == 1 and USERS[uid]["RECORDSTATUS"] == 1]


@case
def first_and_last_appointment_per_provider(t):
    sql = ("SELECT USERID, MIN(APPOINTMENTTIME) AS FirstTime, MAX(APPOINTMENTTIME + APPOINTMENTLENGTH) AS LastEnd "
           f"FROM APPOINTMENTS WHERE APPOINTMENTDATE = '{DAY}' AND RECORDSTATUS = 1 GROUP BY USERID ORDER BY USERID")
    by_user = defaultdict(list)
    for a in APPTS:
        if day_of(a) == DAY:
            by_user[a["USERID"]].append(a)
    return sql, [{"USERID": u, "FirstTime": min(a["APPOINTMENTTIME"] for a in v),
                  "LastEnd": max(a["APPOINTMENTTIME"] + a["APPOINTMENTLENGTH"] for a in v)} for u, v in sorted(by_user.items())]


@case
def appointment_start_as_datetime(t):
    sql = ("SELECT TOP 5 RECORDID, DATEADD(second, APPOINTMENTTIME, APPOINTMENTDATE) AS StartsAt FROM APPOINTMENTS "
           "WHERE RECORDSTATUS = 1 ORDER BY RECORDID")
    return sql, [{"RECORDID": a["RECORDID"], "StartsAt": (d(a["APPOINTMENTDATE"]) + timedelta(
        seconds=a["APPOINTMENTTIME"])).isoformat()} for a in APPTS[:5]]


@case
def running_late_now(t):
    sql = ("SELECT a.RECORDID, a.APPOINTMENTTIME FROM APPOINTMENTS a WHERE a.APPOINTMENTDATE = CAST(GETDATE() AS date) "
           "AND a.RECORDSTATUS = 1 AND a.APPOINTMENTCODE = 1 AND a.ARRIVALTIME = 0 "
           "AND a.APPOINTMENTTIME < DATEDIFF(second, CAST(GETDATE() AS date), GETDATE()) ORDER BY a.RECORDID")
    now_s = NOW.hour * 3600 + NOW.minute * 60 + NOW.second
    return sql, [{"RECORDID": a["RECORDID"], "APPOINTMENTTIME": a["APPOINTMENTTIME"]} for a in APPTS
                 if day_of(a) == TODAY.isoformat() and a["APPOINTMENTCODE"] == 1 and a["ARRIVALTIME"] == 0
                 and a["APPOINTMENTTIME"] < now_s]


@case
def sms_reminders_for_tomorrow(t):
    sql = ("SELECT a.RECORDID, RTRIM(p.FIRSTNAME) AS FirstName, REPLACE(p.MOBILEPHONE, ' ', '') AS Mobile, "
           "CONVERT(VARCHAR(10), a.APPOINTMENTDATE, 103) AS ApptDate FROM APPOINTMENTS a JOIN PATIENTS p ON "
           "p.INTERNALID = a.INTERNALID WHERE a.APPOINTMENTDATE = DATEADD(day, 1, CAST(GETDATE() AS DATE)) "
           "AND a.RECORDSTATUS = 1 AND a.APPOINTMENTCODE = 1 AND p.CONSENTSMSREMINDER = 1 "
           "AND ISNULL(p.MOBILEPHONE, '') <> '' ORDER BY a.APPOINTMENTTIME, a.RECORDID")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    got = sorted((a for a in APPTS if day_of(a) == tomorrow and a["APPOINTMENTCODE"] == 1
                  and BY_ID[a["INTERNALID"]]["CONSENTSMSREMINDER"] == 1 and BY_ID[a["INTERNALID"]]["MOBILEPHONE"]),
                 key=lambda a: (a["APPOINTMENTTIME"], a["RECORDID"]))
    return sql, [{"RECORDID": a["RECORDID"], "FirstName": rt(BY_ID[a["INTERNALID"]]["FIRSTNAME"]),
                  "Mobile": BY_ID[a["INTERNALID"]]["MOBILEPHONE"].replace(" ", ""),
                  "ApptDate": datetime.fromisoformat(a["APPOINTMENTDATE"]).strftime("%d/%m/%Y")} for a in got]


@case
def did_not_attend_last_90_days(t):
    sql = ("SELECT INTERNALID, COUNT(*) AS Missed FROM APPOINTMENTS WHERE APPOINTMENTCODE = 10 AND RECORDSTATUS = 1 "
           "AND APPOINTMENTDATE >= DATEADD(day, -90, CAST(GETDATE() AS DATE)) AND APPOINTMENTDATE < CAST(GETDATE() AS DATE) "
           "GROUP BY INTERNALID ORDER BY INTERNALID")
    low = (TODAY - timedelta(days=90)).isoformat()
    counts = Counter(a["INTERNALID"] for a in APPTS if a["APPOINTMENTCODE"] == 10 and low <= day_of(a) < TODAY.isoformat())
    return sql, [{"INTERNALID": k, "Missed": v} for k, v in sorted(counts.items())]


@case
def cancelled_appointments_with_cancellation(t):
    sql = ("SELECT a.RECORDID, c.CREATED AS CancelledAt FROM APPOINTMENTS a JOIN CANCELLATIONS c ON c.APPOINTMENTID = "
           "a.RECORDID WHERE a.RECORDSTATUS = 2 ORDER BY a.RECORDID")
    cancelled = {a["RECORDID"] for a in T["APPOINTMENTS"] if a["RECORDSTATUS"] == 2}
    return sql, [{"RECORDID": c["APPOINTMENTID"], "CancelledAt": c["CREATED"]}
                 for c in sorted(T["CANCELLATIONS"], key=lambda c: (c["APPOINTMENTID"], c["RECORDID"]))
                 if c["APPOINTMENTID"] in cancelled]


@case
def bookings_by_weekday_name(t):
    sql = ("SELECT DATENAME(weekday, APPOINTMENTDATE) AS WeekDay, COUNT(*) AS n FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           "GROUP BY DATENAME(weekday, APPOINTMENTDATE), DATEPART(weekday, APPOINTMENTDATE) "
           "ORDER BY DATEPART(weekday, APPOINTMENTDATE)")
    counts = Counter(d(a["APPOINTMENTDATE"]).strftime("%A") for a in APPTS)
    order = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    return sql, [{"WeekDay": day, "n": counts[day]} for day in order if counts[day]]


@case
def next_appointment_per_patient_cte(t):
    sql = ("WITH upcoming AS (SELECT INTERNALID, APPOINTMENTDATE, APPOINTMENTTIME, ROW_NUMBER() OVER (PARTITION BY "
           "INTERNALID ORDER BY APPOINTMENTDATE, APPOINTMENTTIME, RECORDID) AS rn FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           "AND APPOINTMENTCODE = 1 AND APPOINTMENTDATE >= CAST(GETDATE() AS DATE)) "
           "SELECT INTERNALID, APPOINTMENTDATE, APPOINTMENTTIME FROM upcoming WHERE rn = 1 ORDER BY INTERNALID")
    best: dict[int, dict] = {}
    for a in sorted(APPTS, key=lambda a: (a["APPOINTMENTDATE"], a["APPOINTMENTTIME"], a["RECORDID"])):
        if a["APPOINTMENTCODE"] == 1 and day_of(a) >= TODAY.isoformat():
            best.setdefault(a["INTERNALID"], a)
    return sql, [{"INTERNALID": k, "APPOINTMENTDATE": a["APPOINTMENTDATE"], "APPOINTMENTTIME": a["APPOINTMENTTIME"]}
                 for k, a in sorted(best.items())]


@case
def patients_with_future_booking_exists(t):
    sql = ("SELECT p.INTERNALID FROM PATIENTS p WHERE p.RECORDSTATUS = 1 AND EXISTS (SELECT 1 FROM APPOINTMENTS a "
           "WHERE a.INTERNALID = p.INTERNALID AND a.RECORDSTATUS = 1 AND a.APPOINTMENTDATE > GETDATE()) ORDER BY p.INTERNALID")
    ids = {a["INTERNALID"] for a in APPTS if d(a["APPOINTMENTDATE"]) > NOW}
    return sql, [{"INTERNALID": p["INTERNALID"]} for p in PATIENTS if p["INTERNALID"] in ids]


@case
def appointment_types_per_provider_for_xml(t):
    users = sorted({a["USERID"] for a in APPTS if day_of(a) == DAY})
    sql = ("SELECT u.USERID, STUFF((SELECT DISTINCT ',' + CAST(a.APPOINTMENTTYPE AS VARCHAR(10)) FROM APPOINTMENTS a "
           f"WHERE a.USERID = u.USERID AND a.APPOINTMENTDATE = '{DAY}' AND a.RECORDSTATUS = 1 "
           "ORDER BY ',' + CAST(a.APPOINTMENTTYPE AS VARCHAR(10)) FOR XML PATH('')), 1, 1, '') AS Types FROM USERS u "
           f"WHERE u.USERID IN ({', '.join(map(str, users))}) ORDER BY u.USERID")
    types = defaultdict(set)
    for a in APPTS:
        if day_of(a) == DAY:
            types[a["USERID"]].add(str(a["APPOINTMENTTYPE"]))
    return sql, [{"USERID": u, "Types": ",".join(sorted(",".join([t]) for t in types[u]))} for u in users]


# ------------------------------------------------------------------ free slots, sessions, days away


@case
def sessions_on_a_weekday(t):
    sql = ("SELECT USERID, CONVERT(VARCHAR(5), DATEADD(second, STARTTIME, 0), 108) AS Starts, "
           "CONVERT(VARCHAR(5), DATEADD(second, ENDTIME, 0), 108) AS Ends, LENGTH / 60 AS SlotMinutes FROM SESSIONS "
           "WHERE RECORDSTATUS = 1 AND DAYOFWEEK = 3 ORDER BY USERID, STARTTIME")
    got = sorted((s for s in current("SESSIONS") if s["DAYOFWEEK"] == 3), key=lambda s: (s["USERID"], s["STARTTIME"]))
    return sql, [{"USERID": s["USERID"], "Starts": hhmm(s["STARTTIME"]), "Ends": hhmm(s["ENDTIME"]),
                  "SlotMinutes": s["LENGTH"] // 60} for s in got]


@case
def session_capacity_per_provider(t):
    sql = ("SELECT USERID, SUM((ENDTIME - STARTTIME) / LENGTH) AS SlotsPerWeek FROM SESSIONS WHERE RECORDSTATUS = 1 "
           "AND LENGTH > 0 GROUP BY USERID ORDER BY USERID")
    slots = Counter()
    for s in current("SESSIONS"):
        if s["LENGTH"] > 0:
            slots[s["USERID"]] += (s["ENDTIME"] - s["STARTTIME"]) // s["LENGTH"]
    return sql, [{"USERID": k, "SlotsPerWeek": v} for k, v in sorted(slots.items())]


@case
def providers_away_in_the_next_fortnight(t):
    sql = ("SELECT d.USERID, d.STARTDATE, d.FINISHDATE, d.AWAYREASON FROM DAYSAWAY d WHERE d.RECORDSTATUS = 1 "
           "AND d.STARTDATE <= DATEADD(day, 14, GETDATE()) AND d.FINISHDATE >= CAST(GETDATE() AS DATE) ORDER BY d.STARTDATE, d.USERID")
    end = NOW + timedelta(days=14)
    got = [r for r in current("DAYSAWAY") if d(r["STARTDATE"]) <= end and d(r["FINISHDATE"]) >= datetime.combine(TODAY, datetime.min.time())]
    return sql, [{k: r[k] for k in ("USERID", "STARTDATE", "FINISHDATE", "AWAYREASON")}
                 for r in sorted(got, key=lambda r: (r["STARTDATE"], r["USERID"]))]


@case
def providers_available_on_a_date(t):
    away_day = current("DAYSAWAY")[0]["STARTDATE"][:10] if current("DAYSAWAY") else DAY
    sql = ("SELECT u.USERID FROM USERS u WHERE u.RECORDSTATUS = 1 AND u.APPOINTMENTS = 1 AND NOT EXISTS (SELECT * FROM "
           f"DAYSAWAY d WHERE d.USERID = u.USERID AND d.RECORDSTATUS = 1 AND '{away_day}' BETWEEN d.STARTDATE AND "
           "d.FINISHDATE) ORDER BY u.USERID")
    away = {r["USERID"] for r in current("DAYSAWAY") if r["STARTDATE"][:10] <= away_day <= r["FINISHDATE"][:10]}
    return sql, [{"USERID": u} for u in sorted(USERS) if USERS[u]["RECORDSTATUS"] == 1
                 and USERS[u]["APPOINTMENTS"] == 1 and u not in away]


@case
def booked_minutes_per_provider_on_day(t):
    sql = ("SELECT USERID, SUM(APPOINTMENTLENGTH) / 60 AS BookedMinutes FROM APPOINTMENTS WHERE RECORDSTATUS = 1 "
           f"AND APPOINTMENTDATE = '{DAY}' GROUP BY USERID HAVING SUM(APPOINTMENTLENGTH) > 0 ORDER BY USERID")
    total = Counter()
    for a in APPTS:
        if day_of(a) == DAY:
            total[a["USERID"]] += a["APPOINTMENTLENGTH"]
    return sql, [{"USERID": k, "BookedMinutes": v // 60} for k, v in sorted(total.items()) if v > 0]


@case
def slot_taken_check(t):
    a = next(a for a in APPTS if day_of(a) == DAY)
    sql = ("SELECT CASE WHEN EXISTS (SELECT 1 FROM APPOINTMENTS WHERE USERID = "
           f"{a['USERID']} AND APPOINTMENTDATE = '{DAY}' AND APPOINTMENTTIME = {a['APPOINTMENTTIME']} AND RECORDSTATUS = 1) "
           "THEN 1 ELSE 0 END AS Taken, CASE WHEN EXISTS (SELECT 1 FROM APPOINTMENTS WHERE USERID = "
           f"{a['USERID']} AND APPOINTMENTDATE = '{DAY}' AND APPOINTMENTTIME = 1 AND RECORDSTATUS = 1) THEN 1 ELSE 0 END AS Free")
    return sql, [{"Taken": 1, "Free": 0}]


# ------------------------------------------------------------------ patient matching


def _patient(i: int) -> dict:
    return PATIENTS[i % len(PATIENTS)]


@case
def match_by_trimmed_name_and_dob(t):
    p = _patient(3)
    sql = ("SELECT INTERNALID FROM PATIENTS WHERE UPPER(RTRIM(SURNAME)) = UPPER('" + rt(p["SURNAME"]).replace("'", "''")
           + "') AND UPPER(RTRIM(FIRSTNAME)) = '" + rt(p["FIRSTNAME"]).upper().replace("'", "''") + "' AND DOB = '"
           + p["DOB"][:10] + "' AND RECORDSTATUS = 1")
    return sql, [{"INTERNALID": q["INTERNALID"]} for q in PATIENTS if corpus.ci(rt(q["SURNAME"])) == corpus.ci(rt(p["SURNAME"]))
                 and corpus.ci(rt(q["FIRSTNAME"])) == corpus.ci(rt(p["FIRSTNAME"])) and q["DOB"] == p["DOB"]]


@case
def match_by_surname_prefix(t):
    p = _patient(7)
    prefix = rt(p["SURNAME"])[:3]
    sql = (f"SELECT INTERNALID, RTRIM(SURNAME) AS Surname FROM PATIENTS WHERE SURNAME LIKE '{prefix}%' "
           "AND RECORDSTATUS = 1 ORDER BY INTERNALID")
    return sql, [{"INTERNALID": q["INTERNALID"], "Surname": rt(q["SURNAME"])} for q in PATIENTS
                 if corpus.ci(q["SURNAME"]).startswith(corpus.ci(prefix))]


@case
def match_by_medicare(t):
    p = next(q for q in PATIENTS if q["MEDICARENO"])
    sql = ("SELECT INTERNALID, MEDICARELINENO FROM PATIENTS WHERE REPLACE(MEDICARENO, ' ', '') = '"
           + p["MEDICARENO"].replace(" ", "") + "' AND RECORDSTATUS = 1 ORDER BY INTERNALID")
    return sql, [{"INTERNALID": q["INTERNALID"], "MEDICARELINENO": q["MEDICARELINENO"]} for q in PATIENTS
                 if (q["MEDICARENO"] or "").replace(" ", "") == p["MEDICARENO"].replace(" ", "")]


@case
def match_by_mobile_digits(t):
    p = next(q for q in PATIENTS if q["MOBILEPHONE"])
    digits = p["MOBILEPHONE"].replace(" ", "")
    sql = f"SELECT INTERNALID FROM PATIENTS WHERE REPLACE(MOBILEPHONE, ' ', '') = '{digits}' ORDER BY INTERNALID"
    return sql, [{"INTERNALID": q["INTERNALID"]} for q in sorted(T["PATIENTS"], key=lambda q: q["INTERNALID"])
                 if (q["MOBILEPHONE"] or "").replace(" ", "") == digits]


@case
def match_by_email(t):
    e = next(e for e in current("EMAIL"))
    sql = ("SELECT p.INTERNALID FROM PATIENTS p JOIN EMAIL e ON e.INTERNALID = p.INTERNALID AND e.RECORDSTATUS = 1 "
           f"WHERE LOWER(LTRIM(RTRIM(e.EMAIL))) = '{e['EMAIL'].strip().lower()}' ORDER BY p.INTERNALID")
    return sql, [{"INTERNALID": x["INTERNALID"]} for x in sorted(current("EMAIL"), key=lambda x: x["INTERNALID"])
                 if x["EMAIL"].strip().lower() == e["EMAIL"].strip().lower()]


@case
def possible_duplicates(t):
    sql = ("SELECT RTRIM(SURNAME) AS Surname, DOB, COUNT(*) AS n FROM PATIENTS WHERE RECORDSTATUS = 1 "
           "GROUP BY RTRIM(SURNAME), DOB HAVING COUNT(*) > 1 ORDER BY DOB")
    counts = Counter((corpus.ci(rt(p["SURNAME"])), p["DOB"]) for p in PATIENTS)
    first = {}
    for p in PATIENTS:
        first.setdefault((corpus.ci(rt(p["SURNAME"])), p["DOB"]), rt(p["SURNAME"]))
    return sql, [{"Surname": first[k], "DOB": k[1], "n": n} for k, n in sorted(counts.items(), key=lambda kv: kv[0][1] or "")
                 if n > 1]


@case
def display_name_with_preferred(t):
    sql = ("SELECT TOP 8 INTERNALID, COALESCE(NULLIF(RTRIM(PREFERREDNAME), ''), RTRIM(FIRSTNAME)) + ' ' + RTRIM(SURNAME) "
           "AS DisplayName FROM PATIENTS WHERE RECORDSTATUS = 1 ORDER BY INTERNALID")
    return sql, [{"INTERNALID": p["INTERNALID"], "DisplayName": f"{rt(p['PREFERREDNAME']) or rt(p['FIRSTNAME'])} "
                  f"{rt(p['SURNAME'])}"} for p in PATIENTS[:8]]


@case
def age_in_years(t):
    sql = ("SELECT TOP 10 INTERNALID, DATEDIFF(YEAR, DOB, GETDATE()) - CASE WHEN DATEADD(YEAR, DATEDIFF(YEAR, DOB, "
           "GETDATE()), DOB) > GETDATE() THEN 1 ELSE 0 END AS Age FROM PATIENTS WHERE RECORDSTATUS = 1 AND DOB IS NOT NULL "
           "ORDER BY INTERNALID")

    def age(dob: datetime) -> int:
        years = NOW.year - dob.year
        try:
            anniversary = dob.replace(year=dob.year + years)
        except ValueError:  # 29 February: SQL Server's DATEADD gives 28 February
            anniversary = dob.replace(year=dob.year + years, day=28)
        return years - (1 if anniversary > NOW else 0)
    return sql, [{"INTERNALID": p["INTERNALID"], "Age": age(d(p["DOB"]))} for p in PATIENTS if p["DOB"]][:10]


@case
def patients_65_and_over(t):
    sql = ("SELECT COUNT(*) AS n FROM PATIENTS WHERE RECORDSTATUS = 1 AND PATIENTSTATUS = 1 "
           "AND DOB <= DATEADD(YEAR, -65, CAST(GETDATE() AS DATE))")
    limit = datetime(TODAY.year - 65, TODAY.month, TODAY.day)
    return sql, [{"n": sum(1 for p in PATIENTS if p["PATIENTSTATUS"] == 1 and p["DOB"] and d(p["DOB"]) <= limit)}]


@case
def dob_in_australian_format(t):
    sql = ("SELECT TOP 5 INTERNALID, CONVERT(VARCHAR(10), DOB, 103) AS DOB FROM PATIENTS WHERE RECORDSTATUS = 1 "
           "AND DOB IS NOT NULL ORDER BY INTERNALID")
    return sql, [{"INTERNALID": p["INTERNALID"], "DOB": d(p["DOB"]).strftime("%d/%m/%Y")} for p in PATIENTS if p["DOB"]][:5]


@case
def patient_sex_decoded(t):
    sql = ("SELECT TOP 10 p.INTERNALID, CASE p.SEXCODE WHEN 1 THEN 'M' WHEN 2 THEN 'F' ELSE 'U' END AS Gender, s.SEX "
           "FROM PATIENTS p LEFT JOIN SEX s ON s.SEXCODE = p.SEXCODE WHERE p.RECORDSTATUS = 1 ORDER BY p.INTERNALID")
    sex = {s["SEXCODE"]: s["SEX"] for s in T["SEX"]}
    return sql, [{"INTERNALID": p["INTERNALID"], "Gender": {1: "M", 2: "F"}.get(p["SEXCODE"], "U"),
                  "SEX": sex.get(p["SEXCODE"])} for p in PATIENTS[:10]]


@case
def postal_address_line(t):
    sql = ("SELECT TOP 6 INTERNALID, RTRIM(ADDRESS1) + CASE WHEN RTRIM(ISNULL(ADDRESS2, '')) <> '' THEN ', ' + "
           "RTRIM(ADDRESS2) ELSE '' END + ', ' + RTRIM(CITY) + ' ' + RTRIM(POSTCODE) AS Address FROM PATIENTS "
           "WHERE RECORDSTATUS = 1 ORDER BY INTERNALID")

    def line(p: dict) -> str:
        second = rt(p["ADDRESS2"] or "")
        return rt(p["ADDRESS1"]) + (", " + second if second else "") + ", " + rt(p["CITY"]) + " " + rt(p["POSTCODE"])
    return sql, [{"INTERNALID": p["INTERNALID"], "Address": line(p)} for p in PATIENTS[:6]]


@case
def patient_page_two(t):
    sql = ("SELECT INTERNALID, RTRIM(SURNAME) AS Surname FROM PATIENTS WHERE RECORDSTATUS = 1 ORDER BY INTERNALID "
           "OFFSET 10 ROWS FETCH NEXT 10 ROWS ONLY")
    return sql, [{"INTERNALID": p["INTERNALID"], "Surname": rt(p["SURNAME"])} for p in PATIENTS[10:20]]


@case
def usual_doctor(t):
    sql = ("SELECT TOP 10 p.INTERNALID, RTRIM(u.FIRSTNAME) + ' ' + RTRIM(u.SURNAME) AS UsualDoctor FROM PATIENTS p "
           "LEFT OUTER JOIN USERS u ON u.USERID = p.USERID WHERE p.RECORDSTATUS = 1 ORDER BY p.INTERNALID")

    def doctor(uid: int):
        u = USERS.get(uid)
        return None if u is None else f"{rt(u['FIRSTNAME'])} {rt(u['SURNAME'])}"
    return sql, [{"INTERNALID": p["INTERNALID"], "UsualDoctor": doctor(p["USERID"])} for p in PATIENTS[:10]]


@case
def patient_email_or_blank(t):
    sql = ("SELECT TOP 10 p.INTERNALID, ISNULL(e.EMAIL, '') AS Email FROM PATIENTS p LEFT JOIN EMAIL e ON e.INTERNALID = "
           "p.INTERNALID AND e.RECORDSTATUS = 1 WHERE p.RECORDSTATUS = 1 ORDER BY p.INTERNALID")
    emails = {e["INTERNALID"]: e["EMAIL"] for e in current("EMAIL")}
    return sql, [{"INTERNALID": p["INTERNALID"], "Email": emails.get(p["INTERNALID"], "")} for p in PATIENTS[:10]]


@case
def phones_unpivoted(t):
    chosen = PATIENTS[:6]
    sql = ("SELECT p.INTERNALID, ph.PhoneType, ph.Number FROM PATIENTS p CROSS APPLY (VALUES ('Home', p.HOMEPHONE), "
           "('Work', p.WORKPHONE), ('Mobile', p.MOBILEPHONE)) AS ph(PhoneType, Number) WHERE p.RECORDSTATUS = 1 "
           f"AND p.INTERNALID <= {chosen[-1]['INTERNALID']} AND ISNULL(ph.Number, '') <> '' ORDER BY p.INTERNALID, ph.PhoneType")
    out = []
    for p in chosen:
        for kind, column in sorted((("Home", "HOMEPHONE"), ("Work", "WORKPHONE"), ("Mobile", "MOBILEPHONE"))):
            if p[column]:
                out.append({"INTERNALID": p["INTERNALID"], "PhoneType": kind, "Number": p[column]})
    return sql, out


@case
def phones_union_all(t):
    chosen = PATIENTS[:4]
    top = chosen[-1]["INTERNALID"]
    sql = (f"SELECT INTERNALID, 'H' AS Kind, HOMEPHONE AS Phone FROM PATIENTS WHERE INTERNALID <= {top} AND RECORDSTATUS = 1 "
           "AND HOMEPHONE <> '' UNION ALL SELECT INTERNALID, 'M', MOBILEPHONE FROM PATIENTS WHERE INTERNALID <= "
           f"{top} AND RECORDSTATUS = 1 AND MOBILEPHONE <> '' ORDER BY INTERNALID, Kind")
    out = []
    for p in chosen:
        if p["HOMEPHONE"]:
            out.append({"INTERNALID": p["INTERNALID"], "Kind": "H", "Phone": p["HOMEPHONE"]})
        if p["MOBILEPHONE"]:
            out.append({"INTERNALID": p["INTERNALID"], "Kind": "M", "Phone": p["MOBILEPHONE"]})
    return sql, out


@case
def distinct_postcodes(t):
    sql = "SELECT COUNT(DISTINCT POSTCODE) AS Postcodes FROM PATIENTS WHERE RECORDSTATUS = 1 AND POSTCODE <> ''"
    return sql, [{"Postcodes": len({p["POSTCODE"] for p in PATIENTS if p["POSTCODE"]})}]


@case
def patients_by_status(t):
    sql = ("SELECT PATIENTSTATUS, COUNT(*) AS n FROM PATIENTS WHERE RECORDSTATUS = 1 GROUP BY PATIENTSTATUS "
           "ORDER BY PATIENTSTATUS")
    counts = Counter(p["PATIENTSTATUS"] for p in PATIENTS)
    return sql, [{"PATIENTSTATUS": k, "n": v} for k, v in sorted(counts.items())]


@case
def bps_patients_view_lookup(t):
    p = _patient(11)
    sql = f"SELECT InternalID, Firstname, Surname, DOB FROM BPS_Patients WHERE InternalID = {p['INTERNALID']}"
    return sql, [{"InternalID": p["INTERNALID"], "Firstname": p["FIRSTNAME"], "Surname": p["SURNAME"], "DOB": p["DOB"]}]


# ------------------------------------------------------------------ recalls (REMINDERS)


@case
def recalls_due_next_90_days(t):
    sql = ("SELECT r.REMINDERID, r.INTERNALID, r.REASONTEXT, r.REMINDERDUE FROM REMINDERS r JOIN PATIENTS p ON "
           "p.INTERNALID = r.INTERNALID WHERE r.RECORDSTATUS = 1 AND p.RECORDSTATUS = 1 AND r.REMINDERDUE BETWEEN "
           "CAST(GETDATE() AS DATE) AND DATEADD(DAY, 90, CAST(GETDATE() AS DATE)) ORDER BY r.REMINDERDUE, r.REMINDERID")
    low, high = datetime.combine(TODAY, datetime.min.time()), datetime.combine(TODAY + timedelta(days=90), datetime.min.time())
    got = [r for r in current("REMINDERS") if BY_ID[r["INTERNALID"]]["RECORDSTATUS"] == 1 and low <= d(r["REMINDERDUE"]) <= high]
    return sql, [{k: r[k] for k in ("REMINDERID", "INTERNALID", "REASONTEXT", "REMINDERDUE")}
                 for r in sorted(got, key=lambda r: (r["REMINDERDUE"], r["REMINDERID"]))]


@case
def overdue_recalls_by_reason(t):
    sql = ("SELECT REASONTEXT, COUNT(*) AS Overdue FROM REMINDERS WHERE RECORDSTATUS = 1 AND REMINDERDUE < GETDATE() "
           "GROUP BY REASONTEXT ORDER BY COUNT(*) DESC, REASONTEXT")
    counts = Counter(r["REASONTEXT"] for r in current("REMINDERS") if d(r["REMINDERDUE"]) < NOW)
    return sql, [{"REASONTEXT": k, "Overdue": v} for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], corpus.ci(kv[0])))]


@case
def recalls_per_provider(t):
    sql = ("SELECT u.USERID, COUNT(r.REMINDERID) AS Recalls FROM USERS u JOIN REMINDERS r ON r.USERID = u.USERID "
           "AND r.RECORDSTATUS = 1 GROUP BY u.USERID ORDER BY u.USERID")
    counts = Counter(r["USERID"] for r in current("REMINDERS") if r["USERID"] in USERS)
    return sql, [{"USERID": k, "Recalls": v} for k, v in sorted(counts.items())]


@case
def recall_due_month_buckets(t):
    sql = ("SELECT YEAR(REMINDERDUE) AS y, MONTH(REMINDERDUE) AS m, COUNT(*) AS n FROM REMINDERS WHERE RECORDSTATUS = 1 "
           "GROUP BY YEAR(REMINDERDUE), MONTH(REMINDERDUE) ORDER BY y, m")
    counts = Counter((d(r["REMINDERDUE"]).year, d(r["REMINDERDUE"]).month) for r in current("REMINDERS"))
    return sql, [{"y": y, "m": m, "n": n} for (y, m), n in sorted(counts.items())]


# ------------------------------------------------------------------ immunisation audits


@case
def immunisations_per_vaccine_top5(t):
    sql = ("SELECT TOP 5 VACCINENAME, COUNT(*) AS Given FROM IMMUNISATIONS WHERE RECORDSTATUS = 1 GROUP BY VACCINENAME "
           "ORDER BY COUNT(*) DESC, VACCINENAME")
    counts = Counter(r["VACCINENAME"] for r in current("IMMUNISATIONS"))
    return sql, [{"VACCINENAME": k, "Given": v} for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], corpus.ci(kv[0])))[:5]]


@case
def immunisations_with_vaccine_catalogue(t):
    sql = ("SELECT TOP 10 i.RECORDID, v.VACCINENAME FROM IMMUNISATIONS i JOIN BPSDrugs.dbo.VACCINES v ON v.VACCINEID = "
           "i.VACCINEID WHERE i.RECORDSTATUS = 1 ORDER BY i.RECORDID")
    got = [r for r in sorted(current("IMMUNISATIONS"), key=lambda r: r["RECORDID"]) if r["VACCINEID"] in corpus.VACCINE]
    return sql, [{"RECORDID": r["RECORDID"], "VACCINENAME": corpus.VACCINE[r["VACCINEID"]]} for r in got[:10]]


@case
def children_under_five_without_immunisation(t):
    sql = ("SELECT p.INTERNALID FROM PATIENTS p WHERE p.RECORDSTATUS = 1 AND p.DOB > DATEADD(year, -5, GETDATE()) "
           "AND NOT EXISTS (SELECT 1 FROM IMMUNISATIONS i WHERE i.INTERNALID = p.INTERNALID AND i.RECORDSTATUS = 1) "
           "ORDER BY p.INTERNALID")
    limit = datetime(NOW.year - 5, NOW.month, NOW.day, NOW.hour, NOW.minute)
    vaccinated = {r["INTERNALID"] for r in current("IMMUNISATIONS")}
    return sql, [{"INTERNALID": p["INTERNALID"]} for p in PATIENTS if p["DOB"] and d(p["DOB"]) > limit
                 and p["INTERNALID"] not in vaccinated]


@case
def latest_immunisation_per_patient(t):
    sql = ("SELECT INTERNALID, VACCINENAME, GIVENDATE FROM (SELECT INTERNALID, VACCINENAME, GIVENDATE, ROW_NUMBER() OVER "
           "(PARTITION BY INTERNALID ORDER BY GIVENDATE DESC, RECORDID DESC) AS rn FROM IMMUNISATIONS WHERE RECORDSTATUS = 1) x "
           "WHERE rn = 1 ORDER BY INTERNALID")
    latest = {}
    for r in sorted(current("IMMUNISATIONS"), key=lambda r: (r["GIVENDATE"], r["RECORDID"]), reverse=True):
        latest.setdefault(r["INTERNALID"], r)
    return sql, [{"INTERNALID": k, "VACCINENAME": r["VACCINENAME"], "GIVENDATE": r["GIVENDATE"]} for k, r in sorted(latest.items())]


@case
def immunisations_given_here_last_two_years(t):
    sql = ("SELECT COUNT(*) AS n FROM IMMUNISATIONS WHERE RECORDSTATUS = 1 AND NOTGIVENHERE = 0 "
           "AND GIVENDATE >= DATEADD(year, -2, GETDATE())")
    limit = datetime(NOW.year - 2, NOW.month, NOW.day, NOW.hour, NOW.minute)
    return sql, [{"n": sum(1 for r in current("IMMUNISATIONS") if r["NOTGIVENHERE"] == 0 and d(r["GIVENDATE"]) >= limit)}]


@case
def vaccines_per_patient_for_xml(t):
    chosen = sorted({r["INTERNALID"] for r in current("IMMUNISATIONS")})[:4]
    sql = ("SELECT p.INTERNALID, STUFF((SELECT '; ' + i.VACCINENAME FROM IMMUNISATIONS i WHERE i.INTERNALID = p.INTERNALID "
           "AND i.RECORDSTATUS = 1 ORDER BY i.GIVENDATE, i.RECORDID FOR XML PATH('')), 1, 2, '') AS Vaccines FROM PATIENTS p "
           f"WHERE p.INTERNALID IN ({', '.join(map(str, chosen))}) ORDER BY p.INTERNALID")
    by = defaultdict(list)
    for r in sorted(current("IMMUNISATIONS"), key=lambda r: (r["GIVENDATE"], r["RECORDID"])):
        by[r["INTERNALID"]].append(r["VACCINENAME"])
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    return sql, [{"INTERNALID": i, "Vaccines": esc("; ".join(by[i]))} for i in chosen]


# ------------------------------------------------------------------ medications, allergies, history, observations


@case
def medication_list_for_a_patient(t):
    pid = corpus.patient_with_most("CURRENTRX")
    sql = ("SELECT DRUGNAME, DOSE, QUANTITY, REPEATS FROM CURRENTRX WHERE INTERNALID = "
           f"{pid} AND RECORDSTATUS = 1 ORDER BY DRUGNAME, RECORDID")
    got = sorted((r for r in current("CURRENTRX") if r["INTERNALID"] == pid), key=lambda r: (corpus.ci(r["DRUGNAME"]), r["RECORDID"]))
    return sql, [{k: r[k] for k in ("DRUGNAME", "DOSE", "QUANTITY", "REPEATS")} for r in got]


@case
def most_prescribed_drugs(t):
    sql = ("SELECT TOP 5 DRUGNAME, COUNT(DISTINCT INTERNALID) AS Patients FROM CURRENTRX WHERE RECORDSTATUS = 1 "
           "GROUP BY DRUGNAME ORDER BY Patients DESC, DRUGNAME")
    patients = defaultdict(set)
    for r in current("CURRENTRX"):
        patients[r["DRUGNAME"]].add(r["INTERNALID"])
    ranked = sorted(patients.items(), key=lambda kv: (-len(kv[1]), corpus.ci(kv[0])))[:5]
    return sql, [{"DRUGNAME": k, "Patients": len(v)} for k, v in ranked]


@case
def prn_medications(t):
    sql = "SELECT RECORDID, INTERNALID, DRUGNAME FROM CURRENTRX WHERE RECORDSTATUS = 1 AND PRN = 1 ORDER BY RECORDID"
    return sql, [{k: r[k] for k in ("RECORDID", "INTERNALID", "DRUGNAME")}
                 for r in sorted(current("CURRENTRX"), key=lambda r: r["RECORDID"]) if r["PRN"] == 1]


@case
def scripts_needing_renewal(t):
    sql = ("SELECT RECORDID, LASTDATE FROM CURRENTRX WHERE RECORDSTATUS = 1 AND REPEATS = 0 AND LASTDATE < "
           "DATEADD(month, -6, GETDATE()) ORDER BY LASTDATE, RECORDID")
    limit = datetime(NOW.year if NOW.month > 6 else NOW.year - 1, (NOW.month - 7) % 12 + 1, NOW.day, NOW.hour, NOW.minute)
    got = [r for r in current("CURRENTRX") if r["REPEATS"] == 0 and r["LASTDATE"] and d(r["LASTDATE"]) < limit]
    return sql, [{"RECORDID": r["RECORDID"], "LASTDATE": r["LASTDATE"]} for r in sorted(got, key=lambda r: (r["LASTDATE"], r["RECORDID"]))]


@case
def medication_list_string_per_patient(t):
    chosen = sorted({r["INTERNALID"] for r in current("CURRENTRX")})[:3]
    sql = ("SELECT p.INTERNALID, STUFF((SELECT ', ' + RTRIM(rx.DRUGNAME) FROM CURRENTRX rx WHERE rx.INTERNALID = "
           "p.INTERNALID AND rx.RECORDSTATUS = 1 ORDER BY rx.DRUGNAME FOR XML PATH(''), TYPE).value('.', 'NVARCHAR(MAX)'), "
           f"1, 2, '') AS Medications FROM PATIENTS p WHERE p.INTERNALID IN ({', '.join(map(str, chosen))}) ORDER BY p.INTERNALID")
    by = defaultdict(list)
    for r in sorted(current("CURRENTRX"), key=lambda r: corpus.ci(r["DRUGNAME"])):
        by[r["INTERNALID"]].append(rt(r["DRUGNAME"]))
    return sql, [{"INTERNALID": i, "Medications": ", ".join(by[i])} for i in chosen]


@case
def allergies_with_patient(t):
    sql = ("SELECT r.INTERNALID, RTRIM(p.SURNAME) AS Surname, r.ITEMNAME, r.REACTION FROM REACTIONS r JOIN PATIENTS p "
           "ON p.INTERNALID = r.INTERNALID WHERE r.RECORDSTATUS = 1 ORDER BY r.INTERNALID, r.RECORDID")
    got = sorted(current("REACTIONS"), key=lambda r: (r["INTERNALID"], r["RECORDID"]))
    return sql, [{"INTERNALID": r["INTERNALID"], "Surname": rt(BY_ID[r["INTERNALID"]]["SURNAME"]), "ITEMNAME": r["ITEMNAME"],
                  "REACTION": r["REACTION"]} for r in got]


@case
def patients_without_allergies_recorded(t):
    sql = ("SELECT COUNT(*) AS n FROM PATIENTS p WHERE p.RECORDSTATUS = 1 AND p.INTERNALID NOT IN (SELECT r.INTERNALID "
           "FROM REACTIONS r WHERE r.RECORDSTATUS = 1)")
    with_allergy = {r["INTERNALID"] for r in current("REACTIONS")}
    return sql, [{"n": sum(1 for p in PATIENTS if p["INTERNALID"] not in with_allergy)}]


@case
def diabetes_register(t):
    sql = ("SELECT DISTINCT h.INTERNALID FROM PASTHISTORY h WHERE h.RECORDSTATUS = 1 AND h.ITEMTEXT LIKE '%diabetes%' "
           "ORDER BY h.INTERNALID")
    return sql, [{"INTERNALID": i} for i in sorted({h["INTERNALID"] for h in current("PASTHISTORY")
                                                    if "diabetes" in h["ITEMTEXT"].lower()})]


@case
def chronic_conditions_count(t):
    sql = ("SELECT ITEMTEXT, COUNT(DISTINCT INTERNALID) AS Patients FROM PASTHISTORY WHERE RECORDSTATUS = 1 AND ITEMTEXT IN "
           "('Hypertension', 'Asthma', 'Type 2 diabetes mellitus', 'Chronic kidney disease') GROUP BY ITEMTEXT ORDER BY ITEMTEXT")
    wanted = {"Hypertension", "Asthma", "Type 2 diabetes mellitus", "Chronic kidney disease"}
    by = defaultdict(set)
    for h in current("PASTHISTORY"):
        if h["ITEMTEXT"] in wanted:
            by[h["ITEMTEXT"]].add(h["INTERNALID"])
    return sql, [{"ITEMTEXT": k, "Patients": len(v)} for k, v in sorted(by.items(), key=lambda kv: corpus.ci(kv[0]))]


@case
def latest_blood_pressure(t):
    sql = ("WITH bp AS (SELECT INTERNALID, OBSDATE, DATAVALUE, ROW_NUMBER() OVER (PARTITION BY INTERNALID ORDER BY OBSDATE DESC, "
           "RECORDID DESC) AS rn FROM OBSERVATIONS WHERE RECORDSTATUS = 1 AND DATANAME = 'Systolic') "
           "SELECT INTERNALID, OBSDATE, CAST(DATAVALUE AS INT) AS Systolic FROM bp WHERE rn = 1 ORDER BY INTERNALID")
    latest = {}
    for r in sorted((r for r in current("OBSERVATIONS") if r["DATANAME"] == "Systolic"),
                    key=lambda r: (r["OBSDATE"], r["RECORDID"]), reverse=True):
        latest.setdefault(r["INTERNALID"], r)
    return sql, [{"INTERNALID": k, "OBSDATE": r["OBSDATE"], "Systolic": int(r["DATAVALUE"])} for k, r in sorted(latest.items())]


@case
def high_systolic_count(t):
    sql = ("SELECT COUNT(DISTINCT INTERNALID) AS n FROM OBSERVATIONS WHERE RECORDSTATUS = 1 AND DATANAME = 'Systolic' "
           "AND CAST(DATAVALUE AS INT) >= 140")
    return sql, [{"n": len({r["INTERNALID"] for r in current("OBSERVATIONS")
                           if r["DATANAME"] == "Systolic" and int(r["DATAVALUE"]) >= 140})}]


@case
def visits_last_30_days_per_doctor(t):
    sql = ("SELECT v.USERID, COUNT(*) AS Visits FROM VISITS v WHERE v.RECORDSTATUS = 1 AND v.VISITDATE >= DATEADD(day, -30, "
           "GETDATE()) AND v.VISITDATE < GETDATE() GROUP BY v.USERID ORDER BY v.USERID")
    low = NOW - timedelta(days=30)
    counts = Counter(v["USERID"] for v in current("VISITS") if low <= d(v["VISITDATE"]) < NOW)
    return sql, [{"USERID": k, "Visits": v} for k, v in sorted(counts.items())]


# ------------------------------------------------------------------ billing and staff


@case
def invoice_totals_per_provider_in_cents(t):
    sql = ("SELECT USERID, COUNT(*) AS Invoices, SUM(TOTAL) AS TotalCents FROM INVOICES WHERE RECORDSTATUS = 1 "
           "GROUP BY USERID ORDER BY USERID")
    by = defaultdict(list)
    for i in current("INVOICES"):
        by[i["USERID"]].append(i["TOTAL"])
    return sql, [{"USERID": k, "Invoices": len(v), "TotalCents": sum(v)} for k, v in sorted(by.items())]


@case
def invoices_by_month(t):
    sql = ("SELECT DATEPART(year, INVOICEDATE) AS y, DATEPART(month, INVOICEDATE) AS m, COUNT(*) AS n FROM INVOICES "
           "WHERE RECORDSTATUS = 1 GROUP BY DATEPART(year, INVOICEDATE), DATEPART(month, INVOICEDATE) ORDER BY y, m")
    counts = Counter((d(i["INVOICEDATE"]).year, d(i["INVOICEDATE"]).month) for i in current("INVOICES"))
    return sql, [{"y": y, "m": m, "n": n} for (y, m), n in sorted(counts.items())]


@case
def invoice_for_an_appointment(t):
    inv = sorted(current("INVOICES"), key=lambda i: i["INVOICEID"])[0]
    sql = ("SELECT i.INVOICEID, a.RECORDID AS AppointmentID, i.TOTAL FROM INVOICES i JOIN APPOINTMENTS a ON a.RECORDID = "
           f"i.APPOINTMENTID WHERE i.INVOICEID = {inv['INVOICEID']}")
    exists = any(a["RECORDID"] == inv["APPOINTMENTID"] for a in T["APPOINTMENTS"])
    return sql, [{"INVOICEID": inv["INVOICEID"], "AppointmentID": inv["APPOINTMENTID"], "TOTAL": inv["TOTAL"]}] if exists else []


@case
def practitioners_with_groups(t):
    sql = ("SELECT u.USERID, RTRIM(u.SURNAME) AS Surname, g.GROUPNAME FROM USERS u INNER JOIN USERGROUPS g ON "
           "g.GROUPCODE = u.GROUPCODE WHERE u.RECORDSTATUS = 1 AND u.USERID > 0 ORDER BY u.USERID")
    groups = {g["GROUPCODE"]: g["GROUPNAME"] for g in T["USERGROUPS"]}
    return sql, [{"USERID": u["USERID"], "Surname": rt(u["SURNAME"]), "GROUPNAME": groups[u["GROUPCODE"]]}
                 for u in sorted(T["USERS"], key=lambda u: u["USERID"]) if u["RECORDSTATUS"] == 1 and u["USERID"] > 0
                 and u["GROUPCODE"] in groups]


@case
def doctors_only_in_subquery(t):
    sql = ("SELECT USERID FROM USERS WHERE RECORDSTATUS = 1 AND GROUPCODE IN (SELECT GROUPCODE FROM USERGROUPS WHERE "
           "GROUPNAME LIKE '%doctor%') ORDER BY USERID")
    doctor_groups = {g["GROUPCODE"] for g in T["USERGROUPS"] if "doctor" in g["GROUPNAME"].lower()}
    return sql, [{"USERID": u["USERID"]} for u in sorted(T["USERS"], key=lambda u: u["USERID"])
                 if u["RECORDSTATUS"] == 1 and u["GROUPCODE"] in doctor_groups]


@case
def provider_numbers(t):
    sql = ("SELECT USERID, LTRIM(RTRIM(PROVIDERNO)) AS ProviderNo FROM USERS WHERE RECORDSTATUS = 1 AND PROVIDERNO IS NOT NULL "
           "AND PROVIDERNO <> '' ORDER BY USERID")
    return sql, [{"USERID": u["USERID"], "ProviderNo": u["PROVIDERNO"].strip()} for u in sorted(T["USERS"], key=lambda u: u["USERID"])
                 if u["RECORDSTATUS"] == 1 and u["PROVIDERNO"]]


# ------------------------------------------------------------------ batches and lookups as integrations send them


@case
def declared_date_window(t):
    sql = ("DECLARE @from DATE = CAST(GETDATE() AS DATE); DECLARE @to DATE = DATEADD(day, 7, @from); "
           "SELECT COUNT(*) AS n FROM APPOINTMENTS WHERE RECORDSTATUS = 1 AND APPOINTMENTDATE >= @from AND APPOINTMENTDATE < @to")
    low, high = TODAY.isoformat(), (TODAY + timedelta(days=7)).isoformat()
    return sql, [{"n": sum(1 for a in APPTS if low <= day_of(a) < high)}]


@case
def status_labels_from_values(t):
    sql = ("SELECT s.Label, COUNT(a.RECORDID) AS n FROM (VALUES (1, 'Booked'), (10, 'DNA'), (7, 'Paid')) AS s(Code, Label) "
           "LEFT JOIN APPOINTMENTS a ON a.APPOINTMENTCODE = s.Code AND a.RECORDSTATUS = 1 GROUP BY s.Code, s.Label ORDER BY s.Code")
    counts = Counter(a["APPOINTMENTCODE"] for a in APPTS)
    return sql, [{"Label": label, "n": counts[code]} for code, label in ((1, "Booked"), (7, "Paid"), (10, "DNA"))]


@case
def temp_table_of_todays_patients(t):
    sql = ("SELECT DISTINCT INTERNALID INTO #today FROM APPOINTMENTS WHERE RECORDSTATUS = 1 AND APPOINTMENTDATE = "
           "CAST(GETDATE() AS DATE); SELECT COUNT(*) AS n FROM #today t JOIN PATIENTS p ON p.INTERNALID = t.INTERNALID "
           "WHERE p.RECORDSTATUS = 1")
    ids = {a["INTERNALID"] for a in APPTS if day_of(a) == TODAY.isoformat()}
    return sql, [{"n": sum(1 for i in ids if BY_ID[i]["RECORDSTATUS"] == 1)}]


@case
def use_drugs_catalogue(t):
    sql = "USE BPSDrugs; SELECT COUNT(*) AS n FROM dbo.VACCINES"
    return sql, [{"n": len(corpus.VACCINE)}]


@pytest.mark.parametrize("name", sorted(CASES))
def test_read(reader, name):
    sql, expected = CASES[name](T)
    assert rows(reader, sql) == expected


def test_integration_corpus_size():
    assert len(CASES) >= 60

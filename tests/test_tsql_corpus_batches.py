"""Corpus, part 2: integrator batches with temp tables, table variables, WHILE, OUTPUT ... INTO, Unicode case.

Same rules as :mod:`test_tsql_corpus` (whose practice data, Python models and engine factory are
imported, not copied): every expected result is derived independently in Python from the raw
base-table rows, never from the engine's output. These cases live in their own module because the
PostgreSQL engine (issue 8) runs :mod:`test_tsql_corpus` as it is and refuses temporary tables and
table variables.

Read cases run on one shared engine: they may create and change temporary objects (which vanish at
the end of each command, so the cases are also a test that nothing leaks between commands) but no
base table. Writes are separate tests on a fresh engine.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import orjson
import pytest

import test_tsql_corpus as corpus
from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.testing import rows, run
from test_tsql_corpus import APPOINTMENTS, NOW, PATIENTS, PATIENTS_BY_ID, VISITS, T, ci, common_date, current, dt, iso

CASES: dict[str, corpus.Case] = {}


def case(fn: corpus.Case) -> corpus.Case:
    CASES[fn.__name__] = fn
    return fn


@pytest.fixture(scope="module")
def reader():
    engine = corpus._engine()
    yield engine
    engine.close()


@pytest.fixture()
def writer():
    engine = corpus._engine()
    yield engine
    engine.close()


def by_id() -> list[dict]:
    return sorted(PATIENTS, key=lambda p: p["INTERNALID"])


# ---------------------------------------------------------------- temporary tables


@case
def temp_drop_if_exists_then_select_into(t):
    sql = ("IF OBJECT_ID('tempdb..#pts') IS NOT NULL DROP TABLE #pts;\n"
           "SELECT InternalID, Surname INTO #pts FROM BPS_Patients WHERE Surname LIKE 'B%';\n"
           "SELECT COUNT(*) AS n FROM #pts")
    return sql, [{"n": sum(1 for p in PATIENTS if ci(p["SURNAME"]).startswith("b"))}]


@case
def temp_table_of_todays_patients_joined_back(t):
    day = common_date()
    sql = ("CREATE TABLE #ids (id INT NOT NULL PRIMARY KEY);\n"
           "INSERT INTO #ids (id) SELECT DISTINCT INTERNALID FROM APPOINTMENTS "
           f"WHERE APPOINTMENTDATE = '{day}' AND RECORDSTATUS = 1;\n"
           "SELECT p.InternalID, p.Surname FROM BPS_Patients p JOIN #ids i ON i.id = p.InternalID "
           "ORDER BY p.InternalID;\nDROP TABLE #ids")
    ids = {a["INTERNALID"] for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day}
    return sql, [{"InternalID": p["INTERNALID"], "Surname": p["SURNAME"]} for p in by_id() if p["INTERNALID"] in ids]


@case
def temp_aggregate_update_and_top(t):
    sql = ("SELECT INTERNALID, COUNT(*) AS visits INTO #v FROM VISITS WHERE RECORDSTATUS = 1 GROUP BY INTERNALID;\n"
           "UPDATE #v SET visits = visits * 10 WHERE visits > 1;\n"
           "SELECT TOP 3 INTERNALID, visits FROM #v ORDER BY visits DESC, INTERNALID")
    counts = Counter(v["INTERNALID"] for v in VISITS)
    scaled = [(pid, n * 10 if n > 1 else n) for pid, n in counts.items()]
    top = sorted(scaled, key=lambda x: (-x[1], x[0]))[:3]
    return sql, [{"INTERNALID": pid, "visits": n} for pid, n in top]


@case
def temp_string_concat_and_delete(t):
    sql = ("CREATE TABLE #names (id INT, full_name NVARCHAR(100));\n"
           "INSERT INTO #names SELECT InternalID, Firstname + ' ' + Surname FROM BPS_Patients;\n"
           "DELETE FROM #names WHERE id % 2 = 0;\n"
           "SELECT TOP 5 id, full_name FROM #names ORDER BY id")
    odd = [p for p in by_id() if p["INTERNALID"] % 2 == 1][:5]
    return sql, [{"id": p["INTERNALID"], "full_name": f"{p['FIRSTNAME']} {p['SURNAME']}"} for p in odd]


@case
def temp_select_into_keeps_dates_typed(t):
    sql = ("SELECT TOP 3 VISITID, VISITDATE INTO #recent FROM VISITS WHERE RECORDSTATUS = 1 "
           "ORDER BY VISITDATE DESC, VISITID;\n"
           "SELECT VISITID, DATEADD(day, 1, VISITDATE) AS next_day FROM #recent ORDER BY VISITID")
    recent = sorted(VISITS, key=lambda v: (-dt(v["VISITDATE"]).timestamp(), v["VISITID"]))[:3]
    return sql, [{"VISITID": v["VISITID"], "next_day": iso(dt(v["VISITDATE"]) + timedelta(days=1))}
                 for v in sorted(recent, key=lambda v: v["VISITID"])]


@case
def temp_identity_column_numbers_rows(t):
    sql = ("CREATE TABLE #q (n INT IDENTITY(1,1) PRIMARY KEY, id INT);\n"
           "INSERT INTO #q (id) SELECT TOP 3 InternalID FROM BPS_Patients ORDER BY InternalID DESC;\n"
           "SELECT n, id FROM #q ORDER BY n")
    last = sorted((p["INTERNALID"] for p in PATIENTS), reverse=True)[:3]
    return sql, [{"n": i + 1, "id": pid} for i, pid in enumerate(last)]


@case
def temp_delete_output_deleted(t):
    sql = ("SELECT InternalID, Surname INTO #work FROM BPS_Patients ORDER BY InternalID;\n"
           "DELETE FROM #work OUTPUT DELETED.InternalID, DELETED.Surname WHERE InternalID <= 3")
    return sql, [{"InternalID": p["INTERNALID"], "Surname": p["SURNAME"]} for p in by_id() if p["INTERNALID"] <= 3]


@case
def temp_truncate_and_refill(t):
    sql = ("CREATE TABLE #t (id INT);\nINSERT INTO #t SELECT InternalID FROM BPS_Patients;\nTRUNCATE TABLE #t;\n"
           "INSERT INTO #t VALUES (42);\nSELECT COUNT(*) AS n, MAX(id) AS m FROM #t")
    return sql, [{"n": 1, "m": 42}]


# ---------------------------------------------------------------- table variables


@case
def table_variable_last_visit_overdue(t):
    sql = ("DECLARE @due TABLE (InternalID INT, LastVisit DATETIME);\n"
           "INSERT INTO @due SELECT INTERNALID, MAX(VISITDATE) FROM VISITS WHERE RECORDSTATUS = 1 "
           "GROUP BY INTERNALID;\n"
           "SELECT COUNT(*) AS n FROM @due WHERE LastVisit < DATEADD(year, -1, GETDATE())")
    last: dict[int, datetime] = {}
    for v in VISITS:
        last[v["INTERNALID"]] = max(last.get(v["INTERNALID"], datetime.min), dt(v["VISITDATE"]))
    cutoff = NOW.replace(year=NOW.year - 1)
    return sql, [{"n": sum(1 for d in last.values() if d < cutoff)}]


@case
def table_variable_update_and_join(t):
    sql = ("DECLARE @t TABLE (id INT PRIMARY KEY, tag NVARCHAR(20));\n"
           "INSERT INTO @t (id, tag) SELECT TOP 4 InternalID, 'x' FROM BPS_Patients ORDER BY InternalID;\n"
           "UPDATE @t SET tag = 'first' WHERE id = (SELECT MIN(id) FROM @t);\n"
           "SELECT p.Firstname, t.tag FROM @t t JOIN BPS_Patients p ON p.InternalID = t.id ORDER BY t.id")
    first4 = by_id()[:4]
    return sql, [{"Firstname": p["FIRSTNAME"], "tag": "first" if i == 0 else "x"} for i, p in enumerate(first4)]


@case
def output_into_table_variable_from_temp_update(t):
    sql = ("SELECT InternalID, Surname INTO #s FROM BPS_Patients;\n"
           "DECLARE @log TABLE (id INT, old_name NVARCHAR(60), new_name NVARCHAR(60));\n"
           "UPDATE #s SET Surname = UPPER(Surname) OUTPUT INSERTED.InternalID, NULL, INSERTED.Surname "
           "INTO @log WHERE InternalID <= 2;\n"
           "SELECT id, new_name FROM @log ORDER BY id")
    return sql, [{"id": p["INTERNALID"], "new_name": p["SURNAME"].upper()} for p in by_id() if p["INTERNALID"] <= 2]


@case
def output_into_with_column_list_from_insert(t):
    sql = ("CREATE TABLE #dst (id INT IDENTITY(1,1) PRIMARY KEY, pid INT, name NVARCHAR(60));\n"
           "DECLARE @ids TABLE (new_id INT, pid INT);\n"
           "INSERT INTO #dst (pid, name) OUTPUT INSERTED.id, INSERTED.pid INTO @ids (new_id, pid) "
           "SELECT TOP 3 InternalID, Surname FROM BPS_Patients ORDER BY InternalID;\n"
           "SELECT new_id, pid FROM @ids ORDER BY new_id")
    return sql, [{"new_id": i + 1, "pid": p["INTERNALID"]} for i, p in enumerate(by_id()[:3])]


@case
def update_output_deleted_and_inserted(t):
    sql = ("SELECT InternalID, Surname INTO #audit FROM BPS_Patients;\n"
           "UPDATE #audit SET Surname = Surname + '-x' OUTPUT DELETED.Surname AS was, INSERTED.Surname AS now "
           "WHERE InternalID = (SELECT MIN(InternalID) FROM #audit)")
    first = by_id()[0]["SURNAME"]
    return sql, [{"was": first, "now": first + "-x"}]


@case
def insert_exec_procedure_rows_into_a_temp_table(t):
    pid = corpus.patient_with_most("APPOINTMENTS")
    sql = ("CREATE TABLE #apts (id INT, code INT, title CHAR(30), surname CHAR(100), d DATETIME, t INT, kind INT);\n"
           f"INSERT INTO #apts EXEC BP_GetPatientAppointments @patientid = {pid};\n"
           "SELECT COUNT(*) AS n, MIN(id) AS first_id, MAX(d) AS last_day FROM #apts")
    mine = [a for a in APPOINTMENTS if a["INTERNALID"] == pid and a["APPOINTMENTDATE"][:10] >= str(corpus.TODAY)]
    return sql, [{"n": len(mine), "first_id": min(a["RECORDID"] for a in mine),
                  "last_day": iso(dt(max(a["APPOINTMENTDATE"] for a in mine)))}]


# ---------------------------------------------------------------- WHILE


@case
def while_sums_counts_per_status(t):
    sql = ("DECLARE @i INT = 1, @total INT = 0;\n"
           "WHILE @i <= 3\nBEGIN\n  SET @total = @total + (SELECT COUNT(*) FROM APPOINTMENTS "
           "WHERE APPOINTMENTCODE = @i AND RECORDSTATUS = 1);\n  SET @i = @i + 1\nEND;\n"
           "SELECT @total AS n")
    return sql, [{"n": sum(1 for a in APPOINTMENTS if a["APPOINTMENTCODE"] in (1, 2, 3))}]


@case
def while_drains_a_table_variable(t):
    sql = ("DECLARE @ids TABLE (id INT);\n"
           "INSERT INTO @ids SELECT TOP 5 InternalID FROM BPS_Patients ORDER BY InternalID;\n"
           "DECLARE @id INT, @names NVARCHAR(400) = '';\n"
           "WHILE EXISTS (SELECT 1 FROM @ids)\nBEGIN\n"
           "  SELECT TOP 1 @id = id FROM @ids ORDER BY id;\n"
           "  SELECT @names = @names + Surname + ';' FROM BPS_Patients WHERE InternalID = @id;\n"
           "  DELETE FROM @ids WHERE id = @id\nEND;\nSELECT @names AS names")
    return sql, [{"names": "".join(p["SURNAME"] + ";" for p in by_id()[:5])}]


@case
def while_with_break_and_continue(t):
    sql = ("DECLARE @i INT = 0, @odd INT = 0;\nWHILE @i < 100\nBEGIN\n  SET @i = @i + 1;\n"
           "  IF @i % 2 = 0 CONTINUE;\n  IF @i > 9 BREAK;\n  SET @odd = @odd + @i\nEND;\n"
           "SELECT @i AS i, @odd AS odd")
    return sql, [{"i": 11, "odd": 1 + 3 + 5 + 7 + 9}]


@case
def while_walks_dates(t):
    day = common_date()
    sql = (f"DECLARE @d DATE = '{day}', @end DATE, @n INT = 0;\nSET @end = DATEADD(day, 6, @d);\n"
           "WHILE @d <= @end\nBEGIN\n  SET @n = @n + (SELECT COUNT(*) FROM APPOINTMENTS WHERE APPOINTMENTDATE = @d "
           "AND RECORDSTATUS = 1);\n  SET @d = DATEADD(day, 1, @d)\nEND;\nSELECT @n AS n")
    start = datetime.fromisoformat(day).date()
    days = {(start + timedelta(days=k)).isoformat() for k in range(7)}
    return sql, [{"n": sum(1 for a in APPOINTMENTS if a["APPOINTMENTDATE"][:10] in days)}]


# ---------------------------------------------------------------- Unicode case-insensitivity


@case
def unicode_equality_against_a_text_column(t):
    sql = ("CREATE TABLE #n (name NVARCHAR(40));\n"
           "INSERT INTO #n VALUES (N'Zoë'), (N'ZOË'), (N'zoe'), (N'Renée'), (N'RENÉE ');\n"
           "SELECT (SELECT COUNT(*) FROM #n WHERE name = N'zoË') AS zoe, "
           "(SELECT COUNT(*) FROM #n WHERE name IN (N'renée', N'nobody')) AS renee, "
           "(SELECT COUNT(*) FROM #n WHERE name <> N'ZOË') AS other")
    names = ["Zoë", "ZOË", "zoe", "Renée", "RENÉE "]

    def same(a: str, b: str) -> bool:  # SQL Server CI_AS: case folded, accents kept, trailing spaces ignored
        return a.rstrip(" ").casefold() == b.rstrip(" ").casefold()

    return sql, [{"zoe": sum(same(n, "zoË") for n in names), "renee": sum(same(n, "renée") for n in names),
                  "other": sum(not same(n, "ZOË") for n in names)}]


@case
def unicode_upper_lower_on_columns(t):
    sql = ("DECLARE @t TABLE (name NVARCHAR(40));\nINSERT INTO @t VALUES (N'Zoë Émile'), (N'ÅSA');\n"
           "SELECT UPPER(name) AS u, LOWER(name) AS l FROM @t WHERE UPPER(name) = N'ZOË ÉMILE' OR name = N'åsa' "
           "ORDER BY u")
    return sql, [{"u": "ZOË ÉMILE", "l": "zoë émile"}, {"u": "ÅSA", "l": "åsa"}][::-1]


# ---------------------------------------------------------------- the read corpus


@pytest.mark.parametrize("name", sorted(CASES))
def test_read(reader, name):
    sql, expected = CASES[name](T)
    assert rows(reader, sql) == expected


def test_nothing_leaks_between_commands(reader):
    for sql in (CASES["temp_aggregate_update_and_top"](T)[0], CASES["table_variable_update_and_join"](T)[0]):
        rows(reader, sql)
        rows(reader, sql)  # the cached translation, on an engine where the first run left nothing behind
    for name in ("#v", "#ids", "#names", "#pts"):
        with pytest.raises(SqlError) as info:
            rows(reader, f"SELECT * FROM {name}")
        assert info.value.number == 208


# ---------------------------------------------------------------- writes


def test_insert_output_into_table_variable_on_a_base_table(writer):
    pid = by_id()[0]["INTERNALID"]
    text = ("DECLARE @new TABLE (id INT, item NVARCHAR(100));\n"
            "INSERT INTO PASTHISTORY (RECORDSTATUS, INTERNALID, USERID, [YEAR], [MONTH], [DAY], ITEMTEXT, ITEMCODE, "
            "STATUSCODE, LOCATIONCODE, POSITIONCODE, DESCRIPTIONCODE, SEVERITYCODE, ACUTECODE, PRIVACYCODE, "
            "SUMMARYCODE, FRACTURE, DISPLACED, COMPOUND, COMMINUTED, SPIRAL, GREENSTICK, CREATED, CREATEDBY, PCEHR, "
            "PROVISIONAL, VisitUpdated) OUTPUT INSERTED.RECORDID, INSERTED.ITEMTEXT INTO @new "
            f"VALUES (1, {pid}, 1, 2025, 1, 1, N'Asthma', 3, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, GETDATE(), 1, "
            f"0, 0, 0), (1, {pid}, 1, 2025, 2, 1, N'Gout', 18, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, GETDATE(), "
            "1, 0, 0, 0);\n"
            "SELECT id, item FROM @new ORDER BY id")
    first = max(r["RECORDID"] for r in T["PASTHISTORY"]) + 1
    outcome = run(writer, text)
    assert outcome.rows_affected == 2
    assert orjson.loads(outcome.data) == [{"id": first, "item": "Asthma"}, {"id": first + 1, "item": "Gout"}]
    assert rows(writer, f"SELECT RECORDID AS id, ITEMTEXT AS item FROM PASTHISTORY WHERE RECORDID >= {first} "
                        "ORDER BY RECORDID") == [{"id": first, "item": "Asthma"}, {"id": first + 1, "item": "Gout"}]


def test_delete_output_deleted_into_temp_table_on_a_base_table(writer):
    pid = corpus.patient_with_most("REACTIONS")
    gone = sorted(r["RECORDID"] for r in T["REACTIONS"] if r["INTERNALID"] == pid)
    text = ("CREATE TABLE #gone (id INT, item NVARCHAR(100));\n"
            f"DELETE FROM REACTIONS OUTPUT DELETED.RECORDID, DELETED.ITEMNAME INTO #gone WHERE INTERNALID = {pid};\n"
            "SELECT id FROM #gone ORDER BY id")
    assert rows(writer, text) == [{"id": r} for r in gone]
    assert rows(writer, f"SELECT COUNT(*) AS n FROM REACTIONS WHERE INTERNALID = {pid}") == [{"n": 0}]


def test_a_failing_batch_rolls_back_and_drops_its_temp_tables(writer):
    pid = by_id()[0]["INTERNALID"]
    text = ("SELECT InternalID INTO #keep FROM BPS_Patients;\n"
            f"UPDATE PATIENTS SET MOBILEPHONE = '0499 999 999' WHERE INTERNALID = {pid};\n"
            "INSERT INTO #keep VALUES (1 / 0)")
    with pytest.raises(SqlError) as info:
        run(writer, text)
    assert info.value.number == 8134
    assert rows(writer, f"SELECT MOBILEPHONE FROM PATIENTS WHERE INTERNALID = {pid}") == [
        {"MOBILEPHONE": PATIENTS_BY_ID[pid]["MOBILEPHONE"]}]
    with pytest.raises(SqlError) as info:
        rows(writer, "SELECT * FROM #keep")
    assert info.value.number == 208


def test_unicode_parameter_matches_a_surname_case_insensitively(writer):
    pid = by_id()[1]["INTERNALID"]
    run(writer, f"UPDATE PATIENTS SET SURNAME = N'Bjørnstad-Émile' WHERE INTERNALID = {pid}", mode="nonQuery")
    text = "SELECT InternalID FROM BPS_Patients WHERE Surname = @s"
    for value in ("BJØRNSTAD-ÉMILE", "bjørnstad-émile  "):
        assert rows(writer, text, parameters=[SqlParameter(name="@s", value=value)]) == [{"InternalID": pid}]
    assert rows(writer, text, parameters=[SqlParameter(name="@s", value="BJORNSTAD-EMILE")]) == []
    assert rows(writer, "SELECT InternalID FROM BPS_Patients WHERE Surname = N'BJØRNSTAD-ÉMILE'") == [
        {"InternalID": pid}]


def test_insert_exec_needs_matching_columns(reader):
    pid = corpus.patient_with_most("APPOINTMENTS")
    for text in (f"CREATE TABLE #p (id INT); INSERT INTO #p EXEC BP_GetPatientAppointments {pid}",
                 f"DECLARE @a TABLE (id INT, d DATE); INSERT INTO @a (id, d) EXEC BP_GetPatientAppointments {pid}"):
        with pytest.raises(SqlError) as info:
            run(reader, text)
        assert info.value.number == 213
    with pytest.raises(SqlError) as info:
        run(reader, f"INSERT INTO PATIENTS EXEC BP_GetPatientAppointments {pid}")
    assert info.value.number == 40000 and "INSERT ... EXEC" in info.value.message


def test_batch_corpus_size():
    assert len(CASES) >= 18
    assert current("PATIENTS")  # the data the cases derive from is there

"""Whatever text arrives, the engine answers with a result or a SQL Server error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_halo.sql import ParameterError, SqlError, SqlParameter
from mock_halo.sql.semantics.errors import INTERNAL
from mock_halo.sql.testing import mini_engine, run


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


TOKENS = [
    "SELECT", "TOP 2", "*", "FROM", "WHERE", "BPS_Patients", "p", "BPS_Appointments", "a", "JOIN", "ON", "=", "<",
    "AND", "OR", "(", ")", ",", "InternalID", "p.InternalID", "a.InternalID", "Firstname", "DOB", "AppointmentDate",
    "'2020-01-01'", "'abc'", "N'x'", "1", "2.5", "NULL", "+", "-", "/", "%", "GETDATE()", "DATEADD(day, 1, DOB)",
    "CAST(DOB AS date)", "CONVERT(varchar, DOB, 103)", "LEN(Firstname)", "ISNULL(Email, '')", "COUNT(*)",
    "GROUP BY", "ORDER BY", "AS x", "LIKE 'a%'", "IN (1, 2)", "BETWEEN 1 AND 3", "UNION ALL", "DISTINCT", "@id",
    "IS NULL", "NOT", "EXISTS", "(SELECT 1)", "HAVING", "WITH c AS (SELECT 1 AS n)", "UPDATE PATIENTS SET",
    "DELETE FROM", "INSERT INTO PATIENTS VALUES", "OFFSET 1 ROWS", "FETCH NEXT 1 ROWS ONLY", "EXEC", "DECLARE",
    ";", "[", "'", "--", "/*", "*/", "#t", "@@ROWCOUNT", "dbo.", "BPSSamples.dbo.PATIENTS",
]


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14), st.booleans())
def test_token_soup_never_crashes(engine, tokens, prefix):
    text = ("SELECT " if prefix else "") + " ".join(tokens)
    try:
        run(engine, text, parameters=[SqlParameter("@id", "input", "Int", "1")])
    except SqlError as exc:
        assert exc.number != INTERNAL, f"{text!r} -> {exc.message}"
    except ParameterError:
        pass


COLUMNS = ["InternalID", "Firstname", "Surname", "DOB", "Email", "Postcode"]
LITERALS = ["1", "0", "-3", "2.5", "'abc'", "N'Zoë'", "'2020-01-31'", "NULL", "@p"]


def expressions(depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(COLUMNS + LITERALS)
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "%"]), sub).map(" ".join).map(lambda e: f"({e})"),
        st.tuples(st.sampled_from(["UPPER", "LOWER", "LEN", "LTRIM", "REVERSE", "ISNUMERIC", "YEAR", "EOMONTH"]),
                  sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["ISNULL", "COALESCE", "NULLIF", "CONCAT", "LEFT", "RIGHT", "CHARINDEX"]),
                  sub, sub).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(["year", "month", "day", "hour"]), sub, sub).map(
            lambda t: f"DATEDIFF({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(["day", "month", "minute"]), sub, sub).map(
            lambda t: f"DATEADD({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(sub, st.sampled_from(["int", "varchar(10)", "date", "datetime", "decimal(9,2)", "bit", "float"])
                  ).map(lambda t: f"CAST({t[0]} AS {t[1]})"),
        st.tuples(sub, sub, sub).map(lambda t: f"IIF({t[0]} = {t[1]}, {t[1]}, {t[2]})"),
    )


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), expressions(), st.sampled_from(["=", "<>", "<", ">=", "LIKE"]), expressions(1))
def test_well_formed_queries_give_results_or_sql_server_errors(engine, selected, left, operator, right):
    text = f"SELECT {selected} AS v FROM BPS_Patients WHERE {left} {operator} {right}"
    try:
        outcome = run(engine, text, parameters=[SqlParameter("@p", "input", "NVarChar", "7")])
    except SqlError as exc:
        assert exc.number not in (INTERNAL, 102, 156), f"{text!r} -> {exc.number} {exc.message}"
        return
    assert outcome.data.startswith(b"[")


BATCH_TOKENS = [
    "CREATE TABLE #t (a INT, b NVARCHAR(10))", "DECLARE @t TABLE (a INT)", "INSERT INTO #t", "INSERT INTO @t",
    "INSERT", "INTO", "#t", "@t", "VALUES (1, 'x')", "VALUES (2)", "SELECT * FROM #t", "SELECT a FROM @t",
    "SELECT InternalID INTO #t FROM PATIENTS", "UPDATE #t SET a = a + 1", "DELETE FROM @t", "DELETE FROM #t",
    "OUTPUT", "INSERTED.a", "DELETED.*", "INSERTED.*", "DELETED.a", "WHERE a = 1", "DROP TABLE #t",
    "DROP TABLE IF EXISTS #t", "IF OBJECT_ID('tempdb..#t') IS NOT NULL", "TRUNCATE TABLE #t", "WHILE", "BREAK",
    "CONTINUE", "BEGIN", "END", "ELSE", "IF", "1 = 1", "@i < 3", "DECLARE @i INT = 0", "SET @i = @i + 1", ";",
    "(", ")", ",", "EXEC BP_GetPatientAppointments 1", "UPDATE PATIENTS SET EMAIL = 'e'", "BEGIN TRY", "END TRY",
    "BEGIN CATCH", "END CATCH", "ROLLBACK", "@end", "SELECT 1 AS x",
]


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BATCH_TOKENS), min_size=1, max_size=12))
def test_batch_soup_never_crashes_nor_leaks_temp_tables(engine, tokens):
    text = " ".join(tokens)
    try:
        run(engine, text)
    except SqlError as exc:
        assert exc.number != INTERNAL, f"{text!r} -> {exc.message}"
    engine._guard.trusted = True
    try:
        assert engine._conn.execute("SELECT name FROM temp.sqlite_master").fetchall() == [], text
    finally:
        engine._guard.trusted = False

"""Temporary tables, table variables, WHILE loops and OUTPUT ... INTO in the batch interpreter."""

from __future__ import annotations

import pytest

from mock_halo.sql import SqlError
from mock_halo.sql.runtime import interpreter
from mock_halo.sql.testing import mini_engine, rows, run


@pytest.fixture()
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def fails(engine, sql: str) -> SqlError:
    with pytest.raises(SqlError) as caught:
        run(engine, sql)
    return caught.value


def temp_tables(engine) -> list[str]:
    """What is left in SQLite's temp schema (read trusted, as the engine's housekeeping does)."""
    engine._guard.trusted = True
    try:
        return [r[0] for r in engine._conn.execute("SELECT name FROM temp.sqlite_master")]
    finally:
        engine._guard.trusted = False


# -- temporary tables ---------------------------------------------------------------------------

def test_create_insert_update_delete_and_join_a_temp_table(engine):
    text = ("CREATE TABLE #ids (id INT NOT NULL PRIMARY KEY, note NVARCHAR(20)); "
            "INSERT INTO #ids (id, note) VALUES (1, 'one'), (3, 'three'), (4, 'four'); "
            "UPDATE #ids SET note = note + '!' WHERE id = 3; DELETE FROM #ids WHERE id = 4; "
            "SELECT p.FIRSTNAME, i.note FROM PATIENTS p JOIN #ids i ON i.id = p.INTERNALID ORDER BY p.INTERNALID")
    assert rows(engine, text) == [{"FIRSTNAME": "Alice", "note": "one"}, {"FIRSTNAME": "Zoë", "note": "three!"}]
    assert temp_tables(engine) == []


def test_select_into_keeps_the_source_types(engine):
    text = ("SELECT APPOINTMENTID, APPOINTMENTDATE, URGENT, FEE INTO #a FROM APPOINTMENTS WHERE INTERNALID = 1; "
            "SELECT * FROM #a WHERE APPOINTMENTDATE >= '2000-01-01' ORDER BY APPOINTMENTID")
    got = rows(engine, text)
    assert got and all(set(r) == {"APPOINTMENTID", "APPOINTMENTDATE", "URGENT", "FEE"} for r in got)
    assert all(isinstance(r["URGENT"], bool) and r["APPOINTMENTDATE"].endswith("T00:00:00") for r in got)
    expected = rows(engine, "SELECT APPOINTMENTID, APPOINTMENTDATE, URGENT, FEE FROM APPOINTMENTS "
                            "WHERE INTERNALID = 1 ORDER BY APPOINTMENTID")
    assert got == expected


def test_select_into_reports_rows_and_returns_no_result_set(engine):
    outcome = run(engine, "SELECT INTERNALID INTO #p FROM PATIENTS", mode="nonQuery")
    assert outcome.rows_affected == 5
    assert rows(engine, "SELECT INTERNALID INTO #p FROM PATIENTS; SELECT @@ROWCOUNT AS n") == [{"n": 5}]


def test_the_common_drop_if_exists_idiom(engine):
    text = ("IF OBJECT_ID('tempdb..#t') IS NOT NULL DROP TABLE #t; CREATE TABLE #t (a INT); "
            "INSERT INTO #t VALUES (7); SELECT CASE WHEN OBJECT_ID('tempdb..#t') IS NULL THEN 0 ELSE 1 END AS e, "
            "a FROM #t; DROP TABLE #t")
    assert rows(engine, text) == [{"e": 1, "a": 7}]
    assert rows(engine, "DROP TABLE IF EXISTS #t; SELECT OBJECT_ID('tempdb..#t') AS o, "
                        "CASE WHEN OBJECT_ID('dbo.PATIENTS') > 0 THEN 1 END AS p, OBJECT_ID('NOPE') AS n") == [
        {"o": None, "p": 1, "n": None}]


def test_temp_tables_vanish_after_the_command_and_after_an_error(engine):
    assert rows(engine, "CREATE TABLE #t (a INT); INSERT INTO #t VALUES (1); SELECT a FROM #t") == [{"a": 1}]
    assert fails(engine, "SELECT a FROM #t").number == 208
    assert fails(engine, "CREATE TABLE #t (a INT); INSERT INTO #t VALUES (1); SELECT 1 / 0").number == 8134
    assert temp_tables(engine) == []
    assert fails(engine, "INSERT INTO #t VALUES (2)").number == 208


def test_sql_server_errors_for_temp_tables(engine):
    error = fails(engine, "SELECT * FROM #nope")
    assert (error.number, error.message) == (208, "Invalid object name '#nope'.")
    error = fails(engine, "CREATE TABLE #t (a INT); CREATE TABLE #t (b INT)")
    assert (error.number, error.message) == (2714, "There is already an object named '#t' in the database.")
    assert fails(engine, "CREATE TABLE #t (a INT); SELECT INTERNALID INTO #t FROM PATIENTS").number == 2714
    assert fails(engine, "DROP TABLE #t").number == 3701
    assert fails(engine, "CREATE TABLE #t (a INT); DROP TABLE #t; SELECT * FROM #t").number == 208
    assert fails(engine, "SELECT 1 INTO #x").number == 1038
    assert fails(engine, "CREATE TABLE #t (a INT, A INT)").number == 2705
    assert fails(engine, "CREATE TABLE #t (id INT PRIMARY KEY); INSERT INTO #t VALUES (1), (1)").number == 2627


def test_a_cached_batch_is_right_when_the_next_command_defines_the_table_differently(engine):
    first = "CREATE TABLE #t (v INT); INSERT INTO #t VALUES (1); SELECT v + '2' AS r FROM #t"
    second = "CREATE TABLE #t (v NVARCHAR(5)); INSERT INTO #t VALUES ('1'); SELECT v + '2' AS r FROM #t"
    for _ in range(2):  # the second round is served from the translation cache
        assert rows(engine, first) == [{"r": 3}]
        assert rows(engine, second) == [{"r": "12"}]
    assert engine.cache_info()["hits"] >= 2


def test_temp_tables_stay_out_of_the_catalogue_and_the_authorizer_still_holds(engine):
    rows(engine, "CREATE TABLE #t (a INT); SELECT a FROM #t")
    assert "#t" not in engine.catalog.tables.get("temp", {}) and all(
        "#t" not in tables for tables in engine.catalog.tables.values())
    assert fails(engine, "CREATE TABLE #t (a INT); SELECT * FROM sqlite_temp_master").number == 208
    assert fails(engine, "CREATE TABLE PATIENTS_COPY (a INT)").number == 40000
    assert fails(engine, "DROP TABLE PATIENTS").number == 40000
    assert fails(engine, "SELECT * FROM ##global").number == 40000


def test_truncate_and_rollback_of_a_temp_table(engine):
    text = ("CREATE TABLE #t (a INT); INSERT INTO #t VALUES (1), (2); TRUNCATE TABLE #t; "
            "INSERT INTO #t VALUES (3); SELECT a FROM #t")
    assert rows(engine, text) == [{"a": 3}]
    text = ("BEGIN TRAN; CREATE TABLE #t (a INT); ROLLBACK; "
            "SELECT CASE WHEN OBJECT_ID('tempdb..#t') IS NULL THEN 'gone' ELSE 'there' END AS s")
    assert rows(engine, text) == [{"s": "gone"}]


def test_identity_column_and_scope_identity(engine):
    text = ("CREATE TABLE #c (id INT IDENTITY(1,1) PRIMARY KEY, v NVARCHAR(10)); INSERT INTO #c (v) VALUES ('a'); "
            "INSERT INTO #c (v) VALUES ('b'); SELECT CAST(SCOPE_IDENTITY() AS INT) AS i, v FROM #c WHERE id = 2")
    assert rows(engine, text) == [{"i": 2, "v": "b"}]


# -- table variables -----------------------------------------------------------------------------

def test_table_variable_round_trip(engine):
    text = ("DECLARE @t TABLE (id INT, name NVARCHAR(50)); "
            "INSERT INTO @t SELECT INTERNALID, FIRSTNAME FROM PATIENTS WHERE INTERNALID <= 3; "
            "UPDATE @t SET name = UPPER(name) WHERE id = 3; DELETE FROM @t WHERE id = 2; "
            "SELECT t.id, t.name, p.SURNAME FROM @t t JOIN PATIENTS p ON p.INTERNALID = t.id ORDER BY t.id")
    assert rows(engine, text) == [{"id": 1, "name": "Alice", "SURNAME": "Smith"},
                                  {"id": 3, "name": "ZOË", "SURNAME": "Émile"}]
    assert temp_tables(engine) == []


def test_table_variable_errors(engine):
    error = fails(engine, "SELECT * FROM @missing")
    assert (error.number, error.message) == (1087, 'Must declare the table variable "@missing".')
    assert fails(engine, "DECLARE @t TABLE (a INT); DECLARE @t TABLE (b INT)").number == 134
    assert fails(engine, "DECLARE @t INT; DECLARE @t TABLE (b INT)").number == 134
    assert fails(engine, "DECLARE @t TABLE (a INT); DECLARE @t INT").number == 134


# -- WHILE ---------------------------------------------------------------------------------------

def test_while_with_break_and_continue(engine):
    text = ("DECLARE @i INT = 0, @s INT = 0; WHILE @i < 10 BEGIN SET @i = @i + 1; IF @i = 3 CONTINUE; "
            "IF @i > 6 BREAK; SET @s = @s + @i END; SELECT @i AS i, @s AS s")
    assert rows(engine, text) == [{"i": 7, "s": 1 + 2 + 4 + 5 + 6}]


def test_while_fills_a_table_variable_and_nested_loops(engine):
    text = ("DECLARE @t TABLE (a INT, b INT); DECLARE @i INT = 1, @j INT; WHILE @i <= 3 BEGIN SET @j = 1; "
            "WHILE @j <= @i BEGIN INSERT INTO @t VALUES (@i, @j); SET @j = @j + 1 END; SET @i = @i + 1 END; "
            "SELECT COUNT(*) AS n, SUM(a * 10 + b) AS s FROM @t")
    assert rows(engine, text) == [{"n": 6, "s": 11 + 21 + 22 + 31 + 32 + 33}]


def test_a_runaway_loop_ends_with_the_timeout_error(engine, monkeypatch):
    monkeypatch.setattr(interpreter, "LOOP_LIMIT", 50)
    assert fails(engine, "DECLARE @i INT = 0; WHILE 1 = 1 SET @i = @i + 1").number == -2
    assert rows(engine, "DECLARE @i INT = 0; WHILE @i < 40 SET @i = @i + 1; SELECT @i AS i") == [{"i": 40}]


def test_break_outside_a_loop(engine):
    assert fails(engine, "BREAK").number == 135
    assert fails(engine, "IF 1 = 1 CONTINUE").number == 135


# -- OUTPUT ... INTO and DELETE ... OUTPUT ---------------------------------------------------------

def test_insert_output_into_a_table_variable(engine):
    text = ("DECLARE @ids TABLE (id INT, s NVARCHAR(40)); INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME) "
            "OUTPUT INSERTED.INTERNALID, INSERTED.SURNAME INTO @ids VALUES (10, 'X', 'Young'), (11, 'Z', 'West'); "
            "SELECT id, s FROM @ids ORDER BY id")
    outcome = run(engine, text)
    assert outcome.data == b'[{"id":10,"s":"Young"},{"id":11,"s":"West"}]'
    assert outcome.rows_affected == 2


def test_delete_output_deleted_with_where_and_into_a_column_list(engine):
    before = rows(engine, "SELECT APPOINTMENTID, STATUS FROM APPOINTMENTS WHERE INTERNALID = 1 ORDER BY 1")
    assert before
    got = rows(engine, "DELETE FROM APPOINTMENTS OUTPUT DELETED.APPOINTMENTID, DELETED.STATUS WHERE INTERNALID = 1")
    assert sorted(got, key=lambda r: r["APPOINTMENTID"]) == before
    text = ("CREATE TABLE #gone (id INT, st NVARCHAR(20)); DELETE FROM APPOINTMENTS OUTPUT DELETED.APPOINTMENTID "
            "INTO #gone (id) WHERE INTERNALID = 2; SELECT COUNT(*) AS n, MAX(st) AS st FROM #gone")
    assert rows(engine, text) == [{"n": 1, "st": None}]


def test_update_output_into_and_the_column_count_check(engine):
    text = ("DECLARE @c TABLE (id INT, email NVARCHAR(100)); UPDATE PATIENTS SET EMAIL = 'new@x' "
            "OUTPUT INSERTED.INTERNALID, INSERTED.EMAIL INTO @c WHERE SURNAME = 'smith'; "
            "SELECT id, email FROM @c ORDER BY id")
    assert rows(engine, text) == [{"id": 1, "email": "new@x"}, {"id": 4, "email": "new@x"}]
    assert fails(engine, "DECLARE @c TABLE (id INT); UPDATE PATIENTS SET EMAIL = 'y' "
                         "OUTPUT INSERTED.INTERNALID, INSERTED.EMAIL INTO @c").number in (213, 110)


# -- IF ... END; ELSE ----------------------------------------------------------------------------

def test_semicolon_between_end_and_else_is_a_syntax_error(engine):
    error = fails(engine, "IF 1 = 1 BEGIN SELECT 1 AS a END; ELSE SELECT 2 AS a")
    assert (error.number, error.message) == (156, "Incorrect syntax near the keyword 'ELSE'.")
    assert rows(engine, "IF 1 = 0 BEGIN SELECT 1 AS a END ELSE SELECT 2 AS a") == [{"a": 2}]
    assert rows(engine, "IF 1 = 0 SELECT 1 AS a; ELSE SELECT 2 AS a") == [{"a": 2}]


# -- Unicode case-insensitive comparisons with text columns ------------------------------------------

@pytest.mark.parametrize("text", [
    "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = 'ZOË'",
    "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = N'zoë  '",
    "SELECT INTERNALID FROM PATIENTS WHERE N'ÉMILE' = SURNAME",
    "SELECT INTERNALID FROM PATIENTS WHERE SURNAME IN (N'émile', 'nobody')",
    "SELECT InternalID AS INTERNALID FROM BPS_Patients WHERE Surname = N'ÉMILE'",
    "DECLARE @f NVARCHAR(20) = N'ZOË'; SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = @f",
    "SELECT INTERNALID FROM PATIENTS WHERE UPPER(FIRSTNAME) = N'zoë' AND LOWER(SURNAME) = N'ÉMILE'",
])
def test_non_ascii_text_compares_case_insensitively_with_columns(engine, text):
    assert rows(engine, text) == [{"INTERNALID": 3}]


def test_parameters_pick_the_unicode_variant_only_when_needed(engine):
    from mock_halo.sql import SqlParameter

    text = "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = @n"
    for value, expected in [("ZOË", 3), ("alice", 1), ("ALICE ", 1)]:
        got = rows(engine, text, parameters=[SqlParameter(name="@n", value=value)])
        assert got == [{"INTERNALID": expected}], value
    statement = engine.translator.translate(text).statements[0]
    assert "MH_CI" not in statement.sql and "COLLATE MH_CI" in statement.sql_unicode
    assert engine.translator.translate("SELECT 1 FROM PATIENTS WHERE INTERNALID = @n").statements[0].sql_unicode \
        is None


def test_variables_named_like_keywords(engine):
    text = ("DECLARE @end INT = 2, @order INT = 3, @if INT = 1, @begin INT, @from DATE = '2020-01-01'; "
            "SET @begin = @end + @order; IF @if = 1 SELECT @begin AS b, @from AS f")
    assert rows(engine, text) == [{"b": 5, "f": "2020-01-01T00:00:00"}]


def test_order_by_a_text_expression_sorts_accents_next_to_their_letter(engine):
    text = ("DECLARE @t TABLE (n NVARCHAR(10)); INSERT INTO @t VALUES ('b'), ('Åsa'), ('c'), ('Anna'); "
            "SELECT UPPER(n) AS u FROM @t ORDER BY u")
    assert [r["u"] for r in rows(engine, text)] == ["ANNA", "ÅSA", "B", "C"]
    text = "SELECT FIRSTNAME FROM PATIENTS ORDER BY FIRSTNAME + '' DESC"
    assert [r["FIRSTNAME"] for r in rows(engine, text)] == ["Zoë", "Dan", "Carol", "Bob", "Alice"]


def test_update_output_deleted_gives_the_old_values(engine):
    text = ("UPDATE PATIENTS SET EMAIL = 'x@y' OUTPUT DELETED.EMAIL AS old, INSERTED.EMAIL AS new, "
            "INSERTED.INTERNALID WHERE SURNAME = 'smith'")
    got = sorted(rows(engine, text), key=lambda r: r["INTERNALID"])
    assert got == [{"old": "alice@example.com", "new": "x@y", "INTERNALID": 1},
                   {"old": "", "new": "x@y", "INTERNALID": 4}]
    text = ("DECLARE @log TABLE (id INT, was NVARCHAR(40), now NVARCHAR(40)); UPDATE PATIENTS SET SURNAME = "
            "UPPER(SURNAME) OUTPUT INSERTED.INTERNALID, DELETED.SURNAME, INSERTED.SURNAME INTO @log "
            "WHERE INTERNALID < 3; SELECT * FROM @log ORDER BY id")
    assert rows(engine, text) == [{"id": 1, "was": "Smith", "now": "SMITH"}, {"id": 2, "was": "Jones", "now": "JONES"}]
    text = ("CREATE TABLE #t (id INT PRIMARY KEY, v INT); INSERT INTO #t VALUES (1, 10), (2, 20); "
            "UPDATE #t SET v = v + 1 OUTPUT DELETED.*, INSERTED.v AS new WHERE id = 2")
    assert rows(engine, text) == [{"id": 2, "v": 20, "new": 21}]


def test_update_output_deleted_limits(engine):
    text = ("CREATE TABLE #i (id INT IDENTITY(1,1) PRIMARY KEY, v INT); INSERT INTO #i (v) VALUES (5); "
            "UPDATE #i SET id = 9 OUTPUT DELETED.id")
    assert "identity key" in fails(engine, text).message
    assert "expressions" in fails(engine, "UPDATE PATIENTS SET EMAIL = 'q' OUTPUT DELETED.EMAIL + 'x'").message
    assert "view" in fails(engine, "UPDATE BPS_Patients SET Email = 'q' OUTPUT DELETED.Email").message
    text = ("CREATE TABLE #h (v INT, w INT); INSERT INTO #h VALUES (1, 1), (1, 2); "
            "UPDATE #h SET v = v + w OUTPUT DELETED.v, INSERTED.v AS n, INSERTED.w")
    assert sorted(rows(engine, text), key=lambda r: r["w"]) == [{"v": 1, "n": 2, "w": 1}, {"v": 1, "n": 3, "w": 2}]
    text = "UPDATE PATIENTS SET INTERNALID = 9 OUTPUT DELETED.INTERNALID, INSERTED.INTERNALID AS n WHERE INTERNALID = 5"
    assert rows(engine, text) == [{"INTERNALID": 5, "n": 9}]


def test_temp_table_ddl_cannot_be_abused(engine):
    text = 'CREATE TABLE #x ([a"); ATTACH DATABASE \'/tmp/x\' AS y; --] INT); INSERT INTO #x VALUES (1); SELECT * FROM #x'
    assert rows(engine, text) == [{'a"); ATTACH DATABASE \'/tmp/x\' AS y; --': 1}]
    assert fails(engine, "CREATE TABLE #x (a INT); ATTACH DATABASE '/tmp/x' AS y").number != 0
    assert temp_tables(engine) == []
    engine._guard.trusted = True
    try:
        assert "y" not in [r[1] for r in engine._conn.execute("PRAGMA database_list")]
    finally:
        engine._guard.trusted = False


def test_temp_table_defaults(engine):
    text = ("CREATE TABLE #t (a INT NULL, b NVARCHAR(10) NOT NULL DEFAULT 'x''y', c INT DEFAULT -1, "
            "d DATETIME DEFAULT GETDATE(), f DECIMAL(5,2) DEFAULT (1.5), g BIT DEFAULT 'true', "
            "h DATE DEFAULT '20240102', i NVARCHAR(5) DEFAULT NULL); INSERT INTO #t (a) VALUES (1); SELECT * FROM #t")
    assert rows(engine, text) == [{"a": 1, "b": "x'y", "c": -1, "d": "2026-01-05T09:00:00", "f": 1.5, "g": True,
                                   "h": "2024-01-02T00:00:00", "i": None}]
    assert fails(engine, "CREATE TABLE #t (a INT DEFAULT (1 + 1))").number == 40000
    assert fails(engine, "CREATE TABLE #t (a INT DEFAULT 'x')").number == 245

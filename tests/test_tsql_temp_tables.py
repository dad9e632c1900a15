"""Temporary tables (``#t``) and table variables (``@t``): scoped to one command, typed, with SQL Server's
errors, never a way around the authorizer.
"""

from __future__ import annotations

from mock_halo.sql.testing import error, rows, run


def temp_tables(engine) -> list[str]:
    """What is left in SQLite's temp schema (read trusted, as the engine's housekeeping does)."""
    engine._guard.trusted = True
    try:
        return [r[0] for r in engine._conn.execute("SELECT name FROM temp.sqlite_master")]
    finally:
        engine._guard.trusted = False


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
    assert error(engine, "SELECT a FROM #t").number == 208
    assert error(engine, "CREATE TABLE #t (a INT); INSERT INTO #t VALUES (1); SELECT 1 / 0").number == 8134
    assert temp_tables(engine) == []
    assert error(engine, "INSERT INTO #t VALUES (2)").number == 208


def test_sql_server_errors_for_temp_tables(engine):
    err = error(engine, "SELECT * FROM #nope")
    assert (err.number, err.message) == (208, "Invalid object name '#nope'.")
    err = error(engine, "CREATE TABLE #t (a INT); CREATE TABLE #t (b INT)")
    assert (err.number, err.message) == (2714, "There is already an object named '#t' in the database.")
    assert error(engine, "CREATE TABLE #t (a INT); SELECT INTERNALID INTO #t FROM PATIENTS").number == 2714
    assert error(engine, "DROP TABLE #t").number == 3701
    assert error(engine, "CREATE TABLE #t (a INT); DROP TABLE #t; SELECT * FROM #t").number == 208
    assert error(engine, "SELECT 1 INTO #x").number == 1038
    assert error(engine, "CREATE TABLE #t (a INT, A INT)").number == 2705
    assert error(engine, "CREATE TABLE #t (id INT PRIMARY KEY); INSERT INTO #t VALUES (1), (1)").number == 2627


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
    assert error(engine, "CREATE TABLE #t (a INT); SELECT * FROM sqlite_temp_master").number == 208
    assert error(engine, "CREATE TABLE PATIENTS_COPY (a INT)").number == 40000
    assert error(engine, "DROP TABLE PATIENTS").number == 40000
    assert error(engine, "SELECT * FROM ##global").number == 40000


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


def test_table_variable_round_trip(engine):
    text = ("DECLARE @t TABLE (id INT, name NVARCHAR(50)); "
            "INSERT INTO @t SELECT INTERNALID, FIRSTNAME FROM PATIENTS WHERE INTERNALID <= 3; "
            "UPDATE @t SET name = UPPER(name) WHERE id = 3; DELETE FROM @t WHERE id = 2; "
            "SELECT t.id, t.name, p.SURNAME FROM @t t JOIN PATIENTS p ON p.INTERNALID = t.id ORDER BY t.id")
    assert rows(engine, text) == [{"id": 1, "name": "Alice", "SURNAME": "Smith"},
                                  {"id": 3, "name": "ZOË", "SURNAME": "Émile"}]
    assert temp_tables(engine) == []


def test_table_variable_errors(engine):
    err = error(engine, "SELECT * FROM @missing")
    assert (err.number, err.message) == (1087, 'Must declare the table variable "@missing".')
    assert error(engine, "DECLARE @t TABLE (a INT); DECLARE @t TABLE (b INT)").number == 134
    assert error(engine, "DECLARE @t INT; DECLARE @t TABLE (b INT)").number == 134
    assert error(engine, "DECLARE @t TABLE (a INT); DECLARE @t INT").number == 134


def test_temp_table_ddl_cannot_be_abused(engine):
    text = 'CREATE TABLE #x ([a"); ATTACH DATABASE \'/tmp/x\' AS y; --] INT); INSERT INTO #x VALUES (1); SELECT * FROM #x'
    assert rows(engine, text) == [{'a"); ATTACH DATABASE \'/tmp/x\' AS y; --': 1}]
    assert error(engine, "CREATE TABLE #x (a INT); ATTACH DATABASE '/tmp/x' AS y").number != 0
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
    assert error(engine, "CREATE TABLE #t (a INT DEFAULT (1 + 1))").number == 40000
    assert error(engine, "CREATE TABLE #t (a INT DEFAULT 'x')").number == 245

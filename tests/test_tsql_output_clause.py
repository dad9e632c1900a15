"""The OUTPUT clause: ``INSERT/UPDATE/DELETE ... OUTPUT`` (INSERTED / DELETED), and ``OUTPUT ... INTO`` a table
or table variable.
"""

from __future__ import annotations

from mock_halo.sql.testing import error, rows, run


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
    assert error(engine, "DECLARE @c TABLE (id INT); UPDATE PATIENTS SET EMAIL = 'y' "
                         "OUTPUT INSERTED.INTERNALID, INSERTED.EMAIL INTO @c").number in (213, 110)


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
    assert "identity key" in error(engine, text).message
    assert "expressions" in error(engine, "UPDATE PATIENTS SET EMAIL = 'q' OUTPUT DELETED.EMAIL + 'x'").message
    assert "view" in error(engine, "UPDATE BPS_Patients SET Email = 'q' OUTPUT DELETED.Email").message
    text = ("CREATE TABLE #h (v INT, w INT); INSERT INTO #h VALUES (1, 1), (1, 2); "
            "UPDATE #h SET v = v + w OUTPUT DELETED.v, INSERTED.v AS n, INSERTED.w")
    assert sorted(rows(engine, text), key=lambda r: r["w"]) == [{"v": 1, "n": 2, "w": 1}, {"v": 1, "n": 3, "w": 2}]
    text = "UPDATE PATIENTS SET INTERNALID = 9 OUTPUT DELETED.INTERNALID, INSERTED.INTERNALID AS n WHERE INTERNALID = 5"
    assert rows(engine, text) == [{"INTERNALID": 5, "n": 9}]

"""The batch interpreter: variables, control flow, errors, identities, OUTPUT, several statements."""

from __future__ import annotations

import pytest

from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.testing import rows, run


def test_declare_set_and_assignment_select(engine):
    text = ("DECLARE @a INT = 5, @b NVARCHAR(20); SET @a = @a - 3; "
            "SELECT @b = SURNAME FROM PATIENTS WHERE INTERNALID = @a; SELECT @b + '!' AS s, @a AS a")
    assert rows(engine, text) == [{"s": "Jones!", "a": 2}]


def test_assignment_select_last_row_wins_and_no_rows_keeps_the_value(engine):
    text = ("DECLARE @n NVARCHAR(40) = 'none'; SELECT @n = FIRSTNAME FROM PATIENTS ORDER BY INTERNALID; "
            "DECLARE @m NVARCHAR(40) = 'kept'; SELECT @m = FIRSTNAME FROM PATIENTS WHERE 1 = 0; SELECT @n AS n, @m AS m")
    assert rows(engine, text) == [{"n": "Dan", "m": "kept"}]


def test_statements_separated_by_line_breaks_return_the_first_result_set(engine):
    assert rows(engine, "SELECT 1 AS a\nSELECT 2 AS b") == [{"a": 1}]


def test_declared_types_convert_and_type_expressions(engine):
    text = "DECLARE @d DATE = '2026-01-05'; DECLARE @i INT; SET @i = '7'; SELECT DATEADD(day, 1, @d) AS d, @i + 1 AS i"
    assert rows(engine, text) == [{"d": "2026-01-06T00:00:00", "i": 8}]


def test_if_else_with_blocks(engine):
    text = "IF (SELECT COUNT(*) FROM PATIENTS) > 3 BEGIN SELECT 'many' AS x END ELSE SELECT 'few' AS x"
    assert rows(engine, text) == [{"x": "many"}]
    text = "IF EXISTS (SELECT 1 FROM PATIENTS WHERE INTERNALID = 99) SELECT 'yes' AS x ELSE BEGIN SELECT 'no' AS x END"
    assert rows(engine, text) == [{"x": "no"}]


def test_rowcount_after_update_and_in_a_condition(engine):
    outcome = run(engine, "UPDATE PATIENTS SET EMAIL = 'x' WHERE SURNAME = 'smith'; SELECT @@ROWCOUNT AS n")
    assert outcome.data == b'[{"n":2}]' and outcome.rows_affected == 2
    text = ("UPDATE PATIENTS SET EMAIL = 'y' WHERE INTERNALID = 99; IF @@ROWCOUNT = 0 "
            "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME) VALUES (99, 'New', 'Person'); "
            "SELECT FIRSTNAME FROM PATIENTS WHERE INTERNALID = 99")
    assert rows(engine, text) == [{"FIRSTNAME": "New"}]


def test_try_catch_exposes_the_error(engine):
    text = "BEGIN TRY SELECT 1/0 AS x END TRY BEGIN CATCH SELECT ERROR_NUMBER() AS n, ERROR_MESSAGE() AS m END CATCH"
    assert rows(engine, text) == [{"n": 8134, "m": "Divide by zero error encountered."}]
    assert rows(engine, "SELECT ERROR_NUMBER() AS n") == [{"n": None}]


def test_throw_and_raiserror_and_rethrow(engine):
    with pytest.raises(SqlError) as info:
        run(engine, "THROW 50001, 'boom', 1")
    assert (info.value.number, info.value.message) == (50001, "boom")
    with pytest.raises(SqlError) as info:
        run(engine, "RAISERROR('bad %s here %d', 16, 1, 'x', 5)")
    assert (info.value.number, info.value.message) == (50000, "bad x here 5")
    with pytest.raises(SqlError) as info:
        run(engine, "BEGIN TRY SELECT CAST('a' AS INT) AS x END TRY BEGIN CATCH THROW; END CATCH")
    assert info.value.number == 245
    assert rows(engine, "RAISERROR('just a note', 10, 1); SELECT 1 AS x") == [{"x": 1}]


def test_an_error_rolls_back_the_whole_batch(engine):
    with pytest.raises(SqlError):
        run(engine, "DELETE FROM APPOINTMENTS; THROW 50000, 'stop', 1")
    assert rows(engine, "SELECT COUNT(*) AS n FROM APPOINTMENTS") == [{"n": 4}]


def test_output_inserted_returns_the_new_row(engine):
    outcome = run(engine, "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME, DOB) OUTPUT INSERTED.INTERNALID, "
                          "INSERTED.DOB VALUES (9, 'a', 'b', '2000-01-02')")
    assert outcome.data == b'[{"INTERNALID":9,"DOB":"2000-01-02T00:00:00"}]' and outcome.rows_affected == 1


def test_output_parameter_assigned_by_the_batch(engine):
    outcome = run(engine, "SELECT @total = COUNT(*) FROM PATIENTS", mode="nonQuery",
                  parameters=[SqlParameter("@total", "output", "Int", None)])
    assert outcome.parameters[0]["value"] == "5"


def test_set_options_are_accepted_and_unknown_variables_refused(engine):
    assert rows(engine, "SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; SELECT 1 AS one") == [
        {"one": 1}]
    with pytest.raises(SqlError) as info:
        run(engine, "SET @nope = 1")
    assert info.value.number == 137
    with pytest.raises(SqlError) as info:
        run(engine, "DECLARE @a INT; DECLARE @a INT")
    assert info.value.number == 134


def test_begin_transaction_commit_and_rollback(engine):
    rows(engine, "BEGIN TRAN; UPDATE PATIENTS SET EMAIL = 'z' WHERE INTERNALID = 1; ROLLBACK; SELECT 1 AS x")
    assert rows(engine, "SELECT EMAIL FROM PATIENTS WHERE INTERNALID = 1") == [{"EMAIL": "alice@example.com"}]
    rows(engine, "BEGIN TRANSACTION UPDATE PATIENTS SET EMAIL = 'z' WHERE INTERNALID = 1 COMMIT")
    assert rows(engine, "SELECT EMAIL FROM PATIENTS WHERE INTERNALID = 1") == [{"EMAIL": "z"}]

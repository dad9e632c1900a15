"""SQL Server error numbers and wording, and constructs refused until the batch interpreter."""

from __future__ import annotations

import pytest

from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql import procedures
from mock_halo.sql.semantics.errors import UNSUPPORTED
from mock_halo.sql.testing import mini_engine, rows, run


@pytest.fixture
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def fails(engine, sql: str, mode: str = "reader", **kwargs) -> SqlError:
    with pytest.raises(SqlError) as caught:
        run(engine, sql, mode=mode, **kwargs)
    assert caught.value.error_type == "mssql"
    return caught.value


@pytest.mark.parametrize(("sql", "number", "message"), [
    ("SELECT * FROM BPS_Patientz", 208, "Invalid object name 'BPS_Patientz'."),
    ("SELECT * FROM BPSPatients.dbo.Nope", 208, "Invalid object name 'BPSPatients.dbo.Nope'."),
    ("SELECT * FROM NoSuchDb.dbo.PATIENTS", 208, "Invalid object name 'NoSuchDb.dbo.PATIENTS'."),
    ("SELECT * FROM sales.PATIENTS", 208, "Invalid object name 'sales.PATIENTS'."),
    ("SELECT * FROM sqlite_master", 208, "Invalid object name 'sqlite_master'."),
    ("SELECT * FROM srv.BPSPatients.dbo.PATIENTS", 7202, "Could not find server 'srv' in sys.servers. Verify "
     "that the correct server name was specified. If necessary, execute the stored procedure sp_addlinkedserver "
     "to add the server to sys.servers."),
    ("SELECT Nonsense FROM BPS_Patients", 207, "Invalid column name 'Nonsense'."),
    ("SELECT p.Nonsense FROM BPS_Patients p", 207, "Invalid column name 'Nonsense'."),
    ("SELECT InternalID FROM BPS_Patients ORDER BY Nonsense", 207, "Invalid column name 'Nonsense'."),
    ("SELECT x.Firstname FROM BPS_Patients p", 4104, 'The multi-part identifier "x.Firstname" could not be bound.'),
    ("SELECT BPS_Patients.Firstname FROM BPS_Patients p", 4104,
     'The multi-part identifier "BPS_Patients.Firstname" could not be bound.'),
    ("SELECT InternalID FROM BPS_Patients p JOIN BPS_Appointments a ON a.InternalID = p.InternalID", 209,
     "Ambiguous column name 'InternalID'."),
    ("SELECT FROM WHERE", 156, "Incorrect syntax near the keyword 'FROM'."),
    ("SELECT a, FROM BPS_Patients", 156, "Incorrect syntax near the keyword 'FROM'."),
    ("SELECT * FORM BPS_Patients", 102, "Incorrect syntax near 'BPS_Patients'."),
    ("SELECT * FROM BPS_Patients WHERE", 156, "Incorrect syntax near the keyword 'WHERE'."),
    ("SELECT (1", 102, "Incorrect syntax near '1'."),
    ("SELECT 'abc", 105, "Unclosed quotation mark after the character string 'abc'."),
    ("SELECT NOSUCHFUNC(1)", 195, "'NOSUCHFUNC' is not a recognized built-in function name."),
    ("SELECT load_extension('x')", 195, "'load_extension' is not a recognized built-in function name."),
    ("SELECT LEFT('abc')", 174, "The left function requires 2 argument(s)."),
    ("SELECT CAST('abc' AS int)", 245, "Conversion failed when converting the varchar value 'abc' to data type int."),
    ("SELECT CAST(N'abc' AS int)", 245, "Conversion failed when converting the nvarchar value 'abc' to data type int."),
    ("SELECT CAST(Firstname AS int) FROM BPS_Patients", 245,
     "Conversion failed when converting the nvarchar value 'Alice' to data type int."),
    ("SELECT * FROM BPS_Patients WHERE InternalID = 'abc'", 245,
     "Conversion failed when converting the varchar value 'abc' to data type int."),
    ("SELECT CAST('abc' AS decimal(9,2))", 8114, "Error converting data type varchar to numeric."),
    ("SELECT CAST('abc' AS float)", 8114, "Error converting data type varchar to float."),
    ("SELECT CAST(3000000000 AS int)", 8115, "Arithmetic overflow error converting expression to data type int."),
    ("SELECT CAST(1000 AS decimal(4,2))", 8115, "Arithmetic overflow error converting int to data type numeric."),
    ("SELECT 1/0", 8134, "Divide by zero error encountered."),
    ("SELECT CAST('x' AS uniqueidentifier)", 8169,
     "Conversion failed when converting from a character string to uniqueidentifier."),
    ("SELECT CAST('2020-02-30' AS datetime)", 242,
     "The conversion of a varchar data type to a datetime data type resulted in an out-of-range value."),
    ("SELECT SUBSTRING('abc', 1, -1)", 536, "Invalid length parameter passed to the substring function."),
    ("EXEC BP_GetNothing", 2812, "Could not find stored procedure 'BP_GetNothing'."),
    ("EXEC BPSPATIENTS.dbo.BP_AddNothing @aptdate = '2020-01-01'", 2812,
     "Could not find stored procedure 'BPSPATIENTS.dbo.BP_AddNothing'."),
])
def test_error_numbers_and_messages(engine, sql, number, message):
    error = fails(engine, sql)
    assert (error.number, error.message) == (number, message)


def test_stored_procedure_command_for_an_unknown_procedure(engine):
    error = fails(engine, "selct", command_type="storedProcedure")
    assert (error.number, error.message) == (2812, "Could not find stored procedure 'selct'.")


def test_primary_key_violation(engine):
    error = fails(engine, "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME) VALUES (1, 'A', 'B')", "nonQuery")
    assert (error.number, error.message) == (
        2627, "Violation of PRIMARY KEY constraint 'PK_PATIENTS'. Cannot insert duplicate key in object "
              "'dbo.PATIENTS'.")


def test_not_null_violation(engine):
    error = fails(engine, "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME) VALUES (50, 'A')", "nonQuery")
    assert (error.number, error.message) == (
        515, "Cannot insert the value NULL into column 'SURNAME', table 'BPSPatients.dbo.PATIENTS'; column does "
             "not allow nulls. INSERT fails.")
    error = fails(engine, "UPDATE PATIENTS SET SURNAME = NULL WHERE INTERNALID = 1", "nonQuery")
    assert error.number == 515 and error.message.endswith("UPDATE fails.")


def test_foreign_key_violation(engine):
    error = fails(engine, "INSERT INTO APPOINTMENTS (APPOINTMENTID, INTERNALID, APPOINTMENTDATE, APPOINTMENTTIME, "
                          "STATUS) VALUES (99, 999, '2020-01-01', 0, 'Booked')", "nonQuery")
    assert error.number == 547


def test_insert_value_count_mismatch(engine):
    assert fails(engine, "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME) VALUES (1)", "nonQuery").number == 109
    assert fails(engine, "INSERT INTO PATIENTS (INTERNALID) VALUES (1, 2)", "nonQuery").number == 110
    assert fails(engine, "INSERT INTO PATIENTS (NOPE) VALUES (1)", "nonQuery").number == 207


def test_errors_leave_the_data_unchanged(engine):
    fails(engine, "UPDATE PATIENTS SET FIRSTNAME = CAST(SURNAME AS int)", "nonQuery")
    assert rows(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = 1") == [{"Firstname": "Alice"}]


@pytest.mark.parametrize(("sql", "construct"), [
    ("SELECT * INTO PATIENTS_COPY FROM PATIENTS", "SELECT ... INTO"),
    ("SELECT * FROM ##t", "global temporary tables"),
    ("SELECT DISTINCT TOP 1 WITH TIES SURNAME FROM PATIENTS ORDER BY SURNAME", "TOP ... WITH TIES with DISTINCT"),
    ("SET ROWCOUNT 5", "SET options"),
    ("DECLARE @t CURSOR", "variables of type CURSOR"),
    ("SELECT @@VERSION", "@@VERSION"),
    ("UPDATE p SET p.EMAIL = 'x' OUTPUT DELETED.EMAIL FROM PATIENTS p JOIN APPOINTMENTS a ON "
     "a.INTERNALID = p.INTERNALID", "UPDATE ... FROM with OUTPUT DELETED"),
    ("INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME) OUTPUT DELETED.INTERNALID VALUES (9, 'a', 'b')",
     "DELETED.* in the OUTPUT clause of INSERT"),
    ("CREATE TABLE #t (a INT CHECK (a > 0))", "column constraint in a temporary table"),
    ("CREATE TABLE X (a int)", "CREATE"),
    ("DROP TABLE PATIENTS", "DROP"),
    ("TRUNCATE TABLE PATIENTS", "TRUNCATE TABLE"),
    ("EXEC('SELECT 1')", "dynamic SQL"),
    ("EXEC sp_executesql N'SELECT 1'", "sp_executesql"),
    ("SELECT Surname FROM PATIENTS FOR XML PATH('')", "FOR XML"),
    ("DECLARE c CURSOR FOR SELECT Surname FROM PATIENTS", "cursors"),
    ("SELECT x FROM PATIENTS CROSS APPLY (SELECT 1 AS x) c", "APPLY"),
    ("SELECT STDEV(INTERNALID) FROM PATIENTS", "STDEV"),
    ("MERGE INTO PATIENTS USING APPOINTMENTS ON 1 = 0 WHEN MATCHED THEN DELETE;", "MERGE"),
    ("VACUUM INTO '/tmp/x.db'", "VACUUM"),
    ("DELETE TOP (1) FROM PATIENTS", "DELETE TOP"),
    ("UPDATE p SET p.EMAIL = 'x' FROM PATIENTS p LEFT JOIN APPOINTMENTS a ON a.INTERNALID = p.INTERNALID",
     "LEFT JOIN in UPDATE ... FROM"),
])
def test_unsupported_constructs_are_refused_by_name(engine, sql, construct):
    error = fails(engine, sql)
    assert error.number == UNSUPPORTED
    assert "mock-halo does not support" in error.message
    assert construct in error.message


def test_refused_statements_change_nothing(engine):
    fails(engine, "DELETE FROM PATIENTS; SELECT 1")
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS") == [{"n": 5}]


def test_unknown_failures_are_still_sql_errors(engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine.translator, "translate", broken)
    error = fails(engine, "SELECT 1")
    assert error.number == 50000 and "boom" in error.message


def test_runaway_queries_stop_with_a_timeout(engine, monkeypatch):
    import mock_halo.sql.engines.sqlite.engine as engine_module

    monkeypatch.setattr(engine_module, "PROGRESS_LIMIT", 5)
    error = fails(engine, "WITH n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n")
    assert error.number == -2


# -- the stored procedure registry -------------------------------------------------------------

@pytest.fixture
def echo_procedure():
    @procedures.procedure("mh_TestEcho")
    def echo(call: procedures.ProcedureCall) -> procedures.ProcedureResult:
        found = call.query("SELECT FIRSTNAME FROM PATIENTS WHERE INTERNALID = ?", (call.args.get("id"),))
        return procedures.ProcedureResult(
            result_sets=[procedures.ResultSet([("Firstname", "str"), ("Seen", "bit")],
                                              [(row[0], 1) for row in found])],
            return_value=7, outputs={"out": len(found)})

    yield echo
    procedures.unregister("mh_TestEcho")


def test_registered_procedure_runs_as_stored_procedure_command(engine, echo_procedure):
    outcome = run(engine, "BPSPatients.dbo.mh_TestEcho", command_type="storedProcedure", parameters=[
        SqlParameter("@id", "input", "Int", "2"), SqlParameter("@out", "output", "Int", "", size=4),
        SqlParameter("@RETURN_VALUE", "returnValue", "Int")])
    assert outcome.data == b'[{"Firstname":"Bob","Seen":true}]'
    assert outcome.parameters == [
        {"name": "@out", "direction": "output", "type": "Int", "value": "1", "size": 4},
        {"name": "@RETURN_VALUE", "direction": "returnValue", "type": "Int", "value": "7"}]


def test_registered_procedure_runs_through_exec(engine, echo_procedure):
    assert rows(engine, "EXEC mh_TestEcho @id = @who", parameters=[SqlParameter("@who", "input", "Int", "1")]) == [
        {"Firstname": "Alice", "Seen": True}]
    assert rows(engine, "EXEC dbo.MH_TESTECHO @id = 3") == [{"Firstname": "Zoë", "Seen": True}]


@pytest.mark.parametrize(("sql", "number"), [("VALUES (1, 'x')", 156), ("1 = 1", 102), ("SELECT 1; a", 102)])
def test_an_expression_where_a_statement_belongs_is_a_syntax_error(engine, sql, number):
    assert fails(engine, sql).number == number

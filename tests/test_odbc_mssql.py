"""SQL Server through ODBC Driver 18, with a fake pyodbc connection (no SQL Server can run here).

What is checked is what a real server would receive (statement text, bound
values and their Python types) and what the emulator makes of what a real
driver returns (result sets, row counts, output values, and error strings in
ODBC Driver 18's exact format).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from pg_support import import_pyodbc

from mock_halo.odbc import errors as odbc_errors
from mock_halo.odbc.engine import Route
from mock_halo.odbc.mssql import SQL_SS_TIMESTAMPOFFSET, MssqlEngine, datetimeoffset_text, declared_type
from mock_halo.odbc.pool import ConnectionPool, PoolSettings
from mock_halo.sql.semantics.errors import ParameterError, SqlError
from mock_halo.sql.model import SqlCommand, SqlParameter

pyodbc = import_pyodbc()

DRIVER = "[Microsoft][ODBC Driver 18 for SQL Server]"


def server_error(state: str, message: str, number: int, cls=None, function="SQLExecDirectW"):
    cls = cls or pyodbc.ProgrammingError
    return cls(state, f"[{state}] {DRIVER}[SQL Server]{message} ({number}) ({function})")


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self._sets: list[tuple] = []
        self.description = None
        self.rowcount = -1

    def execute(self, sql, params=None):
        self.conn.sent.append((sql, list(params or [])))
        response = self.conn.respond(sql, list(params or []))
        if isinstance(response, BaseException):
            raise response
        self._sets = list(response)
        self._load()
        return self

    def _load(self):
        kind, *payload = self._sets.pop(0)
        if kind == "rows":
            columns, self._rows = payload
            self.description = [(name, type_, None, 0, 0, 0, True) for name, type_ in columns]
            self.rowcount = -1
        else:
            self.description, self._rows, self.rowcount = None, [], payload[0]

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows

    def nextset(self):
        if not self._sets:
            return False
        self._load()
        return True

    def close(self):
        pass

    def cancel(self):
        pass


class FakeConnection:
    def __init__(self, respond) -> None:
        self.respond = respond
        self.sent: list[tuple[str, list]] = []
        self.commits = 0
        self.rollbacks = 0
        self.closed = False
        self.timeout = 0
        self.autocommit = False
        self.converters: dict = {}

    def add_output_converter(self, sql_type, fn):
        self.converters[sql_type] = fn

    def cursor(self):
        return FakeCursor(self)

    def commit(self):
        self.commits += 1

    def rollback(self):
        self.rollbacks += 1

    def close(self):
        self.closed = True


class FakeServer:
    """Hands out FakeConnections that answer with ``respond(sql, params)``."""

    def __init__(self, respond=None) -> None:
        self.respond = respond or (lambda sql, params: [("count", -1)])
        self.connections: list[FakeConnection] = []
        self.connect_args: list[tuple] = []
        self.refuse: BaseException | None = None

    def connect(self, connection_string, autocommit, timeout):
        self.connect_args.append((connection_string, autocommit, timeout))
        if self.refuse is not None:
            raise self.refuse
        conn = FakeConnection(lambda sql, params: self.respond(sql, params))
        self.connections.append(conn)
        return conn

    @property
    def sent(self) -> list[tuple[str, list]]:
        return [s for c in self.connections for s in c.sent]


CS = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD=x;TrustServerCertificate=yes"


def make_engine(server: FakeServer, *, database: str | None = None, **settings) -> MssqlEngine:
    pool = ConnectionPool(CS, PoolSettings(**{"size": 2, "login_timeout_s": 7, "query_timeout_s": 30, **settings}),
                          connect=server.connect)
    routes = {"BPSPatients": Route("BPSPatients", pool, database),
              "BPSSamples": Route("BPSSamples", pool, "BPSSamples" if database else None)}
    return MssqlEngine(routes, "BPSPatients", site="s1")


def data(outcome) -> list[dict]:
    return json.loads(outcome.data)


def test_text_without_parameters_is_sent_as_written_and_results_rendered():
    server = FakeServer(lambda sql, params: [("rows", [("InternalID", int), ("Surname", str), ("DOB", dt.datetime),
                                                       ("Active", bool), ("Fee", Decimal)],
                                              [(1, "Citizen", dt.datetime(1980, 1, 2, 3, 4, 5, 7000), True,
                                                Decimal("12.5000"))])])
    engine = make_engine(server)
    text = "SELECT TOP 1 InternalID, Surname, DOB FROM BPS_Patients WITH (NOLOCK) WHERE Surname + '' = N'Citizen'"
    out = engine.execute(SqlCommand(text))
    assert server.sent == [(text, [])]
    assert data(out) == [{"InternalID": 1, "Surname": "Citizen", "DOB": "1980-01-02T03:04:05.007", "Active": True,
                          "Fee": 12.5}]
    assert server.connect_args == [(CS, False, 7)]  # login timeout, autocommit off
    assert server.connections[0].timeout == 30  # the driver's query timeout
    assert server.connections[0].commits == 1


def test_parameters_go_through_sp_executesql_with_types_declared_like_sqlclient():
    server = FakeServer(lambda sql, params: [("rows", [("n", int)], [(1,)])])
    engine = make_engine(server)
    command = SqlCommand(
        "SELECT COUNT(*) AS n FROM BPS_Patients WHERE InternalID > @id AND Surname LIKE @name AND DOB < @dob "
        "AND Fee = @fee AND Active = @active AND Seen = @day",
        parameters=[SqlParameter("@id", type="Int", value="5"), SqlParameter("name", value="O'Brien%"),
                    SqlParameter("@dob", type="DateTime", value="2/1/1990"),
                    SqlParameter("@fee", type="Decimal", value="12.50"),
                    SqlParameter("@active", type="Bit", value="true"), SqlParameter("@day", type="Date", value="2024-03-04")])
    engine.execute(command)
    [(sql, values)] = server.sent
    assert sql == ("EXEC sp_executesql N'" + command.text + "', N'@id int, @name nvarchar(4000), @dob datetime, "
                   "@fee decimal(4,2), @active bit, @day date', @id = ?, @name = ?, @dob = ?, @fee = ?, "
                   "@active = ?, @day = ?;")
    assert values == [5, "O'Brien%", dt.datetime(1990, 1, 2), Decimal("12.50"), True, dt.date(2024, 3, 4)]
    assert [type(v) for v in values] == [int, str, dt.datetime, Decimal, bool, dt.date]


def test_quotes_in_the_text_are_doubled_inside_the_n_literal():
    server = FakeServer(lambda sql, params: [("rows", [("x", str)], [("it's",)])])
    make_engine(server).execute(SqlCommand("SELECT N'it''s' AS x WHERE @a = 1",
                                           parameters=[SqlParameter("@a", type="Int", value="1")]))
    assert server.sent[0][0].startswith("EXEC sp_executesql N'SELECT N''it''''s'' AS x WHERE @a = 1', N'@a int'")


def test_output_parameters_are_outer_variables_read_back_and_not_a_result_set():
    def respond(sql, params):
        return [("rows", [("Surname", str)], [("Citizen",)]), ("count", 1),
                ("rows", [("@total", int), ("@label", str)], [(42, "done")])]
    server = FakeServer(respond)
    command = SqlCommand(
        "SELECT Surname FROM BPS_Patients WHERE InternalID = @id; UPDATE X SET Y = 1; SET @total = 42; SET @label = 'done'",
        parameters=[SqlParameter("@id", type="Int", value="1"), SqlParameter("@total", direction="output", type="Int"),
                    SqlParameter("@label", direction="inputOutput", type="NVarChar", value="start", size=20)])
    out = make_engine(server).execute(command)
    [(sql, values)] = server.sent
    assert sql.splitlines() == [
        "DECLARE @mh_1 int = NULL, @mh_2 nvarchar(20) = ?;",
        "EXEC sp_executesql N'" + command.text.replace("'", "''") + "', N'@id int, @total int OUTPUT, "
        "@label nvarchar(20) OUTPUT', @id = ?, @total = @mh_1 OUTPUT, @label = @mh_2 OUTPUT;",
        "SELECT @mh_1 AS [@total], @mh_2 AS [@label];",
    ]
    assert values == ["start", 1]
    assert data(out) == [{"Surname": "Citizen"}] and out.rows_affected == 1
    assert out.parameters == [
        {"name": "@total", "direction": "output", "type": "Int", "value": "42"},
        {"name": "@label", "direction": "inputOutput", "type": "NVarChar", "value": "done", "size": 20},
    ]


def test_stored_procedure_is_an_exec_with_return_value_and_outputs():
    def respond(sql, params):
        return [("rows", [("UserID", int), ("AppointmentDate", dt.datetime)], [(3, dt.datetime(2026, 1, 5))]),
                ("rows", [("Other", int)], [(9,)]),
                ("rows", [("@RETURN_VALUE", int), ("@newid", int)], [(0, 77)])]
    server = FakeServer(respond)
    command = SqlCommand("dbo.BP_GetFreeAppointments", command_type="storedProcedure", parameters=[
        SqlParameter("@userid", type="Int", value="3"), SqlParameter("@aptdate", type="Date", value="2026-01-05"),
        SqlParameter("@newid", direction="output", type="Int"),
        SqlParameter("@RETURN_VALUE", direction="returnValue", type="Int")])
    out = make_engine(server).execute(command)
    [(sql, values)] = server.sent
    assert sql.splitlines() == [
        "DECLARE @mh_2 int = NULL, @mh_rv int;",
        "EXEC @mh_rv = dbo.BP_GetFreeAppointments @userid = ?, @aptdate = ?, @newid = @mh_2 OUTPUT;",
        "SELECT @mh_2 AS [@newid], @mh_rv AS [@RETURN_VALUE];",
    ]
    assert values == [3, dt.date(2026, 1, 5)]
    assert data(out) == [{"UserID": 3, "AppointmentDate": "2026-01-05T00:00:00"}]  # the first result set
    assert {p["name"]: p["value"] for p in out.parameters} == {"@newid": "77", "@RETURN_VALUE": "0"}


def test_scalar_and_non_query_modes():
    server = FakeServer(lambda sql, params: [("count", 2), ("count", 3), ("rows", [("", int)], [(5,), (6,)])])
    engine = make_engine(server)
    scalar = engine.execute(SqlCommand("UPDATE A SET x = 1; UPDATE B SET y = 2; SELECT 5", execution_mode="scalar"))
    assert data(scalar) == [{"Column1": 5}] and scalar.rows == 1
    non_query = engine.execute(SqlCommand("UPDATE A SET x = 1; UPDATE B SET y = 2; SELECT 5", execution_mode="nonQuery"))
    assert non_query.rows_affected == 5 and non_query.data == b"[]"


def test_null_values_are_written_as_null_never_bound():
    server = FakeServer(lambda sql, params: [("count", 1)])
    make_engine(server).execute(SqlCommand("UPDATE P SET A = @a, B = @b", execution_mode="nonQuery", parameters=[
        SqlParameter("@a", type="VarBinary", value=None), SqlParameter("@b", type="Int", value="2")]))
    assert server.sent == [("EXEC sp_executesql N'UPDATE P SET A = @a, B = @b', N'@a varbinary(8000), @b int', "
                            "@a = NULL, @b = ?;", [2])]


def test_a_procedure_name_that_is_not_a_name_is_never_sent():
    server = FakeServer()
    with pytest.raises(SqlError) as info:
        make_engine(server).execute(SqlCommand("BP_X; DROP TABLE PATIENTS", command_type="storedProcedure"))
    assert info.value.number == 2812 and server.sent == []


def test_a_value_sqlclient_cannot_convert_is_a_parameter_error_before_the_server():
    server = FakeServer()
    with pytest.raises(ParameterError, match="from a String to a Int32"):
        make_engine(server).execute(SqlCommand("SELECT @id", parameters=[SqlParameter("@id", type="Int", value="x")]))
    assert server.sent == []


def test_per_site_connection_switches_database_per_catalogue():
    server = FakeServer(lambda sql, params: [("count", -1)] if sql.startswith("USE") else [("rows", [("a", int)], [(1,)])])
    engine = make_engine(server, database="BPSPatients")
    engine.execute(SqlCommand("SELECT 1 AS a", catalogue="bpssamples"))
    engine.execute(SqlCommand("SELECT 1 AS a"))
    assert [s for s, _ in server.sent] == ["USE [BPSSamples];", "SELECT 1 AS a", "USE [BPSPatients];", "SELECT 1 AS a"]


@pytest.mark.parametrize(("raised", "number", "message"), [
    (server_error("42S02", "Invalid object name 'BPS_Nope'.", 208), 208, "Invalid object name 'BPS_Nope'."),
    (server_error("42S22", "Invalid column name 'Nope'.", 207), 207, "Invalid column name 'Nope'."),
    (pyodbc.ProgrammingError("42000", f"[42000] {DRIVER}[SQL Server]Incorrect syntax near ')'. (102) (SQLExecDirectW); "
                                      f"[42000] {DRIVER}[SQL Server]Statement(s) could not be prepared. (8180)"),
     102, "Incorrect syntax near ')'."),
    (server_error("23000", "Violation of PRIMARY KEY constraint 'PK_PATIENTS'. Cannot insert duplicate key in object "
                           "'dbo.PATIENTS'. The duplicate key value is (1).", 2627, pyodbc.IntegrityError),
     2627, "Violation of PRIMARY KEY constraint 'PK_PATIENTS'. Cannot insert duplicate key in object 'dbo.PATIENTS'. "
           "The duplicate key value is (1)."),
    (server_error("22012", "Divide by zero error encountered.", 8134, pyodbc.DataError), 8134,
     "Divide by zero error encountered."),
    (server_error("42000", "Could not find stored procedure 'BP_Nope'.", 2812), 2812,
     "Could not find stored procedure 'BP_Nope'."),
    (server_error("42000", "Patient not found", 50000), 50000, "Patient not found"),  # RAISERROR in a procedure
    (pyodbc.OperationalError("HYT00", f"[HYT00] {DRIVER}Query timeout expired (0) (SQLExecDirectW)"), -2,
     "Execution Timeout Expired.  The timeout period elapsed prior to completion of the operation or the server "
     "is not responding."),
])
def test_driver_errors_keep_sql_servers_number_and_message(raised, number, message):
    server = FakeServer(lambda sql, params: raised)
    with pytest.raises(SqlError) as info:
        make_engine(server).execute(SqlCommand("SELECT 1"))
    assert (info.value.number, info.value.message) == (number, message)
    assert server.connections[0].rollbacks == 1 and server.connections[0].commits == 0


def test_a_lost_connection_is_reported_and_replaced_on_the_next_command():
    lost = pyodbc.OperationalError("08S01", f"[08S01] {DRIVER}TCP Provider: Error code 0x68 (104) (SQLExecDirectW); "
                                            f"[08S01] {DRIVER}Communication link failure (104)")
    answers = [lost]
    server = FakeServer(lambda sql, params: answers.pop(0) if answers else [("rows", [("a", int)], [(1,)])])
    engine = make_engine(server)
    with pytest.raises(SqlError) as info:
        engine.execute(SqlCommand("SELECT 1 AS a"))
    assert info.value.number == odbc_errors.CONNECTION_LOST and "TCP Provider" in info.value.message
    assert server.connections[0].closed
    assert data(engine.execute(SqlCommand("SELECT 1 AS a"))) == [{"a": 1}]
    assert len(server.connections) == 2


def test_login_failure_and_login_timeout_on_connect():
    server = FakeServer()
    server.refuse = pyodbc.InterfaceError("28000", f"[28000] {DRIVER}[SQL Server]Login failed for user 'sa'. (18456) "
                                                   "(SQLDriverConnect)")
    with pytest.raises(SqlError) as info:
        make_engine(server).execute(SqlCommand("SELECT 1"))
    assert (info.value.number, info.value.message) == (18456, "Login failed for user 'sa'.")
    server.refuse = pyodbc.OperationalError("HYT00", f"[HYT00] {DRIVER}Login timeout expired (0) (SQLDriverConnect)")
    with pytest.raises(SqlError) as info:
        make_engine(server).execute(SqlCommand("SELECT 1"))
    assert info.value.number == -2 and "Connection Timeout Expired" in info.value.message


@pytest.mark.parametrize(("param", "declared"), [
    (SqlParameter("@a", value="x" * 5000), "nvarchar(max)"),
    (SqlParameter("@a", type="VarChar", value="abc"), "varchar(8000)"),
    (SqlParameter("@a", type="NChar", value="abc"), "nchar(3)"),
    (SqlParameter("@a", type="NVarChar", value="abc", size=10), "nvarchar(10)"),
    (SqlParameter("@a", type="Decimal", value="-1234.5"), "decimal(5,1)"),
    (SqlParameter("@a", type="Decimal", value=None), "decimal(29,4)"),
    (SqlParameter("@a", type="UniqueIdentifier", value="6f1c7a2e-35a4-4a3e-9b0e-2f0d8a1c3b4d"), "uniqueidentifier"),
    (SqlParameter("@a", type="DateTime2", value="2024-01-01"), "datetime2(7)"),
])
def test_declared_types(param, declared):
    assert declared_type(param, param.value) == declared


def test_datetimeoffset_columns_are_readable():
    import struct

    raw = struct.pack("<6hI2h", 2026, 1, 5, 9, 30, 15, 123_000_000, 10, 0)
    assert datetimeoffset_text(raw) == "2026-01-05T09:30:15.123+10:00"
    assert datetimeoffset_text(struct.pack("<6hI2h", 2026, 1, 5, 9, 30, 0, 0, -3, -30)) == "2026-01-05T09:30:00-03:30"
    assert datetimeoffset_text(None) is None


def test_every_new_sql_server_connection_gets_the_datetimeoffset_converter():
    from mock_halo.config import settings_from_mapping
    from mock_halo.odbc import open_odbc_engine

    settings = settings_from_mapping({"sites": [{"odbc": CS}]})
    server = FakeServer(lambda sql, params: [("rows", [("a", int)], [(1,)])])
    engine = open_odbc_engine(settings.sites[0], settings, connect=server.connect)
    try:
        engine.execute(SqlCommand("SELECT 1 AS a"))
        assert server.connections[0].converters == {SQL_SS_TIMESTAMPOFFSET: datetimeoffset_text}
    finally:
        engine.close()

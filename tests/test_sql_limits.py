"""SQL Server's limits where the emulator used to crash, hang or run out of memory (issue 14).

Each reproducer is asserted through the engine or HTTP; none of them may take more than a few
seconds (a thread bound guards the LIKE hang: the old matcher would have run for days).
"""

from __future__ import annotations

import base64
import json
import threading

import pytest
from conftest import SITE, Halo, make_settings
from starlette.testclient import TestClient

from mock_halo.app import create_app
from mock_halo.emulator import Emulator
from mock_halo.sql import ParameterError, SqlError, SqlParameter
from mock_halo.sql.semantics.strings import MAX_VALUE_BYTES, like, patindex
from mock_halo.sql.testing import mini_engine, rows, run, value


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def within(seconds: float, work):
    """``work()``'s value, failing (not hanging) if it takes longer than ``seconds`` (a runaway bound, not a timing)."""
    box: list = []

    def target() -> None:
        try:
            box.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"still running after {seconds} s"
    ok, result = box[0]
    if not ok:
        raise result
    return result


# -- LIKE ----------------------------------------------------------------------------------------
def test_like_with_many_wildcards_and_a_class_answers_at_once(engine):
    """The reproducer hung the whole emulator: a regex per LIKE backtracked exponentially."""
    sql = "SELECT CASE WHEN REPLICATE('a', 200) LIKE '%a%a%a%a%a%a%a%a%[b]' THEN 1 ELSE 0 END AS x"
    assert within(10, lambda: value(engine, sql.removeprefix("SELECT ").removesuffix(" AS x"))) == 0
    long = "a" * 8000
    assert within(10, lambda: like(long, "%a" * 300 + "%[b]")) == 0
    assert within(10, lambda: patindex("%a" * 300 + "%[b]%", long)) == 0


@pytest.mark.parametrize("text, pattern, escape, expected", [
    ("abc", "a%", None, 1), ("abc", "%c", None, 1), ("abc", "%b%", None, 1), ("abc", "a_c", None, 1),
    ("abc", "[a-b]bc", None, 1), ("abc", "[^a]bc", None, 0), ("ABC", "a%C", None, 1), ("b", "[z-a]", None, 0),
    ("abc", "[]bc", None, 0), ("10%", "10!%", "!", 1), ("100", "10!%", "!", 0), ("a_b", "a!_b", "!", 1),
    ("aXb", "a!_b", "!", 0), ("", "", None, 1), ("", "%", None, 1), ("x", "", None, 0), ("abab", "%ab%ab", None, 1),
    ("aaa", "%a%a%a%a", None, 0), ("ab]", "ab]", None, 1), ("Zoë", "zo_", None, 1), ("a\nb", "a_b", None, 1),
])
def test_like_keeps_sql_servers_meaning(text, pattern, escape, expected):
    assert like(text, pattern, escape) == expected


@pytest.mark.parametrize("pattern, text, expected", [
    ("%b%", "abcb", 2), ("%cb", "abcb", 3), ("b%", "abcb", 0), ("a%", "abcb", 1), ("%x%", "abcb", 0),
    ("%[cd]%", "abcb", 3), ("%a%b", "xaxb", 2), ("%", "abc", 1),
])
def test_patindex_is_the_first_match(pattern, text, expected):
    assert patindex(pattern, text) == expected


# -- nesting and size, checked before parsing --------------------------------------------------------
def _nested(depth: int) -> str:
    return "SELECT * FROM " + "(SELECT * FROM " * depth + "PATIENTS" + ") AS t" * depth


@pytest.mark.parametrize("sql, number", [
    (_nested(10_000), 191),  # sqlglot's compiled parser died (SIGSEGV) at ~6,000
    ("SELECT " + "(" * 129 + "1" + ")" * 129 + " AS x", 191),
    ("SELECT " + "(" * 600 + "1" + ")" * 600 + " AS x", 191),  # was a misleading 102
    (_nested(30), 191),  # deeper than SQLite's own parser takes
    ("SELECT 1 AS x WHERE " + "NOT " * 5000 + "1 = 1", 8631),
    ("SELECT " + "CASE WHEN 1 = 1 THEN " * 11 + "1" + " END" * 11 + " AS x", 125),
    ("SELECT 1 AS x WHERE 1 IN (" + ",".join(["1"] * 60_000) + ")", 8623),
    ("BEGIN " * 200 + "SELECT 1 AS x " + "END " * 200, 191),
])
def test_deep_or_huge_batches_get_sql_servers_errors(engine, sql, number):
    with pytest.raises(SqlError) as caught:
        within(30, lambda: run(engine, sql))
    assert caught.value.number == number, caught.value.message


def test_nesting_sql_server_takes_still_runs(engine):
    assert run(engine, _nested(12)).rows > 0
    assert value(engine, "(" * 60 + "1" + ")" * 60) == 1
    assert value(engine, "CASE WHEN 1 = 1 THEN " * 10 + "7" + " END" * 10) == 7
    assert run(engine, "BEGIN TRAN; SELECT 1 AS x; COMMIT").rows == 1


# -- string builders and their 8,000-byte limit ----------------------------------------------------------
@pytest.mark.parametrize("expression, length", [
    ("REPLICATE('a', 10000)", 8000), ("REPLICATE(N'a', 10000)", 4000),
    ("REPLICATE(CAST('a' AS varchar(max)), 10000)", 10000), ("REPLICATE('ab', 2000000000)", 8000),
    ("SPACE(9000)", 8000), ("REPLACE(REPLICATE('a', 5000), 'a', 'bb')", 8000),
    ("STUFF(REPLICATE('a', 7000), 1, 0, REPLICATE('b', 3000))", 8000),
    ("CONCAT(REPLICATE('a', 6000), REPLICATE('b', 6000))", 8000),
    ("CONCAT(CAST(REPLICATE('a', 6000) AS nvarchar(max)), REPLICATE('b', 6000))", 12000),
    ("CONCAT_WS(',', REPLICATE('a', 6000), REPLICATE('c', 6000))", 8000),
    ("REPLICATE('a', 6000) + REPLICATE('b', 6000)", 8000), ("REPLICATE(N'a', 3000) + REPLICATE('b', 3000)", 4000),
    ("REPLICATE('a', 6000) + 'b' + REPLICATE('c', 6000)", 8000), ("LEFT(REPLICATE('a', 10000) + 'b', 9000)", 8000),
    ("CAST(REPLICATE('a', 6000) AS varchar(max)) + REPLICATE('b', 6000)", 12000),
    ("REPLICATE('a', 6000) + 'xyz'", 6003),
])
def test_string_builders_truncate_at_8000_bytes_unless_max(engine, expression, length):
    assert len(value(engine, expression)) == length


@pytest.mark.parametrize("expression", ["REPLICATE('ab', -1)", "SPACE(-1)", "SPACE(NULL)", "REPLICATE(NULL, 3)",
                                        "REPLICATE('ab', NULL)"])
def test_string_builders_give_null_for_a_negative_or_null_count(engine, expression):
    assert value(engine, expression) is None


def test_joining_columns_within_the_limit_is_unchanged(engine):
    joined = rows(engine, "SELECT SURNAME + ', ' + FIRSTNAME AS v, SURNAME, FIRSTNAME FROM PATIENTS "
                          "ORDER BY INTERNALID")
    assert joined and all(row["v"] == f"{row['SURNAME']}, {row['FIRSTNAME']}" for row in joined)


#: Max strings past the bound: REPLICATE's are refused on every engine, the others by the embedded one.
PAST_THE_BOUND = [
    "LEN(REPLICATE(CAST('ab' AS varchar(max)), 2000000000))", "LEN(REPLICATE(CAST('a' AS nvarchar(max)), 70000000))",
    "LEN(REPLACE(REPLICATE(CAST('a' AS varchar(max)), 1000000), 'a', REPLICATE('b', 100)))",
    "LEN(CONCAT(REPLICATE(CAST('a' AS varchar(max)), 40000000), REPLICATE(CAST('b' AS varchar(max)), 40000000)))",
]


@pytest.mark.parametrize("expression", PAST_THE_BOUND)
def test_max_strings_past_64_mib_are_error_7119_not_gigabytes(engine, expression):
    """REPLICATE of a max type once built every byte asked for (2.3 GB and 20 s for one 60-byte query)."""
    with pytest.raises(SqlError) as caught:
        within(30, lambda: run(engine, f"SELECT {expression} AS v"))
    assert caught.value.number == 7119 and str(MAX_VALUE_BYTES) in caught.value.message


def test_max_strings_up_to_the_bound_are_built(engine):
    assert value(engine, "LEN(REPLICATE(CAST('ab' AS varchar(max)), 1000000))") == 2_000_000
    assert len(value(engine, "SPACE(2000000000)")) == 8000  # not a max type: cut, not refused


def test_replicate_of_a_parameter_is_nvarchar_4000_unless_longer(engine):
    short = [SqlParameter("@p", "input", "NVarChar", "ab")]
    assert len(value(engine, "REPLICATE(@p, 3000)", parameters=short)) == 4000
    long = [SqlParameter("@p", "input", "NVarChar", "a" * 5000)]
    assert len(value(engine, "REPLICATE(@p, 2)", parameters=long)) == 10000


def nvarchar(text: str, size: int | None = None, sql_type: str = "NVarChar", name: str = "@p") -> SqlParameter:
    return SqlParameter(name, "input", sql_type, text, size)


@pytest.mark.parametrize("expression, parameters, length", [
    # nvarchar(4000) + nvarchar(4000) is nvarchar(4000); varchar(8000) + varchar(8000) is varchar(8000)
    ("@p + @p", [nvarchar("a" * 3000)], 4000), ("@p + @p", [nvarchar("a" * 5000, sql_type="VarChar")], 8000),
    ("@p + @p", [nvarchar("a" * 3000, sql_type="VarChar")], 6000), ("@p + @p", [nvarchar("a" * 1000)], 2000),
    # a longer value, a Size of -1 or past 4,000 is nvarchar(max): nothing is cut
    ("@p + @p", [nvarchar("a" * 5000)], 10000), ("@p + @p", [nvarchar("a" * 3000, -1)], 6000),
    ("@p + @p", [nvarchar("a" * 3000, 5000)], 6000), ("@p + @p", [nvarchar("a" * 3000, 3500)], 4000),
    # with a built string: nvarchar wins, max wins
    ("REPLICATE('a', 5000) + @p", [nvarchar("xyz")], 4000), ("@p + REPLICATE('a', 5000)", [nvarchar("xyz")], 4000),
    ("REPLICATE('a', 7000) + @p", [nvarchar("x" * 2000, sql_type="VarChar")], 8000),
    ("REPLICATE('a', 7000) + @p", [nvarchar("xyz", sql_type="VarChar")], 7003),
    ("CAST(REPLICATE('a', 5000) AS varchar(max)) + @p", [nvarchar("xyz")], 5003),
    ("REPLICATE('a', 3000) + @p + 'x'", [nvarchar("y" * 2000)], 4000),
    # each step as SQL Server types it: varchar(8000) + varchar(8000) is cut before a max parameter joins
    ("@p + @p + @q", [nvarchar("a" * 5000, sql_type="VarChar"), nvarchar("b" * 5000, name="@q")], 13000),
    ("@q + (@p + @p)", [nvarchar("a" * 5000, sql_type="VarChar"), nvarchar("b" * 10, name="@q")], 4000),
])
def test_joining_a_parameter_is_cut_as_sql_server_types_it(engine, expression, parameters, length):
    """``+`` with a request parameter: nvarchar(n) + nvarchar(m) is nvarchar(min(n + m, 4000)) unless
    either is max, the parameter typed as SqlClient declares it (its SqlDbType and Size, or its length).
    It was never cut: ``SELECT @p + @p`` of 3,000 characters gave 6,000."""
    assert len(value(engine, expression, parameters=parameters)) == length


def test_adding_parameters_that_are_numbers_is_unchanged_by_string_types(engine):
    parameters = [SqlParameter("@p", "input", "Int", "2"), SqlParameter("@q", "input", "NVarChar", "40")]
    assert value(engine, "@p + @q", parameters=parameters) == 42
    assert value(engine, "@q + @q + 'x'", parameters=parameters[1:]) == "4040x"


# -- parameters ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sql_type, expected", [("Int", 1225), ("Float", 1225.0), ("NVarChar", "".join(map(str, range(50)))),
                                                ("Int/Float", 1225.0), ("Float/Int", 1225.0), ("NVarChar/Int", 1225)])
def test_summing_fifty_parameters_works(engine, sql_type, expected):
    """It failed with SQLite's 'parser stack overflow' (50 nested mh_add calls); on PostgreSQL a Float
    among them had no mock_halo.add to call."""
    types = sql_type.split("/")
    parameters = [SqlParameter(f"@p{i}", "input", types[i % len(types)], str(i)) for i in range(50)]
    assert value(engine, " + ".join(f"@p{i}" for i in range(50)), parameters=parameters) == expected


@pytest.mark.parametrize("sql_type, text, dotnet", [
    ("Float", "1e999", "Double"), ("Float", "-1e400", "Double"), ("Real", "1e39", "Single"),
    ("Decimal", "1" + "0" * 29, "Decimal"),
])
def test_numbers_past_their_dotnet_type_are_conversion_errors(engine, sql_type, text, dotnet):
    """A Float '1e999' became NULL (infinity): Halo Link's .NET cannot convert it."""
    with pytest.raises(ParameterError, match=f"to a {dotnet}"):
        run(engine, "SELECT @p AS x", parameters=[SqlParameter("@p", "input", sql_type, text)])


def test_a_float_parameter_past_double_is_a_400(halo):
    response = halo.immediate("SELECT @p AS x", parameters=[{"name": "@p", "type": "Float", "value": "1e999"}])
    assert response.status_code == 400 and "to a Double" in response.json()["error"]["message"]


# -- results cut at the limit while they are read ----------------------------------------------------------
CROSS = ("SELECT a.Firstname, b.Surname, c.InternalID FROM BPS_Patients a CROSS JOIN BPS_Patients b "
         "CROSS JOIN BPS_Patients c CROSS JOIN BPS_Patients d")


def test_a_huge_immediate_result_is_a_413_without_being_materialised():
    """60^4 = 13 million rows: read until the JSON passes 8 MB, then stopped (it reached 19.5 GB)."""
    emulator = Emulator(make_settings())
    with TestClient(create_app(emulator=emulator)) as client:
        halo = Halo(client)
        response = within(60, lambda: halo.immediate(CROSS))
        assert response.status_code == 413
        assert response.json()["errorDetails"]["errorCode"] == 413
        assert halo.immediate("SELECT TOP 1 Firstname FROM BPS_Patients").status_code == 200


def test_a_huge_async_result_fails_its_upload():
    emulator = Emulator(make_settings(async_result_limit_bytes=1_000_000))
    with TestClient(create_app(emulator=emulator)) as client:
        halo = Halo(client)
        headers = halo.headers(halo.token())
        created = client.post(f"/device/sites/{SITE}/queries/async", json={"command": {"text": CROSS}}, headers=headers)
        within(60, lambda: emulator.clock.advance(600))
        body = client.get(f"/device/sites/{SITE}/queries/{created.json()['id']}", headers=headers).json()
        assert body["status"] == "uploadFailed"
        assert body["errorDetails"]["errorType"] == "http" and body["errorDetails"]["errorCode"] == 413
        assert "beyond size limit (1000000b)" in body["errorDetails"]["errorMessage"]
        assert set(body["statusTiming"]) == {"initialising", "queued", "executing", "uploading"}


def test_a_result_within_the_limit_is_unchanged_by_chunked_reading(engine):
    from mock_halo.sql import SqlCommand

    command = SqlCommand(text="SELECT * FROM PATIENTS ORDER BY INTERNALID")
    whole = engine.execute(command)
    for limit in (len(whole.data), 10 * len(whole.data)):
        chunked = engine.execute(SqlCommand(text=command.text, result_limit=limit))
        assert chunked.data == whole.data and chunked.rows == whole.rows
    from mock_halo.sql import ResultTooLarge

    with pytest.raises(ResultTooLarge):
        engine.execute(SqlCommand(text=command.text, result_limit=len(whole.data) - 1))


def test_contract_stored_procedure_example_books_an_appointment(halo):
    """The example in contracts/openapi.yaml failed with 201 (a required procedure parameter missing)."""
    from mock_halo import resources

    example = resources.contract()["components"]["requestBodies"]["ImmediateCommand"]["content"]["application/json"]
    body = example["examples"]["storedProcedure"]["value"]
    response = halo.immediate(body=body)
    assert response.status_code == 200, response.text
    returned = [p for p in response.json()["result"]["parameters"] if p["direction"] == "returnValue"]
    new_id = int(returned[0]["value"])
    rows = json.loads(base64.b64decode(halo.immediate(
        f"SELECT APPOINTMENTTIME FROM APPOINTMENTS WHERE RECORDID = {new_id}").json()["result"]["data"]))
    assert rows == [{"APPOINTMENTTIME": 32400}]

"""Request parameters: binding by name, conversion by SqlDbType, failures, echo of outputs."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.sql import ParameterError, SqlError, SqlParameter
from mock_halo.sql.runtime.params import convert_value
from mock_halo.sql.testing import mini_engine, rows, run, value


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def param(sql_type: str, text: str | None, name: str = "@p", direction: str = "input",
          size: int | None = None) -> SqlParameter:
    return SqlParameter(name=name, direction=direction, type=sql_type, value=text, size=size)


def echo(engine, sql_type: str, text: str | None):
    return value(engine, "@p", parameters=[param(sql_type, text)])


# -- binding by name ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["@id", "id", "@ID", "Id"])
def test_names_match_with_or_without_at_and_in_any_case(engine, name):
    found = rows(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = @Id",
                 parameters=[param("Int", "2", name=name)])
    assert found == [{"Firstname": "Bob"}]


def test_a_parameter_can_be_used_several_times(engine):
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE InternalID = @id OR InternalID = @id + 1 "
                         "ORDER BY InternalID", parameters=[param("Int", "1", name="@id")])
    assert [r["InternalID"] for r in found] == [1, 2]


def test_missing_parameter_is_error_137(engine):
    with pytest.raises(SqlError) as caught:
        rows(engine, "SELECT InternalID FROM BPS_Patients WHERE InternalID = @Id")
    assert (caught.value.number, caught.value.message) == (137, 'Must declare the scalar variable "@Id".')


def test_duplicate_parameter_is_error_134(engine):
    with pytest.raises(SqlError) as caught:
        rows(engine, "SELECT @a AS x", parameters=[param("Int", "1", "@a"), param("Int", "2", "a")])
    assert caught.value.number == 134


def test_unused_parameters_are_ignored(engine):
    assert rows(engine, "SELECT 1 AS x", parameters=[param("Int", "1", "@unused")]) == [{"x": 1}]


def test_parameters_are_never_spliced_into_the_sql(engine):
    hostile = "x'; DELETE FROM PATIENTS; --"
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE Surname = @s",
                parameters=[param("NVarChar", hostile, "@s")]) == []
    assert value(engine, "(SELECT COUNT(*) FROM PATIENTS)") == 5


def test_like_with_a_parameter_pattern(engine):
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE Firstname LIKE @f",
                 parameters=[param("NVarChar", "zo%", "@f")])
    assert found == [{"InternalID": 3}]


def test_null_values_bind_as_null(engine):
    assert echo(engine, "Int", None) is None
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE Email = @e", parameters=[param("NVarChar", None,
                                                                                                  "@e")]) == []


# -- conversion by SqlDbType ----------------------------------------------------------------

@pytest.mark.parametrize(("sql_type", "text", "expected"), [
    ("Int", "42", 42), ("Int", " -7 ", -7), ("BigInt", "9007199254740993", 9007199254740993),
    ("SmallInt", "32767", 32767), ("TinyInt", "255", 255),
    ("Bit", "true", True), ("Bit", "False", False), ("Bit", "1", True), ("Bit", "0", False),
    ("Decimal", "12.50", 12.5), ("Decimal", "1,234.5", 1234.5), ("Money", "-3.25", -3.25),
    ("Float", "1.5e3", 1500.0), ("Real", "0.25", 0.25),
    ("Date", "2020-02-29", "2020-02-29T00:00:00"),
    ("DateTime", "2020-02-29T10:11:12", "2020-02-29T10:11:12"),
    ("DateTime", "2020-02-29 10:11", "2020-02-29T10:11:00"),
    ("DateTime2", "2020-02-29T10:11:12.1234567", "2020-02-29T10:11:12.123456"),
    ("SmallDateTime", "2020-02-29T10:11:40", "2020-02-29T10:12:00"),
    ("DateTime", "29/02/2020", "2020-02-29T00:00:00"),
    ("Time", "13:45", "13:45:00"), ("Time", "13:45:30.5", "13:45:30.500"),
    ("UniqueIdentifier", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("UniqueIdentifier", "{6f9619ff-8b86-d011-b42d-00c04fc964ff}", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
    ("NVarChar", "Zoë", "Zoë"), ("VarChar", "abc", "abc"), ("String", "", ""), ("Char", "x", "x"),
    ("NText", "long", "long"), ("VarBinary", base64.b64encode(b"\x00\x01").decode(), "AAE="),
])
def test_conversion_by_declared_type(engine, sql_type, text, expected):
    assert echo(engine, sql_type, text) == expected


@pytest.mark.parametrize(("sql_type", "text", "dotnet"), [
    ("Int", "twelve", "Int32"), ("Int", "1.5", "Int32"), ("Int", "", "Int32"), ("Int", "2147483648", "Int32"),
    ("BigInt", "1e3", "Int64"), ("SmallInt", "40000", "Int16"), ("TinyInt", "-1", "Byte"),
    ("Bit", "yes", "Boolean"), ("Decimal", "abc", "Decimal"), ("Money", "1.2.3", "Decimal"),
    ("Float", "x", "Double"), ("Real", "", "Single"), ("Date", "yesterday", "DateTime"),
    ("DateTime", "2020-02-30", "DateTime"), ("Time", "25:00", "TimeSpan"),
    ("UniqueIdentifier", "not-a-guid", "Guid"), ("VarBinary", "***", "Byte[]"),
    ("DateTimeOffset", "soon", "DateTimeOffset"),
])
def test_unconvertible_values_fail_like_dotnet(engine, sql_type, text, dotnet):
    with pytest.raises(ParameterError) as caught:
        echo(engine, sql_type, text)
    assert caught.value.message == f"Failed to convert parameter value from a String to a {dotnet}."


def test_parameter_errors_come_before_sql_errors(engine):
    with pytest.raises(ParameterError):
        rows(engine, "SELECT * FROM Nowhere WHERE x = @p", parameters=[param("Int", "x")])


def test_string_size_truncates_input(engine):
    assert value(engine, "@p", parameters=[param("NVarChar", "abcdef", size=3)]) == "abc"


def test_unsupported_parameter_types(engine):
    with pytest.raises(ParameterError):
        echo(engine, "Structured", "x")


# -- output parameters ------------------------------------------------------------------------

def test_output_parameters_are_echoed(engine):
    outcome = run(engine, "SELECT @in AS x", parameters=[
        param("Int", "5", "@in"),
        param("Int", "", "@out", direction="output", size=4),
        param("NVarChar", "kept", "@io", direction="inputOutput"),
        SqlParameter(name="@ret", direction="returnValue", type="Int"),
    ])
    assert outcome.parameters == [
        {"name": "@out", "direction": "output", "type": "Int", "value": None, "size": 4},
        {"name": "@io", "direction": "inputOutput", "type": "NVarChar", "value": "kept"},
        {"name": "@ret", "direction": "returnValue", "type": "Int", "value": None},
    ]


def test_no_output_parameters_no_echo(engine):
    assert run(engine, "SELECT @p AS x", parameters=[param("Int", "1")]).parameters == []


# -- properties --------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.integers(-2**31, 2**31 - 1))
def test_int_round_trip(engine, number):
    assert echo(engine, "Int", str(number)) == number


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1753, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=0)))
def test_datetime_round_trip(engine, moment):
    assert echo(engine, "DateTime2", moment.isoformat()) == moment.isoformat()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_text_round_trip(engine, text):
    assert echo(engine, "NVarChar", text) == text


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_binary_round_trip(engine, data):
    encoded = base64.b64encode(data).decode()
    assert convert_value(param("VarBinary", encoded)) == data
    assert echo(engine, "VarBinary", encoded) == encoded

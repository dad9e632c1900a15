"""T-SQL built-ins against SQL Server's documented semantics."""

from __future__ import annotations

import re

import pytest

from mock_halo.sql import SqlError
from mock_halo.sql.testing import check, first, mini_engine, rows, value


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def error(engine, expression: str) -> SqlError:
    with pytest.raises(SqlError) as caught:
        value(engine, expression)
    return caught.value


# -- strings ---------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("'a' + 'b'", "ab"),
    ("N'Zoë' + N' ' + N'Émile'", "Zoë Émile"),
    ("'a' + NULL", None),
    ("CONCAT('a', NULL, 'b', 1, 2.5)", "ab12.5"),
    ("CONCAT_WS('-', 'a', NULL, 'b')", "a-b"),
    ("LEN('ab  ')", 2),
    ("LEN('  ab')", 4),
    ("LEN('')", 0),
    ("LEN(NULL)", None),
    ("LEN(12345)", 5),
    ("DATALENGTH(N'ab')", 4),
    ("DATALENGTH('ab')", 2),
    ("UPPER(N'é')", "É"),
    ("UPPER(N'straße')", "STRAßE"),
    ("LOWER(N'ÉCOLE')", "école"),
    ("LEFT('abcdef', 3)", "abc"),
    ("RIGHT('abcdef', 2)", "ef"),
    ("LEFT('ab', 10)", "ab"),
    ("SUBSTRING('abcdef', 2, 3)", "bcd"),
    ("SUBSTRING('abcdef', 0, 3)", "ab"),
    ("SUBSTRING('abcdef', -1, 3)", "a"),
    ("SUBSTRING('abc', 5, 2)", ""),
    ("CHARINDEX('c', 'abcabc')", 3),
    ("CHARINDEX('C', 'abcabc')", 3),
    ("CHARINDEX('c', 'abcabc', 4)", 6),
    ("CHARINDEX('z', 'abc')", 0),
    ("PATINDEX('%[0-9]%', 'ab3c')", 3),
    ("REPLACE('Hello hello', 'HELLO', 'bye')", "bye bye"),
    ("LTRIM('  a  ')", "a  "),
    ("RTRIM('  a  ')", "  a"),
    ("TRIM('  a  ')", "a"),
    ("REPLICATE('ab', 3)", "ababab"),
    ("SPACE(2) + 'x'", "  x"),
    ("REVERSE('abc')", "cba"),
    ("STUFF('abcdef', 2, 3, 'XY')", "aXYef"),
    ("CHAR(65)", "A"),
    ("ASCII('A')", 65),
    ("UNICODE(N'é')", 233),
    ("NCHAR(233)", "é"),
    ("QUOTENAME('a]b')", "[a]]b]"),
    ("ISNUMERIC('12.5')", 1),
    ("ISNUMERIC('abc')", 0),
    ("ISDATE('2020-02-30')", 0),
    ("ISDATE('2020-02-29')", 1),
])
def test_string_functions(engine, expression, expected):
    check(engine, expression, expected)


def test_string_plus_on_columns_concatenates(engine):
    assert rows(engine, "SELECT Firstname + ' ' + Surname AS Name FROM BPS_Patients WHERE InternalID = 3") == [
        {"Name": "Zoë Émile"}]


def test_string_plus_with_a_parameter_of_unknown_type(engine):
    from mock_halo.sql import SqlParameter

    got = value(engine, "@a + @b", parameters=[SqlParameter("@a", "input", "NVarChar", "x"),
                                               SqlParameter("@b", "input", "NVarChar", "y")])
    assert got == "xy"
    number = value(engine, "@a + @b", parameters=[SqlParameter("@a", "input", "Int", "1"),
                                                  SqlParameter("@b", "input", "NVarChar", "2")])
    assert number == 3


def test_int_plus_string_converts_the_string_like_sql_server(engine):
    check(engine, "1 + '2'", 3)
    check(engine, "'2' + 1", 3)
    check(engine, "1.5 + '2'", 3.5)
    check(engine, "10 - '4'", 6)
    assert first(engine, "SELECT InternalID + '1' FROM BPS_Patients WHERE InternalID = 2") == 3
    assert error(engine, "1 + 'abc'").number == 245


def test_string_comparison_is_case_insensitive(engine):
    assert value(engine, "CASE WHEN 'abc' = 'ABC' THEN 1 ELSE 0 END") == 1
    assert value(engine, "CASE WHEN UPPER('abc') = 'abc' THEN 1 ELSE 0 END") == 1
    assert value(engine, "IIF('B' > 'a', 1, 0)") == 1
    assert value(engine, "CASE WHEN 'x' IN ('X', 'Y') THEN 1 ELSE 0 END") == 1
    assert [r["InternalID"] for r in rows(engine, "SELECT InternalID FROM BPS_Patients WHERE Surname = 'SMITH' "
                                                  "ORDER BY InternalID")] == [1, 4]
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE LOWER(Firstname) = 'ALICE'") == [
        {"InternalID": 1}]
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE UPPER(Surname) = N'émile'") == [
        {"InternalID": 3}]
    assert value(engine, "CASE WHEN N'ÉCOLE' = N'école  ' THEN 1 ELSE 0 END") == 1  # trailing spaces too
    assert value(engine, "CASE WHEN N'e' = N'é' THEN 1 ELSE 0 END") == 0  # accent-sensitive (CI_AS)


def test_case_sensitive_collation_clause(engine):
    assert value(engine, "CASE WHEN 'abc' = 'ABC' COLLATE Latin1_General_CS_AS THEN 1 ELSE 0 END") == 0
    assert value(engine, "CASE WHEN 'abc' = 'ABC' COLLATE Latin1_General_CI_AS THEN 1 ELSE 0 END") == 1


@pytest.mark.parametrize(("pattern", "expected"), [
    ("'A%'", [1]), ("'%E'", [1]), ("N'%Ë'", [3]), ("'_ob'", [2]), ("'[ab]%'", [1, 2]), ("'[^a-c]%'", [3]),
    ("N'zo%'", [3]), ("N'ZOË'", [3]), ("'%[0-9]%'", []),
])
def test_like_with_sql_server_wildcards_is_case_insensitive(engine, pattern, expected):
    found = rows(engine, f"SELECT InternalID FROM BPS_Patients WHERE Firstname LIKE {pattern} ORDER BY InternalID")
    assert [r["InternalID"] for r in found] == expected


def test_like_escape_and_not_like(engine):
    check(engine, "CASE WHEN '50%' LIKE '50!%' ESCAPE '!' THEN 1 ELSE 0 END", 1)
    check(engine, "CASE WHEN '50x' LIKE '50!%' ESCAPE '!' THEN 1 ELSE 0 END", 0)
    check(engine, "CASE WHEN 'abc' NOT LIKE '[x-z]%' THEN 1 ELSE 0 END", 1)


def test_like_on_a_datetime_compares_its_string_form(engine):
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB LIKE '%1980%'")
    assert found == [{"InternalID": 1}]


# -- null handling and conditionals ----------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("ISNULL(NULL, 'x')", "x"),
    ("ISNULL('a', 'x')", "a"),
    ("COALESCE(NULL, NULL, 3)", 3),
    ("NULLIF(1, 1)", None),
    ("NULLIF(1, 2)", 1),
    ("IIF(1 > 2, 'yes', 'no')", "no"),
    ("CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "two"),
    ("CHOOSE(2, 'a', 'b', 'c')", "b"),
    ("CHOOSE(5, 'a', 'b')", None),
])
def test_null_functions_and_conditionals(engine, expression, expected):
    check(engine, expression, expected)


def test_isnull_on_a_date_column_normalises_the_replacement(engine):
    found = rows(engine, "SELECT ISNULL(DOB, '19000101') AS d FROM BPS_Patients WHERE InternalID = 4")
    assert found == [{"d": "1900-01-01T00:00:00"}]


# -- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("ABS(-3)", 3),
    ("ROUND(2.5, 0)", 3.0),
    ("ROUND(-2.5, 0)", -3.0),
    ("ROUND(123.456, 2)", 123.46),
    ("ROUND(123.456, -1)", 120.0),
    ("ROUND(1234, -2)", 1200),
    ("ROUND(123.456, 1, 1)", 123.4),
    ("FLOOR(2.7)", 2.0),
    ("FLOOR(-2.7)", -3.0),
    ("CEILING(2.1)", 3.0),
    ("FLOOR(5)", 5),
    ("POWER(2, 10)", 1024),
    ("SQUARE(3)", 9),
    ("SQRT(16.0)", 4.0),
    ("SIGN(-5)", -1),
    ("7 / 2", 3),
    ("-7 / 2", -3),
    ("7 % 3", 1),
    ("-7 % 3", -1),
    ("7.0 / 2", 3.5),
    ("2 * 3 + 1", 7),
])
def test_numeric_functions(engine, expression, expected):
    check(engine, expression, expected)


def test_divide_by_zero(engine):
    assert error(engine, "1 / 0").number == 8134
    assert error(engine, "1 % 0").number == 8134
    assert error(engine, "5 / (2 - 2)").message == "Divide by zero error encountered."


def test_division_by_zero_in_rows(engine):
    with pytest.raises(SqlError) as caught:
        rows(engine, "SELECT InternalID / (InternalID - 2) AS x FROM BPS_Patients")
    assert caught.value.number == 8134


def test_aggregates(engine):
    got = rows(engine, "SELECT COUNT(*) AS n, COUNT(Email) AS e, SUM(InternalID) AS s, AVG(InternalID) AS a, "
                       "MIN(Firstname) AS lo, MAX(DOB) AS hi FROM BPS_Patients")
    assert got == [{"n": 4, "e": 3, "s": 10, "a": 2, "lo": "Alice",
                    "hi": "2001-12-31T23:59:59"}]
    assert first(engine, "SELECT STRING_AGG(Firstname, ', ') FROM BPS_Patients WHERE InternalID < 3") in (
        "Alice, Bob", "Bob, Alice")


def test_window_functions(engine):
    got = rows(engine, "SELECT InternalID, ROW_NUMBER() OVER (ORDER BY InternalID DESC) AS rn FROM BPS_Patients "
                       "ORDER BY InternalID")
    assert [r["rn"] for r in got] == [4, 3, 2, 1]


def test_newid_is_a_guid_and_deterministic_after_reset():
    engine = mini_engine()
    try:
        first_id = value(engine, "NEWID()")
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first_id)
        assert value(engine, "NEWID()") != first_id
        engine.reset()
        assert value(engine, "NEWID()") == first_id
        assert len({r["g"] for r in rows(engine, "SELECT NEWID() AS g FROM BPS_Patients")}) == 4
    finally:
        engine.close()


def test_db_name_and_current_user(engine):
    check(engine, "DB_NAME()", "BPSPatients")
    assert value(engine, "DB_NAME()", catalogue="BPSSamples") == "BPSSamples"
    check(engine, "CURRENT_USER", "dbo")


# -- FORMAT ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("FORMAT(CAST('2020-03-04 13:05:09' AS datetime), 'dd/MM/yyyy')", "04/03/2020"),
    ("FORMAT(CAST('2020-03-04 13:05:09' AS datetime), 'yyyy-MM-dd HH:mm:ss')", "2020-03-04 13:05:09"),
    ("FORMAT(CAST('2020-03-04 13:05:09' AS datetime), 'dddd d MMMM yyyy h:mm tt')",
     "Wednesday 4 March 2020 1:05 PM"),
    ("FORMAT(CAST('2020-03-04' AS date), 'MMM yy')", "Mar 20"),
    ("FORMAT(CAST('2020-03-04' AS date), 'd')", "3/4/2020"),
    ("FORMAT(CAST('2020-03-04' AS date), 'd', 'en-AU')", "4/03/2020"),
    ("FORMAT(CAST('2020-03-04' AS date), 'D')", "Wednesday, March 4, 2020"),
    ("FORMAT(1234.5, 'N2')", "1,234.50"),
    ("FORMAT(1234.5, 'F0')", "1235"),
    ("FORMAT(42, 'D5')", "00042"),
    ("FORMAT(0.256, 'P1')", "25.6%"),
    ("FORMAT(1234.5, 'C')", "$1,234.50"),
    ("FORMAT(1234.567, '#,##0.00')", "1,234.57"),
    ("FORMAT(5, '000')", "005"),
])
def test_format(engine, expression, expected):
    check(engine, expression, expected)


def test_isnull_converts_a_string_replacement_to_the_numeric_type(engine):
    # DOB is NULL for patient 4 only; SEXCODE is never NULL, so the replacement decides the count.
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS WHERE ISNULL(CAST(NULL AS INT), '0') = 0") == [{"n": 5}]
    assert rows(engine, "SELECT ISNULL(CAST(NULL AS INT), '7') + 1 AS w, "
                        "ISNULL(CAST(NULL AS DECIMAL(5,2)), '1.5') AS d") == [{"w": 8, "d": 1.5}]
    with pytest.raises(SqlError) as info:
        rows(engine, "SELECT ISNULL(SEXCODE, 'x') AS a FROM PATIENTS")
    assert info.value.number == 245

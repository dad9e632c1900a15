"""SQL Server's data type precedence in comparisons, on the embedded (SQLite) engine.

When text meets a number in a comparison (``=``, ``<``, ``IN``, ``BETWEEN``), SQL Server converts the
text side (lower precedence) to the number's type, row by row: ``POSTCODE < 300`` compares numbers
(SQLite alone would compare ``'2487' < '300'`` as text), a name compared with ``0`` fails with error
245, and a 10-digit Medicare number compared with an ``int`` literal overflows (error 248). An empty
string converts to 0. Expected results are derived in Python from the raw base-table rows (the
practice data of :mod:`test_tsql_corpus`), never from the engine.
"""

from __future__ import annotations

import re

import pytest

import test_tsql_corpus as corpus
from mock_halo.sql import SqlError
from mock_halo.sql.testing import rows, value
from test_tsql_corpus import T

PATIENTS = T["PATIENTS"]
INT_MAX = 2**31 - 1


@pytest.fixture(scope="module")
def engine():
    engine = corpus._engine()
    yield engine
    engine.close()


def as_int(text: str | None) -> int | None:
    """SQL Server's varchar -> int conversion of a well-formed value ('' is 0)."""
    return None if text is None else int(text.strip() or 0)


def ids(predicate) -> list[dict]:
    return [{"INTERNALID": p["INTERNALID"]} for p in sorted(PATIENTS, key=lambda p: p["INTERNALID"])
            if p["POSTCODE"] is not None and predicate(as_int(p["POSTCODE"]))]


def test_fixture_has_what_the_cases_need():
    postcodes = [as_int(p["POSTCODE"]) for p in PATIENTS if p["POSTCODE"] is not None]
    assert postcodes and all(300 < code < 10000 for code in postcodes)  # text and number orders disagree at 300
    assert any(p["MEDICARENO"] == "" for p in PATIENTS)
    assert any(as_int(p["MEDICARENO"] or "0") > INT_MAX for p in PATIENTS)


@pytest.mark.parametrize("where, predicate", [
    ("POSTCODE < 300", lambda code: code < 300),  # as text, '2487' < '300'
    ("POSTCODE >= 1000", lambda code: code >= 1000),
    ("300 < POSTCODE", lambda code: code > 300),
    ("POSTCODE > 2500", lambda code: code > 2500),
    ("POSTCODE = 2511", lambda code: code == 2511),
    ("POSTCODE <> 2511", lambda code: code != 2511),
    ("POSTCODE > 2500.5", lambda code: code > 2500.5),
    ("POSTCODE IN (2487, 2511, 9)", lambda code: code in (2487, 2511, 9)),
    ("POSTCODE IN (2487, '2511')", lambda code: code in (2487, 2511)),
    ("POSTCODE BETWEEN 2490 AND 2510", lambda code: 2490 <= code <= 2510),
    ("POSTCODE BETWEEN 300 AND '2500'", lambda code: 300 <= code <= 2500),
    ("INTERNALID < POSTCODE", lambda code: True),  # every id is below every postcode in the fixture
    ("2511 IN (POSTCODE, '7')", lambda code: code == 2511),  # a number among text items: the items convert
    ("' 7 ' = 7", lambda code: True),  # a string literal against a number converts too (spaces allowed)
    ("'2.5' = 2.5", lambda code: True),
    ("7 IN ('7', 8)", lambda code: True),
    ("'7' = 8", lambda code: False),
])
def test_text_column_against_a_number_compares_numbers(engine, where, predicate):
    got = rows(engine, f"SELECT INTERNALID FROM PATIENTS WHERE {where} ORDER BY INTERNALID")
    assert got == ids(predicate)


def test_number_column_against_text_compares_numbers(engine):
    sql = "SELECT COUNT(*) AS n FROM PATIENTS p JOIN PATIENTS q ON p.INTERNALID * 1000 < q.POSTCODE"
    expected = sum(p["INTERNALID"] * 1000 < as_int(q["POSTCODE"]) for p in PATIENTS for q in PATIENTS
                   if q["POSTCODE"] is not None)
    assert rows(engine, sql) == [{"n": expected}]


def test_empty_string_is_zero_for_an_int(engine):
    assert value(engine, "CAST('' AS int)") == 0
    assert value(engine, "CONVERT(int, '  ')") == 0
    assert value(engine, "CASE WHEN 0 = '' THEN 1 ELSE 0 END") == 1
    blank = sum(p["MEDICARENO"] == "" for p in PATIENTS)
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS WHERE LEFT(MEDICARENO, 4) = 0") == [{"n": blank}]
    assert _error(engine, "SELECT COUNT(*) AS n FROM PATIENTS WHERE MEDICARENO = 0").number == 248  # the others


def test_bigint_operand_converts_the_text_to_bigint(engine):
    expected = sum(as_int(p["MEDICARENO"]) >= 2_500_000_000 for p in PATIENTS if p["MEDICARENO"] is not None)
    assert 0 < expected < len(PATIENTS)
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS WHERE MEDICARENO >= 2500000000") == [{"n": expected}]
    assert rows(engine, "SELECT COUNT(*) AS n FROM PATIENTS WHERE MEDICARENO >= CAST(2500000000 AS bigint)") == \
        [{"n": expected}]


def _error(engine, sql: str) -> SqlError:
    with pytest.raises(SqlError) as caught:
        rows(engine, sql)
    return caught.value


def test_text_that_is_not_a_number_fails_with_245(engine):
    err = _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = 0")
    assert err.number == 245
    found = re.fullmatch(r"Conversion failed when converting the varchar value '(.*)' to data type int\.",
                         err.message)
    assert found and found.group(1) in {p["FIRSTNAME"] for p in PATIENTS}
    assert _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE SURNAME IN (1, 2)").number == 245
    assert _error(engine, "SELECT 1 AS x WHERE 'abc' > 1").number == 245  # a literal fails before running
    assert _error(engine, "SELECT 1 AS x WHERE 7 IN (8, 'seven')").number == 245
    assert _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE 7 IN (8, SURNAME)").number == 245


def test_text_too_big_for_an_int_fails_with_248(engine):
    err = _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE MEDICARENO > 2000000000")
    assert err.number == 248
    found = re.fullmatch(r"The conversion of the varchar value '(\d+)' overflowed an int column\.", err.message)
    assert found and int(found.group(1)) > INT_MAX
    assert found.group(1) in {p["MEDICARENO"] for p in PATIENTS}
    err = _error(engine, "SELECT CAST('99999999999' AS int) AS x")
    assert (err.number, err.message) == (248, "The conversion of the varchar value '99999999999' overflowed an int "
                                              "column.")
    assert value(engine, "TRY_CAST('99999999999' AS int)") is None


def test_decimal_operand_fails_with_8114_on_a_name(engine):
    err = _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME > 1.5")
    assert (err.number, err.message) == (8114, "Error converting data type varchar to numeric.")


@pytest.mark.parametrize("sql, message", [
    ("SELECT 1 AS x WHERE 'abc' = CAST(2.5 AS FLOAT)", "Error converting data type varchar to float."),
    ("SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = CAST(2.5 AS FLOAT)",
     "Error converting data type varchar to float."),
    ("SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME IN (1, CAST(2 AS REAL))",
     "Error converting data type varchar to float."),
    ("SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME BETWEEN 1 AND CAST(2 AS FLOAT)",
     "Error converting data type varchar to float."),
])
def test_a_float_operand_converts_the_text_to_float(engine, sql, message):
    """Data type precedence picks float (not numeric) when the number is a float or real."""
    err = _error(engine, sql)
    assert (err.number, err.message) == (8114, message)


def test_text_in_arithmetic_with_a_number_converts_as_in_a_comparison(engine):
    err = _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME + 1.5 > 0")
    assert (err.number, err.message) == (8114, "Error converting data type varchar to numeric.")
    err = _error(engine, "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME * 2 > 0")
    assert err.number == 245 and err.message.endswith("to data type int.")
    code = next(p["POSTCODE"] for p in PATIENTS if p["POSTCODE"])
    assert rows(engine, f"SELECT TOP 1 POSTCODE + 1 AS p, POSTCODE * 2 AS d FROM PATIENTS WHERE POSTCODE = '{code}'") \
        == [{"p": as_int(code) + 1, "d": as_int(code) * 2}]


def test_text_bounds_of_a_number_between_convert_to_its_type(engine):
    """A string literal bound converts like the other side of ``=`` does: '' is 0, a name fails."""
    assert value(engine, "CASE WHEN 2.5 BETWEEN '2' AND '3' THEN 1 ELSE 0 END") == 1
    assert value(engine, "CASE WHEN 0 BETWEEN '' AND 1 THEN 1 ELSE 0 END") == 1
    err = _error(engine, "SELECT 1 AS x WHERE 2.5 BETWEEN 'abc' AND 3")
    assert (err.number, err.message) == (8114, "Error converting data type varchar to numeric.")


def test_isnull_converts_text_to_the_type_of_its_first_argument(engine):
    """ISNULL's result has the type of its first argument, so a text replacement converts to exactly that
    type (its range, precision, scale, and bit's 'true'), with that type's errors: not to a wider stand-in."""
    got = rows(engine, "SELECT ISNULL(CAST(NULL AS bigint), '3000000000') AS b, ISNULL(CAST(NULL AS tinyint), ' 7 ') AS s, "
                       "ISNULL(CAST(NULL AS decimal(5,2)), '1.234') AS d, ISNULL(CAST(NULL AS money), '$1,234.5') AS m, "
                       "ISNULL(CAST(NULL AS float), '2.5') AS f, ISNULL(CAST(NULL AS bit), 'true') AS t, "
                       "ISNULL(v, '0.125') AS c FROM (SELECT CAST(NULL AS numeric(4,1)) AS v) AS x")
    assert got == [{"b": 3000000000, "s": 7, "d": 1.23, "m": 1234.5, "f": 2.5, "t": True, "c": 0.1}]
    assert rows(engine, "SELECT COUNT(*) AS n FROM (SELECT CAST(NULL AS int) AS x UNION ALL SELECT 3 UNION ALL "
                        "SELECT 4) AS v WHERE ISNULL(x, '3') = 3") == [{"n": 2}]  # compared as numbers
    for expression, number, message in (
            ("ISNULL(CAST(NULL AS int), '3000000000')", 248,
             "The conversion of the varchar value '3000000000' overflowed an int column."),
            ("ISNULL(CAST(NULL AS int), '1.5')", 245,
             "Conversion failed when converting the varchar value '1.5' to data type int."),
            ("ISNULL(CAST(NULL AS decimal(3,1)), '123.4')", 8115,
             "Arithmetic overflow error converting varchar to data type numeric.")):
        err = _error(engine, f"SELECT {expression} AS v")
        assert (err.number, err.message) == (number, message), expression

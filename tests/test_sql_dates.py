"""Dates and times: SQL Server's arithmetic, literals, conversions and rendering."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.testing import check, mini_engine, rows, value


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def error_number(engine, expression: str) -> int:
    with pytest.raises(SqlError) as caught:
        value(engine, expression)
    return caught.value.number


def dt_param(name: str, moment: datetime, sql_type: str = "DateTime2") -> SqlParameter:
    return SqlParameter(name, "input", sql_type, moment.isoformat())


# -- DATEDIFF / DATEADD / DATEPART: documented examples ----------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("DATEDIFF(year, '2019-12-31', '2020-01-01')", 1),
    ("DATEDIFF(yy, '2020-01-01', '2020-12-31')", 0),
    ("DATEDIFF(quarter, '2020-03-31', '2020-04-01')", 1),
    ("DATEDIFF(month, '2020-01-31', '2020-02-01')", 1),
    ("DATEDIFF(month, '2020-02-01', '2020-01-31')", -1),
    ("DATEDIFF(day, '2020-01-01 23:59', '2020-01-02 00:01')", 1),
    ("DATEDIFF(dd, '2020-01-01', '2021-01-01')", 366),
    ("DATEDIFF(week, '2020-03-07', '2020-03-08')", 1),  # Saturday -> Sunday crosses a week boundary
    ("DATEDIFF(week, '2020-03-08', '2020-03-14')", 0),  # Sunday -> Saturday does not
    ("DATEDIFF(hour, '2020-01-01 10:59', '2020-01-01 11:00')", 1),
    ("DATEDIFF(minute, '2020-01-01 10:00:59', '2020-01-01 10:01:00')", 1),
    ("DATEDIFF(second, '2020-01-01 10:00:00.999', '2020-01-01 10:00:01.000')", 1),
    ("DATEDIFF(millisecond, '2020-01-01 10:00:00', '2020-01-01 10:00:01')", 1000),
    ("DATEDIFF_BIG(millisecond, '1900-01-01', '2000-01-01')", 3155673600000),
    ("DATEADD(day, 1, '2020-01-01 10:30:00')", "2020-01-02T10:30:00"),
    ("DATEADD(month, 1, '2019-01-31')", "2019-02-28T00:00:00"),
    ("DATEADD(month, 1, '2020-01-31')", "2020-02-29T00:00:00"),
    ("DATEADD(year, 1, '2020-02-29')", "2021-02-28T00:00:00"),
    ("DATEADD(quarter, -1, '2020-05-31 08:00')", "2020-02-29T08:00:00"),
    ("DATEADD(mi, 90, '2020-01-01 23:00')", "2020-01-02T00:30:00"),
    ("DATEADD(week, 2, '2020-01-01')", "2020-01-15T00:00:00"),
    ("DATEADD(day, 1.9, '2020-01-01')", "2020-01-02T00:00:00"),
    ("DATEADD(ms, 500, '2020-01-01')", "2020-01-01T00:00:00.500"),
    ("DATEPART(weekday, '2020-03-01')", 1),  # a Sunday: DATEFIRST 7
    ("DATEPART(dw, '2020-03-07')", 7),
    ("DATEPART(year, '2020-03-01')", 2020),
    ("DATEPART(quarter, '2020-08-01')", 3),
    ("DATEPART(dayofyear, '2020-12-31')", 366),
    ("DATEPART(week, '2020-01-04')", 1),
    ("DATEPART(week, '2020-01-05')", 2),
    ("DATEPART(iso_week, '2021-01-01')", 53),
    ("DATEPART(hour, '2020-01-01 13:45')", 13),
    ("DATEPART(minute, '2020-01-01 13:45')", 45),
    ("DATENAME(month, '2020-03-01')", "March"),
    ("DATENAME(weekday, '2020-03-01')", "Sunday"),
    ("DATENAME(year, '2020-03-01')", "2020"),
    ("YEAR('2020-03-01')", 2020),
    ("MONTH('2020-03-01')", 3),
    ("DAY('2020-03-01')", 1),
    ("EOMONTH('2020-02-10')", "2020-02-29T00:00:00"),
    ("EOMONTH('2020-01-31', 1)", "2020-02-29T00:00:00"),
    ("DATEFROMPARTS(2020, 2, 29)", "2020-02-29T00:00:00"),
])
def test_date_functions(engine, expression, expected):
    check(engine, expression, expected)


def test_dateadd_on_columns_keeps_time_and_type(engine):
    got = rows(engine, "SELECT DATEADD(day, 1, DOB) AS d, DATEADD(month, 2, AppointmentDate) AS a "
                       "FROM BPS_Patients p JOIN BPS_Appointments x ON x.InternalID = p.InternalID "
                       "WHERE x.AppointmentID = 12")
    assert got == [{"d": "1975-06-16T08:30:00", "a": "2026-03-05T00:00:00"}]


def test_dateadd_time_units_on_a_date_fail_like_sql_server(engine):
    with pytest.raises(SqlError) as caught:
        rows(engine, "SELECT DATEADD(hour, 1, AppointmentDate) AS x FROM BPS_Appointments")
    assert caught.value.number == 9810
    assert "datepart hour is not supported by date function dateadd for data type date" in caught.value.message


def test_time_arithmetic_wraps_around_midnight(engine):
    check(engine, "DATEADD(minute, 90, CAST('23:00' AS time))", "00:30:00")


def test_datetime_plus_number_adds_days(engine):
    check(engine, "CAST('2020-01-01 10:00' AS datetime) + 1", "2020-01-02T10:00:00")
    check(engine, "CAST('2020-01-01 10:00' AS datetime) - 1.5", "2019-12-30T22:00:00")
    assert error_number(engine, "CAST('2020-01-01' AS date) + 1") == 206


def test_unknown_datepart_is_error_155(engine):
    assert error_number(engine, "DATEADD(fortnight, 1, '2020-01-01')") == 155
    assert error_number(engine, "DATEDIFF(xx, '2020-01-01', '2020-01-02')") == 155


# -- CAST / CONVERT ---------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("CAST('2020-01-02 03:04:05' AS datetime2)", "2020-01-02T03:04:05"),
    ("CAST('2020-01-02 03:04:05' AS date)", "2020-01-02T00:00:00"),
    ("CAST('2020-01-02 03:04:05' AS time)", "03:04:05"),
    ("CAST('20200102' AS datetime)", "2020-01-02T00:00:00"),
    ("CAST('2020-01-02 03:04:05.1234' AS datetime)", "2020-01-02T03:04:05.123"),
    ("CAST('2020-01-02 03:04:29' AS smalldatetime)", "2020-01-02T03:04:00"),
    ("CAST('2020-01-02 03:04:31' AS smalldatetime)", "2020-01-02T03:05:00"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05' AS datetime), 101)", "01/02/2020"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05' AS datetime), 103)", "02/01/2020"),
    ("CONVERT(varchar(8), CAST('2020-01-02 15:04:05' AS datetime), 112)", "20200102"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05' AS datetime), 120)", "2020-01-02 15:04:05"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05.25' AS datetime), 121)", "2020-01-02 15:04:05.250"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05' AS datetime), 126)", "2020-01-02T15:04:05"),
    ("CONVERT(varchar(10), CAST('2020-01-02 15:04:05' AS datetime), 23)", "2020-01-02"),
    ("CONVERT(varchar, CAST('2020-01-02 15:04:05' AS datetime))", "Jan  2 2020  3:04PM"),
    ("CONVERT(varchar, CAST('2020-01-02' AS date))", "2020-01-02"),
    ("CAST(CAST('2020-01-02' AS date) AS varchar(20))", "2020-01-02"),
    ("CONVERT(date, '02/01/2020', 103)", "2020-01-02T00:00:00"),
    ("CONVERT(date, '02/01/2020', 101)", "2020-02-01T00:00:00"),
    ("CONVERT(datetime, '2020-01-02T03:04:05', 126)", "2020-01-02T03:04:05"),
])
def test_conversions(engine, expression, expected):
    check(engine, expression, expected)


def test_cast_of_a_datetime_column_to_datetime2_keeps_the_value(engine):
    assert rows(engine, "SELECT CAST(DOB AS datetime2) AS v FROM BPS_Patients WHERE InternalID = 2") == [
        {"v": "1975-06-15T08:30:00"}]


def test_conversion_errors(engine):
    assert error_number(engine, "CAST('not a date' AS datetime)") == 241
    assert error_number(engine, "CAST('2020-13-01' AS datetime)") == 242
    assert error_number(engine, "CAST('2020-13-01' AS date)") == 241
    assert error_number(engine, "CONVERT(varchar, GETDATE(), 999)") == 281
    assert value(engine, "TRY_CAST('not a date' AS datetime)") is None
    assert value(engine, "TRY_CONVERT(date, '2020-02-30')") is None


# -- comparisons with literals in SQL Server's formats ----------------------------------------------

@pytest.mark.parametrize("literal", [
    "'20181111'", "'2018-11-11'", "'2018/11/11'", "'11/11/2018'", "'2018-11-11 10:00'", "'2018-11-11T00:00:00'",
    "'Nov 11 2018'", "'11 November 2018'", "N'2018-11-11'", "'11.11.2018'",
])
def test_date_column_equals_literal_in_any_format(engine, literal):
    assert rows(engine, f"SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate = {literal}") == [
        {"AppointmentID": 10}]


def test_ambiguous_literals_are_month_first_like_us_english(engine):
    assert rows(engine, "SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate = '11/12/2018'") == [
        {"AppointmentID": 11}]


def test_datetime_column_against_date_literals(engine):
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB = '1980-01-31'") == [{"InternalID": 1}]
    assert rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB = '19750615 08:30'") == [{"InternalID": 2}]
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB BETWEEN '1975-01-01' AND '01/31/1980' "
                         "ORDER BY InternalID")
    assert found == [{"InternalID": 1}, {"InternalID": 2}]
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB IN ('19800131', '2001-12-31 23:59:59')")
    assert sorted(r["InternalID"] for r in found) == [1, 3]
    later = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB > '2001-12-31'")
    assert later == [{"InternalID": 3}]


def test_date_column_against_datetime_expression_compares_as_datetime(engine):
    found = rows(engine, "SELECT AppointmentID FROM BPS_Appointments "
                         "WHERE AppointmentDate = CAST('2018-11-11 00:00' AS datetime)")
    assert found == [{"AppointmentID": 10}]
    none = rows(engine, "SELECT AppointmentID FROM BPS_Appointments "
                        "WHERE AppointmentDate = CAST('2018-11-11 10:00' AS datetime)")
    assert none == []


def test_invalid_literal_against_a_date_column_is_241(engine):
    with pytest.raises(SqlError) as caught:
        rows(engine, "SELECT * FROM BPS_Appointments WHERE AppointmentDate = 'soon'")
    assert caught.value.number == 241


@pytest.mark.parametrize(("sql_type", "text", "expected"), [
    ("Date", "2018-11-11", [10]),
    ("DateTime", "2018-11-11T00:00:00", [10]),
    ("DateTime2", "2018-11-11 00:00:00.0000000", [10]),
    ("NVarChar", "20181111", [10]),
    ("NVarChar", "11/11/2018", [10]),
])
def test_date_column_against_parameters(engine, sql_type, text, expected):
    found = rows(engine, "SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate = @d",
                 parameters=[SqlParameter("@d", "input", sql_type, text)])
    assert [r["AppointmentID"] for r in found] == expected


def test_datetime_column_against_a_date_parameter(engine):
    found = rows(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB >= @from ORDER BY InternalID",
                 parameters=[SqlParameter("@from", "input", "Date", "1980-01-31")])
    assert [r["InternalID"] for r in found] == [1, 3]


# -- rendering -----------------------------------------------------------------------------------

def test_values_render_by_sql_server_type(engine):
    got = rows(engine, "SELECT APPOINTMENTDATE, STARTTIME, URGENT, FEE, PRICE, BOOKINGREF, ATTACHMENT "
                       "FROM APPOINTMENTS WHERE APPOINTMENTID IN (10, 11) ORDER BY APPOINTMENTID")
    assert got == [
        {"APPOINTMENTDATE": "2018-11-11T00:00:00", "STARTTIME": "09:00:00", "URGENT": False, "FEE": 65.5,
         "PRICE": 12.5, "BOOKINGREF": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "ATTACHMENT": None},
        {"APPOINTMENTDATE": "2018-11-12T00:00:00", "STARTTIME": "10:00:00", "URGENT": True, "FEE": 80,
         "PRICE": 99.99, "BOOKINGREF": None, "ATTACHMENT": "AAH/"},
    ]


def test_bit_expressions_render_as_booleans(engine):
    check(engine, "CAST(1 AS bit)", True)
    check(engine, "CAST('false' AS bit)", False)
    assert rows(engine, "SELECT Urgent FROM BPS_Appointments WHERE Urgent = 'true'") == [
        {"Urgent": True}, {"Urgent": True}]


def test_guid_literals_compare_case_insensitively(engine):
    found = rows(engine, "SELECT APPOINTMENTID FROM APPOINTMENTS "
                         "WHERE BOOKINGREF = '6F9619FF-8B86-D011-B42D-00C04FC964FF'")
    assert found == [{"APPOINTMENTID": 10}]
    assert rows(engine, "SELECT CAST(BOOKINGREF AS varchar(36)) AS g FROM APPOINTMENTS WHERE APPOINTMENTID = 10"
                ) == [{"g": "6F9619FF-8B86-D011-B42D-00C04FC964FF"}]


# -- properties against pure-Python references -------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000))


def _sunday_on_or_before(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _floor(moment: datetime, unit: str) -> datetime:
    keep = {"hour": dict(minute=0, second=0, microsecond=0), "minute": dict(second=0, microsecond=0),
            "second": dict(microsecond=0), "day": dict(hour=0, minute=0, second=0, microsecond=0)}[unit]
    return moment.replace(**keep)


def reference_datediff(part: str, start: datetime, end: datetime) -> int:
    """Boundaries crossed, computed independently of the engine's implementation."""
    if part == "year":
        return end.year - start.year
    if part == "quarter":
        return (end.year - start.year) * 4 + (end.month - 1) // 3 - (start.month - 1) // 3
    if part == "month":
        return (end.year - start.year) * 12 + end.month - start.month
    if part == "week":
        return (_sunday_on_or_before(end) - _sunday_on_or_before(start)).days // 7
    seconds = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}[part]
    return int((_floor(end, part) - _floor(start, part)).total_seconds()) // seconds


@settings(max_examples=150, deadline=None)
@given(part=st.sampled_from(["year", "quarter", "month", "week", "day", "hour", "minute", "second"]),
       start=MOMENTS, end=MOMENTS)
def test_datediff_matches_the_boundary_count(engine, part, start, end):
    expected = reference_datediff(part, start, end)
    parameters = [dt_param("@a", start), dt_param("@b", end)]
    if -2**31 <= expected < 2**31:
        assert value(engine, f"DATEDIFF({part}, @a, @b)", parameters=parameters) == expected
    else:
        with pytest.raises(SqlError) as caught:
            value(engine, f"DATEDIFF({part}, @a, @b)", parameters=parameters)
        assert caught.value.number == 535
    assert value(engine, f"DATEDIFF_BIG({part}, @a, @b)", parameters=parameters) == expected


def reference_add_months(moment: datetime, months: int) -> datetime:
    year = moment.year + (moment.month - 1 + months) // 12
    month = (moment.month - 1 + months) % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@settings(max_examples=150, deadline=None)
@given(part=st.sampled_from(["year", "month", "day", "hour", "minute"]), number=st.integers(-500, 500),
       start=MOMENTS)
def test_dateadd_matches_calendar_arithmetic(engine, part, number, start):
    got = value(engine, f"DATEADD({part}, @n, @d)",
                parameters=[SqlParameter("@n", "input", "Int", str(number)), dt_param("@d", start)])
    expected = {
        "year": lambda: reference_add_months(start, 12 * number),
        "month": lambda: reference_add_months(start, number),
        "day": lambda: start + timedelta(days=number),
        "hour": lambda: start + timedelta(hours=number),
        "minute": lambda: start + timedelta(minutes=number),
    }[part]()
    assert datetime.fromisoformat(got) == expected


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=datetime(1753, 1, 1).date(), max_value=datetime(9999, 12, 31).date()),
       layout=st.sampled_from(["%Y%m%d", "%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%d %b %Y", "%b %d %Y"]))
def test_date_strings_in_sql_server_formats_convert_to_the_same_date(engine, day, layout):
    text = day.strftime(layout)
    got = value(engine, "CAST(@s AS date)", parameters=[SqlParameter("@s", "input", "VarChar", text)])
    assert got == f"{day.isoformat()}T00:00:00"

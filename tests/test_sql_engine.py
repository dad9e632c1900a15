"""The SQL engine through its interface: modes, names, catalogues, writes, reset, cache."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import orjson
import pytest

from mock_halo.config import Catalogue, Settings, SiteConfig
from mock_halo.sql import SqlCommand, SqlError, SqlOutcome, SqlParameter, open_engine
from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.testing import FIXED_NOW, error, first, mini_engine, mini_templates, rows, run, value


@pytest.fixture
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def int_param(name: str, number: int) -> SqlParameter:
    return SqlParameter(name=name, direction="input", type="Int", value=str(number))


# -- result shape ------------------------------------------------------------------

def test_reader_returns_rows_with_column_names_as_written(engine):
    outcome = run(engine, "SELECT TOP 2 firstname, SURNAME AS Family FROM BPS_Patients ORDER BY InternalID")
    assert isinstance(outcome, SqlOutcome)
    assert outcome.rows == 2
    assert outcome.columns == ["firstname", "Family"]
    assert orjson.loads(outcome.data) == [{"firstname": "Alice", "Family": "Smith"},
                                          {"firstname": "Bob", "Family": "Jones"}]
    assert outcome.rows_affected == -1


def test_star_expands_to_the_schema_names_and_types(engine):
    first = rows(engine, "SELECT * FROM BPS_Patients WHERE InternalID = 1")[0]
    assert list(first) == ["InternalID", "Firstname", "Surname", "DOB", "Email", "Postcode"]
    assert first["DOB"] == "1980-01-31T00:00:00"


def test_qualified_star_and_joins(engine):
    result = rows(engine, "SELECT a.*, p.Surname FROM BPS_Appointments a JOIN BPS_Patients p "
                          "ON p.InternalID = a.InternalID WHERE a.AppointmentID = 11")
    assert result == [{"AppointmentID": 11, "InternalID": 1, "AppointmentDate": "2018-11-12T00:00:00",
                       "AppointmentTime": 36000, "Status": "Completed", "Urgent": True, "Surname": "Smith"}]


def test_unnamed_and_duplicate_columns_are_named_like_a_datatable(engine):
    result = rows(engine, "SELECT COUNT(*), 1 + 1, p.InternalID, a.InternalID FROM BPS_Patients p "
                          "JOIN BPS_Appointments a ON a.InternalID = p.InternalID WHERE a.AppointmentID = 10 "
                          "GROUP BY p.InternalID, a.InternalID")
    assert result == [{"Column1": 1, "Column2": 2, "InternalID": 1, "InternalID1": 1}]


def test_empty_result_is_an_empty_array(engine):
    outcome = run(engine, "SELECT Firstname FROM BPS_Patients WHERE 1 = 0")
    assert (outcome.rows, outcome.data, outcome.columns) == (0, b"[]", ["Firstname"])


def test_execution_ms_is_modelled_and_deterministic(engine):
    first = run(engine, "SELECT * FROM BPS_Patients")
    second = run(engine, "SELECT * FROM BPS_Patients")
    assert first.execution_ms == second.execution_ms == 2


# -- execution modes -------------------------------------------------------------------

def test_scalar_is_the_first_column_of_the_first_row(engine):
    outcome = run(engine, "SELECT COUNT(*) AS n, 'ignored' AS other FROM BPS_Patients", mode="scalar")
    assert orjson.loads(outcome.data) == [{"n": 4}]
    assert outcome.rows == 1
    assert outcome.columns == ["n"]


def test_scalar_of_no_rows_is_empty(engine):
    outcome = run(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = -1", mode="scalar")
    assert (outcome.rows, outcome.data) == (0, b"[]")


def test_scalar_renders_by_type(engine):
    outcome = run(engine, "SELECT Urgent FROM BPS_Appointments WHERE AppointmentID = 11", mode="scalar")
    assert orjson.loads(outcome.data) == [{"Urgent": True}]


def test_non_query_reports_rows_affected_and_no_data(engine):
    outcome = run(engine, "UPDATE PATIENTS SET EMAIL = 'x@example.com' WHERE SURNAME = 'smith'", mode="nonQuery")
    assert (outcome.rows, outcome.data, outcome.rows_affected) == (0, b"[]", 2)
    assert first(engine, "SELECT COUNT(*) FROM PATIENTS WHERE EMAIL = 'X@EXAMPLE.COM'") == 2


def test_non_query_select_reports_minus_one_like_execute_non_query(engine):
    outcome = run(engine, "SELECT * FROM BPS_Patients", mode="nonQuery")
    assert (outcome.rows, outcome.data, outcome.rows_affected) == (0, b"[]", -1)


def test_reader_of_a_write_returns_no_rows(engine):
    outcome = run(engine, "DELETE FROM APPOINTMENTS WHERE APPOINTMENTID = 13")
    assert (outcome.rows, outcome.data, outcome.rows_affected) == (0, b"[]", 1)


def test_insert_normalises_dates_bits_and_guids(engine):
    run(engine, "INSERT INTO APPOINTMENTS (APPOINTMENTID, INTERNALID, APPOINTMENTDATE, APPOINTMENTTIME, STATUS, "
                "URGENT, BOOKINGREF) VALUES (20, 2, '12/25/2026 10:00', 3600, N'Booked', 'true', "
                "'{6F9619FF-8B86-D011-B42D-00C04FC964FF}')", mode="nonQuery")
    raw = rows(engine, "SELECT APPOINTMENTDATE, URGENT, BOOKINGREF FROM APPOINTMENTS WHERE APPOINTMENTID = 20")
    assert raw == [{"APPOINTMENTDATE": "2026-12-25T00:00:00", "URGENT": True,
                    "BOOKINGREF": "6f9619ff-8b86-d011-b42d-00c04fc964ff"}]
    assert rows(engine, "SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate = '2026-12-25'") == [
        {"AppointmentID": 20}]


def test_update_normalises_assigned_dates(engine):
    run(engine, "UPDATE PATIENTS SET DOB = '20000229' WHERE INTERNALID = 4", mode="nonQuery")
    assert first(engine, "SELECT DOB FROM BPS_Patients WHERE InternalID = 4") == "2000-02-29T00:00:00"
    assert first(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB = '02/29/2000'") == 4


def test_insert_with_parameters(engine):
    params = [int_param("@id", 30), SqlParameter("@dob", "input", "Date", "1999-09-09"),
              SqlParameter("@first", "input", "NVarChar", "Łucja")]
    outcome = run(engine, "INSERT INTO PATIENTS (INTERNALID, FIRSTNAME, SURNAME, DOB) VALUES (@id, @first, 'New', "
                          "@dob)", mode="nonQuery", parameters=params)
    assert outcome.rows_affected == 1
    assert rows(engine, "SELECT Firstname, DOB FROM BPS_Patients WHERE InternalID = 30") == [
        {"Firstname": "Łucja", "DOB": "1999-09-09T00:00:00"}]


# -- names and catalogues ------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "BPS_Patients", "dbo.BPS_Patients", "[BPS_Patients]", "[dbo].[BPS_Patients]", "BPSPatients.dbo.BPS_Patients",
    "bpspatients.DBO.bps_patients", "BPSPATIENTS..BPS_PATIENTS", "[BPSPatients].[dbo].[BPS_Patients]",
])
def test_three_part_and_bracketed_names_are_case_insensitive(engine, name):
    assert first(engine, f"SELECT COUNT(*) FROM {name}") == 4


def test_other_catalogue_by_three_part_name(engine):
    assert first(engine, "SELECT COUNT(*) FROM BPSSamples.dbo.PATIENTS") == 2
    assert rows(engine, "SELECT p.Firstname FROM BPSSamples.dbo.BPS_Patients p ORDER BY p.InternalID") == [
        {"Firstname": "Sam"}, {"Firstname": "Sally"}]


def test_request_catalogue_changes_the_current_database(engine):
    assert first(engine, "SELECT COUNT(*) FROM BPS_Patients", catalogue="BPSSamples") == 2
    assert first(engine, "SELECT COUNT(*) FROM dbo.BPS_Patients", catalogue="bpssamples") == 2
    assert first(engine, "SELECT COUNT(*) FROM BPSPatients.dbo.BPS_Patients", catalogue="BPSSamples") == 4
    assert first(engine, "SELECT COUNT(*) FROM BPS_Patients", catalogue="BPSPatients") == 4


def test_cross_catalogue_join(engine):
    result = rows(engine, "SELECT s.Firstname FROM BPSSamples.dbo.PATIENTS s "
                          "JOIN BPSPatients.dbo.PATIENTS p ON p.SEXCODE = s.SEXCODE WHERE p.INTERNALID = 2")
    assert result == [{"Firstname": "Sam"}]


def test_identifiers_and_column_references_are_case_insensitive(engine):
    assert rows(engine, "select INTERNALID, bps_patients.firstname from BPS_PATIENTS where internalid = 2") == [
        {"INTERNALID": 2, "firstname": "Bob"}]


def test_three_part_column_references(engine):
    assert first(engine, "SELECT dbo.BPS_Patients.Firstname FROM dbo.BPS_Patients WHERE InternalID = 2") == "Bob"


def test_ctes_subqueries_and_unions(engine):
    sql = ("WITH recent AS (SELECT InternalID, MAX(AppointmentDate) AS LastVisit FROM BPS_Appointments "
           "GROUP BY InternalID) SELECT p.Firstname, r.LastVisit FROM BPS_Patients p JOIN recent r "
           "ON r.InternalID = p.InternalID WHERE r.LastVisit > '2020-01-01' ORDER BY p.Firstname")
    assert rows(engine, sql) == [{"Firstname": "Bob", "LastVisit": "2026-01-05T00:00:00"},
                                 {"Firstname": "Zoë", "LastVisit": "2026-01-06T00:00:00"}]
    union = rows(engine, "SELECT Firstname AS Name FROM BPS_Patients WHERE InternalID = 1 UNION ALL "
                         "SELECT Firstname FROM BPSSamples.dbo.BPS_Patients WHERE InternalID = 101")
    assert union == [{"Name": "Alice"}, {"Name": "Sam"}]
    nested = first(engine, "SELECT (SELECT COUNT(*) FROM BPS_Appointments a WHERE a.InternalID = p.InternalID) "
                           "FROM BPS_Patients p WHERE p.InternalID = 1")
    assert nested == 2


def test_top_offset_fetch_and_nolock(engine):
    assert [r["InternalID"] for r in rows(engine, "SELECT TOP (2) InternalID FROM BPS_Patients WITH (NOLOCK) "
                                                  "ORDER BY InternalID DESC")] == [4, 3]
    page = rows(engine, "SELECT InternalID FROM BPS_Patients ORDER BY InternalID OFFSET 1 ROWS FETCH NEXT 2 ROWS "
                        "ONLY")
    assert [r["InternalID"] for r in page] == [2, 3]
    top = rows(engine, "SELECT TOP (@n) InternalID FROM BPS_Patients ORDER BY InternalID",
               parameters=[int_param("@n", 3)])
    assert len(top) == 3


# -- writes, transactions and reset ----------------------------------------------------------

def test_writes_persist_until_reset(engine):
    run(engine, "UPDATE PATIENTS SET FIRSTNAME = 'Zelda' WHERE INTERNALID = 1", mode="nonQuery")
    run(engine, "DELETE FROM APPOINTMENTS", mode="nonQuery")
    assert first(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = 1") == "Zelda"
    assert first(engine, "SELECT COUNT(*) FROM APPOINTMENTS") == 0
    engine.reset()
    assert first(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = 1") == "Alice"
    assert first(engine, "SELECT COUNT(*) FROM APPOINTMENTS") == 4


def test_reset_restores_every_catalogue(engine):
    run(engine, "DELETE FROM BPSSamples.dbo.PATIENTS", mode="nonQuery")
    assert first(engine, "SELECT COUNT(*) FROM BPSSamples.dbo.PATIENTS") == 0
    engine.reset()
    assert first(engine, "SELECT COUNT(*) FROM BPSSamples.dbo.PATIENTS") == 2


def test_failed_write_changes_nothing(engine):
    with pytest.raises(SqlError) as caught:
        run(engine, "UPDATE PATIENTS SET INTERNALID = 2 WHERE INTERNALID IN (1, 3)", mode="nonQuery")
    assert caught.value.number == 2627
    assert first(engine, "SELECT COUNT(*) FROM PATIENTS WHERE INTERNALID IN (1, 3)") == 2


def test_engine_is_usable_from_several_threads(engine):
    results: list[int] = []

    def worker() -> None:
        for _ in range(50):
            results.append(first(engine, "SELECT COUNT(*) FROM BPS_Patients"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [4] * 200


# -- clock -------------------------------------------------------------------------------

def test_getdate_reads_the_injected_clock(engine):
    assert value(engine, "GETDATE()") == "2026-01-05T09:00:00"
    assert value(engine, "CURRENT_TIMESTAMP") == "2026-01-05T09:00:00"
    assert value(engine, "CAST(GETDATE() AS date)") == "2026-01-05T00:00:00"


def test_aware_clock_is_shown_in_practice_local_time():
    utc = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # 11:00 in Sydney (daylight saving)
    engine = mini_engine(now=lambda: utc)
    try:
        assert value(engine, "GETDATE()") == "2026-01-05T11:00:00"
        assert value(engine, "GETUTCDATE()") == "2026-01-05T00:00:00"
        assert value(engine, "SYSDATETIME()") == "2026-01-05T11:00:00"
    finally:
        engine.close()


def test_getdate_is_compared_like_a_datetime(engine):
    today = rows(engine, "SELECT AppointmentID FROM BPS_Appointments "
                         "WHERE AppointmentDate = CONVERT(date, GETDATE())")
    assert today == [{"AppointmentID": 12}]
    upcoming = rows(engine, "SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate >= GETDATE()")
    assert upcoming == [{"AppointmentID": 13}]  # 2026-01-05 00:00 < 09:00 on the same day


# -- translation cache -----------------------------------------------------------------------

def test_translation_cache_counts_hits_and_misses(engine):
    before = engine.cache_info()
    for _ in range(3):
        run(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = @id", parameters=[int_param("@id", 1)])
    run(engine, "SELECT Firstname FROM BPS_Patients WHERE InternalID = @id", parameters=[int_param("@id", 1)],
        catalogue="BPSSamples")
    after = engine.cache_info()
    assert after["misses"] - before["misses"] == 2
    assert after["hits"] - before["hits"] == 2
    assert after["size"] == before["size"] + 2


def test_translation_cache_is_bounded():
    engine = mini_engine(cache_size=3)
    try:
        for n in range(5):
            value(engine, str(n))
        assert engine.cache_info()["size"] == 3
        value(engine, "4")
        assert engine.cache_info()["hits"] == 1
        value(engine, "0")
        assert engine.cache_info()["misses"] == 6
    finally:
        engine.close()


def test_errors_are_not_cached(engine):
    for _ in range(2):
        with pytest.raises(SqlError):
            run(engine, "SELECT * FROM Nowhere")
    assert engine.cache_info()["size"] == 0


# -- opening ---------------------------------------------------------------------------------

def test_open_engine_uses_injected_templates():
    site = SiteConfig(id="b0586976-33f4-4d47-bc77-821ee9f45e34", name="Test",
                      catalogues=(Catalogue("BPSPatients", True), Catalogue("BPSSamples")))
    settings = Settings(sites=(site,))
    engine = open_engine(site, settings, now=lambda: FIXED_NOW, templates=mini_templates())
    try:
        assert first(engine, "SELECT COUNT(*) FROM BPS_Patients") == 4
        assert first(engine, "SELECT COUNT(*) FROM BPS_Patients", catalogue="BPSSamples") == 2
        assert sorted(engine.catalogues) == ["BPSDrugs", "BPSPatients", "BPSSamples"]  # BPSDrugs: every Bp site
    finally:
        engine.close()


def test_templates_are_not_modified_by_writes():
    templates = mini_templates()
    site = SiteConfig(id="b0586976-33f4-4d47-bc77-821ee9f45e34", name="Test",
                      catalogues=(Catalogue("BPSPatients", True), Catalogue("BPSSamples")))
    engine = open_engine(site, Settings(sites=(site,)), templates=templates)
    try:
        run(engine, "DELETE FROM APPOINTMENTS", mode="nonQuery")
    finally:
        engine.close()
    assert templates["BPSPatients"].execute("SELECT COUNT(*) FROM APPOINTMENTS").fetchone() == (4,)


def test_engines_over_one_schema_share_its_catalog_and_another_schema_gets_its_own():
    """Each site of a practice type has the same schema: it is read once, not once per engine;
    a schema that differs by one column is read again (never answered from the other's)."""
    images = {name: conn.serialize() for name, conn in mini_templates().items()}
    wider = mini_templates()
    wider["BPSPatients"].execute("ALTER TABLE PATIENTS ADD COLUMN NICKNAME nvarchar(20)")
    engines = [SqliteEngine(images, "BPSPatients", now=lambda: FIXED_NOW) for _ in range(2)]
    engines.append(SqliteEngine({name: conn.serialize() for name, conn in wider.items()}, "BPSPatients",
                                now=lambda: FIXED_NOW))
    try:
        same, twin, other = engines
        assert twin.catalog is same.catalog and other.catalog is not same.catalog
        assert first(other, "SELECT COUNT(NICKNAME) FROM PATIENTS") == 0
        assert "NICKNAME" in error(same, "SELECT NICKNAME FROM PATIENTS").message
    finally:
        for engine in engines:
            engine.close()


def test_closed_engine_refuses_commands(engine):
    engine.close()
    with pytest.raises(SqlError):
        run(engine, "SELECT 1 AS x")


def test_command_defaults_match_halos():
    command = SqlCommand(text="SELECT 1")
    assert (command.execution_mode, command.command_type, list(command.parameters), command.catalogue) == (
        "reader", "text", [], None)
    assert isinstance(sqlite3.sqlite_version, str)


# -- joined UPDATE / DELETE (T-SQL's FROM clause) ------------------------------------------------

def test_update_with_qualified_set_targets(engine):
    run(engine, "UPDATE PATIENTS SET PATIENTS.FIRSTNAME = 'X' WHERE PATIENTS.INTERNALID = 1", mode="nonQuery")
    assert first(engine, "SELECT FIRSTNAME FROM PATIENTS WHERE INTERNALID = 1") == "X"


def test_update_from_join_by_alias(engine):
    outcome = run(engine, "UPDATE p SET p.EMAIL = a.STATUS FROM PATIENTS p JOIN APPOINTMENTS a "
                          "ON a.INTERNALID = p.INTERNALID WHERE a.APPOINTMENTID = 13", mode="nonQuery")
    assert outcome.rows_affected == 1
    assert rows(engine, "SELECT INTERNALID, EMAIL FROM PATIENTS WHERE EMAIL = 'booked'") == [
        {"INTERNALID": 3, "EMAIL": "Booked"}]


def test_update_from_other_tables(engine):
    run(engine, "UPDATE APPOINTMENTS SET STATUS = 'Cancelled' FROM PATIENTS p "
                "WHERE p.INTERNALID = APPOINTMENTS.INTERNALID AND p.SURNAME = 'SMITH'", mode="nonQuery")
    assert [r["APPOINTMENTID"] for r in rows(engine, "SELECT APPOINTMENTID FROM APPOINTMENTS "
                                                     "WHERE STATUS = 'cancelled' ORDER BY 1")] == [10, 11]


def test_delete_alias_from_join(engine):
    outcome = run(engine, "DELETE a FROM APPOINTMENTS a INNER JOIN PATIENTS p ON p.INTERNALID = a.INTERNALID "
                          "WHERE p.FIRSTNAME = 'alice'", mode="nonQuery")
    assert outcome.rows_affected == 2
    assert [r["APPOINTMENTID"] for r in rows(engine, "SELECT APPOINTMENTID FROM APPOINTMENTS ORDER BY 1")] == [12, 13]

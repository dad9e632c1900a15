"""The translator: what SQLite SQL it produces, what it refuses, and its cache."""

from __future__ import annotations


import pytest
from sqlglot import exp

from mock_halo.sql import SqlError, SqlParameter
from mock_halo.sql.frontend import dialect
from mock_halo.sql.testing import mini_engine, run
from mock_halo.sql.frontend.script import Script, Statement


@pytest.fixture(scope="module")
def engine():
    engine = mini_engine()
    yield engine
    engine.close()


def sql_of(engine, text: str, catalogue: str | None = None) -> str:
    script = engine.translator.translate(text, catalogue)
    assert isinstance(script, Script) and len(script.statements) == 1
    return script.statements[0].sql


def test_string_plus_becomes_concatenation_when_types_are_known(engine):
    sql = sql_of(engine, "SELECT Firstname + ' ' + Surname AS n FROM BPS_Patients")
    assert "||" in sql and "+" not in sql


def test_plus_with_unknown_types_is_decided_at_run_time(engine):
    assert "MH_ADD(?1, ?2)" in sql_of(engine, "SELECT @a + @b AS x").upper()


def test_numeric_plus_stays_native(engine):
    assert "InternalID + 1" in sql_of(engine, "SELECT InternalID + 1 AS x FROM BPS_Patients")


def test_national_literals_become_plain_strings(engine):
    assert "N'" not in sql_of(engine, "SELECT N'Zoë' AS x")


def test_parameters_become_numbered_placeholders_once_per_name(engine):
    script = engine.translator.translate("SELECT @b AS b, @A AS a, @B AS again")
    statement = script.statements[0]
    assert statement.params == ("b", "a")
    assert statement.written == ("@b", "@A")
    assert "?1" in statement.sql and "?2" in statement.sql and "@" not in statement.sql


def test_date_literals_are_normalised_at_translation_time(engine):
    sql = sql_of(engine, "SELECT AppointmentID FROM BPS_Appointments WHERE AppointmentDate = '11/12/2018'")
    assert "'2018-11-12'" in sql
    sql = sql_of(engine, "SELECT InternalID FROM BPS_Patients WHERE DOB < '20000101'")
    assert "'2000-01-01T00:00:00'" in sql


def test_three_part_names_map_to_sqlite_schemas(engine):
    assert '"main".BPS_Patients' in sql_of(engine, "SELECT 1 AS x FROM BPSPatients.dbo.BPS_Patients")
    assert '"BPSSamples".PATIENTS' in sql_of(engine, "SELECT 1 AS x FROM BPSSamples.dbo.PATIENTS")
    assert '"BPSSamples".PATIENTS' in sql_of(engine, "SELECT 1 AS x FROM dbo.PATIENTS", catalogue="BPSSamples")


def test_table_hints_are_dropped(engine):
    assert "NOLOCK" not in sql_of(engine, "SELECT 1 AS x FROM BPS_Patients WITH (NOLOCK)").upper()


def test_string_comparisons_without_a_column_are_case_insensitive(engine):
    assert "COLLATE MH_CI" in sql_of(engine, "SELECT 1 AS x WHERE UPPER('a') = 'A'")


def test_empty_batch_translates_to_nothing(engine):
    assert engine.translator.translate("  -- just a comment\n").statements == ()
    outcome = run(engine, "/* nothing */")
    assert (outcome.rows, outcome.data, outcome.rows_affected) == (0, b"[]", -1)


def test_nothing_translates_to_an_empty_or_fallback_statement(engine):
    """sqlglot turns some statements into ``exp.Command`` or '' with only a warning: every one is refused."""
    for text in ["EXEC sp_who", "EXECUTE ('SELECT 1')", "GRANT SELECT ON PATIENTS TO x", "DBCC CHECKDB",
                 "BACKUP DATABASE BPSPatients TO DISK = 'x'", "SHUTDOWN", "KILL 5", "WAITFOR DELAY '00:00:01'",
                 "REVERT", "CHECKPOINT"]:
        with pytest.raises(SqlError):
            engine.translator.translate(text)


def test_every_parsed_statement_kind_is_checked():
    """A Command node anywhere (not only at the top) is refused."""
    tree = dialect.parse("SELECT 1")[0]
    tree.set("where", exp.Where(this=exp.Command(this="VACUUM")))
    from mock_halo.sql.frontend import unsupported

    with pytest.raises(SqlError):
        unsupported.check(tree)


def test_script_and_statement_are_the_batch_interpreters_seam(engine):
    script = engine.translator.translate("UPDATE PATIENTS SET EMAIL = @e WHERE INTERNALID = 1")
    statement = script.statements[0]
    assert isinstance(statement, Statement)
    assert statement.verb == "update" and statement.target is not None and statement.target.name == "PATIENTS"
    assert script.writes


def test_cache_is_keyed_by_text_and_catalogue():
    engine = mini_engine()
    try:
        a = engine.translator.translate("SELECT COUNT(*) AS n FROM BPS_Patients")
        b = engine.translator.translate("SELECT COUNT(*) AS n FROM BPS_Patients", "BPSSamples")
        c = engine.translator.translate("SELECT COUNT(*) AS n FROM BPS_Patients")
        assert a is c and a is not b
        assert a.statements[0].sql != b.statements[0].sql
        assert engine.cache_info() == {"hits": 1, "misses": 2, "size": 2, "maxsize": 1024}
    finally:
        engine.close()

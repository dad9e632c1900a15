"""tests/test_tsql_precedence.py (text compared with a number) on a real PostgreSQL.

Its tests are imported, not copied, and run here with ``engine`` a :class:`Twin`: every statement runs on
PostgreSQL and on the embedded engine, which must give the same bytes (``data``, column names, row
count), or both the same SQL Server error (number and message); the test's own assertions then check PostgreSQL's
answer against the expectations derived from the raw rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest

import test_tsql_corpus as corpus
import test_tsql_precedence as precedence
from pg_support import pg_dsn  # noqa: F401 - a fixture
from test_tsql_corpus_postgres import corpus_dsn, embedded, pg_engine  # noqa: F401 - fixtures
from mock_halo.sql import SqlError
from mock_halo.sql.frontend import precedence as rules
from mock_halo.sql.model import SqlParameter

#: The precedence module's tests, collected here too (with this module's ``engine``).
TESTS = {name: fn for name, fn in vars(precedence).items()
         if name.startswith("test_") and callable(fn) and fn.__module__ == precedence.__name__}
globals().update(TESTS)


def _facts(message: str) -> str:
    """A message without the row value a row-by-row conversion failed on: which row an engine reads first is
    not defined (SQL Server's own order depends on the plan), everything else must be the same."""
    return re.sub(r"(value )'.*'( (to|overflowed))", r"\1'...'\2", message)


class Twin:
    """An engine that runs each command on PostgreSQL and on the embedded engine and insists they agree."""

    def __init__(self, postgres, embedded) -> None:
        self.postgres, self.embedded = postgres, embedded

    def execute(self, command):
        try:
            same = self.embedded.execute(command)
        except SqlError as expected:
            with pytest.raises(SqlError) as caught:
                self.postgres.execute(command)
            assert (caught.value.number, _facts(caught.value.message)) == (expected.number, _facts(expected.message)), \
                command.text
            raise caught.value from None
        got = self.postgres.execute(command)
        assert (got.data, got.columns, got.rows) == (same.data, same.columns, same.rows), command.text
        return got


@pytest.fixture(scope="module")
def engine(pg_engine, embedded) -> Iterator[Twin]:  # noqa: F811 - fixtures
    yield Twin(pg_engine, embedded)


def test_every_precedence_test_runs_here():
    assert len(TESTS) >= 8 and all(globals()[name] is fn for name, fn in TESTS.items())


def test_the_twin_notices_a_difference(pg_engine, embedded):  # noqa: F811 - fixtures
    """The comparison can fail: two statements with different answers are caught."""
    class Shifted:
        def execute(self, command):
            return pg_engine.execute(dataclasses.replace(command, text=command.text.replace("< 300", "< 3000")))

    with pytest.raises(AssertionError):
        precedence.rows(Twin(Shifted(), embedded), "SELECT INTERNALID FROM PATIENTS WHERE POSTCODE < 300")


def test_fixture_is_the_corpus():
    assert precedence.PATIENTS is corpus.T["PATIENTS"]


@pytest.mark.parametrize("where", ["POSTCODE < @p", "POSTCODE IN (@p, '2511')", "@p >= POSTCODE"])
def test_text_column_against_an_int_parameter_agrees(engine, where):
    """Both engines compare a text column with a numeric parameter as text for now (README: "Not yet"); PostgreSQL
    used to refuse it (402, rtrim(integer)) because the parameter is bound as an integer."""
    params = [SqlParameter("@p", type="Int", value="3000")]
    got = precedence.rows(engine, f"SELECT INTERNALID FROM PATIENTS WHERE {where} ORDER BY INTERNALID",
                          parameters=params)
    assert isinstance(got, list)


def test_a_typing_rule_changed_in_the_front_end_is_followed_by_both_engines(pg_engine, embedded, monkeypatch):  # noqa: F811
    """SQL Server's precedence rules live once, in the front end (``frontend.precedence``), not in a back end: a
    rule changed there is what both engines do. Here text meeting an int would convert to float instead."""
    engines = (pg_engine, embedded)
    for engine in engines:
        engine.translator.clear()
    monkeypatch.setattr(rules, "target", lambda kind, decl: "float")
    try:
        for engine in engines:
            with pytest.raises(SqlError) as caught:
                precedence.rows(engine, "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = 0")
            assert (caught.value.number, caught.value.message) == (8114, "Error converting data type varchar to "
                                                                          "float.")
    finally:
        for engine in engines:
            engine.translator.clear()

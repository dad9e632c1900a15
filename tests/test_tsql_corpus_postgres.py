"""The T-SQL corpus (tests/test_tsql_corpus.py and test_tsql_corpus_batches.py) on a real PostgreSQL.

The cases (and the discovery corpus, test_tsql_discovery.py) are imported, not copied: every read case must give its independently derived expected
rows on PostgreSQL too, and (unless it is random by design) exactly the bytes the embedded engine
gives (``data``, column names, row count). The corpus's other tests (request parameters, writes,
stored procedures, TRY/CATCH) are run as they are, with the PostgreSQL engine as their ``reader`` /
``writer``; a writer runs on a copy of the loaded data of its own.

Differences from SQL Server that the corpus exposes are listed in :data:`EXCEPTIONS` with the
reason (and in the README's fidelity table): each is an expected failure, strict, so a fix shows.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import orjson
import pytest

import test_tsql_corpus as corpus
import test_tsql_corpus_batches as batches
import test_tsql_discovery as discovery
import test_tsql_corpus_integrations as integrations
import test_tsql_integration_syntax as syntax
from pg_support import own_database, pg_dsn, template_database  # noqa: F401 - pg_dsn is a fixture
from mock_halo.odbc.pg_load import load_postgres
from mock_halo.odbc.postgres import PostgresEngine, open_postgres
from mock_halo.sql.testing import FIXED_NOW, run

MODULES = {"corpus": corpus, "batches": batches, "discovery": discovery, "syntax": syntax,
           "integrations": integrations}
#: Corpus cases ("module:case") whose PostgreSQL result is known to differ, with the reason (README fidelity).
EXCEPTIONS: dict[str, str] = {}
#: Corpus tests (other than the read cases) known to fail on PostgreSQL, with the reason.
TEST_EXCEPTIONS: dict[str, str] = {}
#: Read cases whose bytes legitimately differ between two runs (NEWID(), RAND()).
RANDOM = frozenset({"corpus:rand_is_registered", "corpus:newid_is_a_fresh_guid"})
#: Module-level checks of the corpus itself (they take no engine).
NOT_ENGINE_TESTS = frozenset({"test_read", "test_corpus_size", "test_batch_corpus_size", "test_discovery_corpus_size",
                              "test_discovery_follows_the_live_schema", "test_syntax_corpus_size",
                              "test_integration_corpus_size",
                              # errors the front end raises before any engine runs
                              "test_sql_server_errors", "test_not_supported_names_the_construct"})

READ_CASES = sorted(f"{label}:{name}" for label, module in MODULES.items() for name in module.CASES)
OTHER_TESTS = sorted(f"{label}:{name}" for label, module in MODULES.items() for name, fn in vars(module).items()
                     if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", "") ==
                     module.__name__ and list(inspect.signature(fn).parameters) in (["reader"], ["writer"]))


def _load(dsn: str) -> None:
    load_postgres(dsn, ["BPSPatients", "BPSDrugs"], templates={"BPSPatients": corpus._TEMPLATE,
                                                                "BPSDrugs": corpus._DRUGS})


def corpus_template(pg_dsn: str) -> str:  # noqa: F811 - pg_dsn's value
    """The corpus's data loaded in a database of this worker's, once: each user gets a copy."""
    return template_database(pg_dsn, "corpus", _load)


@pytest.fixture(scope="module")
def corpus_dsn(pg_dsn: str) -> Iterator[str]:  # noqa: F811 - the pg_dsn fixture
    with own_database(pg_dsn, "corpus", template=corpus_template(pg_dsn)) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def pg_engine(corpus_dsn: str) -> Iterator[PostgresEngine]:
    engine = open_postgres(corpus_dsn, ["BPSPatients", "BPSDrugs"], now=lambda: FIXED_NOW)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def embedded():
    engine = corpus._engine()
    yield engine
    engine.close()


@pytest.mark.parametrize("name", READ_CASES)
def test_read_on_postgres(pg_engine, embedded, name, request):
    label, case = name.split(":")
    module = MODULES[label]
    if name in EXCEPTIONS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=EXCEPTIONS[name]))
    elif case in getattr(module, "XFAIL", {}):
        request.applymarker(pytest.mark.xfail(strict=False, reason=module.XFAIL[case]))
    sql, expected = module.CASES[case](corpus.T)
    got = run(pg_engine, sql)
    assert orjson.loads(got.data) == expected
    if name not in RANDOM:
        same = run(embedded, sql)
        assert (got.data, got.columns, got.rows) == (same.data, same.columns, same.rows)


@pytest.mark.parametrize("name", OTHER_TESTS)
def test_corpus_test_on_postgres(pg_dsn, pg_engine, name, request):  # noqa: F811 - fixtures
    if name in TEST_EXCEPTIONS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=TEST_EXCEPTIONS[name]))
    label, test_name = name.split(":")
    test = getattr(MODULES[label], test_name)
    if list(inspect.signature(test).parameters) != ["writer"]:
        test(pg_engine)
        return
    with own_database(pg_dsn, "corpus_writer", template=corpus_template(pg_dsn)) as dsn:  # its own copy of the data
        writer = open_postgres(dsn, ["BPSPatients", "BPSDrugs"], now=lambda: FIXED_NOW)
        try:
            test(writer)
        finally:
            writer.close()


def test_every_corpus_test_is_run_here():
    """A corpus test with another signature would be silently skipped here: fail instead."""
    skipped = [f"{label}:{name}" for label, module in MODULES.items() for name, fn in vars(module).items()
               if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", "") == module.__name__
               and f"{label}:{name}" not in OTHER_TESTS and name not in NOT_ENGINE_TESTS]
    assert skipped == []
    assert len(OTHER_TESTS) >= 20 and len(READ_CASES) >= 120

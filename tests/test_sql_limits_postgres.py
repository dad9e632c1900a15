"""tests/test_sql_limits.py's string-builder and parameter limits on a real PostgreSQL.

The tests are imported, not copied, and run with ``engine`` a :class:`Twin` (every statement on
PostgreSQL and on the embedded engine, which must agree byte for byte, or give the same SQL Server
error). On PostgreSQL, REPLICATE('ab', 2000000000) was "requested length too large", the other
builders were never cut, SPACE(-1) was '' and a Float parameter in a sum had no mock_halo.add.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import test_sql_limits as limits
from pg_support import pg_dsn  # noqa: F401 - a fixture
from test_tsql_corpus_postgres import corpus_dsn, embedded, pg_engine  # noqa: F401 - fixtures
from test_tsql_precedence_postgres import Twin

#: The engine-level limit tests that hold on every engine, collected here with this module's ``engine``.
NAMES = ("test_string_builders_truncate_at_8000_bytes_unless_max",
         "test_replicate_of_a_parameter_is_nvarchar_4000_unless_longer",
         "test_joining_a_parameter_is_cut_as_sql_server_types_it",
         "test_adding_parameters_that_are_numbers_is_unchanged_by_string_types",
         "test_string_builders_give_null_for_a_negative_or_null_count",
         "test_joining_columns_within_the_limit_is_unchanged",
         "test_max_strings_up_to_the_bound_are_built",
         "test_summing_fifty_parameters_works",
         "test_numbers_past_their_dotnet_type_are_conversion_errors")
globals().update({name: getattr(limits, name) for name in NAMES})


@pytest.fixture(scope="module")
def engine(pg_engine, embedded) -> Iterator[Twin]:  # noqa: F811 - fixtures
    yield Twin(pg_engine, embedded)


@pytest.mark.parametrize("expression", limits.PAST_THE_BOUND[:2])
def test_replicate_of_a_max_string_past_the_bound_is_7119(engine, expression):
    """PostgreSQL's own bound is 1 GB; mock_halo.replicate refuses past the embedded engine's 64 MiB."""
    limits.test_max_strings_past_64_mib_are_error_7119_not_gigabytes(engine, expression)

"""The emulator's own readers (the FHIR facade) take a result's rows without the round trip through
JSON: what they get is exactly what a client decodes from Halo's ``data`` for the same rows."""

from __future__ import annotations

import math

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_halo.sql import SqlCommand
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.encode import Encoder

KINDS = [K.INT, K.DEC, K.STR, K.DATE, K.DATETIME, K.TIME, K.BIT, K.GUID, K.BIN, K.UNKNOWN]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.binary(max_size=8),
    st.sampled_from(["2024-08-19", "2024-08-19 11:51:00", "2024-08-19T11:51:00.123", "0", "false", " "]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.datetimes(), st.dates(),
)


def same(a, b) -> bool:
    """Equal, NaN included (a float NaN never reaches a client: JSON has none)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5).flatmap(
    lambda kinds: st.tuples(st.just(kinds), st.lists(st.tuples(*[VALUES] * len(kinds)), max_size=4))))
def test_decoded_rows_are_what_the_json_decodes_to(case):
    kinds, rows = case
    encoder = Encoder([f"c{i}" for i in range(len(kinds))], kinds)
    decoded = encoder.decoded(rows)
    expected = orjson.loads(encoder.encode(rows))
    assert [list(row) for row in decoded] == [list(row) for row in expected]
    for got, want in zip(decoded, expected, strict=True):
        assert all(same(got[key], want[key]) for key in want), (got, want)


def test_a_tabular_read_gives_the_rows_and_json_the_same_values(engine):
    """Through the embedded engine: the same SELECT read as Halo's JSON and as rows (with a bit,
    a date, a datetime, binary, a float and an unnamed column) gives equal row objects."""
    text = ("SELECT TOP 3 INTERNALID, CAST(1 AS bit) AS b, DOB, CAST(DOB AS date) AS d, CAST('ab' AS varbinary(4)) AS v, "
            "CAST(INTERNALID AS float) / 3 AS f, SURNAME + '!', NULL AS n FROM PATIENTS ORDER BY INTERNALID")
    as_json = engine.execute(SqlCommand(text=text))
    as_rows = engine.execute(SqlCommand(text=text, tabular=True))
    assert as_rows.data == b"" and as_rows.rows == as_json.rows == 3
    encoder, rows = as_rows.table
    assert encoder.decoded(rows) == orjson.loads(as_json.data)
    assert list(encoder.names) == as_json.columns == as_rows.columns

"""Text compared and sorted as under SQL Server's default collation beyond ASCII: Unicode case folding, trailing
spaces, accented letters next to their base letter.
"""

from __future__ import annotations

import pytest

from mock_halo.sql.testing import rows


@pytest.mark.parametrize("text", [
    "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = 'ZOË'",
    "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = N'zoë  '",
    "SELECT INTERNALID FROM PATIENTS WHERE N'ÉMILE' = SURNAME",
    "SELECT INTERNALID FROM PATIENTS WHERE SURNAME IN (N'émile', 'nobody')",
    "SELECT InternalID AS INTERNALID FROM BPS_Patients WHERE Surname = N'ÉMILE'",
    "DECLARE @f NVARCHAR(20) = N'ZOË'; SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = @f",
    "SELECT INTERNALID FROM PATIENTS WHERE UPPER(FIRSTNAME) = N'zoë' AND LOWER(SURNAME) = N'ÉMILE'",
])
def test_non_ascii_text_compares_case_insensitively_with_columns(engine, text):
    assert rows(engine, text) == [{"INTERNALID": 3}]


def test_parameters_pick_the_unicode_variant_only_when_needed(engine):
    from mock_halo.sql import SqlParameter

    text = "SELECT INTERNALID FROM PATIENTS WHERE FIRSTNAME = @n"
    for value, expected in [("ZOË", 3), ("alice", 1), ("ALICE ", 1)]:
        got = rows(engine, text, parameters=[SqlParameter(name="@n", value=value)])
        assert got == [{"INTERNALID": expected}], value
    statement = engine.translator.translate(text).statements[0]
    assert "MH_CI" not in statement.sql and "COLLATE MH_CI" in statement.sql_unicode
    assert engine.translator.translate("SELECT 1 FROM PATIENTS WHERE INTERNALID = @n").statements[0].sql_unicode \
        is None


def test_order_by_a_text_expression_sorts_accents_next_to_their_letter(engine):
    text = ("DECLARE @t TABLE (n NVARCHAR(10)); INSERT INTO @t VALUES ('b'), ('Åsa'), ('c'), ('Anna'); "
            "SELECT UPPER(n) AS u FROM @t ORDER BY u")
    assert [r["u"] for r in rows(engine, text)] == ["ANNA", "ÅSA", "B", "C"]
    text = "SELECT FIRSTNAME FROM PATIENTS ORDER BY FIRSTNAME + '' DESC"
    assert [r["FIRSTNAME"] for r in rows(engine, text)] == ["Zoë", "Dan", "Carol", "Bob", "Alice"]

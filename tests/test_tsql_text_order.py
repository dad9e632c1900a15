"""ORDER BY a text column on the embedded engine: SQL Server's CI_AS order once the column holds non-ASCII text.

SQLite's NOCASE (which the catalogues' text columns and indexes use) orders by bytes after folding ASCII
letters, so 'Émond' would sort after 'Zimmer'; SQL Server's default collation puts it with the E's. While a
column holds only ASCII text the two orders agree and the engine keeps NOCASE (an index can give the order);
after a write brings non-ASCII text the statement sorts with SQL Server's order. Expected orders come from a
hand-written model of the collation over the raw rows, not from the engine.
"""

from __future__ import annotations

import pytest

import test_tsql_corpus as corpus
from mock_halo.sql.testing import rows
from test_tsql_corpus import T

#: The accented letters these tests write, and the letter SQL Server's CI_AS sorts each next to.
BASE_LETTER = {"É": "e", "é": "e", "Ö": "o", "ö": "o", "Å": "a", "å": "a"}


def collation_key(text: str) -> tuple[str, str]:
    """CI_AS for these names: case folded, an accented letter right after its base letter."""
    folded = text.rstrip(" ").lower()
    return "".join(BASE_LETTER.get(ch, ch) for ch in folded), folded


@pytest.fixture()
def engine():
    engine = corpus._engine()
    yield engine
    engine.close()


def surnames(engine, sql: str) -> list[str]:
    return [next(iter(row.values())) for row in rows(engine, sql)]


def rename(engine, renames: dict[int, str]) -> dict[int, str]:
    for internal_id, surname in renames.items():
        rows(engine, f"UPDATE PATIENTS SET SURNAME = N'{surname}' WHERE INTERNALID = {internal_id}", mode="writer")
    names = {p["INTERNALID"]: p["SURNAME"] for p in T["PATIENTS"]}
    names.update(renames)
    return names


def test_ascii_order_is_unchanged(engine):
    expected = sorted((p["SURNAME"] for p in T["PATIENTS"]), key=collation_key)
    assert surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME") == expected


def test_accented_surnames_sort_next_to_their_base_letter(engine):
    first = sorted(p["INTERNALID"] for p in T["PATIENTS"])[:3]
    assert surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME")  # answered while all ASCII (cached)
    names = rename(engine, {first[0]: "Émond", first[1]: "öhman", first[2]: "Åberg"})
    expected = sorted(names.values(), key=collation_key)
    assert expected.index("Émond") < len(expected) - 1 and expected[0] == "Åberg"  # not last, as bytes would put it
    assert surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME") == expected
    assert surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME DESC") == \
        sorted(names.values(), key=collation_key, reverse=True)
    assert surnames(engine, "SELECT TOP 5 SURNAME FROM PATIENTS ORDER BY SURNAME") == expected[:5]
    assert surnames(engine, "SELECT SURNAME AS s FROM PATIENTS p ORDER BY s") == expected
    assert surnames(engine, "SELECT p.SURNAME FROM PATIENTS p ORDER BY p.SURNAME") == expected


def test_reset_returns_to_the_ascii_order(engine):
    first = min(p["INTERNALID"] for p in T["PATIENTS"])
    rename(engine, {first: "Émond"})
    assert "Émond" in surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME")
    engine.reset()
    assert engine._batch.sort_cache == {}  # the "holds non-ASCII text" answers were about the old data
    expected = sorted((p["SURNAME"] for p in T["PATIENTS"]), key=collation_key)
    assert surnames(engine, "SELECT SURNAME FROM PATIENTS ORDER BY SURNAME") == expected


def test_temp_table_and_cte_columns_sort_like_sql_server(engine):
    names = ["Zimmer", "Émond", "Ewing", "ebert", "Adams", "Öberg", "Oakes"]
    values = ", ".join(f"(N'{n}')" for n in names)
    sql = (f"CREATE TABLE #n (name nvarchar(30));\nINSERT INTO #n VALUES {values};\n"
           "SELECT name FROM #n ORDER BY name")
    assert surnames(engine, sql) == sorted(names, key=collation_key)
    union = " UNION ALL ".join(f"SELECT N'{n}'" for n in names)
    sql = f"WITH n (name) AS ({union}) SELECT name FROM n ORDER BY name DESC"
    assert surnames(engine, sql) == sorted(names, key=collation_key, reverse=True)


def test_all_ascii_column_keeps_nocase_and_its_index(engine):
    script = engine.translator.translate("SELECT TOP 5 SURNAME FROM PATIENTS ORDER BY SURNAME", "BPSPatients")
    (statement,) = script.statements
    assert "MH_CI" not in statement.sql and "COLLATE MH_CI" in statement.sql_sorted
    assert len(statement.sort_checks) == 1
    plan = " ".join(row[3] for row in engine._conn.execute("EXPLAIN QUERY PLAN " + statement.sql))
    assert "TEMP B-TREE" not in plan  # the NOCASE index gives the order; no sort

"""T-SQL forms seen in real integrations: table value constructors in FROM / JOIN, CROSS APPLY (VALUES ...),
FOR XML PATH('') string aggregation with STUFF, a bare procedure name as the batch's first statement, USE, and
SQL Server's own errors for ODBC ``?`` markers, garbage and cursors.

Expected rows are derived from the raw tables of the corpus practice (``test_tsql_corpus.T``); the read cases
also run on PostgreSQL (``test_tsql_corpus_postgres.py``), byte for byte.
"""

from __future__ import annotations

import pytest

import test_tsql_corpus as corpus
from mock_halo.sql import SqlError
from mock_halo.sql.testing import rows, run

reader = corpus.reader
T = corpus.T
PATIENTS = sorted(corpus.PATIENTS, key=lambda p: p["INTERNALID"])
USERS = sorted(T["USERS"], key=lambda u: u["USERID"])
CASES: dict = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@case
def values_table_in_from(t):
    sql = "SELECT v.code, v.label FROM (VALUES (1, 'Booked'), (10, N'Did not attend')) AS v(code, label) ORDER BY v.code"
    return sql, [{"code": 1, "label": "Booked"}, {"code": 10, "label": "Did not attend"}]


@case
def values_table_joined_to_decode_sex(t):
    first = PATIENTS[:6]
    sql = ("SELECT p.INTERNALID, s.label FROM PATIENTS AS p INNER JOIN (VALUES (1, 'Male'), (2, 'Female')) "
           f"AS s(code, label) ON s.code = p.SEXCODE WHERE p.INTERNALID <= {first[-1]['INTERNALID']} "
           "AND p.RECORDSTATUS = 1 ORDER BY p.INTERNALID")
    labels = {1: "Male", 2: "Female"}
    return sql, [{"INTERNALID": p["INTERNALID"], "label": labels[p["SEXCODE"]]} for p in first
                 if p["SEXCODE"] in labels]


@case
def values_list_of_ids_left_joined(t):
    ids = [PATIENTS[0]["INTERNALID"], PATIENTS[1]["INTERNALID"], 999999]
    sql = ("SELECT ids.id, p.SURNAME FROM (VALUES " + ", ".join(f"({i})" for i in ids) + ") AS ids(id) "
           "LEFT JOIN PATIENTS p ON p.INTERNALID = ids.id ORDER BY ids.id")
    by_id = {p["INTERNALID"]: p for p in T["PATIENTS"]}
    return sql, [{"id": i, "SURNAME": by_id[i]["SURNAME"] if i in by_id else None} for i in sorted(ids)]


@case
def cross_apply_values_unpivots_phones(t):
    chosen = PATIENTS[:5]
    sql = ("SELECT p.INTERNALID, ph.kind, ph.number FROM PATIENTS p CROSS APPLY (VALUES ('home', p.HOMEPHONE), "
           "('work', p.WORKPHONE), ('mobile', p.MOBILEPHONE)) AS ph(kind, number) "
           f"WHERE p.INTERNALID <= {chosen[-1]['INTERNALID']} AND p.RECORDSTATUS = 1 AND ph.number IS NOT NULL "
           "AND ph.number <> '' ORDER BY p.INTERNALID, ph.kind")
    expected = []
    for p in chosen:
        for kind, column in sorted((("home", "HOMEPHONE"), ("work", "WORKPHONE"), ("mobile", "MOBILEPHONE"))):
            if p[column]:
                expected.append({"INTERNALID": p["INTERNALID"], "kind": kind, "number": p[column]})
    return sql, expected


@case
def cross_apply_values_counts(t):
    sql = ("SELECT x.part, COUNT(*) AS n FROM PATIENTS p CROSS APPLY (VALUES ('first', p.FIRSTNAME), "
           "('last', p.SURNAME)) x(part, name) WHERE p.RECORDSTATUS = 1 GROUP BY x.part ORDER BY x.part")
    return sql, [{"part": "first", "n": len(PATIENTS)}, {"part": "last", "n": len(PATIENTS)}]


@case
def stuff_for_xml_path_surnames(t):
    chosen = PATIENTS[:4]
    sql = ("SELECT STUFF((SELECT ', ' + RTRIM(SURNAME) FROM PATIENTS WHERE RECORDSTATUS = 1 AND INTERNALID <= "
           f"{chosen[-1]['INTERNALID']} ORDER BY INTERNALID FOR XML PATH('')), 1, 2, '') AS names")
    return sql, [{"names": xml_text(", ".join(p["SURNAME"].rstrip() for p in chosen))}]


@case
def stuff_for_xml_path_type_value_per_user(t):
    users = [u for u in USERS if u["USERID"] > 0][:3]
    sql = ("SELECT u.USERID, STUFF((SELECT ',' + CAST(a.APPOINTMENTCODE AS VARCHAR(10)) FROM APPOINTMENTS a "
           "WHERE a.USERID = u.USERID AND a.RECORDSTATUS = 1 GROUP BY a.APPOINTMENTCODE ORDER BY a.APPOINTMENTCODE "
           "FOR XML PATH(''), TYPE).value('.', 'NVARCHAR(MAX)'), 1, 1, '') AS codes FROM USERS u "
           f"WHERE u.USERID IN ({', '.join(str(u['USERID']) for u in users)}) ORDER BY u.USERID")
    codes = {}
    for a in corpus.APPOINTMENTS:
        codes.setdefault(a["USERID"], set()).add(a["APPOINTMENTCODE"])
    return sql, [{"USERID": u["USERID"], "codes": ",".join(str(c) for c in sorted(codes[u["USERID"]]))
                  if u["USERID"] in codes else None} for u in users]


@case
def distinct_for_xml_path(t):
    sql = ("SELECT STUFF((SELECT DISTINCT '; ' + RTRIM(POSTCODE) FROM PATIENTS WHERE RECORDSTATUS = 1 "
           "AND POSTCODE IS NOT NULL ORDER BY '; ' + RTRIM(POSTCODE) FOR XML PATH('')), 1, 2, '') AS postcodes")
    codes = sorted({p["POSTCODE"].rstrip() for p in PATIENTS if p["POSTCODE"] is not None})
    return sql, [{"postcodes": xml_text("; ".join(codes)) if codes else None}]


@case
def for_xml_path_escapes_and_names_elements(t):
    chosen = PATIENTS[:2]
    sql = ("SELECT (SELECT '<' + RTRIM(SURNAME) + '&' FROM PATIENTS WHERE RECORDSTATUS = 1 AND INTERNALID <= "
           f"{chosen[-1]['INTERNALID']} ORDER BY INTERNALID FOR XML PATH('')) AS text, "
           "(SELECT RTRIM(FIRSTNAME) AS f FROM PATIENTS WHERE RECORDSTATUS = 1 AND INTERNALID <= "
           f"{chosen[-1]['INTERNALID']} ORDER BY INTERNALID FOR XML PATH('')) AS elements, "
           "(SELECT SURNAME FROM PATIENTS WHERE INTERNALID < 0 FOR XML PATH('')) AS no_rows")
    return sql, [{"text": "".join(xml_text("<" + p["SURNAME"].rstrip() + "&") for p in chosen),
                  "elements": "".join(f"<f>{xml_text(p['FIRSTNAME'].rstrip())}</f>" for p in chosen),
                  "no_rows": None}]


@case
def bare_procedure_name_runs_it(t):
    sql = "BP_GetAllUsers"
    expected = rows_of_procedure("EXEC BP_GetAllUsers")
    return sql, expected


@case
def bare_procedure_with_arguments(t):
    day = corpus.common_date()
    user = sorted({a["USERID"] for a in corpus.APPOINTMENTS if a["APPOINTMENTDATE"][:10] == day})[0]
    return f"[dbo].[BP_IsAppointmentBooked] {user}, '{day}', 32400", \
        rows_of_procedure(f"EXEC dbo.BP_IsAppointmentBooked {user}, '{day}', 32400")


@case
def use_switches_the_database(t):
    return ("USE BPSDrugs; SELECT COUNT(*) AS n FROM VACCINES", [{"n": len(corpus.VACCINE)}])


@case
def use_then_three_part_names(t):
    return ("USE [BPSDrugs]\nSELECT COUNT(*) AS n FROM BPSPatients.dbo.PATIENTS WHERE RECORDSTATUS = 1",
            [{"n": len(PATIENTS)}])


_PROCEDURE_ROWS: dict[str, list] = {}


def rows_of_procedure(sql: str) -> list:
    """A procedure's rows through the EXEC form (the bare form must give the same)."""
    if sql not in _PROCEDURE_ROWS:
        engine = corpus._engine()
        try:
            _PROCEDURE_ROWS[sql] = rows(engine, sql)
        finally:
            engine.close()
    return _PROCEDURE_ROWS[sql]


@pytest.mark.parametrize("name", sorted(CASES))
def test_read(reader, name):
    sql, expected = CASES[name](T)
    assert rows(reader, sql) == expected


def test_syntax_corpus_size():
    assert len(CASES) >= 12


@pytest.mark.parametrize(("sql", "number", "message"), [
    ("SELECT * FROM PATIENTS WHERE INTERNALID = ?", 102, "Incorrect syntax near '?'."),
    ("SELECT SURNAME FROM PATIENTS WHERE SURNAME LIKE ? AND FIRSTNAME = ?", 102, "Incorrect syntax near '?'."),
    ("asdf qwer zxcv", 2812, "Could not find stored procedure 'asdf'."),
    ("SELEC 1", 2812, "Could not find stored procedure 'SELEC'."),
    ("!!!", 102, "Incorrect syntax near '!'."),
    ("USE Nope; SELECT 1 AS x", 911, "Database 'Nope' does not exist. Make sure that the name is entered correctly."),
    ("SELECT * FROM (VALUES (1, 2), (3)) AS t(a, b)", 10709,
     "The number of columns for each row in a table value constructor must be the same."),
    ("SELECT * FROM (VALUES (1, 2)) AS t(a)", 8158, "'t' has more columns than were specified in the column list."),
    ("SELECT * FROM (VALUES (1)) AS t(a, b)", 8159, "'t' has fewer columns than were specified in the column list."),
    ("SELECT * FROM (VALUES (1, 2)) AS t", 8155, "No column name was specified for column 1 of 't'."),
])
def test_sql_server_errors(reader, sql, number, message):
    with pytest.raises(SqlError) as info:
        run(reader, sql)
    assert (info.value.number, info.value.message) == (number, message)


@pytest.mark.parametrize(("sql", "construct"), [
    ("DECLARE c CURSOR FOR SELECT INTERNALID FROM PATIENTS", "cursors yet (DECLARE ... CURSOR)"),
    ("DECLARE c CURSOR LOCAL FAST_FORWARD FOR SELECT 1", "cursors yet (DECLARE ... CURSOR)"),
    ("OPEN c", "cursors yet (OPEN)"),
    ("DECLARE @id INT; FETCH NEXT FROM c INTO @id", "cursors yet (FETCH)"),
    ("SELECT p.INTERNALID, a.n FROM PATIENTS p CROSS APPLY (SELECT TOP 1 1 AS n) a", "CROSS APPLY / OUTER APPLY"),
    ("SELECT (SELECT SURNAME FROM PATIENTS FOR XML AUTO) AS x", "FOR XML other than PATH('') string aggregation"),
    ("WAITFOR DELAY '00:00:01'", "WAITFOR statements"),
    ("GOTO done", "GOTO statements"),
    ("DBCC CHECKDB", "DBCC statements"),
    ("GRANT SELECT ON PATIENTS TO public", "GRANT statements"),
    ("SET DATEFORMAT dmy", "SET options (SET DATEFORMAT)"),
])
def test_not_supported_names_the_construct(reader, sql, construct):
    with pytest.raises(SqlError) as info:
        run(reader, sql)
    assert info.value.number == 40000 and construct in info.value.message, info.value.message

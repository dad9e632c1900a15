"""The T-SQL that loads a real SQL Server: the fixture script and the CREATE PROCEDURE
definitions of the emulated Bp Premier procedures (checked with sqlglot, read="tsql")."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from mock_halo.odbc.mssql_load import drop_batches, mssql_batches, procedure_batches, procedure_names
from mock_halo.practice.schema import sqlite_schema
from mock_halo.sql import procedures

#: sqlglot 30.x's T-SQL parser has no RETURN with a value; those statements are checked by hand.
_RETURN = re.compile(r"^\s*(?:IF @@ROWCOUNT = 0 )?RETURN (?:\d+|CAST\(SCOPE_IDENTITY\(\) AS INT\));\s*$", re.MULTILINE)


def parsed(batch: str) -> exp.Create:
    [tree] = sqlglot.parse(_RETURN.sub("", batch), read="tsql")
    assert isinstance(tree, exp.Create) and tree.args["kind"] == "PROCEDURE" and tree.args.get("replace")
    assert isinstance(tree.expression, exp.Block)
    return tree


def test_every_emulated_procedure_has_a_tsql_definition_and_no_more():
    assert sorted(n.lower() for n in procedure_names()) == procedures.names()


@pytest.mark.parametrize("batch", procedure_batches(), ids=procedure_names())
def test_definition_parses_and_declares_the_emulated_parameters(batch):
    tree = parsed(batch)
    name = tree.this.this.name
    declared = [(c.this.name.lower(), c.args.get("default") is not None) for c in tree.this.expressions]
    fn = procedures.find(name)
    expected = procedures.parameters_of(fn) or ()
    assert [n for n, _ in declared] == list(expected)
    optional = procedures._OPTIONAL.get(fn.procedure_name, frozenset())
    assert {n for n, has_default in declared if has_default} == set(optional)


def test_only_return_statements_need_hiding_from_sqlglot():
    unparsed = [b for b in procedure_batches() if _RETURN.search(b)]
    for batch in unparsed:
        with pytest.raises(sqlglot.errors.ParseError):
            sqlglot.parse(batch, read="tsql")
    assert {parsed(b).this.this.name for b in unparsed} == {
        "BP_AddAppointment", "BP_CancelAppointment", "BP_ArriveAppointment", "BP_UpdateAppointment",
        "BP_MoveAppointment", "BP_AddPatient", "BP_AddMessage"}


def test_the_load_script_drops_creates_fills_and_defines_in_order():
    batches, counts = mssql_batches("BPSPatients", 7, 3, database="BPSPatients")
    assert batches[:2] == ["IF DB_ID(N'BPSPatients') IS NULL CREATE DATABASE [BPSPatients];", "USE [BPSPatients];"]
    assert batches[2] == drop_batches()[0]
    assert counts["PATIENTS"] == 3
    kinds = []
    for batch in batches[2:]:
        if batch.startswith(("INSERT", "SET IDENTITY_INSERT", "SET NOCOUNT", "-- mock-halo")):
            kinds.append("data")
            continue
        trees = sqlglot.parse(_RETURN.sub("", batch), read="tsql")  # every DDL batch is T-SQL sqlglot reads
        kinds.append({type(t).__name__ + ":" + str(t.args.get("kind", "")) for t in trees if t is not None})
    flat = [k if isinstance(k, str) else ",".join(sorted(k)) for k in kinds]
    assert flat[0] == "Drop:PROCEDURE,Drop:TABLE,Drop:VIEW"
    first_insert = flat.index("data")
    assert all(k == "Create:TABLE" for k in flat[1:first_insert] if k != "data")
    assert flat[-len(procedure_batches()):] == ["Create:PROCEDURE"] * len(procedure_batches())
    # Tables are dropped in reverse creation order (foreign keys point backwards).
    drops = re.findall(r"DROP TABLE IF EXISTS dbo\.(\w+);", batches[2])
    assert drops == list(reversed(sqlite_schema().table_names))


def test_without_a_database_the_script_uses_the_connections_own():
    batches, _ = mssql_batches("BPSSamples", 7, 3)
    assert not any(b.startswith(("USE ", "IF DB_ID")) or "CREATE DATABASE" in b for b in batches)

"""The T-SQL that loads a real SQL Server: the fixture script and the CREATE PROCEDURE
definitions of the emulated Bp Premier procedures (checked with sqlglot, read="tsql")."""

from __future__ import annotations

import re

import pytest
import sqlglot

from mock_halo.odbc.mssql_load import drop_batches, mssql_batches, procedure_batches, procedure_names
from mock_halo.practice.schema import sqlite_schema
from mock_halo.sql import procedures

_HEADER = re.compile(r"^CREATE OR ALTER PROCEDURE dbo\.(\w+)\s*(.*?)^AS$", re.MULTILINE | re.DOTALL)


def header(batch: str) -> tuple[str, list[procedures.Parameter]]:
    """(name, declared parameters) of a ``CREATE OR ALTER PROCEDURE`` batch, read the way T-SQL reads them."""
    match = _HEADER.search(batch)
    assert match is not None, batch[:120]
    declared = [line.strip().rstrip(",") for line in match.group(2).splitlines() if line.strip()]
    return match.group(1), [procedures.parse_parameter(text) for text in declared]


def test_every_emulated_procedure_has_a_tsql_definition_and_no_more():
    assert sorted(n.lower() for n in procedure_names()) == procedures.database_names()


@pytest.mark.parametrize("batch", procedure_batches(), ids=procedure_names())
def test_definition_declares_the_emulated_parameters(batch):
    name, declared = header(batch)
    fn = procedures.find(name)
    assert procedures.display_name(name) == name
    expected = procedures.declared_parameters(fn) or ()
    assert [(p.spelling, p.type, p.default) for p in declared] == [(p.spelling, p.type, p.default) for p in expected]


def test_every_definition_is_one_procedure_body():
    for batch in procedure_batches():
        assert batch.count("CREATE OR ALTER PROCEDURE") == 1
        assert batch.rstrip().endswith("END;")


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
        if "CREATE OR ALTER PROCEDURE" in batch:
            kinds.append("Create:PROCEDURE")
            continue
        trees = sqlglot.parse(batch, read="tsql")  # every DDL batch is T-SQL sqlglot reads
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

"""Loading the practice fixtures into a real SQL Server.

The same DDL and data as the embedded engine: the T-SQL script that
``mock-halo fixtures --format tsql`` writes (fixture DDL, generated rows,
indexes and views), preceded by dropping what a previous load left, and
followed by the ``CREATE OR ALTER PROCEDURE`` definitions of the emulated Bp
Premier procedures (``mssql_procedures.sql``). Batches are split on ``GO`` and
sent one by one with autocommit on (``CREATE DATABASE`` cannot run inside a
transaction).

With ``database`` the catalogue gets a database of that name (created if
needed, then ``USE``); without, everything goes into the connection's own
database (a connection string per catalogue).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from mock_halo.practice.files import write_tsql_script
from mock_halo.practice.loader import canonical_catalogue
from mock_halo.practice.schema import fixture_set, sqlite_schema, split_batches

PROCEDURES_FILE = "mssql_procedures.sql"


def procedure_batches() -> list[str]:
    """The ``CREATE OR ALTER PROCEDURE`` batches of the emulated Bp Premier procedures."""
    text = resources.files("mock_halo.odbc").joinpath(PROCEDURES_FILE).read_text(encoding="utf-8")
    return split_batches(text)


def _has_procedures(pms_type: str, catalogue: str | None) -> bool:
    """Bp's procedures live in the practice databases (BPSPatients, BPSSamples), not in BPSDrugs."""
    return fixture_set(pms_type, catalogue) == "bp_premier"


def drop_batches(pms_type: str = "BestPractice", catalogue: str | None = None) -> list[str]:
    """Drop the views, procedures and tables of a previous load (tables in reverse creation order)."""
    schema = sqlite_schema(pms_type, catalogue)
    views = [f"DROP VIEW IF EXISTS dbo.{name};" for name in schema.view_names]
    procedures = ([f"DROP PROCEDURE IF EXISTS dbo.{name};" for name in procedure_names()]
                  if _has_procedures(pms_type, catalogue) else [])
    tables = [f"DROP TABLE IF EXISTS dbo.{name};" for name in reversed(schema.table_names)]
    return ["\n".join(views + procedures + tables)]


def procedure_names() -> list[str]:
    import re

    return [m.group(1) for b in procedure_batches()
            for m in [re.search(r"(?i)CREATE\s+OR\s+ALTER\s+PROCEDURE\s+dbo\.(\w+)", b)] if m]


def mssql_batches(catalogue: str, seed: int, patients: int, *, pms_type: str = "BestPractice",
                  database: str | None = None, progress: Callable[[str, int, int], None] | None = None,
                  anchor: date | datetime | None = None) -> tuple[list[str], dict[str, int]]:
    """Every batch of a full (re)load of ``catalogue`` (data anchored to ``anchor``) and the row counts per table."""
    name = canonical_catalogue(pms_type, catalogue)
    with tempfile.TemporaryDirectory(prefix="mock-halo-tsql-") as tmp:
        path = Path(tmp) / f"{name}.sql"
        counts = write_tsql_script(path, pms_type, name, seed, patients, progress, create_database=False,
                                   anchor=anchor)
        script = split_batches(path.read_text(encoding="utf-8"))
    head: list[str] = []
    if database is not None:
        quoted = "[" + database.replace("]", "]]") + "]"
        literal = "N'" + database.replace("'", "''") + "'"
        head = [f"IF DB_ID({literal}) IS NULL CREATE DATABASE {quoted};", f"USE {quoted};"]
    procedures = procedure_batches() if _has_procedures(pms_type, name) else []
    return head + drop_batches(pms_type, name) + script + procedures, counts


def load_mssql(conn_or_dsn: Any, catalogues: Iterable[str] = ("BPSPatients",), seed: int = 1, patients: int = 200,
               *, pms_type: str = "BestPractice", databases: bool = True,
               progress: Callable[[str, int, int], None] | None = None,
               login_timeout_s: int = 30, anchor: date | datetime | None = None) -> dict[str, dict[str, int]]:
    """Load the fixtures into SQL Server; returns {catalogue: {table: rows}}.

    ``conn_or_dsn`` is a pyodbc connection or an ODBC connection string. With
    ``databases`` each catalogue goes into the database of its name; without,
    into the connection's own database (then pass one catalogue). ``anchor``: the
    data's anchor date (default: the emulator's default epoch's date).
    """
    own = isinstance(conn_or_dsn, str)
    if own:
        import pyodbc

        conn = pyodbc.connect(conn_or_dsn, autocommit=True, timeout=login_timeout_s)
    else:
        conn = conn_or_dsn
    saved = conn.autocommit
    conn.autocommit = True
    counts: dict[str, dict[str, int]] = {}
    try:
        cursor = conn.cursor()
        for catalogue in catalogues:
            name = canonical_catalogue(pms_type, catalogue)
            batches, counts[name] = mssql_batches(name, seed, patients, pms_type=pms_type,
                                                  database=name if databases else None, progress=progress,
                                                  anchor=anchor)
            for batch in batches:
                cursor.execute(batch)
                while cursor.nextset():
                    pass
        cursor.close()
        return counts
    finally:
        if own:
            conn.close()
        else:
            conn.autocommit = saved


def reload_routes(routes: Any, seed: int, patients: int, *, pms_type: str = "BestPractice",
                  anchor: date | datetime | None = None) -> dict[str, dict[str, int]]:
    """Reload every catalogue of an engine's routes (``odbc_reset = "reload"``) through their pools, with the data
    anchored to ``anchor`` (the emulator clock's now)."""
    counts: dict[str, dict[str, int]] = {}
    for name, route in routes.items():
        with route.pool.connection() as conn:
            counts.update(load_mssql(conn.raw, [name], seed, patients, pms_type=pms_type,
                                     databases=route.database is not None, anchor=anchor))
    return counts

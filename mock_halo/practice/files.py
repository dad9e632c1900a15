"""Catalogue files: a SQLite file for big practices and a T-SQL script for real servers.

* :func:`write_catalogue_file` writes the same database :func:`build_catalogue`
  builds, straight to disk (no second copy in memory), plus a small metadata
  table; :func:`load_catalogue_file` reads it back into a private in-memory
  connection without the metadata table. The file is written under a
  temporary name and renamed, so a crash never leaves a half-written catalogue.
* :func:`write_tsql_script` writes the fixture DDL and the data as T-SQL for
  ``sqlcmd -i``: batches separated by ``GO``, at most 1000 rows per INSERT
  (SQL Server's limit for a VALUES list), ``SET IDENTITY_INSERT`` around tables
  with IDENTITY keys, indexes and views after the data.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .generator import normalise_anchor
from .loader import (canonical_catalogue, fill_values, generate_catalogue, generation_arguments, populate,
                     tune_for_engine)
from .model import ProgressCallback
from .schema import check_pms_type, sqlite_schema, tsql_ddl

#: ``PRAGMA application_id`` of catalogue files ("MHLC").
APPLICATION_ID = 0x4D484C43
FORMAT_VERSION = 2
META_TABLE = "mock_halo_catalogue"
MAX_ROWS_PER_INSERT = 1000


@dataclass(frozen=True)
class CatalogueInfo:
    """What a catalogue file holds."""

    pms_type: str
    catalogue: str
    seed: int
    patients: int
    anchor: str
    format_version: int


def write_catalogue_file(
    path: str | os.PathLike[str],
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    progress: ProgressCallback | None = None,
    *,
    anchor: date | datetime | None = None,
) -> dict[str, int]:
    """Write a catalogue as a SQLite file at ``path`` (replacing it); returns row counts per table."""
    target = Path(path)
    name = canonical_catalogue(pms_type, catalogue)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    done = False
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        counts = populate(conn, pms_type, name, seed, patients, anchor=anchor, progress=progress)
        tune_for_engine(conn)  # the file is what an engine loads: the same image as build_catalogue's
        used_seed, used_patients, _ = generation_arguments(name, seed, patients)
        ref = normalise_anchor(anchor).isoformat()
        with conn:
            conn.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", [
                ("pms_type", pms_type), ("catalogue", name), ("seed", str(used_seed)),
                ("patients", str(used_patients)), ("anchor", ref),
            ])
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
        done = True
    finally:
        conn.close()
        if not done:
            tmp.unlink(missing_ok=True)
    os.replace(tmp, target)
    return counts


def _open_checked(path: str | os.PathLike[str]) -> sqlite3.Connection:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"catalogue file not found: {p}")
    conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValueError(f"{p} is not a mock-halo catalogue file: {exc}") from exc
    if app_id != APPLICATION_ID:
        conn.close()
        raise ValueError(f"{p} is not a mock-halo catalogue file (application_id {app_id:#x})")
    if version != FORMAT_VERSION:
        conn.close()
        raise ValueError(f"{p} has catalogue format {version}; this mock-halo reads format {FORMAT_VERSION}")
    return conn


def read_catalogue_info(path: str | os.PathLike[str]) -> CatalogueInfo:
    """The metadata of a catalogue file (ValueError if it is not one)."""
    conn = _open_checked(path)
    try:
        meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    finally:
        conn.close()
    return CatalogueInfo(meta["pms_type"], meta["catalogue"], int(meta["seed"]), int(meta["patients"]),
                         meta["anchor"], FORMAT_VERSION)


def load_catalogue_file(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Load a catalogue file into a new in-memory connection (the caller's own, writable)."""
    source = _open_checked(path)
    try:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(conn)
    finally:
        source.close()
    conn.execute(f"DROP TABLE {META_TABLE}")
    conn.commit()
    return conn


# -- T-SQL ------------------------------------------------------------------
def tsql_literal(value: object) -> str:
    """A Python value from the generator as a T-SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return "N'" + value.replace("'", "''") + "'"
    raise TypeError(f"no T-SQL literal for {type(value).__name__}")


def _insert_statements(table: str, columns: tuple[str, ...], rows: list[tuple],
                       fill: list[tuple[str, str]] = ()) -> Iterable[str]:
    """INSERT ... VALUES statements of at most 1000 rows; ``fill`` adds (column, literal) to every row."""
    names = [f"[{c}]" for c in columns] + [f"[{name}]" for name, _ in fill]
    head = f"INSERT INTO dbo.{table} ({', '.join(names)}) VALUES\n"
    tail = "".join(", " + literal for _, literal in fill)
    for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
        chunk = rows[start:start + MAX_ROWS_PER_INSERT]
        yield head + ",\n".join("(" + ", ".join(tsql_literal(v) for v in row) + tail + ")" for row in chunk) + ";\n"


def write_tsql_script(
    path: str | os.PathLike[str],
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    progress: ProgressCallback | None = None,
    *,
    anchor: date | datetime | None = None,
    create_database: bool = True,
) -> dict[str, int]:
    """Write DDL + data as a T-SQL script; returns row counts per table.

    With ``create_database`` the script starts by creating the catalogue's
    database if needed and switching to it (``USE [BPSPatients]``).
    """
    check_pms_type(pms_type)
    name = canonical_catalogue(pms_type, catalogue)
    counts = dict.fromkeys(sqlite_schema(pms_type, name).table_names, 0)
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        _write_script(tmp, pms_type, name, seed, patients, anchor, progress, create_database, counts)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return counts


def _write_script(tmp: Path, pms_type: str, name: str, seed: int, patients: int, anchor: date | datetime | None,
                  progress: ProgressCallback | None, create_database: bool, counts: dict[str, int]) -> None:
    schema = sqlite_schema(pms_type, name)
    before_data, after_data = tsql_ddl(pms_type, name)
    used_seed, used_patients, _ = generation_arguments(name, seed, patients)
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"-- mock-halo fake {pms_type} catalogue {name}: seed {used_seed}, {used_patients} patients.\n")
        out.write("-- Generated data; every person, number and address in it is fictitious.\n")
        out.write("SET NOCOUNT ON;\nGO\n")
        if create_database:
            out.write(f"IF DB_ID(N'{name}') IS NULL CREATE DATABASE [{name}];\nGO\nUSE [{name}];\nGO\n")
        for ddl in before_data:
            out.write(ddl + "\nGO\n")
        for batch in generate_catalogue(name, seed, patients, anchor=anchor, progress=progress):
            if not batch.rows:
                continue
            identity = batch.table in schema.identity_tables
            if identity:
                out.write(f"SET IDENTITY_INSERT dbo.{batch.table} ON;\n")
            fill = fill_values(schema.columns[batch.table], batch.columns, batch.table)
            for statement in _insert_statements(batch.table, batch.columns, batch.rows, fill):
                out.write(statement)
            if identity:
                out.write(f"SET IDENTITY_INSERT dbo.{batch.table} OFF;\n")
            out.write("GO\n")
            counts[batch.table] += len(batch.rows)
        for ddl in after_data:
            out.write(ddl + "\nGO\n")

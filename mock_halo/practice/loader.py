"""Building catalogue databases in SQLite, with a per-process template cache.

:func:`build_catalogue` returns a *template*: an in-memory database that is
built once per (pms_type, catalogue, seed, patients, reference) and shared.
Callers copy it with ``template.backup(their_connection)`` and never write to
it; the template is opened with ``PRAGMA query_only = ON`` so a stray write
fails loudly instead of corrupting every later copy. It is created with
``check_same_thread=False`` so engines in other threads can back it up.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

from .generator import generate_practice, normalise_reference
from .model import ProgressCallback
from .schema import check_pms_type, sqlite_schema

#: Bp Premier's databases: the live practice and the demo ("samples") database.
BP_CATALOGUES = ("BPSPatients", "BPSSamples")
#: The demo database is the same fixed, small practice whatever the seed.
SAMPLES_SEED = 20181111
SAMPLES_PATIENTS = 25
SAMPLES_FIRST_DOCTOR = ("Frederick", "Findacure")

CacheKey = tuple[str, str, int, int, datetime]
_cache: dict[CacheKey, sqlite3.Connection] = {}
_cache_lock = threading.Lock()
_build_locks: dict[CacheKey, threading.Lock] = {}


def canonical_catalogue(pms_type: str, catalogue: str) -> str:
    """The catalogue's proper spelling (database names are case-insensitive), or ValueError."""
    check_pms_type(pms_type)
    for name in BP_CATALOGUES:
        if name.lower() == str(catalogue).lower():
            return name
    raise ValueError(f"unknown {pms_type} catalogue {catalogue!r}: expected one of {', '.join(BP_CATALOGUES)}")


def generation_arguments(catalogue: str, seed: int, patients: int) -> tuple[int, int, tuple[str, str] | None]:
    """(seed, patients, first doctor) actually used for a (canonical) catalogue."""
    if catalogue == "BPSSamples":
        return SAMPLES_SEED, SAMPLES_PATIENTS, SAMPLES_FIRST_DOCTOR
    return seed, patients, None


def populate(
    conn: sqlite3.Connection,
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    *,
    reference: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Create the schema in ``conn`` (an empty database) and load the data; returns row counts per table."""
    name = canonical_catalogue(pms_type, catalogue)
    seed, patients, first_doctor = generation_arguments(name, seed, patients)
    schema = sqlite_schema(pms_type)
    counts = dict.fromkeys(schema.table_names, 0)
    with conn:  # one transaction for the whole load
        for ddl in schema.tables:
            conn.execute(ddl)
        for batch in generate_practice(seed, patients, reference=reference, progress=progress,
                                       first_doctor=first_doctor):
            if not batch.rows:
                continue
            placeholders = ", ".join("?" * len(batch.columns))
            conn.executemany(
                f"INSERT INTO {batch.table} ({', '.join(batch.columns)}) VALUES ({placeholders})", batch.rows
            )
            counts[batch.table] += len(batch.rows)
        if progress:
            progress("indexes", 0, 1)
        for ddl in schema.indexes:
            conn.execute(ddl)
        for ddl in schema.views:
            conn.execute(ddl)
    if progress:
        progress("indexes", 1, 1)
    return counts


def build_catalogue(
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    *,
    reference: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> sqlite3.Connection:
    """The cached, read-only template database of one catalogue; copy it with ``backup``.

    ``catalogue`` is ``BPSPatients`` (the live practice: ``seed`` and
    ``patients`` apply) or ``BPSSamples`` (Bp's demo database: always the same
    25 patients, whatever ``seed`` and ``patients`` say). Raises ValueError for
    an unsupported ``pms_type`` or catalogue, or a bad ``seed``/``patients``.
    """
    name = canonical_catalogue(pms_type, catalogue)
    seed, patients, _ = generation_arguments(name, seed, patients)
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 0:
        raise ValueError(f"patients must be a non-negative integer, got {patients!r}")
    key: CacheKey = (pms_type, name, seed, patients, normalise_reference(reference))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        build_lock = _build_locks.setdefault(key, threading.Lock())
    with build_lock:  # one build per key even when several threads ask at once
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        populate(conn, pms_type, name, seed, patients, reference=reference, progress=progress)
        conn.execute("PRAGMA query_only = ON")
        with _cache_lock:
            _cache[key] = conn
            _build_locks.pop(key, None)
        return conn


def copy_catalogue(template: sqlite3.Connection, target: sqlite3.Connection | None = None) -> sqlite3.Connection:
    """A writable copy of a template (into ``target``, or a new in-memory connection)."""
    dest = target if target is not None else sqlite3.connect(":memory:", check_same_thread=False)
    template.backup(dest)
    return dest


def clear_cache() -> None:
    """Forget all templates (tests use this to compare fresh builds).

    Templates are not closed: a caller may still hold one; it is closed when the
    last reference goes.
    """
    with _cache_lock:
        _cache.clear()

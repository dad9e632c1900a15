"""Building catalogue databases in SQLite, with a per-process template cache.

:func:`build_catalogue` returns a *template*: an in-memory database that is
built once per (pms_type, catalogue, seed, patients, anchor date) and shared (a large
one is also kept on disk and read back by the next process: :mod:`.disk_cache`).
Callers copy it with ``template.backup(their_connection)`` and never write to
it; the template is opened with ``PRAGMA query_only = ON`` so a stray write
fails loudly instead of corrupting every later copy. It is created with
``check_same_thread=False`` so engines in other threads can back it up.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime

from . import disk_cache
from .drugs import generate_drugs
from .generator import generate_practice, normalise_anchor
from .model import Batch, ProgressCallback
from .schema import ColumnDecl, SqliteSchema, check_pms_type, sqlite_schema

#: Bp Premier's databases: the live practice, the demo ("samples") database and the drug reference.
BP_CATALOGUES = ("BPSPatients", "BPSSamples", "BPSDrugs")
#: Catalogues whose content does not depend on the seed, the size or the anchor date.
FIXED_CATALOGUES = frozenset({"BPSDrugs"})
#: Reference catalogues every site of a PMS has beside its configured ones (Bp's drug database).
REFERENCE_CATALOGUES = {"BestPractice": ("BPSDrugs",)}
#: The demo database is the same fixed, small practice whatever the seed.
SAMPLES_SEED = 20181111
SAMPLES_PATIENTS = 25
SAMPLES_FIRST_DOCTOR = ("Frederick", "Findacure")

CacheKey = tuple[str, str, int, int, date]
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
    if catalogue in FIXED_CATALOGUES:
        return 0, 0, None
    return seed, patients, None


def generate_catalogue(catalogue: str, seed: int, patients: int, *, anchor: date | datetime | None = None,
                       progress: ProgressCallback | None = None) -> Iterator[Batch]:
    """The batches of one (canonical) catalogue."""
    if catalogue == "BPSDrugs":
        return generate_drugs()
    seed, patients, first_doctor = generation_arguments(catalogue, seed, patients)
    return generate_practice(seed, patients, anchor=anchor, progress=progress, first_doctor=first_doctor)


_INT_TYPES = frozenset({"int", "tinyint", "smallint", "bigint", "bit", "decimal", "numeric", "money", "float", "real"})
_TEXT_TYPES = frozenset({"char", "nchar", "varchar", "nvarchar", "text", "ntext"})


def fill_values(decls: tuple[ColumnDecl, ...], columns: tuple[str, ...], table: str) -> list[tuple[str, str]]:
    """(column, SQL literal) for the NOT NULL columns a batch leaves out: 0 for numbers, '' for text."""
    given = {c.upper() for c in columns}
    out = []
    for decl in decls:
        if decl.nullable or decl.identity or decl.name.upper() in given:
            continue
        if decl.base in _INT_TYPES:
            out.append((decl.name, "0"))
        elif decl.base in _TEXT_TYPES:
            out.append((decl.name, "''"))
        else:
            raise ValueError(f"the generator gives no value for {table}.{decl.name} ({decl.type} NOT NULL)")
    return out


def insert_statement(schema: SqliteSchema, batch: Batch) -> str:
    """INSERT for a batch's rows, with the table's other NOT NULL columns filled in as literals."""
    fill = fill_values(schema.columns[batch.table], batch.columns, batch.table)
    names = ", ".join(f'"{c}"' for c in (*batch.columns, *(name for name, _ in fill)))
    values = ", ".join(["?"] * len(batch.columns) + [literal for _, literal in fill])
    return f'INSERT INTO "{batch.table}" ({names}) VALUES ({values})'


#: Indexes the embedded engine adds to Bp's own: joins by patient that Bp's schema leaves to SQL Server's hash
#: joins (EMAIL is indexed by address only). Named ``mh_*``, they are not in the fixtures' T-SQL.
ENGINE_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EMAIL", ("INTERNALID", "RECORDSTATUS")),
    ("REACTIONS", ("INTERNALID",)),
)


def populate(
    conn: sqlite3.Connection,
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    *,
    anchor: date | datetime | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, int]:
    """Create the schema in ``conn`` (an empty database) and load the data; returns row counts per table."""
    name = canonical_catalogue(pms_type, catalogue)
    batches = generate_catalogue(name, seed, patients, anchor=anchor, progress=progress)  # a worker may start now
    schema = sqlite_schema(pms_type, name)
    counts = dict.fromkeys(schema.table_names, 0)
    statements: dict[tuple[str, tuple[str, ...]], str] = {}
    with conn:  # one transaction for the whole load
        for ddl in schema.tables:
            conn.execute(ddl)
        for batch in batches:
            if not batch.rows:
                continue
            key = (batch.table, batch.columns)
            sql = statements.get(key)
            if sql is None:
                sql = statements[key] = insert_statement(schema, batch)
            conn.executemany(sql, batch.rows)
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


def tune_for_engine(conn: sqlite3.Connection) -> None:
    """What the embedded engine adds to a loaded catalogue: :data:`ENGINE_INDEXES` and the planner's statistics
    (``ANALYZE``: they travel with the image, so SQLite picks the selective index, not a scan in key order)."""
    tables = {name for name, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with conn:
        for table, columns in ENGINE_INDEXES:
            if table in tables:
                conn.execute(f"CREATE INDEX mh_{table}_{'_'.join(columns)} ON {table} ({', '.join(columns)})")
        conn.execute("ANALYZE")


def build_catalogue(
    pms_type: str,
    catalogue: str,
    seed: int,
    patients: int,
    *,
    anchor: date | datetime | None = None,
    progress: ProgressCallback | None = None,
) -> sqlite3.Connection:
    """The cached, read-only template database of one catalogue; copy it with ``backup``.

    ``catalogue`` is ``BPSPatients`` (the live practice: ``seed``,
    ``patients`` and ``anchor`` apply), ``BPSSamples`` (Bp's demo database:
    always the same 25 patients, whatever ``seed`` and ``patients`` say) or
    ``BPSDrugs`` (the drug reference: the same everywhere). Raises ValueError for
    an unsupported ``pms_type`` or catalogue, or a bad ``seed``/``patients``.
    """
    name = canonical_catalogue(pms_type, catalogue)
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < 0:
        raise ValueError(f"patients must be a non-negative integer, got {patients!r}")
    seed, patients, _ = generation_arguments(name, seed, patients)
    day = normalise_anchor(None if name in FIXED_CATALOGUES else anchor)
    key: CacheKey = (pms_type, name, seed, patients, day)
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
        image = disk_cache.image_path(pms_type, name, seed, patients, day)
        conn = disk_cache.load(image)
        if conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            populate(conn, pms_type, name, seed, patients, anchor=day, progress=progress)
            tune_for_engine(conn)
            disk_cache.store(image, conn)
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


def anchored_images(pms_type: str, catalogues: list[str], seed: int,
                    patients: int) -> Callable[[datetime], dict[str, bytes] | None]:
    """``reanchor(now)`` for an engine: the catalogues' images (``serialize()``) for the anchor date of ``now``,
    or None when that date is the one of the images it gave last."""
    last: list[date] = []

    def reanchor(now: datetime) -> dict[str, bytes] | None:
        day = normalise_anchor(now)
        if last and last[0] == day:
            return None
        images = {name: build_catalogue(pms_type, name, seed, patients, anchor=day).serialize() for name in catalogues}
        last[:] = [day]
        return images

    return reanchor


def reference_images(pms_type: str) -> dict[str, bytes]:
    """The images of the reference catalogues every site of ``pms_type`` has (BPSDrugs for Bp Premier)."""
    return {name: build_catalogue(pms_type, name, 0, 0).serialize() for name in REFERENCE_CATALOGUES.get(pms_type, ())}

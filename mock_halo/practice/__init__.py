"""Deterministic fake practice databases (Bp Premier) for the emulator's engines.

Public API::

    build_catalogue(pms_type, catalogue, seed, patients) -> sqlite3.Connection
        cached read-only template; copy it with ``template.backup(conn)``
    copy_catalogue(template, target=None) -> sqlite3.Connection
    write_catalogue_file(path, pms_type, catalogue, seed, patients, progress=None) -> counts
    load_catalogue_file(path) -> sqlite3.Connection
    write_tsql_script(path, pms_type, catalogue, seed, patients, progress=None) -> counts
    column_types(pms_type) -> {table/view: ((column, T-SQL type), ...)}
    generate_practice(seed, patients, ...) -> Iterator[Batch]   # the raw rows

The schema is ``fixtures/bp_premier/*.sql`` (T-SQL); see ``schema.py`` for how it
becomes SQLite and ``generator.py`` for what the data looks like.
"""

from .files import CatalogueInfo, load_catalogue_file, read_catalogue_info, write_catalogue_file, write_tsql_script
from .generator import DEFAULT_REFERENCE, PRACTICE_TIMEZONE, generate_practice, normalise_reference
from .loader import BP_CATALOGUES, build_catalogue, canonical_catalogue, clear_cache, copy_catalogue, populate
from .model import Batch, ProgressCallback
from .schema import SUPPORTED_PMS_TYPES, column_types, sqlite_schema

__all__ = [
    "BP_CATALOGUES",
    "DEFAULT_REFERENCE",
    "PRACTICE_TIMEZONE",
    "SUPPORTED_PMS_TYPES",
    "Batch",
    "CatalogueInfo",
    "ProgressCallback",
    "build_catalogue",
    "canonical_catalogue",
    "clear_cache",
    "column_types",
    "copy_catalogue",
    "generate_practice",
    "load_catalogue_file",
    "normalise_reference",
    "populate",
    "read_catalogue_info",
    "sqlite_schema",
    "write_catalogue_file",
    "write_tsql_script",
]

"""Deterministic fake practice databases (Bp Premier) for the emulator's engines.

Public API::

    build_catalogue(pms_type, catalogue, seed, patients, anchor=None) -> sqlite3.Connection
        cached read-only template; copy it with ``template.backup(conn)``
    copy_catalogue(template, target=None) -> sqlite3.Connection
    write_catalogue_file(path, pms_type, catalogue, seed, patients, progress=None) -> counts
    load_catalogue_file(path) -> sqlite3.Connection
    write_tsql_script(path, pms_type, catalogue, seed, patients, progress=None) -> counts
    column_types(pms_type) -> {table/view: ((column, T-SQL type), ...)}
    generate_practice(seed, patients, anchor=..., ...) -> Iterator[Batch]   # the raw rows

The schema is ``fixtures/bp_premier/*.sql`` (``fixtures/bp_drugs`` for BPSDrugs; T-SQL); see ``schema.py`` for how it
becomes SQLite and ``generator.py`` for what the data looks like.
"""

from . import procedures  # noqa: F401 - registers Bp Premier's stored procedures
from .files import CatalogueInfo, load_catalogue_file, read_catalogue_info, write_catalogue_file, write_tsql_script
from .generator import DEFAULT_ANCHOR, PRACTICE_TIMEZONE, generate_practice, normalise_anchor
from . import disk_cache  # noqa: F401 - the practice images kept on disk
from .loader import (BP_CATALOGUES, anchored_images, build_catalogue, canonical_catalogue, clear_cache, copy_catalogue,
                     populate, reference_images)
from .model import Batch, ProgressCallback
from .schema import SUPPORTED_PMS_TYPES, column_types, sqlite_schema, table_columns

__all__ = [
    "BP_CATALOGUES",
    "anchored_images",
    "DEFAULT_ANCHOR",
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
    "normalise_anchor",
    "populate",
    "reference_images",
    "read_catalogue_info",
    "sqlite_schema",
    "table_columns",
    "write_catalogue_file",
    "write_tsql_script",
]

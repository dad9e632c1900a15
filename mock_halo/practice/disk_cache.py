"""Large practices built once, kept on disk: a 10,000-patient start reads an image instead of generating it.

An image (SQLite's ``serialize()`` of a built template, indexes and planner statistics included) is stored
under a name made of everything its content depends on: the PMS type, the catalogue, the seed, the number of
patients, the anchor date and the *schema version*, a digest of the fixture DDL and of the generator's own
source, so a changed schema or generator never reads an old image. Images are written to a temporary file and
renamed into place (several processes may build the same practice at once; the last rename wins, the bytes are
the same). A cache that cannot be read or written is skipped, never an error.

Where: ``MOCK_HALO_CACHE_DIR``, else ``$XDG_CACHE_HOME/mock-halo``, else ``~/.cache/mock-halo``; an empty
``MOCK_HALO_CACHE_DIR`` (or ``off``) turns the cache off. Every size is cached: even the default 200-patient
practice is mostly schema (448 tables, indexes, statistics), which reading an image skips.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

from .schema import fixtures_dir

ENV = "MOCK_HALO_CACHE_DIR"
#: The smallest practice worth caching (all of them: see the module's docstring).
MIN_PATIENTS = 0


def cache_dir() -> Path | None:
    """The directory of the practice images (None: the cache is off)."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mock-halo"


@functools.cache
def schema_version() -> str:
    """A digest of what an image's content depends on besides its key: the fixture DDL and the generator."""
    digest = hashlib.sha256()
    roots = [fixtures_dir().parent, Path(__file__).resolve().parent]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".sql", ".py") and p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def image_path(pms_type: str, catalogue: str, seed: int, patients: int, anchor: date) -> Path | None:
    """Where the image of this practice lives (None: not cached)."""
    where = cache_dir()
    if where is None or patients < MIN_PATIENTS:
        return None
    return where / f"{pms_type}-{catalogue}-s{seed}-p{patients}-{anchor.isoformat()}-{schema_version()}.sqlite"


def load(path: Path | None) -> sqlite3.Connection | None:
    """The cached practice as an in-memory database, or None."""
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.deserialize(path.read_bytes())
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a damaged file fails here
        return conn
    except (OSError, sqlite3.Error):
        return None


def store(path: Path | None, conn: sqlite3.Connection) -> None:
    """Keep a built practice (atomically; errors are ignored: the cache is an optimisation)."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(conn.serialize())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return

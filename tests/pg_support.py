"""A real PostgreSQL for the ODBC tests, reached through pyodbc.

``scripts/test.sh`` starts a throwaway cluster and exports
``MOCK_HALO_TEST_PG_DSN`` (an ODBC connection string to its ``mock_halo``
database). Each pytest-xdist worker gets a database of its own, created fresh
for the session, so workers never see each other's tables.

Without the DSN (or without pyodbc / the PostgreSQL ODBC driver) the tests that
use :func:`pg_dsn` skip and say why; with ``MOCK_HALO_REQUIRE_PG=1`` (set by the
test command where it could install everything, as in CI) they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator

import pytest

ENV_DSN = "MOCK_HALO_TEST_PG_DSN"
ENV_REQUIRE = "MOCK_HALO_REQUIRE_PG"


def unavailable(reason: str) -> None:
    """Skip, or fail where the PostgreSQL tests are required to run."""
    if os.environ.get(ENV_REQUIRE, "") not in ("", "0"):
        pytest.fail(f"PostgreSQL tests are required here ({ENV_REQUIRE}=1) but cannot run: {reason}")
    pytest.skip(f"no PostgreSQL for the ODBC tests: {reason} (run `bash scripts/test.sh`, which starts a "
                f"throwaway cluster, or set {ENV_DSN} to an ODBC connection string)")


def import_pyodbc():
    """pyodbc, or a skip saying why it cannot load (it needs Debian's unixodbc: ``libodbc.so.2``).

    ``pytest.importorskip`` alone skips only a missing module; a pyodbc whose shared
    library is missing raises a plain ImportError, which would break collection.
    Where the test command could install everything (``MOCK_HALO_REQUIRE_PG=1``) it fails instead.
    """
    try:
        import pyodbc
    except ImportError as exc:
        reason = f"pyodbc cannot be imported ({exc}); it needs Debian's unixodbc (libodbc.so.2)"
        if os.environ.get(ENV_REQUIRE, "") not in ("", "0"):
            pytest.fail(f"the ODBC tests are required here ({ENV_REQUIRE}=1) but cannot run: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return pyodbc


def with_database(dsn: str, database: str) -> str:
    """``dsn`` with its DATABASE= attribute replaced (or added)."""
    if re.search(r"(?i)(^|;)\s*DATABASE\s*=", dsn):
        return re.sub(r"(?i)((?:^|;)\s*DATABASE\s*=\s*)[^;]*", lambda m: m.group(1) + database, dsn, count=1)
    return dsn.rstrip(";") + f";DATABASE={database}"


@pytest.fixture(scope="session")
def pg_dsn(worker_id: str) -> Iterator[str]:
    """ODBC connection string to a fresh, empty PostgreSQL database for this worker."""
    dsn = os.environ.get(ENV_DSN, "").strip()
    if not dsn:
        unavailable(f"{ENV_DSN} is not set")
    try:
        import pyodbc
    except ImportError as exc:  # libodbc.so.2 missing (Debian: unixodbc)
        unavailable(f"pyodbc cannot be imported ({exc})")
    name = "mh_test_" + re.sub(r"\W", "_", worker_id or "main").lower()
    try:
        admin = pyodbc.connect(dsn, autocommit=True, timeout=10)
    except pyodbc.Error as exc:
        unavailable(f"cannot connect with {ENV_DSN}: {exc}")
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        yield with_database(dsn, name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        while _TEMPLATES:  # what template_database loaded for this worker
            admin.execute(f'DROP DATABASE IF EXISTS "{_TEMPLATES.popitem()[1]}" WITH (FORCE)')
    finally:
        admin.close()


def database_of(dsn: str) -> str | None:
    """The DATABASE= attribute of ``dsn``, if it has one."""
    found = re.search(r"(?i)(?:^|;)\s*DATABASE\s*=\s*([^;]*)", dsn)
    return found.group(1) if found else None


def _admin():
    """A connection for CREATE and DROP DATABASE, to the database the test command gave: never to a
    worker's own (each module importing :func:`pg_dsn` has an instance of it, which drops and recreates
    that database, ending every connection to it)."""
    import pyodbc

    return pyodbc.connect(os.environ[ENV_DSN], autocommit=True, timeout=10)


def _create(admin, name: str, template: str) -> None:
    # PostgreSQL 15 copies through the WAL by default; FILE_COPY (what older versions always do) copies a
    # template of a thousand tables three times faster
    strategy = " STRATEGY FILE_COPY" if int(admin.execute("SHOW server_version_num").fetchval()) >= 150000 else ""
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE "{template}"{strategy}')


@contextlib.contextmanager
def own_database(dsn: str, label: str, template: str = "template0") -> Iterator[str]:
    """A fresh database next to ``dsn``'s (its name and ``label``), a copy of ``template``; dropped afterwards."""
    name = f"{database_of(dsn) or 'mh'}_{label}"[:63]
    admin = _admin()
    try:
        _create(admin, name, template)
        yield with_database(dsn, name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


#: label -> the template database this process loaded for it (see :func:`template_database`).
_TEMPLATES: dict[str, str] = {}


def template_database(dsn: str, label: str, load: Callable[[str], object]) -> str:
    """A database next to ``dsn``'s (:func:`pg_dsn`'s) that ``load(dsn)`` filled, once per process, for
    :func:`own_database` to copy (``template=``); :func:`pg_dsn` drops it when the session ends. Loading Bp
    Premier's 448 tables takes seconds, a copy a tenth of one, so each module (or each test that writes) can
    have loaded data of its own."""
    if label not in _TEMPLATES:
        name = f"{database_of(dsn) or 'mh'}_template_{label}"[:63]
        with contextlib.closing(_admin()) as admin:
            _create(admin, name, "template0")
        load(with_database(dsn, name))
        _TEMPLATES[label] = name
    return _TEMPLATES[label]


def terminate_backend(conn, pid: int, *, within_s: float = 60.0) -> None:
    """Terminate the backend ``pid`` from ``conn`` and return once it has gone.

    ``pg_terminate_backend(pid, timeout)`` is no deadline to rely on: it counts its
    100 ms waits rather than the time that passed, so a waiting backend whose latch
    is set by others (cache invalidation from another worker's DDL) or a slow reap
    on a loaded machine makes it give up early and answer false. Here the signal is
    sent once and the backend's disappearance from ``pg_stat_activity`` (it leaves
    only after sending its client the FATAL message) is awaited, up to a real deadline.
    """
    import time

    assert conn.execute("SELECT pg_terminate_backend(?)", pid).fetchval(), f"backend {pid} could not be signalled"
    deadline = time.monotonic() + within_s
    while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", pid).fetchval():
        assert time.monotonic() < deadline, f"backend {pid} still there {within_s:.0f} s after pg_terminate_backend"
        time.sleep(0.02)

"""The embedded engine: one SQLite connection per site, T-SQL in, Halo results out.

The site's default catalogue is the connection's ``main`` database and each
other catalogue is attached under its own name (architecture.md). Their
pristine contents are kept as serialized images of the practice templates, so
:meth:`SqliteEngine.reset` is a ``deserialize`` per catalogue (milliseconds).
Commands are serialised by a lock: one connection, one command at a time.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_halo.sql import procedures
from mock_halo.sql.engines.sqlite import functions
from mock_halo.sql.engines.sqlite.authorizer import Guard, harden
from mock_halo.sql.engines.sqlite.errors import map_sqlite_error
from mock_halo.sql.engines.sqlite.session import SqliteSession
from mock_halo.sql.engines.sqlite.translate import SqliteTranslator
from mock_halo.sql.frontend import discovery
from mock_halo.sql.frontend.schema import quote, read_catalog
from mock_halo.sql.model import Deadline, SqlCommand, SqlOutcome
from mock_halo.sql.runtime import params
from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.errors import ParameterError, ResultTooLarge, SqlError

if TYPE_CHECKING:
    from mock_halo.config import Settings, SiteConfig

#: SQLite VM steps between progress callbacks (where a deadline is checked), and callbacks
#: before a command is stopped with SQL Server's timeout error whatever its deadline (about
#: a billion steps: a runaway query).
PROGRESS_STEPS = 10_000
PROGRESS_LIMIT = 100_000
#: VM steps a quick read (:meth:`SqliteEngine.try_execute`) may take: a fraction of a millisecond.
QUICK_STEPS = 20_000
DEFAULT_TIMEZONE = "Australia/Sydney"


class _OverBudget(Exception):
    """A quick read ran past its step budget (and was stopped, changing nothing)."""


class SqliteEngine:
    """A site's databases and the T-SQL engine over them."""

    def __init__(self, images: Mapping[str, bytes], default: str, *, now: Callable[[], datetime] | None = None,
                 timezone_name: str = DEFAULT_TIMEZONE, cache_size: int = 1024, seed: int = 0,
                 reanchor: Callable[[datetime], Mapping[str, bytes] | None] | None = None) -> None:
        """``reanchor(now)`` gives new images when the data's anchor date is no longer the clock's (on reset)."""
        if default not in images:
            raise ValueError(f"no image for the default catalogue {default!r}")
        self._images = dict(images)
        self._default = default
        self._now = now or datetime.now
        self._zone = dates.practice_zone(timezone_name)
        self._seed = seed
        self._reanchor = reanchor
        self._rng = _Draws(seed)
        self._lock = threading.Lock()
        self._steps = 0
        #: the running command's deadline (see :meth:`execute`) and step budget (:meth:`try_execute`)
        self._deadline: Deadline | None = None
        self._budget: int | None = None
        self._over = False
        self._closed = False
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None,
                                     cached_statements=512)
        self._guard = Guard(database=default)
        harden(self._conn, self._guard)
        functions.register(self._conn, self._rng)
        self._conn.set_progress_handler(self._progress, PROGRESS_STEPS)
        self._dbs = {name: ("main" if name == default else name) for name in self._images}
        self._load()
        self.catalog = read_catalog(self._conn, self._dbs, default)
        self._conn.execute(f"ATTACH DATABASE ':memory:' AS {discovery.DB}")
        self._built: set[str] = set()  # the catalogue views built so far (discovery.storage_name)
        self._guard.trusted = False
        self.translator = SqliteTranslator(self.catalog, cache_size)
        self._batch = SqliteSession(self._conn, self._guard, default, self._clock)
        self._batch.schema = self.catalog

    # -- public interface ---------------------------------------------------------
    def execute(self, command: SqlCommand, *, deadline: Deadline | None = None) -> SqlOutcome:
        """Run one Halo command; raises :class:`SqlError` or :class:`ParameterError`.

        ``deadline`` stops the command with SQL Server's timeout error (-2) once it has
        ``passed()`` (checked every few thousand SQLite VM steps); a step limit stops a
        runaway in any case.
        """
        with self._lock:
            return self._run(command, deadline, None)

    def try_execute(self, command: SqlCommand, *, steps: int = QUICK_STEPS) -> SqlOutcome | None:
        """Run a command at once if it is a single plain SELECT already translated and it ends within
        about ``steps`` SQLite VM steps; None (nothing changed) if not, or while another command runs.

        The emulator answers such reads on the event loop itself, saving the hop to the site's
        worker thread; whatever is more goes there (``mock_halo/runner.py``).
        """
        if command.command_type != "text" or self._closed:
            return None
        script = self.translator.cached(command.text, command.catalogue)
        if script is None or not script.simple or script.writes or script.scratch or script.system_views:
            return None
        if not self._lock.acquire(blocking=False):
            return None
        rng = self._rng
        rng.armed, rng.saved = True, None
        try:
            return self._run(command, None, max(1, steps // PROGRESS_STEPS))
        except _OverBudget:
            if rng.saved is not None:
                rng.setstate(rng.saved)  # NEWID()/RAND() draws of the abandoned try do not count
            return None
        finally:
            rng.armed, rng.saved = False, None
            self._lock.release()

    @property
    def busy(self) -> bool:
        """Whether a command is running now (:meth:`try_execute` then gives up at once)."""
        return self._lock.locked()

    def _run(self, command: SqlCommand, deadline: Deadline | None, budget: int | None) -> SqlOutcome:
        """One command, the lock held; ``budget``: progress callbacks before :class:`_OverBudget`."""
        self._steps = 0
        self._deadline = deadline
        self._budget = budget
        self._over = False
        try:
            if self._closed:
                raise errors.internal("the engine is closed")
            bound = params.bind(command.parameters)
            if command.command_type == "storedProcedure":
                return self._procedure(command, bound)
            script = self.translator.translate(command.text, command.catalogue)
            if script.system_views:
                self._build_views(script.system_views)
            self._batch.catalogue = self.catalog.display[self.catalog.db_for(command.catalogue) or "main"]
            return self._batch.run(script, command, bound)
        except (SqlError, ParameterError, ResultTooLarge):
            if self._over:
                raise _OverBudget from None
            raise
        except sqlite3.Error as exc:
            if self._over:
                raise _OverBudget from None
            raise map_sqlite_error(exc, None, self._guard) from None
        except RecursionError:
            raise errors.nested_too_deeply() from None
        except Exception as exc:  # noqa: BLE001 - the HTTP layer only ever sees SqlError
            raise errors.internal(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._deadline = None
            self._budget = None

    def interrupt(self) -> None:
        """Make a running statement notice at once that its deadline passed (from any thread;
        a no-op when none runs). A Python function the statement calls is not interrupted
        while it runs (SQLite's limit), so those must be bounded themselves."""
        if self._deadline is not None and not self._closed:
            self._conn.interrupt()

    def reset(self) -> None:
        """Back to the pristine practice data (and NEWID()/RAND() sequences), anchored to the clock's date."""
        with self._lock:
            if self._reanchor is not None:
                images = self._reanchor(self._now())
                if images is not None:
                    self._images.update(images)
            self._guard.trusted = True
            try:
                self._load()
            finally:
                self._guard.trusted = False
            self._batch.sort_cache.clear()  # the data changed without a counted write
            self._rng.seed(self._seed)

    def snapshot(self) -> dict[str, bytes]:
        """Each catalogue's database as it is now (``sqlite3`` images), for a state file."""
        with self._lock:
            return {name: self._conn.serialize(name=db) for name, db in self._dbs.items()}

    def restore(self, images: Mapping[str, bytes]) -> None:
        """Load ``snapshot()`` images in place of the current data (a reset still goes back to the fixtures)."""
        if set(images) != set(self._dbs):
            raise ValueError(f"images for {sorted(images)}, but this site's catalogues are {sorted(self._dbs)}")
        with self._lock:
            self._guard.trusted = True
            try:
                for name, db in self._dbs.items():
                    self._conn.deserialize(images[name], name=db)
                self._conn.execute("PRAGMA foreign_keys = ON")
            finally:
                self._guard.trusted = False
            self._batch.sort_cache.clear()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def cache_info(self) -> dict[str, int]:
        """Translation cache counters: ``hits``, ``misses``, ``size``, ``maxsize``."""
        return self.translator.cache_info()

    @property
    def catalogues(self) -> list[str]:
        return list(self._images)

    # -- internals -------------------------------------------------------------------
    def _load(self) -> None:
        attached = {row[1].lower() for row in self._conn.execute("PRAGMA database_list")}
        for name, db in self._dbs.items():
            if db != "main" and db.lower() not in attached:
                self._conn.execute(f"ATTACH DATABASE ':memory:' AS {quote(db)}")
            self._conn.deserialize(self._images[name], name=db)
        self._conn.execute("PRAGMA foreign_keys = ON")

    def _build_views(self, names: tuple[str, ...]) -> None:
        """Store the catalogue views a batch reads (``INFORMATION_SCHEMA.COLUMNS``, ...), once per engine."""
        for name in names:
            if name in self._built:
                continue
            table, rows = discovery.contents(self.catalog, name)
            columns = ", ".join(f"{quote(c.name)} {c.decl.upper()}" + (" COLLATE NOCASE" if c.kind == K.STR else "")
                                for c in table.columns)
            self._guard.trusted = True
            try:
                self._conn.execute("BEGIN")
                self._conn.execute(f"CREATE TABLE {discovery.DB}.{quote(name)} ({columns})")
                marks = ", ".join("?" * len(table.columns))
                self._conn.executemany(f"INSERT INTO {discovery.DB}.{quote(name)} VALUES ({marks})", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._guard.trusted = False
            self._built.add(name)

    def _clock(self) -> tuple[datetime, datetime]:
        """(local time of the practice, UTC), both naive, from the injected clock."""
        return dates.local_and_utc(self._now(), self._zone)

    def _progress(self) -> int:
        deadline = self._deadline
        if deadline is not None and deadline.passed():
            return 1
        self._steps += 1
        if self._budget is not None and self._steps > self._budget:
            self._over = True
            return 1
        return 1 if self._steps > PROGRESS_LIMIT else 0

    def _procedure(self, command: SqlCommand, bound: params.BoundParameters) -> SqlOutcome:
        name = command.text.strip()
        fn = procedures.find(name)
        if fn is None:
            raise errors.procedure_not_found(name)
        self._batch.catalogue = self.catalog.display[self.catalog.db_for(command.catalogue) or "main"]
        return self._batch.run_procedure(fn, name, command, bound)

    def _execute_untrusted(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run raw SQLite SQL under the integrator authorizer (for the security tests)."""
        with self._lock:
            try:
                return self._conn.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, None, self._guard) from None


def open_engine(site: SiteConfig, settings: Settings, *, now: Callable[[], datetime] | None = None,
                templates: Mapping[str, sqlite3.Connection] | None = None,
                timezone_name: str = DEFAULT_TIMEZONE, cache_size: int = 1024) -> SqliteEngine:
    """Open the embedded engine for ``site``.

    ``templates`` maps catalogue names to loaded SQLite connections; by default
    they are the site's generated practice (:mod:`mock_halo.practice`, imported
    lazily), anchored to the clock's date now and again on each reset.
    ``now`` is the emulator clock: aware datetimes are converted to the practice's
    local time (``timezone_name``) for GETDATE(); naive ones are taken as local.
    """
    reanchor = None
    if templates is None:
        from mock_halo.practice import anchored_images

        reanchor = anchored_images(site.pms_type, [c.name for c in site.catalogues], settings.site_seed(site),
                                   settings.site_patients(site))
        images = dict(reanchor((now or datetime.now)()) or {})
    else:
        images = {name: _image(name, template) for name, template in templates.items()}
    if site.catalogues:
        from mock_halo.practice import reference_images

        for name, image in reference_images(site.pms_type).items():
            images.setdefault(name, image)
    default = site.default_catalogue if site.catalogues else next(iter(images))
    return SqliteEngine(images, default, now=now, timezone_name=timezone_name, cache_size=cache_size,
                        seed=settings.site_seed(site) if site.catalogues else 0, reanchor=reanchor)


def _image(name: str, template: sqlite3.Connection) -> bytes:
    try:
        return template.serialize()
    except sqlite3.ProgrammingError as exc:
        raise RuntimeError(f"cannot copy the {name} template: {exc} (templates shared between threads "
                           "must be opened with check_same_thread=False)") from exc


class _Draws(random.Random):
    """NEWID()'s and RAND()'s generator. :meth:`SqliteEngine.try_execute` arms it: the first draw
    of the try keeps the state to go back to should the try be abandoned (most reads draw
    nothing, and copying the generator's state on every try cost more than the read's mapping)."""

    armed = False
    saved: Any = None

    def _keep(self) -> None:
        if self.armed:
            self.armed = False
            self.saved = self.getstate()

    def random(self) -> float:
        self._keep()
        return super().random()

    def getrandbits(self, k: int) -> int:
        self._keep()
        return super().getrandbits(k)

    def seed(self, *args: Any, **kwargs: Any) -> None:
        self._keep()
        super().seed(*args, **kwargs)

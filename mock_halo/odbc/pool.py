"""A small pool of ODBC connections: size, login timeout, query timeout, health check.

* At most ``size`` connections exist; a caller waits up to ``wait_timeout``
  seconds for one to come free, then gets SQL Server's pool-timeout error.
* New connections use the login timeout (``pyodbc.connect(timeout=...)``),
  autocommit off (the engine commits or rolls back each command).
* The query timeout is the connection's ``SQL_ATTR_QUERY_TIMEOUT`` where the
  driver supports it (Microsoft's does); where it does not (psqlODBC), a
  watchdog cancels the running statement when the time is up, as it does at
  a command's deadline when that comes first (the attribute takes whole
  seconds). Either way a timed-out command reports SQL Server's -2.
* :meth:`ConnectionPool.interrupt` stops every statement running on the pool
  now, from any thread (``SQLCancel`` through pyodbc's ``Cursor.cancel``; on
  PostgreSQL psqlODBC sends the server a cancel request): a reset or a
  cancelled piece of work does not wait for a runaway.
* A connection idle for ``health_check_s`` or more is pinged before it is
  handed out; a dead one is dropped and replaced (reconnect). A connection
  whose command failed with a connection-class error (SQLSTATE 08xxx) is
  dropped instead of going back to the pool.

``connect`` is injectable so the pool can be tested with fakes; by default it
is ``pyodbc.connect``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mock_halo.odbc import errors as odbc_errors
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.errors import SqlError, internal
from mock_halo.sql.semantics.errors import timeout as timeout_error

Connect = Callable[..., Any]


@dataclass(frozen=True)
class PoolSettings:
    size: int = 4
    login_timeout_s: int = 15
    #: Seconds a statement may run (fractions only with the watchdog; the driver attribute takes whole seconds).
    query_timeout_s: float = 30
    #: Seconds a connection may sit idle before it is pinged on checkout (0: ping every time).
    health_check_s: float = 5.0
    #: Seconds to wait for a free connection (None: the login timeout).
    wait_timeout_s: float | None = None


class PooledConnection:
    """A checked-out connection: the raw DB-API connection plus timeout handling."""

    def __init__(self, raw: Any, pool: ConnectionPool) -> None:
        self.raw = raw
        self.pool = pool
        self.last_used = pool._clock()
        self.broken = False
        self.timed_out = False
        #: the running command's deadline (``mock_halo.sql.model.Deadline``), set by the engine
        self.deadline: Any = None
        #: the cursor running a statement under :meth:`guarded` (what :meth:`interrupt` cancels)
        self._running: Any = None
        self._guard = threading.Lock()
        self._native_timeout = False
        timeout = pool.settings.query_timeout_s
        if timeout > 0:
            try:
                raw.timeout = max(1, math.ceil(timeout))
                self._native_timeout = True
            except Exception:  # noqa: BLE001 - driver without SQL_ATTR_QUERY_TIMEOUT: use the watchdog
                self._native_timeout = False

    def cursor(self) -> Any:
        return self.raw.cursor()

    @contextmanager
    def guarded(self, cursor: Any) -> Iterator[None]:
        """Run statements on ``cursor`` under the query timeout (watchdog if the driver has none),
        shortened to what is left before the command's ``deadline``; :meth:`interrupt` cancels them."""
        timeout = self.pool.settings.query_timeout_s
        with self._guard:
            left = self.deadline.remaining() if self.deadline is not None else None
            if left is not None and left <= 0:
                self.timed_out = True
                raise timeout_error()
            self._running = cursor
        try:
            if left is not None:
                timeout = left if timeout <= 0 else min(timeout, left)
            if self._native_timeout:
                # The driver's attribute takes whole seconds: the watchdog below keeps a deadline's fraction.
                self.raw.timeout = max(1, math.ceil(timeout)) if timeout > 0 else 0
            if timeout <= 0 or (self._native_timeout and timeout == math.ceil(timeout)):
                yield
                return
            timer = threading.Timer(timeout, self.interrupt, kwargs={"only": cursor})
            timer.daemon = True
            timer.start()
            try:
                yield
            finally:
                timer.cancel()
        finally:
            with self._guard:
                self._running = None

    def interrupt(self, only: Any = None) -> None:
        """Cancel the statement running on this connection now, from any thread (it then fails
        as timed out: SQL Server's -2); nothing when none runs. With ``only`` (a watchdog's
        cursor), nothing unless that cursor still runs: a watchdog that woke as its statement
        ended never cancels the connection's next one.

        The cancel holds the guard until it returns: the statement's thread cannot leave
        :meth:`guarded` and close the cursor meanwhile, and two cancels (a deadline's and a
        reset's) never overlap. The driver's cancel runs without the GIL, so a cursor freed
        under it (``SQLFreeHandle`` while ``SQLCancel`` still uses the handle) crashed the process."""
        with self._guard:
            cursor = self._running
            if cursor is None or (only is not None and cursor is not only):
                return
            self.timed_out = True
            try:
                cursor.cancel()
            except Exception:  # noqa: BLE001 - the statement may have just finished
                pass

    def rollback(self) -> None:
        """Roll back, marking the connection broken if even that fails."""
        try:
            self.raw.rollback()
        except Exception:  # noqa: BLE001
            self.broken = True


class ConnectionPool:
    """Connections to one ODBC connection string."""

    def __init__(self, connection_string: str, settings: PoolSettings | None = None, *,
                 connect: Connect | None = None, ping: str = "SELECT 1",
                 on_connect: Callable[[Any], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.connection_string = connection_string
        self.settings = settings or PoolSettings()
        if self.settings.size < 1:
            raise ValueError("pool size must be at least 1")
        self._connect = connect
        self._ping = ping
        self._on_connect = on_connect
        self._clock = clock
        self._idle: list[PooledConnection] = []
        self._busy: set[PooledConnection] = set()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.settings.size)
        self._closed = False
        #: Counters for tests and /_mock/health: connections opened, replaced after a failed ping, dropped.
        self.opened = 0
        self.reconnects = 0
        self.dropped = 0

    # -- checkout --------------------------------------------------------------
    @contextmanager
    def connection(self) -> Iterator[PooledConnection]:
        """A healthy connection for one command; back to the pool afterwards unless it broke."""
        wait = self.settings.wait_timeout_s
        if wait is None:
            wait = float(self.settings.login_timeout_s or 15)
        if not self._slots.acquire(timeout=wait):
            raise errors.pool_timeout()
        pooled: PooledConnection | None = None
        try:
            pooled = self._checkout()
            with self._lock:
                self._busy.add(pooled)
            yield pooled
        finally:
            if pooled is not None:
                with self._lock:
                    self._busy.discard(pooled)
                self._checkin(pooled)
            self._slots.release()

    def interrupt(self) -> None:
        """Cancel every statement running on the pool's connections now (from any thread)."""
        with self._lock:
            busy = list(self._busy)
        for pooled in busy:
            pooled.interrupt()

    def _checkout(self) -> PooledConnection:
        if self._closed:
            raise internal("the ODBC connection pool is closed")
        while True:
            with self._lock:
                pooled = self._idle.pop() if self._idle else None
            if pooled is None:
                return self._open()
            if self._clock() - pooled.last_used < self.settings.health_check_s and not pooled.broken:
                return pooled
            if self._healthy(pooled):
                return pooled
            self.reconnects += 1
            self._discard(pooled)

    def _healthy(self, pooled: PooledConnection) -> bool:
        try:
            cursor = pooled.raw.cursor()
            try:
                cursor.execute(self._ping)
                cursor.fetchall()
            finally:
                cursor.close()
            pooled.raw.rollback()
            return True
        except Exception:  # noqa: BLE001 - any failure means: replace it
            return False

    def _open(self) -> PooledConnection:
        connect = self._connect
        if connect is None:
            import pyodbc

            pyodbc.native_uuid = True  # uniqueidentifier / uuid as uuid.UUID, not an upper-case string
            connect = pyodbc.connect
        try:
            raw = connect(self.connection_string, autocommit=False, timeout=self.settings.login_timeout_s)
        except SqlError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyodbc.Error and friends
            condition = odbc_errors.driver_condition(exc)
            if condition is None:
                condition = odbc_errors.from_mssql(exc)
            raise condition from None
        pooled = PooledConnection(raw, self)
        if self._on_connect is not None:
            try:
                self._on_connect(raw)
                raw.commit()
            except Exception:
                _close_quietly(raw)
                raise
        self.opened += 1
        return pooled

    def _checkin(self, pooled: PooledConnection) -> None:
        pooled.timed_out = False
        if pooled.broken or self._closed:
            self._discard(pooled)
            return
        pooled.last_used = self._clock()
        with self._lock:
            self._idle.append(pooled)

    def _discard(self, pooled: PooledConnection) -> None:
        self.dropped += 1
        _close_quietly(pooled.raw)

    # -- lifecycle -------------------------------------------------------------
    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close idle connections; ones in use close when they come back."""
        self._closed = True
        with self._lock:
            idle, self._idle = self._idle, []
        for pooled in idle:
            _close_quietly(pooled.raw)


def _close_quietly(raw: Any) -> None:
    try:
        raw.close()
    except Exception:  # noqa: BLE001
        pass

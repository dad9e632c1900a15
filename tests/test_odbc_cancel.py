"""A cancel from another thread and the end of the statement it cancels never overlap.

pyodbc's ``Cursor.cancel`` calls the driver's ``SQLCancel`` without the GIL; had the
statement's thread meanwhile left :meth:`PooledConnection.guarded` and closed its cursor,
the driver would use a freed handle and take the process down (a pytest-xdist worker
crashed this way in CI, at a runaway's deadline on PostgreSQL). Fakes stand in for the
driver, so the interleaving happens every time and no database is needed.
"""

from __future__ import annotations

import threading

from mock_halo.odbc.pool import ConnectionPool, PoolSettings


class FakeCursor:
    def __init__(self, events: list[str], cancelling: threading.Event, release: threading.Event) -> None:
        self.events, self.cancelling, self.release = events, cancelling, release

    def cancel(self) -> None:
        self.events.append("cancel started")
        self.cancelling.set()
        assert self.release.wait(10)
        self.events.append("cancel returned")


class FakeConnection:
    timeout = 0

    def __init__(self, cursor: FakeCursor) -> None:
        self._cursor = cursor

    def cursor(self) -> FakeCursor:
        return self._cursor

    def close(self) -> None:
        pass


def test_the_statement_ends_only_after_a_cancel_in_flight_has_returned():
    events: list[str] = []
    cancelling, release = threading.Event(), threading.Event()
    cursor = FakeCursor(events, cancelling, release)
    pool = ConnectionPool("fake", PoolSettings(size=1, query_timeout_s=0), connect=lambda *a, **k: FakeConnection(cursor))
    with pool.connection() as conn:
        entered = threading.Event()

        def statement() -> None:
            with conn.guarded(cursor):
                entered.set()
                assert cancelling.wait(10)  # the statement ends as the cancel arrives
            events.append("cursor closed")

        runner = threading.Thread(target=statement)
        runner.start()
        assert entered.wait(10)
        canceller = threading.Thread(target=pool.interrupt)
        canceller.start()
        assert cancelling.wait(10)
        runner.join(0.2)
        assert runner.is_alive() and events == ["cancel started"], "the cursor closed under a running cancel"
        release.set()
        runner.join(10)
        canceller.join(10)
    assert events == ["cancel started", "cancel returned", "cursor closed"]
    assert conn.timed_out is False  # checked back in: the flag is the command's, not the connection's


def test_a_second_cancel_waits_for_the_first():
    events: list[str] = []
    cancelling, release = threading.Event(), threading.Event()
    cursor = FakeCursor(events, cancelling, release)
    pool = ConnectionPool("fake", PoolSettings(size=1, query_timeout_s=0), connect=lambda *a, **k: FakeConnection(cursor))
    with pool.connection() as conn, conn.guarded(cursor):
        first = threading.Thread(target=conn.interrupt)
        first.start()
        assert cancelling.wait(10)
        second = threading.Thread(target=conn.interrupt)
        second.start()
        second.join(0.2)
        assert second.is_alive() and events == ["cancel started"]
        release.set()
        first.join(10)
        second.join(10)
    assert events == ["cancel started", "cancel returned", "cancel started", "cancel returned"]


def test_a_late_watchdog_never_cancels_the_connections_next_statement():
    events: list[str] = []
    cancelling, release = threading.Event(), threading.Event()
    release.set()
    first, second = (FakeCursor(events, cancelling, release) for _ in range(2))
    pool = ConnectionPool("fake", PoolSettings(size=1, query_timeout_s=0), connect=lambda *a, **k: FakeConnection(first))
    with pool.connection() as conn:
        with conn.guarded(first):
            pass
        with conn.guarded(second):
            conn.interrupt(only=first)  # the first statement's watchdog, woken as that statement ended
            assert events == [] and not conn.timed_out
            conn.interrupt(only=second)
            assert events == ["cancel started", "cancel returned"] and conn.timed_out

"""The ODBC plumbing shared by every real-database engine: pool, timeouts, reconnect,
error envelope and result encoding. Against a real PostgreSQL with plain SQL
(no translation needed), plus fakes where a failure must be forced."""

from __future__ import annotations

import json
import threading

import pytest

from pg_support import import_pyodbc, pg_dsn, terminate_backend  # noqa: F401 - fixture
from mock_halo.odbc import errors as odbc_errors
from mock_halo.odbc.engine import OdbcEngine, Route
from mock_halo.odbc.pool import ConnectionPool, PoolSettings
from mock_halo.sql.semantics.errors import SqlError
from mock_halo.sql.model import SqlCommand

pyodbc = import_pyodbc()


def engine_for(dsn: str, **settings) -> OdbcEngine:
    pool = ConnectionPool(dsn, PoolSettings(**{"size": 2, "login_timeout_s": 5, "query_timeout_s": 5, **settings}))
    return OdbcEngine({"Main": Route("Main", pool)}, "Main", site="test")


def rows(outcome) -> list[dict]:
    return json.loads(outcome.data)


@pytest.fixture(scope="module")
def table(pg_dsn):  # noqa: F811
    conn = pyodbc.connect(pg_dsn, autocommit=True)
    conn.execute("DROP TABLE IF EXISTS plumbing")
    conn.execute("CREATE TABLE plumbing (id int PRIMARY KEY, name text NOT NULL, born timestamp, day date, "
                 "fee numeric(9,2), active boolean, ref uuid, blob bytea)")
    conn.execute("INSERT INTO plumbing VALUES (1, 'Ann', '1980-02-03 04:05:06.789', '2024-01-02', 12.50, true, "
                 "'6f1c7a2e-35a4-4a3e-9b0e-2f0d8a1c3b4d', '\\x414243'), "
                 "(2, 'Bob', NULL, NULL, 3, false, NULL, NULL)")
    conn.close()
    return pg_dsn


def test_reader_renders_values_the_way_halo_does(table):
    engine = engine_for(table)
    try:
        out = engine.execute(SqlCommand("SELECT id, name, born, day, fee, active, ref, blob FROM plumbing ORDER BY id"))
    finally:
        engine.close()
    assert out.rows == 2 and out.rows_affected == -1
    assert out.columns == ["id", "name", "born", "day", "fee", "active", "ref", "blob"]
    first, second = rows(out)
    assert first == {"id": 1, "name": "Ann", "born": "1980-02-03T04:05:06.789", "day": "2024-01-02T00:00:00",
                     "fee": 12.5, "active": True, "ref": "6f1c7a2e-35a4-4a3e-9b0e-2f0d8a1c3b4d", "blob": "QUJD"}
    assert second["born"] is None and second["active"] is False and second["fee"] == 3.0


def test_scalar_and_non_query_modes_commit_writes(table):
    engine = engine_for(table)
    try:
        scalar = engine.execute(SqlCommand("SELECT count(*) AS n FROM plumbing", execution_mode="scalar"))
        assert rows(scalar) == [{"n": 2}] and scalar.rows == 1
        changed = engine.execute(SqlCommand("UPDATE plumbing SET name = name WHERE id > 0",
                                            execution_mode="nonQuery"))
        assert changed.rows_affected == 2 and changed.data == b"[]"
        engine.execute(SqlCommand("INSERT INTO plumbing (id, name) VALUES (3, 'Cy')", execution_mode="nonQuery"))
        # Committed: another connection sees it.
        other = pyodbc.connect(table, autocommit=True)
        assert other.execute("SELECT name FROM plumbing WHERE id = 3").fetchval() == "Cy"
        other.execute("DELETE FROM plumbing WHERE id = 3")
        other.close()
    finally:
        engine.close()


def test_a_failed_command_rolls_back_and_keeps_the_driver_message(table):
    engine = engine_for(table)
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("UPDATE plumbing SET name = 'X' WHERE id = 1; SELECT * FROM nope",
                                      execution_mode="nonQuery"))
        assert 'relation "nope" does not exist' in info.value.message
        assert "Error while executing" not in info.value.message
        assert rows(engine.execute(SqlCommand("SELECT name FROM plumbing WHERE id = 1"))) == [{"name": "Ann"}]
    finally:
        engine.close()


def test_pool_reuses_connections_and_caps_their_number(table):
    pool = ConnectionPool(table, PoolSettings(size=1, login_timeout_s=5, wait_timeout_s=0.05))
    engine = OdbcEngine({"Main": Route("Main", pool)}, "Main")
    try:
        for _ in range(3):
            engine.execute(SqlCommand("SELECT 1 AS one"))
        assert pool.opened == 1 and pool.idle == 1
        with pool.connection():
            with pytest.raises(SqlError) as info:  # the only connection is checked out
                engine.execute(SqlCommand("SELECT 1 AS one"))
        assert info.value.number == -2 and "obtaining a connection from the pool" in info.value.message
    finally:
        engine.close()


def test_query_timeout_cancels_the_statement_and_reports_minus_2(table):
    engine = engine_for(table, query_timeout_s=0.2)
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT pg_sleep(5)"))
        assert info.value.number == -2 and "Execution Timeout Expired" in info.value.message
        # The connection is still usable afterwards.
        assert rows(engine.execute(SqlCommand("SELECT 2 AS two"))) == [{"two": 2}]
    finally:
        engine.close()


def test_a_commands_deadline_shortens_the_query_timeout(table):
    import time

    from mock_halo.runner import Deadline

    engine = engine_for(table, query_timeout_s=30)
    try:
        started = time.monotonic()
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT pg_sleep(5)"), deadline=Deadline(time.monotonic() + 0.3))
        assert info.value.number == -2 and time.monotonic() - started < 3
        spent = Deadline()
        spent.cancelled = True
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT 1 AS one"), deadline=spent)
        assert info.value.number == -2
        assert rows(engine.execute(SqlCommand("SELECT 2 AS two"), deadline=Deadline(time.monotonic() + 5))) == [{"two": 2}]
    finally:
        engine.close()


def test_a_dead_idle_connection_is_replaced_by_the_health_check(table):
    clock = [0.0]
    pool = ConnectionPool(table, PoolSettings(size=1, health_check_s=10), clock=lambda: clock[0])
    engine = OdbcEngine({"Main": Route("Main", pool)}, "Main")
    try:
        engine.execute(SqlCommand("SELECT 1 AS one"))
        pid = rows(engine.execute(SqlCommand("SELECT pg_backend_pid() AS pid")))[0]["pid"]
        killer = pyodbc.connect(table, autocommit=True)
        try:
            terminate_backend(killer, pid)  # returns once the backend has gone, not after a fixed wait
        finally:
            killer.close()
        clock[0] = 11.0  # idle long enough to be pinged
        assert rows(engine.execute(SqlCommand("SELECT 3 AS three"))) == [{"three": 3}]
        assert pool.reconnects == 1 and pool.opened == 2
    finally:
        engine.close()


def test_a_connection_lost_mid_command_is_dropped_not_reused(table):
    pool = ConnectionPool(table, PoolSettings(size=1, health_check_s=3600))
    engine = OdbcEngine({"Main": Route("Main", pool)}, "Main")
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT pg_terminate_backend(pg_backend_pid())"))
        assert info.value.number == odbc_errors.CONNECTION_LOST
        assert pool.idle == 0 and pool.dropped == 1
        assert rows(engine.execute(SqlCommand("SELECT 4 AS four"))) == [{"four": 4}]
    finally:
        engine.close()


def test_cannot_connect_is_a_clear_error_not_a_hang(pg_dsn):  # noqa: F811
    bad = odbc_dsn_with_port(pg_dsn, 1)
    engine = engine_for(bad, login_timeout_s=2)
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT 1"))
        assert info.value.number == odbc_errors.CANNOT_CONNECT
    finally:
        engine.close()


def odbc_dsn_with_port(dsn: str, port: int) -> str:
    import re

    return re.sub(r"(?i)PORT=\d+", f"PORT={port}", dsn)


def test_unknown_catalogue_is_911(table):
    engine = engine_for(table)
    try:
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT 1", catalogue="Nope"))
        assert info.value.number == 911
    finally:
        engine.close()


def test_concurrent_commands_share_the_pool(table):
    engine = engine_for(table)
    results: list[int] = []
    try:
        def worker(n: int) -> None:
            results.append(rows(engine.execute(SqlCommand(f"SELECT {n} AS n")))[0]["n"])
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == list(range(6))
        assert engine.routes["Main"].pool.opened <= 2
    finally:
        engine.close()


def test_interrupt_stops_the_running_statement_from_another_thread(table):
    """A reset's interrupt: ODBC's cancel (pyodbc Cursor.cancel), not the query timeout."""
    import time

    engine = engine_for(table, query_timeout_s=30)
    timer = threading.Timer(0.3, engine.interrupt)
    try:
        engine.interrupt()  # nothing running: nothing happens
        timer.start()
        started = time.monotonic()
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT pg_sleep(10)"))
        assert info.value.number == -2 and time.monotonic() - started < 3
        assert rows(engine.execute(SqlCommand("SELECT 2 AS two"))) == [{"two": 2}]
    finally:
        timer.cancel()
        engine.close()


class _WholeSecondTimeout:
    """A real connection posing as a driver with SQL_ATTR_QUERY_TIMEOUT (whole seconds, like
    SQL Server's) that it never enforces: only the watchdog can stop a statement at a deadline."""

    def __init__(self, raw) -> None:
        self._raw = raw
        self.timeout = 0

    def __getattr__(self, name):
        return getattr(self._raw, name)


def test_a_deadline_between_whole_seconds_is_kept_on_a_driver_with_a_query_timeout(table):
    import time

    from mock_halo.runner import Deadline

    pool = ConnectionPool(table, PoolSettings(size=1, login_timeout_s=5, query_timeout_s=30),
                          connect=lambda *a, **k: _WholeSecondTimeout(pyodbc.connect(*a, **k)))
    engine = OdbcEngine({"Main": Route("Main", pool)}, "Main", site="test")
    try:
        started = time.monotonic()
        with pytest.raises(SqlError) as info:
            engine.execute(SqlCommand("SELECT pg_sleep(5)"), deadline=Deadline(time.monotonic() + 0.3))
        assert info.value.number == -2 and time.monotonic() - started < 3
    finally:
        engine.close()

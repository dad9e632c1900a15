"""Microsoft's ODBC Driver 18 from the mssql-python-odbc wheel: registered with unixODBC under
its usual name, loaded by pyodbc, and its real connection errors mapped (no SQL Server needed:
a TCP listener that is not a SQL Server makes the driver fail its pre-login handshake)."""

from __future__ import annotations

import configparser
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pg_support import import_pyodbc

from mock_halo.odbc.mssql_driver import DRIVER_NAME, bundled_driver, main, register

import_pyodbc()


def test_the_wheel_ships_a_driver_library_for_this_machine():
    driver = bundled_driver()
    assert driver is not None and driver.is_file() and driver.name.startswith("libmsodbcsql-18")


def test_register_adds_the_driver_and_keeps_other_sections(tmp_path):
    ini = tmp_path / "odbcinst.ini"
    ini.write_text("[PostgreSQL Unicode]\nDriver=psqlodbcw.so\n", encoding="utf-8")
    register(ini, Path("/opt/lib/libmsodbcsql-18.so"))
    register(ini, Path("/opt/lib/libmsodbcsql-18.6.so"))  # again: replaced, not duplicated
    config = configparser.ConfigParser()
    config.optionxform = str
    config.read(ini)
    assert config.sections() == ["PostgreSQL Unicode", DRIVER_NAME]
    assert config[DRIVER_NAME]["Driver"] == "/opt/lib/libmsodbcsql-18.6.so"
    assert config["PostgreSQL Unicode"]["Driver"] == "psqlodbcw.so"


@pytest.fixture
def not_a_sql_server():
    """A TCP port that accepts connections and closes them at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


PROBE = """
import sys
from mock_halo.odbc.engine import Route
from mock_halo.odbc.mssql import MssqlEngine
from mock_halo.odbc.pool import ConnectionPool, PoolSettings
from mock_halo.sql.semantics.errors import SqlError
from mock_halo.sql.model import SqlCommand
cs = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:127.0.0.1,%s;UID=sa;PWD=x;TrustServerCertificate=yes"
pool = ConnectionPool(cs % sys.argv[1], PoolSettings(login_timeout_s=5))
engine = MssqlEngine({"BPSPatients": Route("BPSPatients", pool, "BPSPatients")}, "BPSPatients")
try:
    engine.execute(SqlCommand("SELECT 1"))
except SqlError as exc:
    print(exc.number)
    print(exc.message)
"""


def test_pyodbc_loads_the_registered_driver_by_name_and_its_errors_are_mapped(tmp_path, not_a_sql_server):
    assert main(["--odbcinst", str(tmp_path / "odbcinst.ini")]) == 0
    env = {**os.environ, "ODBCSYSINI": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(not_a_sql_server)], env=env, capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    number, message = done.stdout.splitlines()[:2]
    assert number == "53", done.stdout + done.stderr
    # The real driver's words (not unixODBC's "Data source name not found"): it loaded and tried to log in.
    assert "handshakes before login" in message and "[Microsoft]" not in message

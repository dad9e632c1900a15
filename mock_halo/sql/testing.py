"""A miniature Bp Premier site for tests and benchmarks of the SQL engine alone.

Follows the storage conventions of docs/architecture.md (SQL Server type names,
``COLLATE NOCASE`` text, ``YYYY-MM-DDTHH:MM:SS`` datetimes, ``YYYY-MM-DD``
dates, 0/1 bits) without needing :mod:`mock_halo.practice`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from mock_halo.sql.engines.sqlite.engine import SqliteEngine
from mock_halo.sql.semantics.errors import SqlError

FIXED_NOW = datetime(2026, 1, 5, 9, 0, 0)

_SCHEMA = """
CREATE TABLE PATIENTS (
    INTERNALID INT NOT NULL,
    FIRSTNAME NVARCHAR(50) COLLATE NOCASE NOT NULL,
    SURNAME NVARCHAR(40) COLLATE NOCASE NOT NULL,
    DOB DATETIME NULL,
    SEXCODE INT NULL,
    RECORDSTATUS INT NOT NULL DEFAULT 1,
    EMAIL NVARCHAR(100) COLLATE NOCASE NULL,
    POSTCODE VARCHAR(4) COLLATE NOCASE NULL,
    CONSTRAINT PK_PATIENTS PRIMARY KEY (INTERNALID)
);
CREATE TABLE APPOINTMENTS (
    APPOINTMENTID INT NOT NULL CONSTRAINT PK_APPOINTMENTS PRIMARY KEY,
    INTERNALID INT NOT NULL REFERENCES PATIENTS (INTERNALID),
    APPOINTMENTDATE DATE NOT NULL,
    APPOINTMENTTIME INT NOT NULL,
    STARTTIME TIME NULL,
    STATUS NVARCHAR(20) COLLATE NOCASE NOT NULL,
    URGENT BIT NOT NULL DEFAULT 0,
    FEE MONEY NULL,
    PRICE DECIMAL(9,2) NULL,
    BOOKINGREF UNIQUEIDENTIFIER NULL,
    ATTACHMENT VARBINARY NULL
);
CREATE VIEW BPS_Patients AS
    SELECT INTERNALID AS InternalID, FIRSTNAME AS Firstname, SURNAME AS Surname, DOB,
           EMAIL AS Email, POSTCODE AS Postcode
    FROM PATIENTS WHERE RECORDSTATUS = 1;
CREATE VIEW BPS_Appointments AS
    SELECT A.APPOINTMENTID AS AppointmentID, A.INTERNALID AS InternalID, A.APPOINTMENTDATE AS AppointmentDate,
           A.APPOINTMENTTIME AS AppointmentTime, A.STATUS AS Status, A.URGENT AS Urgent
    FROM APPOINTMENTS A;
"""

PATIENTS = [
    (1, "Alice", "Smith", "1980-01-31T00:00:00", 2, 1, "alice@example.com", "2000"),
    (2, "Bob", "Jones", "1975-06-15T08:30:00", 1, 1, None, "3000"),
    (3, "Zoë", "Émile", "2001-12-31T23:59:59", 2, 1, "zoe@example.com", "4000"),
    (4, "Carol", "smith", None, 2, 1, "", "2001"),
    (5, "Dan", "Brown", "1990-02-28T00:00:00", 1, 2, None, "5000"),  # deleted: not in BPS_Patients
]
APPOINTMENTS = [
    (10, 1, "2018-11-11", 32400, "09:00:00", "Booked", 0, 65.5, 12.5, "6f9619ff-8b86-d011-b42d-00c04fc964ff", None),
    (11, 1, "2018-11-12", 36000, "10:00:00", "Completed", 1, 80.0, 99.99, None, b"\x00\x01\xff"),
    (12, 2, "2026-01-05", 34200, "09:30:00", "Waiting", 0, None, None, None, None),
    (13, 3, "2026-01-06", 43200, "12:00:00", "Booked", 1, 40.25, 0.5, None, None),
]
SAMPLE_PATIENTS = [
    (101, "Sam", "Sample", "1950-05-05T00:00:00", 1, 1, None, "9999"),
    (102, "Sally", "Sample", "1960-06-06T00:00:00", 2, 1, None, "9998"),
]


def build_template(sample: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(_SCHEMA)
    conn.executemany("INSERT INTO PATIENTS VALUES (?, ?, ?, ?, ?, ?, ?, ?)", SAMPLE_PATIENTS if sample else PATIENTS)
    if not sample:
        conn.executemany("INSERT INTO APPOINTMENTS VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", APPOINTMENTS)
    conn.commit()
    return conn


def mini_templates() -> dict[str, sqlite3.Connection]:
    return {"BPSPatients": build_template(), "BPSSamples": build_template(sample=True)}


def mini_engine(now: Callable[[], datetime] | None = None, **kwargs) -> SqliteEngine:
    """An engine over the miniature site; the clock defaults to a fixed instant."""
    images = {name: conn.serialize() for name, conn in mini_templates().items()}
    return SqliteEngine(images, "BPSPatients", now=now or (lambda: FIXED_NOW), **kwargs)


def run(engine: SqliteEngine, text: str, mode: str = "reader", parameters: list | None = None,
        catalogue: str | None = None, command_type: str = "text"):
    """Execute ``text`` and return the outcome (tests' shorthand)."""
    from mock_halo.sql.model import SqlCommand

    return engine.execute(SqlCommand(text=text, execution_mode=mode, command_type=command_type,
                                     parameters=parameters or [], catalogue=catalogue))


def error(engine: SqliteEngine, text: str, **kwargs) -> SqlError:
    """The SqlError that executing ``text`` raises (an AssertionError when it succeeds)."""
    try:
        run(engine, text, **kwargs)
    except SqlError as exc:
        return exc
    raise AssertionError(f"no SqlError from {text!r}")


def rows(engine: SqliteEngine, text: str, **kwargs) -> list[dict]:
    """The decoded ``data`` rows of a reader command."""
    import orjson

    return orjson.loads(run(engine, text, **kwargs).data)


def value(engine: SqliteEngine, expression: str, **kwargs):
    """The value of ``SELECT <expression> AS v``."""
    return rows(engine, f"SELECT {expression} AS v", **kwargs)[0]["v"]


def check(engine: SqliteEngine, expression: str, expected) -> None:
    """Assert that ``SELECT <expression>`` gives ``expected`` (the message shows both)."""
    got = value(engine, expression)
    assert got == expected, f"{expression} -> {got!r}, expected {expected!r}"


def first(engine: SqliteEngine, text: str, **kwargs):
    """The first value of the first row of a query."""
    result = rows(engine, text, **kwargs)
    return next(iter(result[0].values())) if result else None

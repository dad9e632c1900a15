"""Integrator SQL never reaches the host: SQLite's authorizer as the last net.

Translation already refuses anything that is not a query or a data change, so
the authorizer only sees what sqlglot generated. It still denies, for every
statement compiled while the engine is *untrusted* (i.e. running integrator
commands): ATTACH / DETACH (which also stops ``VACUUM INTO``), every PRAGMA,
schema changes, virtual tables, reads of SQLite's own tables, and the
functions that can touch files or memory. The engine's own housekeeping
(loading data, reading the schema) runs *trusted*.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.strings import MAX_VALUE_BYTES

ALLOWED_ACTIONS = frozenset({
    sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT,
    sqlite3.SQLITE_RECURSIVE,
})
DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
                              "sqlite_dbpage", "zipfile", "fsdir", "sqlar_compress", "sqlar_uncompress"})
_ACTION_NAMES = {
    sqlite3.SQLITE_ATTACH: "ATTACH DATABASE", sqlite3.SQLITE_DETACH: "DETACH DATABASE",
    sqlite3.SQLITE_PRAGMA: "PRAGMA", sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE", sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_ANALYZE: "ANALYZE", sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE", sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX", sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER", sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW", sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
}


@dataclass
class Guard:
    """Authorizer state of one connection: trusted or not, and what was last denied."""

    database: str
    trusted: bool = True
    denied: errors.SqlError | None = None

    def authorize(self, action: int, arg1: str | None, arg2: str | None, db: str | None,
                  source: str | None) -> int:
        if self.trusted:
            return sqlite3.SQLITE_OK
        denial = self._check(action, arg1, arg2)
        if denial is None:
            return sqlite3.SQLITE_OK
        if self.denied is None:  # the first denial names what the statement tried to do
            self.denied = denial
        return sqlite3.SQLITE_DENY

    def _check(self, action: int, arg1: str | None, arg2: str | None) -> errors.SqlError | None:
        if action not in ALLOWED_ACTIONS:
            what = _ACTION_NAMES.get(action, f"SQLite action {action}")
            return errors.permission_denied(what, self.database)
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
            return errors.execute_denied(arg2 or "", self.database)
        if action == sqlite3.SQLITE_READ and (arg1 or "").lower().startswith("sqlite_"):
            return errors.permission_denied_on(arg1, self.database, 'sys')
        return None

    def take_denial(self) -> errors.SqlError:
        denial = self.denied or errors.permission_denied("This", self.database)
        self.denied = None
        return denial


def harden(conn: sqlite3.Connection, guard: Guard) -> None:
    """Install the authorizer, switch extension loading off for good and bound the length of a value."""
    if hasattr(conn, "enable_load_extension"):
        conn.enable_load_extension(False)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.set_authorizer(guard.authorize)

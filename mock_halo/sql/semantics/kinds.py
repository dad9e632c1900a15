"""Value kinds: the handful of SQL Server type families the engine cares about.

SQLite stores everything as NULL/INTEGER/REAL/TEXT/BLOB, so the engine keeps
the SQL Server type of each expression on the side, as a *kind* plus (where
known) the declared type name (``nvarchar(50)``, ``decimal(9,2)`` ...). Kinds
drive the T-SQL rewrites (string ``+``, date comparisons) and the JSON
rendering of results (halo-facts 8).
"""

from __future__ import annotations

import re
from typing import Final

INT: Final = "int"
DEC: Final = "dec"  # decimal, numeric, money, float, real
STR: Final = "str"
DATE: Final = "date"
DATETIME: Final = "datetime"  # datetime, datetime2, smalldatetime
TIME: Final = "time"
DTO: Final = "datetimeoffset"
BIT: Final = "bit"
GUID: Final = "guid"
BIN: Final = "bin"
NULL: Final = "null"
UNKNOWN: Final = "unknown"

Kind = str
#: An expression's static type: its kind and declared type name ('' when not known).
Typed = tuple[Kind, str]
UNTYPED: Typed = (UNKNOWN, "")

TEMPORAL: Final = frozenset({DATE, DATETIME, TIME, DTO})
NUMERIC: Final = frozenset({INT, DEC, BIT})
#: Kinds whose storage form differs from what an integrator would write in a
#: literal, so literals compared with them are normalised first.
NORMALISED: Final = frozenset({DATE, DATETIME, TIME, DTO, BIT, GUID})

_BASE_KINDS: dict[str, Kind] = {
    "int": INT, "integer": INT, "bigint": INT, "smallint": INT, "tinyint": INT,
    "bit": BIT, "boolean": BIT,
    "decimal": DEC, "numeric": DEC, "money": DEC, "smallmoney": DEC, "float": DEC, "real": DEC,
    "double": DEC,
    "char": STR, "varchar": STR, "nchar": STR, "nvarchar": STR, "text": STR, "ntext": STR,
    "sysname": STR, "xml": STR,
    "date": DATE,
    "datetime": DATETIME, "datetime2": DATETIME, "smalldatetime": DATETIME,
    "datetimeoffset": DTO,
    "time": TIME,
    "uniqueidentifier": GUID,
    "binary": BIN, "varbinary": BIN, "image": BIN, "timestamp": BIN, "rowversion": BIN,
}

_DECL_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^)]*)\))?")


def split_decl(decl: str | None) -> tuple[str, str]:
    """``'NVARCHAR(50) COLLATE NOCASE'`` -> ``('nvarchar', '50')``."""
    if not decl:
        return "", ""
    match = _DECL_RE.match(decl)
    if not match:
        return "", ""
    return match.group(1).lower(), (match.group(2) or "").replace(" ", "").lower()


def kind_of_decl(decl: str | None) -> Kind:
    """The kind of a column from its declared (SQL Server) type name."""
    base, _ = split_decl(decl)
    return _BASE_KINDS.get(base, UNKNOWN)


def normal_decl(decl: str | None) -> str:
    """A compact lower-case type name: ``'NVARCHAR(50) COLLATE NOCASE'`` -> ``'nvarchar(50)'``; a length of -1
    (how the catalogues declare MAX for SQLite) reads ``max``."""
    base, params = split_decl(decl)
    if params == "-1":
        params = "max"
    return f"{base}({params})" if params else base


def is_unicode(decl: str | None) -> bool:
    return normal_decl(decl).startswith(("nvarchar", "nchar", "ntext"))


def string_type_name(decl: str | None) -> str:
    """How SQL Server names a string source in conversion messages (``varchar``/``nvarchar``: a fixed-width
    ``char``/``nchar`` value is reported as its varying type)."""
    base, _ = split_decl(decl)
    base = {"char": "varchar", "nchar": "nvarchar"}.get(base, base)
    return base if base in ("varchar", "nvarchar", "text", "ntext") else "varchar"

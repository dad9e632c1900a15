"""T-SQL functions that parse as ``exp.Anonymous``: their signatures and result types.

Each entry says how many arguments the function takes (error 174 otherwise) and its result type from
the argument types; unknown names get SQL Server's error 195. How a call is written for an engine is
that engine's back end's business (``BUILTINS`` of :mod:`mock_halo.sql.engines.sqlite.emitter` and
:mod:`mock_halo.sql.engines.postgres.emitter`). Adding a built-in is one entry here and one builder per
engine (plus a Python or SQL implementation where the engine lacks one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.kinds import Typed

Args = list[exp.Expression]
KindRule = Callable[[list[Typed]], Typed]


@dataclass(frozen=True, slots=True)
class Builtin:
    """A T-SQL built-in's signature: how many arguments it takes and its result type from theirs."""

    min_args: int
    max_args: int
    kind: KindRule


def _const(kind: K.Kind, decl: str) -> KindRule:
    return lambda _: (kind, decl)


def _date_result(args: list[Typed]) -> Typed:
    kind, decl = args[2] if len(args) > 2 else args[-1]
    if kind in (K.DATE, K.TIME, K.DTO):
        return kind, decl
    return K.DATETIME, decl if kind == K.DATETIME else "datetime"


#: Built-ins SQL Server has and the emulator does not: recognised (so not error 195), refused by the back ends.
NOT_EMULATED = (
    "SCOPE_IDENTITY", "IDENT_CURRENT", "RAISERROR", "THROW", "ERROR_MESSAGE", "ERROR_NUMBER", "NEWSEQUENTIALID",
    "OBJECT_ID", "OBJECT_NAME", "TRY_PARSE", "PARSE", "STR", "TRANSLATE", "SOUNDEX", "DIFFERENCE", "STRING_ESCAPE",
    "JSON_VALUE", "JSON_QUERY", "ISJSON", "OPENJSON", "COMPRESS", "DECOMPRESS", "HASHBYTES", "CHECKSUM",
    "BINARY_CHECKSUM", "SERVERPROPERTY", "DB_ID", "USER_NAME", "HOST_NAME", "APP_NAME", "SESSION_CONTEXT",
    "CONTEXT_INFO", "FORMATMESSAGE", "TODATETIMEOFFSET", "SWITCHOFFSET", "SYSDATETIMEOFFSET",
    "DATETIMEOFFSETFROMPARTS", "SMALLDATETIMEFROMPARTS", "DATETIME2FROMPARTS",
)

BUILTINS: dict[str, Builtin] = {
    "DATEADD": Builtin(3, 3, _date_result),
    "DATEDIFF": Builtin(3, 3, _const(K.INT, "int")),
    "DATEDIFF_BIG": Builtin(3, 3, _const(K.INT, "bigint")),
    "DATEPART": Builtin(2, 2, _const(K.INT, "int")),
    "DATENAME": Builtin(2, 2, _const(K.STR, "nvarchar")),
    "YEAR": Builtin(1, 1, _const(K.INT, "int")),
    "MONTH": Builtin(1, 1, _const(K.INT, "int")),
    "DAY": Builtin(1, 1, _const(K.INT, "int")),
    "EOMONTH": Builtin(1, 2, _const(K.DATE, "date")),
    "FORMAT": Builtin(2, 3, _const(K.STR, "nvarchar")),
    "GETDATE": Builtin(0, 0, _const(K.DATETIME, "datetime")),
    "SYSDATETIME": Builtin(0, 0, _const(K.DATETIME, "datetime2")),
    "GETUTCDATE": Builtin(0, 0, _const(K.DATETIME, "datetime")),
    "SYSUTCDATETIME": Builtin(0, 0, _const(K.DATETIME, "datetime2")),
    "ISNULL": Builtin(2, 2, lambda a: a[0] if a[0][0] != K.NULL else a[1]),
    "LEN": Builtin(1, 1, _const(K.INT, "int")),
    "DATALENGTH": Builtin(1, 1, _const(K.INT, "int")),
    "LEFT": Builtin(2, 2, lambda a: (K.STR, a[0][1] if a[0][0] == K.STR else "varchar")),
    "RIGHT": Builtin(2, 2, lambda a: (K.STR, a[0][1] if a[0][0] == K.STR else "varchar")),
    "CHARINDEX": Builtin(2, 3, _const(K.INT, "int")),
    "PATINDEX": Builtin(2, 2, _const(K.INT, "int")),
    "ISNUMERIC": Builtin(1, 1, _const(K.INT, "int")),
    "ISDATE": Builtin(1, 1, _const(K.INT, "int")),
    "QUOTENAME": Builtin(1, 2, _const(K.STR, "nvarchar")),
    "NCHAR": Builtin(1, 1, _const(K.STR, "nchar")),
    "CHOOSE": Builtin(2, 254, lambda a: next((t for t in a[1:] if t[0] != K.NULL), a[1])),
    "DB_NAME": Builtin(0, 1, _const(K.STR, "nvarchar")),
    **{name: Builtin(0, 99, _const(K.UNKNOWN, "")) for name in NOT_EMULATED},
}


def lookup(call: exp.Anonymous) -> tuple[str, Builtin]:
    """The builtin for an anonymous call (``MH_`` prefix removed); 195 / 174 errors."""
    name = str(call.this).upper()
    if name.startswith("MH_") and name[3:] in BUILTINS:
        name = name[3:]
    builtin = BUILTINS.get(name)
    if builtin is None:
        raise errors.unknown_function(str(call.this))
    count = len(call.expressions)
    if not builtin.min_args <= count <= builtin.max_args:
        raise errors.wrong_argument_count(name.lower(), builtin.min_args if count < builtin.min_args else
                                          builtin.max_args)
    return name, builtin

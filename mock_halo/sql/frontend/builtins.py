"""T-SQL functions that parse as ``exp.Anonymous``: their types and rewrites.

Each entry says how many arguments the function takes, its result type from
the argument types, and how to rewrite the call for SQLite (usually a call to
one of the ``mh_*`` functions of :mod:`mock_halo.sql.engines.sqlite.functions`). Adding a
built-in is one entry here (plus its Python implementation if it needs one).
Unknown names get SQL Server's error 195.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlglot import exp

from mock_halo.sql.semantics import convert, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.kinds import Typed


class Rewriter(Protocol):
    """What a builder uses of the SQLite rewriter (:class:`mock_halo.sql.frontend.rewrite.Rewriter`)."""

    catalogue_name: str

    def kind(self, node: exp.Expression) -> Typed: ...

    def call(self, name: str, *args: exp.Expression) -> exp.Expression: ...

    def now(self, which: str) -> exp.Expression: ...

    def as_text(self, node: exp.Expression) -> exp.Expression: ...

    def as_datetime_arg(self, node: exp.Expression) -> exp.Expression: ...

    def normalised(self, node: exp.Expression, kind: K.Kind, decl: str = "",
                   assign: bool = False) -> exp.Expression: ...


Args = list[exp.Expression]
KindRule = Callable[[list[Typed]], Typed]
Builder = Callable[[Rewriter, Args], exp.Expression]


@dataclass(frozen=True, slots=True)
class Builtin:
    min_args: int
    max_args: int
    kind: KindRule
    build: Builder


def _const(kind: K.Kind, decl: str) -> KindRule:
    return lambda _: (kind, decl)


def _date_result(args: list[Typed]) -> Typed:
    kind, decl = args[2] if len(args) > 2 else args[-1]
    if kind in (K.DATE, K.TIME, K.DTO):
        return kind, decl
    return K.DATETIME, decl if kind == K.DATETIME else "datetime"


def _part(args: Args) -> exp.Expression:
    return exp.Literal.string(args[0].name)


def _udf(name: str, *, text_args: tuple[int, ...] = (), datetime_args: tuple[int, ...] = (),
         part: bool = False, extra: tuple[exp.Expression, ...] = ()) -> Builder:
    """A builder calling ``mh_<name>``; listed arguments are converted as SQL Server would."""

    def build(rw: Rewriter, args: Args) -> exp.Expression:
        out: list[exp.Expression] = []
        for index, arg in enumerate(args):
            if part and index == 0:
                out.append(_part(args))
            elif index in text_args:
                out.append(rw.as_text(arg))
            elif index in datetime_args:
                out.append(rw.as_datetime_arg(arg))
            else:
                out.append(arg)
        return rw.call(name, *out, *extra)

    return build


def _isnull(rw: Rewriter, args: Args) -> exp.Expression:
    """ISNULL(x, y) has x's type: a string literal y for a numeric x is converted now (COALESCE keeps its
    text, and ``COALESCE(intcol, '0') = 0`` would be false in SQLite)."""
    kind, decl = rw.kind(args[0])
    replacement = args[1]
    if kind in (K.INT, K.BIT, K.DEC) and isinstance(replacement, exp.Literal) and replacement.is_string:
        spec = "bigint" if kind != K.DEC else ("float" if "float" in decl or "real" in decl else "decimal(38,10)")
        value = convert.convert(replacement.this, spec, None, "varchar")
        return exp.Coalesce(this=args[0], expressions=[exp.Literal.number(repr(value))])
    return exp.Coalesce(this=args[0], expressions=[rw.normalised(replacement, kind)])


def _choose(rw: Rewriter, args: Args) -> exp.Expression:
    ifs = [exp.If(this=exp.EQ(this=args[0].copy(), expression=exp.Literal.number(i)), true=value)
           for i, value in enumerate(args[1:], start=1)]
    return exp.Case(ifs=ifs)


def _datalength(rw: Rewriter, args: Args) -> exp.Expression:
    kind, decl = rw.kind(args[0])
    unicode = 0 if decl in ("varchar", "char", "text") else 1
    return rw.call("datalength", args[0], exp.Literal.number(unicode))


def _db_name(rw: Rewriter, args: Args) -> exp.Expression:
    if args:
        raise errors.unsupported("DB_NAME(database_id)")
    return exp.Literal.string(rw.catalogue_name)


def _unsupported(name: str) -> Builtin:
    def build(rw: Rewriter, args: Args) -> exp.Expression:
        raise errors.unsupported(f"{name}()")

    return Builtin(0, 99, _const(K.UNKNOWN, ""), build)


BUILTINS: dict[str, Builtin] = {
    "DATEADD": Builtin(3, 3, _date_result, _udf("dateadd", part=True, datetime_args=(2,))),
    "DATEDIFF": Builtin(3, 3, _const(K.INT, "int"),
                        _udf("datediff", part=True, datetime_args=(1, 2), extra=(exp.Literal.number(0),))),
    "DATEDIFF_BIG": Builtin(3, 3, _const(K.INT, "bigint"),
                            _udf("datediff", part=True, datetime_args=(1, 2), extra=(exp.Literal.number(1),))),
    "DATEPART": Builtin(2, 2, _const(K.INT, "int"), _udf("datepart", part=True, datetime_args=(1,))),
    "DATENAME": Builtin(2, 2, _const(K.STR, "nvarchar"), _udf("datename", part=True, datetime_args=(1,))),
    "YEAR": Builtin(1, 1, _const(K.INT, "int"),
                    lambda rw, a: rw.call("datepart", exp.Literal.string("year"), rw.as_datetime_arg(a[0]))),
    "MONTH": Builtin(1, 1, _const(K.INT, "int"),
                     lambda rw, a: rw.call("datepart", exp.Literal.string("month"), rw.as_datetime_arg(a[0]))),
    "DAY": Builtin(1, 1, _const(K.INT, "int"),
                   lambda rw, a: rw.call("datepart", exp.Literal.string("day"), rw.as_datetime_arg(a[0]))),
    "EOMONTH": Builtin(1, 2, _const(K.DATE, "date"), _udf("eomonth", datetime_args=(0,))),
    "FORMAT": Builtin(2, 3, _const(K.STR, "nvarchar"), _udf("format", datetime_args=(0,))),
    "GETDATE": Builtin(0, 0, _const(K.DATETIME, "datetime"), lambda rw, a: rw.now("local")),
    "SYSDATETIME": Builtin(0, 0, _const(K.DATETIME, "datetime2"), lambda rw, a: rw.now("local")),
    "GETUTCDATE": Builtin(0, 0, _const(K.DATETIME, "datetime"), lambda rw, a: rw.now("utc")),
    "SYSUTCDATETIME": Builtin(0, 0, _const(K.DATETIME, "datetime2"), lambda rw, a: rw.now("utc")),
    "ISNULL": Builtin(2, 2, lambda a: a[0] if a[0][0] != K.NULL else a[1], _isnull),
    "LEN": Builtin(1, 1, _const(K.INT, "int"), _udf("len", text_args=(0,))),
    "DATALENGTH": Builtin(1, 1, _const(K.INT, "int"), _datalength),
    "LEFT": Builtin(2, 2, lambda a: (K.STR, a[0][1] if a[0][0] == K.STR else "varchar"),
                    _udf("left", text_args=(0,))),
    "RIGHT": Builtin(2, 2, lambda a: (K.STR, a[0][1] if a[0][0] == K.STR else "varchar"),
                     _udf("right", text_args=(0,))),
    "CHARINDEX": Builtin(2, 3, _const(K.INT, "int"), _udf("charindex", text_args=(0, 1))),
    "PATINDEX": Builtin(2, 2, _const(K.INT, "int"), _udf("patindex", text_args=(0, 1))),
    "ISNUMERIC": Builtin(1, 1, _const(K.INT, "int"), _udf("isnumeric")),
    "ISDATE": Builtin(1, 1, _const(K.INT, "int"), _udf("isdate")),
    "QUOTENAME": Builtin(1, 2, _const(K.STR, "nvarchar"), _udf("quotename", text_args=(0,))),
    "NCHAR": Builtin(1, 1, _const(K.STR, "nchar"), _udf("nchar")),
    "CHOOSE": Builtin(2, 254, lambda a: next((t for t in a[1:] if t[0] != K.NULL), a[1]), _choose),
    "DB_NAME": Builtin(0, 1, _const(K.STR, "nvarchar"), _db_name),
    **{name: _unsupported(name) for name in (
        "SCOPE_IDENTITY", "IDENT_CURRENT", "RAISERROR", "THROW", "ERROR_MESSAGE", "ERROR_NUMBER",
        "NEWSEQUENTIALID", "OBJECT_ID", "OBJECT_NAME", "TRY_PARSE", "PARSE", "STR", "TRANSLATE", "SOUNDEX",
        "DIFFERENCE", "STRING_ESCAPE", "JSON_VALUE", "JSON_QUERY", "ISJSON", "OPENJSON", "COMPRESS",
        "DECOMPRESS", "HASHBYTES", "CHECKSUM", "BINARY_CHECKSUM", "SERVERPROPERTY", "DB_ID", "USER_NAME",
        "HOST_NAME", "APP_NAME", "SESSION_CONTEXT", "CONTEXT_INFO", "FORMATMESSAGE", "TODATETIMEOFFSET",
        "SWITCHOFFSET", "SYSDATETIMEOFFSET", "DATETIMEOFFSETFROMPARTS", "SMALLDATETIMEFROMPARTS",
        "DATETIME2FROMPARTS")},
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

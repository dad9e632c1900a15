"""Static typing of T-SQL expressions: what SQL Server type an expression has.

:func:`infer` gives the (kind, declared type) of a node of the *parsed* tree;
:mod:`mock_halo.sql.frontend.builtins` types the functions that parse as
``exp.Anonymous``. Anything not covered is ``unknown`` and the engine falls
back to runtime typing (e.g. ``mh_add`` decides between concatenation and
addition by the values' types).
"""

from __future__ import annotations

from typing import Protocol

from sqlglot import exp

from mock_halo.sql.frontend import builtins
from mock_halo.sql.frontend.schema import OutCol
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.kinds import UNTYPED, Typed


class Analyzer(Protocol):
    """What typing needs from name resolution (:class:`mock_halo.sql.frontend.resolve.Analyzer`)."""

    def kind(self, node: exp.Expression) -> Typed: ...

    def resolve_column(self, column: exp.Column) -> Typed: ...

    def outputs(self, query: exp.Expression) -> list[OutCol] | None: ...


def type_spec(data_type: exp.DataType) -> str:
    """``exp.DataType`` -> a compact SQL Server type name (``'decimal(9,2)'``)."""
    text = data_type.sql(dialect="tsql").lower().replace(" ", "")
    if text.startswith("integer"):
        return "int" + text[7:]
    if text == "sysname":
        return "nvarchar(128)"
    return text


def literal_decl(literal: exp.Literal) -> Typed:
    if literal.is_string:
        return K.STR, "varchar"
    text = literal.this
    if "e" in text.lower():
        return K.DEC, "float"
    if "." in text:
        whole, _, frac = text.lstrip("-").partition(".")
        return K.DEC, f"decimal({max(len(whole) + len(frac), 1)},{len(frac)})"
    return K.INT, "int" if abs(int(text)) < 2**31 else "bigint"

_BOOLEAN_NODES = (exp.Predicate, exp.And, exp.Or, exp.Not, exp.Exists, exp.Like, exp.In, exp.Between, exp.Is)
_SAME_AS_ARG = (exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Pow, exp.Sign, exp.Sum, exp.Min, exp.Max,
                exp.Avg, exp.Neg, exp.Paren, exp.Alias, exp.Nullif, exp.FirstValue, exp.LastValue, exp.Lag,
                exp.Lead, exp.NthValue)
_STRING_NODES = (exp.Upper, exp.Lower, exp.Trim, exp.Substring, exp.Replace, exp.Concat, exp.ConcatWs,
                 exp.Repeat, exp.Space, exp.Reverse, exp.Stuff, exp.Chr, exp.GroupConcat, exp.CurrentUser,
                 exp.DPipe)
_INT_NODES = (exp.Count, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile, exp.Ascii, exp.Unicode,
              exp.Length, exp.StrPosition, exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot)
_DEC_NODES = (exp.Sqrt, exp.Exp, exp.Ln, exp.Log, exp.Pi, exp.Rand, exp.PercentRank, exp.CumeDist)


def infer(analyzer: Analyzer, node: exp.Expression) -> Typed:
    if isinstance(node, exp.Column):
        return UNTYPED if node.is_star else analyzer.resolve_column(node)
    if isinstance(node, exp.Literal):
        return literal_decl(node)
    if isinstance(node, exp.National):
        return K.STR, "nvarchar"
    if isinstance(node, exp.Null):
        return K.NULL, ""
    if isinstance(node, exp.Boolean):
        return K.BIT, "bit"
    if isinstance(node, exp.HexString):
        return K.BIN, "varbinary"
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return _typed_spec(type_spec(node.args["to"]))
    if isinstance(node, exp.Convert):
        return _typed_spec(type_spec(node.this))
    if isinstance(node, exp.Anonymous):
        return kind_of_call(analyzer, node)
    if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDatetime)):
        return K.DATETIME, "datetime"
    if isinstance(node, exp.CurrentDate):
        return K.DATE, "date"
    if isinstance(node, exp.DateFromParts):
        return K.DATE, "date"
    if isinstance(node, exp.Uuid):
        return K.GUID, "uniqueidentifier"
    if isinstance(node, exp.Binary) and not isinstance(node, _BOOLEAN_NODES):
        return _arithmetic(analyzer, node)
    if isinstance(node, _BOOLEAN_NODES):
        return K.BIT, "bit"
    if isinstance(node, _SAME_AS_ARG):
        return analyzer.kind(node.this)
    if isinstance(node, exp.Coalesce):
        return _first_typed(analyzer, [node.this, *node.expressions], first_only=bool(node.args.get("is_null")))
    if isinstance(node, exp.If):
        return _first_typed(analyzer, [node.args.get("true"), node.args.get("false")])
    if isinstance(node, exp.Case):
        branches = [case.args.get("true") for case in node.args.get("ifs") or ()]
        return _first_typed(analyzer, [*branches, node.args.get("default")])
    if isinstance(node, exp.Window):
        return analyzer.kind(node.this)
    if isinstance(node, exp.Subquery):
        outputs = analyzer.outputs(node.this)
        return (outputs[0].kind, outputs[0].decl) if outputs else UNTYPED
    if isinstance(node, _STRING_NODES):
        return K.STR, "nvarchar"
    if isinstance(node, _INT_NODES):
        return K.INT, "int"
    if isinstance(node, _DEC_NODES):
        return K.DEC, "float"
    return UNTYPED


def _typed_spec(spec: str) -> Typed:
    kind = K.kind_of_decl(spec)
    return kind, spec


def _first_typed(analyzer: Analyzer, nodes: list[exp.Expression | None], first_only: bool = False) -> Typed:
    for node in nodes:
        if node is None:
            continue
        typed = analyzer.kind(node)
        if first_only or typed[0] not in (K.NULL, K.UNKNOWN):
            return typed
    return UNTYPED


def _arithmetic(analyzer: Analyzer, node: exp.Binary) -> Typed:
    left, right = analyzer.kind(node.this), analyzer.kind(node.expression)
    kinds = {left[0], right[0]}
    if isinstance(node, exp.Add) and left[0] == K.STR and right[0] == K.STR:
        return K.STR, "nvarchar" if "nvarchar" in (left[1], right[1]) else "varchar"
    if isinstance(node, (exp.Add, exp.Sub)) and K.DATETIME in kinds and kinds <= {K.DATETIME, K.INT, K.DEC}:
        return K.DATETIME, "datetime"
    if K.UNKNOWN in kinds or K.STR in kinds and not kinds & K.NUMERIC:
        return UNTYPED
    if K.NULL in kinds:
        return UNTYPED
    if kinds <= {K.INT, K.BIT}:
        return K.INT, "int"
    if kinds & {K.DEC, K.INT, K.BIT, K.STR}:
        decl = left[1] if left[0] == K.DEC else right[1]
        if kinds == {K.INT, K.STR}:
            return K.INT, "int"
        return K.DEC, decl or "float"
    return UNTYPED


def kind_of_call(analyzer: Analyzer, call: exp.Anonymous) -> Typed:
    """The type of a built-in that parses as ``exp.Anonymous`` (195 / 174 for unknown names and arities)."""
    _, builtin = builtins.lookup(call)
    return builtin.kind([analyzer.kind(arg) for arg in call.expressions])

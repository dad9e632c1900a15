"""What every engine's back end shares: a resolved, typed T-SQL tree -> the engine's SQL, bottom-up.

In the manner of sqlglot's ``Generator`` subclasses, each back end extends one table of transforms,
``TRANSFORMS = {**Emitter.TRANSFORMS, ...}`` (node type -> handler), and one table of built-ins,
``BUILTINS`` (T-SQL name -> builder). SQL Server's semantics were decided before the back end runs:
names and types by :mod:`~mock_halo.sql.frontend.resolve` and
:mod:`~mock_halo.sql.frontend.typing_rules`, data type precedence by
:mod:`~mock_halo.sql.frontend.precedence` (whose conversions arrive here as
:func:`~mock_halo.sql.frontend.precedence.implicit_conversion` markers). A back end only says how its
engine spells them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from mock_halo.sql.frontend import builtins
from mock_halo.sql.frontend.precedence import conversion_of
from mock_halo.sql.frontend.program import STRING_TYPE_KEY
from mock_halo.sql.frontend.resolve import Analyzer
from mock_halo.sql.frontend.typing_rules import type_spec
from mock_halo.sql.semantics import convert, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.kinds import Typed
from mock_halo.sql.semantics.strings import NON_MAX_BYTES, UNICODE_CHARS

COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)

Transform = Callable[[Any, exp.Expression], exp.Expression]
Builder = Callable[[Any, list[exp.Expression]], exp.Expression]


class Emitter:
    """Rewrites one analysed statement for an engine; collects the parameters it references."""

    TRANSFORMS: dict[type[exp.Expression], Transform] = {
        exp.Column: lambda em, node: em.column(node),
        exp.Parameter: lambda em, node: em.parameter(node),
        exp.Anonymous: lambda em, node: em.anonymous(node),
        exp.National: lambda em, node: exp.Literal.string(node.this),
        exp.CurrentTimestamp: lambda em, node: em.now("local"),
        exp.CurrentUser: lambda em, node: exp.Literal.string("dbo"),
    }
    #: T-SQL built-ins that parse as ``exp.Anonymous`` (names checked by :func:`builtins.lookup`) -> builder.
    BUILTINS: dict[str, Builder] = {}
    #: How the engine is named in "not supported" messages ("" for the embedded engine).
    ENGINE = ""

    def __init__(self, analyzer: Analyzer, catalogue_name: str) -> None:
        self.analyzer = analyzer
        self.catalogue_name = catalogue_name
        self.params: list[str] = []  # parameter keys, in placeholder order
        self.written: dict[str, str] = {}  # key -> the name as written (for error 137)

    def kind(self, node: exp.Expression) -> Typed:
        return self.analyzer.kind(node)

    # -- spelling, per engine ------------------------------------------------------------------
    def marker(self, index: int) -> exp.Expression:
        """The engine's placeholder for parameter number ``index`` (0-based)."""
        raise NotImplementedError

    def now(self, which: str) -> exp.Expression:
        """The command's clock (``local`` or ``utc``), bound as a parameter."""
        raise NotImplementedError

    def implicit_conversion(self, text: exp.Expression, to: str, source: str) -> exp.Expression:
        """Text converted to a number as SQL Server converts it (the front end decided where and to what)."""
        raise NotImplementedError

    def compare(self, node: exp.Binary) -> exp.Expression:
        return node

    # -- CAST / CONVERT / TRY_CAST: SQL Server's rules, whatever the engine -------------------------
    @staticmethod
    def conversion(node: exp.Expression) -> tuple[exp.Expression, str, int | None, int]:
        """(value, target type, style, safe) of a CAST, CONVERT or TRY_CAST; refuses what is not emulated."""
        if isinstance(node, exp.Convert):
            data_type, value, style_node = node.this, node.expression, node.args.get("style")
        else:
            data_type, value, style_node = node.args["to"], node.this, None
        spec = type_spec(data_type)
        convert.target(spec)  # unsupported target types fail now
        style = None
        if style_node is not None:
            if not isinstance(style_node, exp.Literal) or style_node.is_string:
                raise errors.unsupported("CONVERT with a non-constant style")
            style = int(style_node.this)
        return value, spec, style, int(bool(node.args.get("safe")) or isinstance(node, exp.TryCast))

    def folded(self, value: exp.Literal | exp.Null, spec: str, style: int | None, safe: int) -> object:
        """A conversion of a constant, done now with SQL Server's rules (its errors raised at translation)."""
        constant = None if isinstance(value, exp.Null) else value.this if value.is_string else number(value.this)
        return convert.convert(constant, spec, style, self.kind(value)[1], safe)

    # -- string builders: SQL Server cuts a string built from non-max types at 8,000 bytes ---------------
    def decl(self, node: exp.Expression) -> str:
        """The declared type of ``node``; for a string builder already rewritten, the one it noted."""
        return node.meta.get(_DECL) or self.kind(node)[1]

    def char_limit(self, node: exp.Expression) -> int:
        """Characters a string built from ``node`` keeps: 0 for a max type (no limit), -1 when the type is
        only known at run time (a request parameter: nvarchar(4000) unless longer), else 8,000 or 4,000."""
        decl = self.decl(node)
        if not decl:
            return -1
        normal = K.normal_decl(decl)
        if "(max)" in normal or normal.startswith(("text", "ntext")):
            return 0
        return UNICODE_CHARS if K.is_unicode(normal) else NON_MAX_BYTES

    def joined_limit(self, nodes: list[exp.Expression]) -> int:
        """The limit of a string joined from ``nodes`` (CONCAT, ``+``): none if any is a max type; else
        decided at run time if any is a parameter; else nvarchar's 4,000 if any is Unicode, else 8,000."""
        limits = [self.char_limit(node) for node in nodes]
        if 0 in limits or -1 in limits:
            return 0 if 0 in limits else -1
        return UNICODE_CHARS if UNICODE_CHARS in limits else NON_MAX_BYTES

    def longest(self, nodes: list[exp.Expression]) -> int | None:
        """The most characters strings joined from ``nodes`` can hold, when their declared lengths or
        literal texts say (None when one is unknown)."""
        total = 0
        for node in nodes:
            longest = node.meta.get(_LONGEST)
            if longest is None and isinstance(node, exp.Literal) and node.is_string:
                longest = len(node.this)
            if longest is None:
                _, params = K.split_decl(self.decl(node))
                longest = int(params) if params.isdigit() else None
            if longest is None:
                return None
            total += longest
        return total

    def joined(self, left: exp.Expression, right: exp.Expression, join: exp.Expression) -> exp.Expression:
        """``join``, the engine's spelling of ``left + right`` for two strings, cut as SQL Server cuts it:
        at 8,000 bytes unless either is a max type. A join known to fit (``Firstname + ' ' + Surname``:
        declared lengths, literal texts) is left as it is."""
        limit = self.joined_limit([left, right])
        longest = self.longest([left, right])
        if limit == 0 or (longest is not None and longest <= limit):
            return self.typed_builder(join, limit, longest)
        return self.typed_builder(self.cut(join, limit, [left, right]), limit)

    def cut(self, text: exp.Expression, limit: int, inputs: list[exp.Expression]) -> exp.Expression:
        """``text`` cut to ``limit`` characters (-1: 4,000 unless one of ``inputs`` is longer)."""
        raise NotImplementedError

    # -- ``+`` with a request parameter: SQL Server types it by the parameter's declared type -------------
    def join_mark(self, node: exp.Expression) -> exp.Expression:
        """What ``node`` counts as in ``+`` (:func:`~mock_halo.sql.semantics.strings.join_limit`), as one
        integer expression of the engine: a request parameter's string type, filled in at run time
        (``params.string_limit``), that of a ``+`` typed at run time itself, else what its static
        type says (-1: not a string)."""
        while isinstance(node, exp.Paren):
            node = node.this
        marks = node.meta.get(_MARKS)
        if marks is not None:
            return self.fold_marks([mark.copy() for mark in marks])
        key = node.meta.get(_PARAM)
        if key is not None and self.kind(node)[0] == K.UNKNOWN:
            return self.string_type(self.placeholder(STRING_TYPE_KEY + key, "@" + key))
        return exp.Literal.number(self.char_limit(node) if self.kind(node)[0] == K.STR else -1)

    def fold_marks(self, marks: list[exp.Expression]) -> exp.Expression:
        """One expression for the limit of strings joined from operands with these marks."""
        return marks[0] if len(marks) == 1 else self.join_limit_call(marks)

    def join_limit_call(self, marks: list[exp.Expression]) -> exp.Expression:
        """The engine's call of ``join_limit`` over ``marks``."""
        raise NotImplementedError

    def string_type(self, placeholder: exp.Expression) -> exp.Expression:
        """A request parameter's string type (an integer bound at run time) as the engine reads it."""
        return placeholder

    @staticmethod
    def runtime_join(node: exp.Expression, marks: list[exp.Expression]) -> exp.Expression:
        """Note on ``node`` (a ``+`` typed at run time) the marks of what it joins, for a ``+`` around it."""
        node.meta[_MARKS] = marks
        return node

    @staticmethod
    def typed_builder(call: exp.Expression, limit: int, longest: int | None = None) -> exp.Expression:
        """Note a string builder's result type (and, if known, its longest length) on its call, for a
        builder around it (REPLACE(REPLICATE(...)), a + b + c)."""
        call.meta[_DECL] = {0: "varchar(max)", UNICODE_CHARS: "nvarchar", NON_MAX_BYTES: "varchar"}.get(limit, "")
        if longest is not None:
            call.meta[_LONGEST] = longest
        return call

    # -- the walk ---------------------------------------------------------------------------------
    def placeholder(self, key: str, written: str) -> exp.Expression:
        if key not in self.written:
            self.params.append(key)
            self.written[key] = written
        return self.marker(self.params.index(key))

    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        nodes = list(tree.dfs())
        for node in nodes:
            self.analyzer.kind(node)  # types (and 207/209/4104 checks) before anything changes
        for node in reversed(nodes):
            parent, arg_key, index = node.parent, node.arg_key, node.index
            replacement = self.visit(node)
            if replacement is not node:
                self.analyzer.set_kind(replacement, self.analyzer.kind(node))
                if parent is None:
                    tree = replacement
                else:
                    parent.set(arg_key, replacement, index=index, overwrite=True)
        return tree

    def visit(self, node: exp.Expression) -> exp.Expression:
        transform = self.TRANSFORMS.get(type(node))
        if transform is None:
            return self.compare(node) if isinstance(node, COMPARISONS) else node
        return transform(self, node)

    # -- shared handlers ----------------------------------------------------------------------------
    def column(self, node: exp.Column) -> exp.Expression:
        node.set("db", None)
        node.set("catalog", None)
        return node

    def parameter(self, node: exp.Parameter) -> exp.Expression:
        if isinstance(node.this, exp.Parameter):
            raise errors.unsupported(f"@@{node.this.name.upper()}")
        marker = self.placeholder(node.name.lower(), "@" + node.name)
        marker.meta[_PARAM] = node.name.lower()
        return marker

    def anonymous(self, node: exp.Anonymous) -> exp.Expression:
        conversion = conversion_of(node)
        if conversion is not None:
            return self.implicit_conversion(*conversion)
        name, _ = builtins.lookup(node)  # 195 / 174 as on SQL Server
        builder = self.BUILTINS.get(name)
        if builder is None:
            raise errors.unsupported(f"{name}(){' on ' + self.ENGINE if self.ENGINE else ''}")
        return builder(self, list(node.expressions))


_DECL = "mh_decl"
_LONGEST = "mh_longest"
#: A placeholder's parameter key; the marks of a ``+`` typed at run time (see ``join_mark``).
_PARAM = "mh_param"
_MARKS = "mh_marks"


def number(text: str) -> int | float:
    """A numeric literal's value."""
    return float(text) if any(c in text for c in ".eE") else int(text)


def generate(tree: exp.Expression, dialect: str) -> str:
    """The engine's SQL for a rewritten tree; anything sqlglot cannot express is refused, never half-written."""
    try:
        sql = tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise errors.unsupported("this construct", str(exc).splitlines()[0]) from None
    if not sql.strip():
        raise errors.unsupported("this statement")
    return sql

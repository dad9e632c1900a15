"""SQL Server's data type precedence, applied once on the typed tree, before any engine's back end.

When text meets a number (``=``, ``<`` ..., ``IN``, ``BETWEEN``, ``+ - * / %``), SQL Server converts the
text side to the number's type, row by row, failing with 245 / 248 / 8114 in its own words. This pass
decides which operand converts and to what, and marks it: a string literal is converted now (its
error, if any, is raised at translation time); any other operand is wrapped in
:func:`implicit_conversion`, which each back end emits in its own way (``mh_convert`` on SQLite,
``mock_halo.to_int`` / ``to_numeric`` on PostgreSQL). The marked nodes carry their new static type, so
the back ends see a number compared with a number and only emit.

The target type of the text side:

* an ``int``, ``smallint``, ``tinyint`` or ``bit`` operand: ``int`` (``bigint`` for a ``bigint``);
* a ``float`` or ``real`` operand: ``float``; any other decimal: ``decimal(38,10)``;
* among several candidates (``IN`` items, ``BETWEEN`` bounds) a decimal wins over an int (a float over
  other decimals) and a bigint over an int.

``ISNULL(x, y)`` is typed as ``x``, so a text literal ``y`` beside a number ``x`` converts to exactly
``x``'s declared type (``tinyint``, ``bigint``, ``decimal(5,2)``, ``money``, ``bit`` ...: its range,
scale and words such as ``'true'``), with that type's errors; only an ``x`` of no declared type
(an expression) falls back to the comparison targets above.

A new rule of SQL Server's typing belongs here (or in :mod:`~mock_halo.sql.frontend.typing_rules`),
never in a back end: both engines follow it.
"""

from __future__ import annotations

from sqlglot import exp

from mock_halo.sql.frontend.resolve import Analyzer
from mock_halo.sql.semantics import convert
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.errors import SqlError
from mock_halo.sql.semantics.kinds import Typed

#: Kinds a text operand converts to in a comparison (dates, times, bits and GUIDs go through each back end's
#: storage-form handling instead).
PRECEDES_TEXT = frozenset({K.INT, K.DEC})
_NUMBERS = frozenset({K.INT, K.DEC, K.BIT})
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_ARITHMETIC = (exp.Sub, exp.Mul, exp.Div, exp.Mod)
#: In ``- * / %`` text converts to a number unless the other side is text or a date/time (whose own rules apply;
#: a parameter or NULL of unknown type counts as a number).
_NOT_NUMBERS = frozenset({K.STR, *K.TEMPORAL})


#: ISNULL as the parser leaves it (a renamed anonymous call, see :mod:`~mock_halo.sql.frontend.dialect`).
ISNULL = "MH_ISNULL"

#: The name of the marker call (sqlglot's compiled expression classes cannot be subclassed).
MARK = "MH_IMPLICIT_CONVERSION"


def implicit_conversion(node: exp.Expression, to: str, source: str) -> exp.Anonymous:
    """``node`` (text) converted to the number type ``to`` as SQL Server converts implicitly; ``source`` is
    the text's declared type (for SQL Server's messages, ``varchar`` when not known)."""
    return exp.Anonymous(this=MARK, expressions=[node], to=to, source=source)


def conversion_of(node: exp.Expression) -> tuple[exp.Expression, str, str] | None:
    """(text operand, target type, source type) of an :func:`implicit_conversion` marker, else None."""
    if isinstance(node, exp.Anonymous) and node.this == MARK:
        return node.expressions[0], node.args["to"], node.args["source"]
    return None


def target(kind: K.Kind, decl: str) -> str:
    """The type text converts to when it meets a number of type (``kind``, ``decl``)."""
    if kind in (K.INT, K.BIT):
        return "bigint" if decl == "bigint" else "int"
    return "float" if "float" in decl or "real" in decl else "decimal(38,10)"


def number_among(typed: list[Typed]) -> Typed | None:
    """The number type text compared with all of ``typed`` converts to (None: no number among them)."""
    numbers = [t for t in typed if t[0] in PRECEDES_TEXT]
    if not numbers:
        return None
    decimals = [t for t in numbers if t[0] == K.DEC]
    if decimals:
        return next((t for t in decimals if "float" in t[1] or "real" in t[1]), decimals[0])
    return next((t for t in numbers if t[1] == "bigint"), numbers[0])


class Precedence:
    """Applies the rules to one resolved statement (kinds from its :class:`Analyzer`)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer

    def apply(self, tree: exp.Expression) -> exp.Expression:
        nodes = list(tree.dfs())
        for node in nodes:
            self.analyzer.kind(node)  # types (and 207/209/4104 checks) before anything changes
        for node in reversed(nodes):
            if isinstance(node, _COMPARISONS):
                self.compare(node)
            elif isinstance(node, exp.In):
                self.in_(node)
            elif isinstance(node, exp.Between):
                self.between(node)
            elif isinstance(node, exp.Add):
                self.add(node)
            elif isinstance(node, _ARITHMETIC):
                self.arithmetic(node)
            elif isinstance(node, exp.Anonymous) and str(node.this).upper() == ISNULL:
                self.isnull(node)
        return tree

    def kind(self, node: exp.Expression) -> Typed:
        return self.analyzer.kind(node)

    def convert(self, node: exp.Expression, to: Typed) -> exp.Expression:
        """``node`` (text) as the number type text converts to when it meets ``to``."""
        spec = target(*to)
        typed = (K.INT if spec in ("int", "bigint") else K.DEC, spec)
        if isinstance(node, exp.Literal):
            converted: exp.Expression = exp.Literal.number(repr(convert.convert(node.this, spec, None, "varchar")))
        else:
            converted = implicit_conversion(node, spec, self.kind(node)[1] or "varchar")
        self.analyzer.set_kind(converted, typed)
        return converted

    # -- the rules ---------------------------------------------------------------------------------
    def compare(self, node: exp.Binary) -> None:
        if isinstance(node.parent, exp.Update) and isinstance(node, exp.EQ):
            return  # SET column = value: an assignment, not a comparison
        left, right = self.kind(node.this), self.kind(node.expression)
        if left[0] == K.STR and right[0] in PRECEDES_TEXT:
            node.set("this", self.convert(node.this, right))
        elif right[0] == K.STR and left[0] in PRECEDES_TEXT:
            node.set("expression", self.convert(node.expression, left))

    def in_(self, node: exp.In) -> None:
        number = self.among(node.this, node.expressions)
        if number is not None:
            node.set("this", self.text_as(node.this, number))
            node.set("expressions", [self.text_as(e, number) for e in node.expressions])

    def between(self, node: exp.Between) -> None:
        number = self.among(node.this, [node.args["low"], node.args["high"]])
        if number is not None:
            for key in ("this", "low", "high"):
                node.set(key, self.text_as(node.args[key], number))

    def among(self, subject: exp.Expression, others: list[exp.Expression]) -> Typed | None:
        """``subject`` IN / BETWEEN ``others``: the number type the text among them converts to (None: none)."""
        typed = self.kind(subject)
        if typed[0] in PRECEDES_TEXT:
            return typed
        return number_among([self.kind(o) for o in others]) if typed[0] == K.STR else None

    def text_as(self, node: exp.Expression, number: Typed) -> exp.Expression:
        return self.convert(node, number) if self.kind(node)[0] == K.STR else node

    def add(self, node: exp.Add) -> None:
        left, right = self.kind(node.this), self.kind(node.expression)
        if left[0] == K.STR and right[0] in _NUMBERS:
            node.set("this", self.convert(node.this, right))
        elif right[0] == K.STR and left[0] in _NUMBERS:
            node.set("expression", self.convert(node.expression, left))

    def arithmetic(self, node: exp.Binary) -> None:
        left, right = self.kind(node.this), self.kind(node.expression)
        if left[0] == K.STR and right[0] not in _NOT_NUMBERS:
            node.set("this", self.convert(node.this, right))
        if right[0] == K.STR and left[0] not in _NOT_NUMBERS:
            node.set("expression", self.convert(node.expression, left))

    def isnull(self, node: exp.Anonymous) -> None:
        if len(node.expressions) != 2:
            return  # the wrong argument count is reported by the builtins' lookup
        first, second = node.expressions
        kind, decl = self.kind(first)
        if kind not in _NUMBERS or not (isinstance(second, exp.Literal) and second.is_string):
            return
        spec = _declared(decl) or ("bit" if kind == K.BIT else target(kind, decl))
        converted = exp.Literal.number(repr(convert.convert(second.this, spec, None, "varchar")))
        self.analyzer.set_kind(converted, (kind, decl))
        node.set("expressions", [first, converted])


def _declared(decl: str) -> str | None:
    """``decl`` when it is a number type :func:`convert.convert` knows (None for no type or another)."""
    if not decl:
        return None
    try:
        convert.target(decl)
    except SqlError:
        return None
    return decl

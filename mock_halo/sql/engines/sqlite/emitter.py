"""The SQLite back end: a resolved, typed T-SQL tree -> SQLite, keeping SQL Server's semantics.

The tree is walked bottom-up (:class:`~mock_halo.sql.engines.emitter.Emitter`); every node is replaced by
its SQLite equivalent using the static types from :class:`~mock_halo.sql.frontend.resolve.Analyzer`:

* ``+`` concatenates strings (``||``) and adds days to datetimes; unknown types
  call ``mh_add``, which decides at run time (text met by a number was already
  marked by :mod:`~mock_halo.sql.frontend.precedence` and becomes ``mh_convert``);
* literals compared with (or stored into) date, datetime, bit and
  uniqueidentifier columns are normalised to the storage form at translation
  time; other operands are wrapped in ``mh_norm``;
* string comparisons that involve no NOCASE column get ``COLLATE NOCASE``;
* built-ins become ``mh_*`` calls, ``@name`` becomes a ``?N`` placeholder.
"""

from __future__ import annotations

import re

from sqlglot import exp

from mock_halo.sql.engines.emitter import _MARKS, Builder, Emitter
from mock_halo.sql.frontend.program import NOW_KEYS
from mock_halo.sql.frontend.resolve import Analyzer
from mock_halo.sql.semantics import convert, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.strings import NON_MAX_BYTES

_STRINGISH = frozenset({K.STR, K.UNKNOWN, K.NULL})
#: Arguments of one flat mh_add_typed (SQLite allows 127); a longer sum goes on in a call around it.
_MAX_ARGS = 120
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


class SqliteEmitter(Emitter):
    """Rewrites one statement for SQLite; parameters are ``?N``, numbered in reading order."""

    def __init__(self, analyzer: Analyzer, catalogue_name: str) -> None:
        super().__init__(analyzer, catalogue_name)
        #: ORDER BY text columns marked ORDER_COLLATION, and the queries telling whether a column holds non-ASCII text
        self.sort_marks: list[exp.Collate] = []
        self.sort_checks: list[str] = []

    # -- helpers used by builtins ------------------------------------------------
    def call(self, name: str, *args: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this=f"mh_{name}", expressions=list(args))

    def marker(self, index: int) -> exp.Expression:
        return exp.Var(this=f"?{index + 1}")

    def cut(self, text: exp.Expression, limit: int, inputs: list[exp.Expression]) -> exp.Expression:
        return self.call("cut", exp.Literal.number(limit), text, *(inputs if limit < 0 else ()))

    def now(self, which: str) -> exp.Expression:
        return self.placeholder(NOW_KEYS[which], which)

    def as_text(self, node: exp.Expression) -> exp.Expression:
        """An argument of a string function: SQL Server converts non-strings implicitly."""
        kind, decl = self.kind(node)
        if kind in K.TEMPORAL or kind == K.GUID or (kind == K.DEC and decl):
            return self.call("convert", node, exp.Literal.string("nvarchar(max)"), exp.Null(),
                             exp.Literal.string(decl), exp.Literal.number(0))
        return node

    def as_datetime_arg(self, node: exp.Expression) -> exp.Expression:
        """A string literal given to a date function is a datetime (fixed at translation time)."""
        if isinstance(node, exp.Literal) and node.is_string and self.kind(node)[0] == K.STR:
            return exp.Literal.string(convert.convert(node.this, "datetime2"))
        return node

    def normalised(self, node: exp.Expression, kind: K.Kind, decl: str = "", assign: bool = False) -> exp.Expression:
        """``node`` in the storage form of a ``kind`` column it is compared with or stored into."""
        node_kind = self.kind(node)[0]
        if isinstance(node, exp.Literal) and node.is_string:
            return self._literal_as(node.this, kind, decl)
        if kind not in K.NORMALISED or node_kind in (kind, K.NULL):
            return node
        if node_kind == K.DATETIME and kind == K.DATE and not assign:
            return node
        return self.call("norm", node, exp.Literal.string(kind))

    def _literal_as(self, text: str, kind: K.Kind, decl: str) -> exp.Expression:
        if kind == K.INT:
            if not text.strip():
                return exp.Literal.number(0)  # SQL Server converts '' to 0
            if not _INTEGER_TEXT.match(text):
                raise errors.conversion_failed(text, "varchar", "int")
            return exp.Literal.string(text)
        spec = {K.DATE: "date", K.TIME: "time", K.BIT: "bit", K.GUID: "uniqueidentifier",
                K.DATETIME: decl if decl in ("datetime", "smalldatetime") else "datetime2"}.get(kind)
        if spec is None:
            return exp.Literal.string(text)
        value = convert.convert(text, spec, None, "varchar")
        return exp.Literal.number(value) if isinstance(value, int) else exp.Literal.string(str(value))

    # -- the walk ------------------------------------------------------------------------
    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        for node in tree.dfs():
            if isinstance(node, exp.Parameter) and not isinstance(node.this, exp.Parameter):
                self.placeholder(node.name.lower(), "@" + node.name)  # numbered in reading order
        return super().rewrite(tree)

    # -- handlers ------------------------------------------------------------------------------
    def implicit_conversion(self, text: exp.Expression, to: str, source: str) -> exp.Expression:
        """Text converted to a number as SQL Server converts it (245 / 248 / 8114 from ``mh_convert``)."""
        return self.call("convert", text, exp.Literal.string(to), exp.Null(), exp.Literal.string(source),
                         exp.Literal.number(0))

    def cast(self, node: exp.Expression) -> exp.Expression:
        value, spec, style, safe = self.conversion(node)
        src = self.kind(value)[1]
        if isinstance(value, (exp.Literal, exp.Null)):
            folded = self.folded(value, spec, style, safe)
            if folded is None:
                return exp.Null()
            if isinstance(folded, (int, float)):
                return exp.Literal.number(repr(folded))
            if isinstance(folded, str):
                return exp.Literal.string(folded)
        return self.call("convert", value, exp.Literal.string(spec),
                         exp.Null() if style is None else exp.Literal.number(style),
                         exp.Literal.string(src), exp.Literal.number(safe))

    def add(self, node: exp.Add) -> exp.Expression:
        left, right = node.this, node.expression
        lk, rk = self.kind(left)[0], self.kind(right)[0]
        numbers = {K.INT, K.DEC, K.BIT}
        if lk == K.STR and rk == K.STR:
            return self.joined(left, right, exp.DPipe(this=left, expression=right))
        if lk == K.DATETIME and rk in numbers:
            return self.call("add_days", left, right)
        if rk == K.DATETIME and lk in numbers:
            return self.call("add_days", right, left)
        if K.DATE in (lk, rk) and {lk, rk} & numbers:
            raise errors.operand_clash("date", "int")
        if lk in numbers and rk in numbers:  # text met by a number was converted (frontend.precedence)
            return node
        # Decided at run time: mh_add(a, b) adds numbers or joins strings, cut where SQL Server cuts the
        # string type of a + b (a request parameter typed as declared: join_mark). a + b + c + ... is one
        # flat mh_add_typed(a, mark a, b, mark b, ...), cut after each step: nested calls would overflow
        # SQLite's parser stack at about 50 terms (a report's sums).
        mark = self.join_mark(right)
        if _is_call(left, "mh_add_typed") and len(left.expressions) < _MAX_ARGS:
            left.set("expressions", [*left.expressions, right, mark])
            return self.runtime_join(left, [*left.meta[_MARKS], mark])
        if _is_call(left, "mh_cut_to") and _is_call(left.expressions[0], "mh_add"):
            (first_value, second_value), (first_mark, second_mark) = left.expressions[0].expressions, left.meta[_MARKS]
            return self.runtime_join(self.call("add_typed", first_value, first_mark, second_value, second_mark,
                                               right, mark), [first_mark, second_mark, mark])
        marks = [self.join_mark(left), mark]
        return self.runtime_join(self.call("cut_to", self.call("add", left, right), self.fold_marks(marks)), marks)

    def join_limit_call(self, marks: list[exp.Expression]) -> exp.Expression:
        return self.call("join_limit", *marks)

    def arithmetic(self, node: exp.Binary) -> exp.Expression:
        left, right = node.this, node.expression
        lk, rk = self.kind(left)[0], self.kind(right)[0]
        if isinstance(node, exp.Sub) and lk == K.DATETIME and rk in (K.INT, K.DEC):
            return self.call("add_days", left, exp.Neg(this=exp.Paren(this=right)))
        if isinstance(node, (exp.Div, exp.Mod)):
            literal_divisor = isinstance(right, exp.Literal) and not right.is_string and float(right.this) != 0
            if not literal_divisor:
                return self.call("div" if isinstance(node, exp.Div) else "mod", left, right)
        return node

    def compare(self, node: exp.Binary) -> exp.Expression:
        if isinstance(node.parent, exp.Update) and isinstance(node, exp.EQ):
            kind, decl = self.kind(node.this)
            node.set("expression", self.normalised(node.expression, kind, decl, assign=True))
            if isinstance(node.this, exp.Column):
                node.this.set("table", None)  # SQLite's SET takes bare column names
            return node
        left, right = node.this, node.expression
        (lk, ld), (rk, rd) = self.kind(left), self.kind(right)
        if {lk, rk} == {K.DATE, K.DATETIME}:
            if lk == K.DATE:
                left = self.call("norm", left, exp.Literal.string(K.DATETIME))
            else:
                right = self.call("norm", right, exp.Literal.string(K.DATETIME))
        elif lk in K.NORMALISED or lk == K.INT:
            right = self.normalised(right, lk, ld)
        elif rk in K.NORMALISED or rk == K.INT:
            left = self.normalised(left, rk, rd)
        elif lk in _STRINGISH and rk in _STRINGISH and K.STR in (lk, rk):
            if not any(isinstance(side, (exp.Column, exp.Collate)) for side in (left, right)):
                right = _nocase(right)
            elif isinstance(left, exp.Column) and not isinstance(right, (exp.Column, exp.Collate)):
                right = _unicode_aware(right)
            elif isinstance(right, exp.Column) and not isinstance(left, (exp.Column, exp.Collate)):
                left = _unicode_aware(left)
        node.set("this", left)
        node.set("expression", right)
        return node

    def in_(self, node: exp.In) -> exp.Expression:
        kind, decl = self.kind(node.this)
        if node.expressions:
            node.set("expressions", [self.normalised(e, kind, decl) for e in node.expressions])
            if kind == K.STR and not isinstance(node.this, exp.Column):
                node.set("this", _nocase(node.this))
            elif kind == K.STR:
                marks = {_collation_for(e) for e in node.expressions if not isinstance(e, exp.Column)} - {None}
                if marks:
                    mark = "MH_CI" if "MH_CI" in marks else PARAM_COLLATION
                    node.set("this", exp.Collate(this=node.this, expression=exp.Var(this=mark)))
        return node

    def between(self, node: exp.Between) -> exp.Expression:
        kind, decl = self.kind(node.this)
        if kind not in K.NORMALISED:  # '2026-01-15' BETWEEN STARTDATE AND FINISHDATE: the text converts to the date
            bound = next((self.kind(node.args[k]) for k in ("low", "high")
                          if self.kind(node.args[k])[0] in K.NORMALISED), None)
            if bound is not None and kind in (K.STR, K.UNKNOWN):
                node.set("this", self.normalised(node.this, *bound))
                kind, decl = bound
        node.set("low", self.normalised(node.args["low"], kind, decl))
        node.set("high", self.normalised(node.args["high"], kind, decl))
        if kind == K.STR and not isinstance(node.this, exp.Column):
            node.set("this", _nocase(node.this))
        return node

    def like(self, node: exp.Expression) -> exp.Expression:
        escape = None
        like = node
        if isinstance(node, exp.Escape):
            like, escape = node.this, node.expression
            if not isinstance(like, exp.Like):
                return node
        elif isinstance(node.parent, exp.Escape):
            return node
        subject, pattern = self.as_text(like.this), like.expression
        simple = isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this.isascii() \
            and "[" not in pattern.this
        if simple:
            like.set("this", subject)
            return node
        call = self.call("like", subject, self.as_text(pattern), *([escape] if escape is not None else []))
        return exp.Not(this=call) if like.args.get("negate") else call

    def coalesce(self, node: exp.Coalesce) -> exp.Expression:
        kind, decl = self.kind(node)
        if kind in K.NORMALISED:
            node.set("expressions", [self.normalised(e, kind, decl) for e in node.expressions])
        return node

    def collate(self, node: exp.Collate) -> exp.Expression:
        name = node.expression.name.upper()
        return _nocase(node.this) if "_CS" not in name and name != "BINARY" else exp.Collate(
            this=node.this, expression=exp.Var(this="BINARY"))

    def insert(self, node: exp.Insert) -> exp.Expression:
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        table = self.analyzer.table_of(target)
        values = node.expression
        if table is None or not isinstance(values, exp.Values):
            return node
        if isinstance(node.this, exp.Schema):
            columns = []
            for ident in node.this.expressions:
                column = table.column(ident.name)
                if column is None:
                    raise errors.invalid_column(ident.name)
                columns.append(column)
        else:
            columns = list(table.columns)
        for row in values.expressions:
            items = row.expressions if isinstance(row, exp.Tuple) else [row]
            if len(items) != len(columns):
                raise errors.insert_count(more_values=len(items) > len(columns))
            row.set("expressions", [self.normalised(item, col.kind, col.decl, assign=True)
                                    for item, col in zip(items, columns)])
        return node

    def ordered(self, node: exp.Ordered) -> exp.Expression:
        """ORDER BY a text expression: SQL Server's collation (SQLite would sort it by bytes)."""
        key = node.this
        if isinstance(key, exp.Collate) or self.kind(key)[0] != K.STR:
            return node
        if isinstance(key, exp.Column):
            select = node.find_ancestor(exp.Select)
            aliased = None if key.table or select is None else next(
                (p.this for p in select.expressions if isinstance(p, exp.Alias) and p.alias.lower() == key.name.lower()),
                None)
            if aliased is None or isinstance(aliased, exp.Column):
                return self._sorted_column(node, key, key if aliased is None else aliased)
            if isinstance(aliased, exp.Collate) and isinstance(aliased.this, exp.Column):
                return node  # the collation written on the column
        node.set("this", exp.Collate(this=key if isinstance(key, (exp.Column, exp.Anonymous, exp.Paren)) else
                                     exp.Paren(this=key), expression=exp.Var(this="MH_CI")))
        return node

    def _sorted_column(self, node: exp.Ordered, key: exp.Expression, column: exp.Column) -> exp.Expression:
        """ORDER BY a text column: NOCASE (and its index) while the column holds only ASCII text, where the two
        orders agree; SQL Server's order (MH_CI: accented letters next to their base letter) once it does not.

        The translator emits both variants; the batch picks one with the check query (its answer is cached until
        the data changes). A column of a temporary table, CTE or derived table always sorts with MH_CI."""
        source = self.analyzer.column_source(column)
        ref = source.ref if source is not None else None
        if source is None or source.table is None or not isinstance(ref, exp.Table) or ref.text("db") == TEMP_DB:
            node.set("this", _nocase(key))
            return node
        table = exp.Table(this=exp.to_identifier(ref.name, quoted=True), db=exp.to_identifier(ref.text("db"),
                                                                                              quoted=True))
        name = exp.to_identifier(column.name, quoted=True).sql(dialect="sqlite")
        check = (f"SELECT 1 FROM {table.sql(dialect='sqlite')} WHERE length({name}) <> length(CAST({name} AS BLOB)) "
                 "LIMIT 1")
        if check not in self.sort_checks:
            self.sort_checks.append(check)
        mark = exp.Collate(this=key, expression=exp.Var(this=ORDER_COLLATION))
        self.sort_marks.append(mark)
        node.set("this", mark)
        return node

    def avg(self, node: exp.Avg) -> exp.Expression:
        if self.kind(node.this)[0] == K.INT:
            return exp.Cast(this=node, to=exp.DataType.build("INTEGER"))
        return node


def _nocase(node: exp.Expression) -> exp.Expression:
    """Compare ``node`` the way SQL Server's case-insensitive default collation does."""
    return exp.Collate(this=node, expression=exp.Var(this="MH_CI"))


#: Collation marker for a column compared with a parameter: the translator emits the statement twice,
#: with NOCASE (index-friendly, exact for ASCII) and with MH_CI (Unicode case folding, trailing spaces
#: ignored), and the batch picks the second when a string value needs it (see ``needs_unicode``).
PARAM_COLLATION = "MH_CIP"
#: Collation marker for ORDER BY a text column (see ``SqliteEmitter._sorted_column``).
ORDER_COLLATION = "MH_CIO"
TEMP_DB = "temp"  # the schema of temporary tables and table variables (mock_halo.sql.frontend.temp_tables.DB)


def _collation_for(node: exp.Expression) -> str | None:
    """The collation a comparison of ``node`` with a NOCASE text column needs (None: the column's own)."""
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.Literal) and inner.is_string:
        return None if inner.this.isascii() and not inner.this.endswith(" ") else "MH_CI"
    if node.find(exp.Parameter, exp.Placeholder) is not None or any(
            v.name.startswith("?") for v in node.find_all(exp.Var)):
        return PARAM_COLLATION
    return None


def _unicode_aware(node: exp.Expression) -> exp.Expression:
    """The non-column side of a comparison with a (NOCASE, ASCII-folding) text column.

    A non-ASCII string literal gets SQL Server's Unicode case-insensitive collation now; an expression
    with a parameter gets the :data:`PARAM_COLLATION` marker; anything else keeps the column's NOCASE.
    """
    collation = _collation_for(node)
    if collation is None:
        return node
    wrapped = node if isinstance(node, (exp.Var, exp.Literal, exp.Paren, exp.Cast, exp.Anonymous)) else exp.Paren(
        this=node)
    return exp.Collate(this=wrapped, expression=exp.Var(this=collation))


def needs_unicode(value: object) -> bool:
    """A string the NOCASE variant of a statement would compare wrongly."""
    return isinstance(value, str) and (not value.isascii() or value.endswith(" "))



def _simple(name: str, *arg_names: str, text: tuple[str, ...] = ()):
    def handler(rw: SqliteEmitter, node: exp.Expression) -> exp.Expression:
        args = []
        for arg_name in arg_names:
            value = node.args.get(arg_name)
            if value is None:
                continue
            args.append(rw.as_text(value) if arg_name in text else value)
        return rw.call(name, *args)
    return handler


def _concat(name: str):
    def handler(rw: SqliteEmitter, node: exp.Expression) -> exp.Expression:
        limit = rw.joined_limit(node.expressions[1:] if name == "concat_ws" else node.expressions)
        call = rw.call(name, exp.Literal.number(limit), *[rw.as_text(e) for e in node.expressions])
        return rw.typed_builder(call, limit)
    return handler


def _limited(name: str, *arg_names: str, text: tuple[str, ...] = (), typed_by: str | None = "this"):
    """Like :func:`_simple`, with the result's character limit (from ``typed_by``'s type) first."""
    simple = _simple(name, *arg_names, text=text)

    def handler(rw: SqliteEmitter, node: exp.Expression) -> exp.Expression:
        limit = rw.char_limit(node.args[typed_by]) if typed_by else NON_MAX_BYTES
        call = simple(rw, node)
        call.set("expressions", [exp.Literal.number(limit), *call.expressions])
        return rw.typed_builder(call, limit)
    return handler


def _substring(rw: SqliteEmitter, node: exp.Substring) -> exp.Expression:
    if node.args.get("length") is None:
        raise errors.wrong_argument_count("substring", 3)
    return rw.call("substring", rw.as_text(node.this), node.args["start"], node.args["length"])


def _trim(rw: SqliteEmitter, node: exp.Trim) -> exp.Expression:
    node.set("this", rw.as_text(node.this))
    return node


def _round(rw: SqliteEmitter, node: exp.Round) -> exp.Expression:
    args = [node.this, node.args.get("decimals") or exp.Literal.number(0)]
    if node.args.get("truncate") is not None:
        args.append(node.args["truncate"])
    return rw.call("round", *args)


def _string_agg(rw: SqliteEmitter, node: exp.GroupConcat) -> exp.Expression:
    if isinstance(node.this, exp.Order):
        order = node.this
        keys: list[exp.Expression] = []
        for ordered in order.expressions:
            keys += [ordered.this, exp.Literal.number(1 if ordered.args.get("desc") else 0)]
        separator = node.args.get("separator") or exp.Literal.string("")
        return rw.call("string_agg", rw.as_text(order.this), separator, *keys)
    node.set("this", rw.as_text(node.this))
    return node


SqliteEmitter.TRANSFORMS = {
    **Emitter.TRANSFORMS,
    exp.Cast: SqliteEmitter.cast, exp.TryCast: SqliteEmitter.cast, exp.Convert: SqliteEmitter.cast,
    exp.Add: SqliteEmitter.add, exp.Sub: SqliteEmitter.arithmetic, exp.Mul: SqliteEmitter.arithmetic,
    exp.Div: SqliteEmitter.arithmetic, exp.Mod: SqliteEmitter.arithmetic,
    exp.In: SqliteEmitter.in_, exp.Between: SqliteEmitter.between, exp.Like: SqliteEmitter.like, exp.Escape: SqliteEmitter.like,
    exp.Coalesce: SqliteEmitter.coalesce, exp.Collate: SqliteEmitter.collate, exp.Insert: SqliteEmitter.insert,
    exp.Avg: SqliteEmitter.avg, exp.Ordered: SqliteEmitter.ordered,
    exp.Upper: _simple("upper", "this", text=("this",)), exp.Lower: _simple("lower", "this", text=("this",)),
    exp.Substring: _substring, exp.Trim: _trim,
    exp.Replace: _limited("replace", "this", "expression", "replacement",
                          text=("this", "expression", "replacement")),
    exp.Concat: _concat("concat"), exp.ConcatWs: _concat("concat_ws"),
    exp.Repeat: _limited("replicate", "this", "times", text=("this",)),
    exp.Space: _limited("space", "this", typed_by=None),
    exp.Reverse: _simple("reverse", "this", text=("this",)),
    exp.Stuff: _limited("stuff", "this", "start", "length", "expression", text=("this",)),
    exp.Chr: lambda rw, n: rw.call("char", *n.expressions), exp.Ascii: _simple("ascii", "this", text=("this",)),
    exp.Uuid: lambda rw, n: rw.call("newid"), exp.Rand: _simple("rand", "this"),
    exp.Round: _round, exp.Floor: _simple("floor", "this"), exp.Ceil: _simple("ceiling", "this"),
    exp.Pow: _simple("power", "this", "expression"),
    exp.DateFromParts: _simple("datefromparts", "year", "month", "day"),
    exp.GroupConcat: _string_agg,
}


# -- built-ins that parse as exp.Anonymous (signatures in frontend/builtins.py) -----------------------------
Args = list[exp.Expression]


def _part(args: Args) -> exp.Expression:
    return exp.Literal.string(args[0].name)


def _udf(name: str, *, text_args: tuple[int, ...] = (), datetime_args: tuple[int, ...] = (),
         part: bool = False, extra: tuple[exp.Expression, ...] = ()) -> Builder:
    """A builder calling ``mh_<name>``; listed arguments are converted as SQL Server would."""

    def build(rw: SqliteEmitter, args: Args) -> exp.Expression:
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


def _isnull(rw: SqliteEmitter, args: Args) -> exp.Expression:
    """ISNULL(x, y) has x's type: a text literal y beside a number x arrives converted (the front end's
    precedence pass); a text y beside a date, time, bit or GUID x takes x's storage form."""
    kind, _ = rw.kind(args[0])
    return exp.Coalesce(this=args[0], expressions=[rw.normalised(args[1], kind)])


def _choose(rw: SqliteEmitter, args: Args) -> exp.Expression:
    ifs = [exp.If(this=exp.EQ(this=args[0].copy(), expression=exp.Literal.number(i)), true=value)
           for i, value in enumerate(args[1:], start=1)]
    return exp.Case(ifs=ifs)


def _datalength(rw: SqliteEmitter, args: Args) -> exp.Expression:
    kind, decl = rw.kind(args[0])
    unicode = 0 if decl in ("varchar", "char", "text") else 1
    return rw.call("datalength", args[0], exp.Literal.number(unicode))


def _db_name(rw: SqliteEmitter, args: Args) -> exp.Expression:
    if args:
        raise errors.unsupported("DB_NAME(database_id)")
    return exp.Literal.string(rw.catalogue_name)


SqliteEmitter.BUILTINS = {
    "DATEADD": _udf("dateadd", part=True, datetime_args=(2,)),
    "DATEDIFF": _udf("datediff", part=True, datetime_args=(1, 2), extra=(exp.Literal.number(0),)),
    "DATEDIFF_BIG": _udf("datediff", part=True, datetime_args=(1, 2), extra=(exp.Literal.number(1),)),
    "DATEPART": _udf("datepart", part=True, datetime_args=(1,)),
    "DATENAME": _udf("datename", part=True, datetime_args=(1,)),
    "YEAR": lambda rw, a: rw.call("datepart", exp.Literal.string("year"), rw.as_datetime_arg(a[0])),
    "MONTH": lambda rw, a: rw.call("datepart", exp.Literal.string("month"), rw.as_datetime_arg(a[0])),
    "DAY": lambda rw, a: rw.call("datepart", exp.Literal.string("day"), rw.as_datetime_arg(a[0])),
    "EOMONTH": _udf("eomonth", datetime_args=(0,)),
    "FORMAT": _udf("format", datetime_args=(0,)),
    "GETDATE": lambda rw, a: rw.now("local"),
    "SYSDATETIME": lambda rw, a: rw.now("local"),
    "GETUTCDATE": lambda rw, a: rw.now("utc"),
    "SYSUTCDATETIME": lambda rw, a: rw.now("utc"),
    "ISNULL": _isnull,
    "LEN": _udf("len", text_args=(0,)),
    "DATALENGTH": _datalength,
    "LEFT": _udf("left", text_args=(0,)),
    "RIGHT": _udf("right", text_args=(0,)),
    "CHARINDEX": _udf("charindex", text_args=(0, 1)),
    "PATINDEX": _udf("patindex", text_args=(0, 1)),
    "ISNUMERIC": _udf("isnumeric"),
    "ISDATE": _udf("isdate"),
    "QUOTENAME": _udf("quotename", text_args=(0,)),
    "NCHAR": _udf("nchar"),
    "CHOOSE": _choose,
    "DB_NAME": _db_name,
}


def _is_call(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.this == name

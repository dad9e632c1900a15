"""The PostgreSQL back end: a resolved, typed T-SQL tree -> PostgreSQL.

:class:`PgEmitter` (an :class:`~mock_halo.sql.engines.emitter.Emitter`, as the SQLite back end is)
turns the tree the front end resolved and typed (names, SQL Server's name errors, static types, data
type precedence) into PostgreSQL over the schemas written by
:mod:`mock_halo.odbc.pg_load` (names in :mod:`~mock_halo.sql.engines.postgres.layout`):

* names: ``[BPSPatients].dbo.PATIENTS`` -> ``"bpspatients"."patients"``; every
  identifier is folded to lower case and quoted (PostgreSQL's folding, and
  reserved words stay usable); result column names come from the T-SQL text;
* ``@param`` -> ``?`` (one per occurrence, in text order); ``GETDATE()`` -> a
  bound timestamp from the emulator's clock;
* string ``+`` -> ``||``; ``datetime + n`` -> ``+ n * interval '1 day'``;
  ``'5' + 3`` -> 8 (the string converted the way SQL Server does);
* case-insensitive comparisons: columns are ``citext``; expressions compared
  with each other are cast to ``citext``; ``LIKE`` is ``ILIKE`` without an
  escape character;
* data type precedence: text compared with an int/decimal (``=``, ``<``, ``IN``,
  ``BETWEEN``) converts row by row with ``mock_halo.to_int``/``to_numeric``
  (``''`` is 0 for an int; 245/248/8114 with SQL Server's messages), a string
  literal at translation time, as the embedded engine does;
* built-ins: ``DATEADD`` -> interval arithmetic; ``DATEDIFF``/``DATEPART``/
  ``DATENAME``/``EOMONTH``/``CHARINDEX``/``REPLACE``/``CONVERT`` styles ->
  ``mock_halo.*`` SQL functions; ``ISNULL`` -> ``COALESCE``; ``LEN`` ->
  ``length(rtrim())``; ``NEWID`` -> ``gen_random_uuid``; ``FORMAT`` with a
  date pattern -> ``to_char``; ``LIKE`` with ``[...]`` classes or a run-time
  pattern -> ``~* mock_halo.like_regex(pattern)``;
* SQL Server's integer semantics: ``AVG(int)`` and ``CAST(decimal AS int)``
  truncate, ``SUM(int)`` stays an integer (so ``/`` stays integer division);
* a recursive CTE gets ``WITH RECURSIVE``;
* an ``INSERT`` into a table with an ``IDENTITY`` key gets ``RETURNING <key>``
  (that is how ``SCOPE_IDENTITY()`` is known);
* temporary tables and table variables (the embedded engine's
  :mod:`~mock_halo.sql.frontend.temp_tables` scope) are PostgreSQL temp tables
  ``pg_temp."#t"`` / ``pg_temp."@t"`` (DDL in :mod:`mock_halo.sql.engines.postgres.session`).

What cannot be expressed raises SQL Server-shaped errors (``unsupported`` =
40000), never wrong SQL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlglot import exp

from mock_halo.sql.engines.emitter import Emitter, generate
from mock_halo.sql.engines.postgres.layout import SUPPORT_SCHEMA
from mock_halo.sql.frontend import temp_tables
from mock_halo.sql.frontend.program import NOW_KEYS
from mock_halo.sql.frontend.resolve import Analyzer
from mock_halo.sql.semantics import convert, dates, errors
from mock_halo.sql.semantics import kinds as K
from mock_halo.sql.semantics.strings import NON_MAX_BYTES

_MARK = re.compile(r"__mh_p(\d+)__")
_STRINGISH = frozenset({K.STR, K.NULL, K.UNKNOWN})
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_INTERVAL_UNITS = {
    "year": ("1", "YEAR"), "quarter": ("3", "MONTH"), "month": ("1", "MONTH"), "dayofyear": ("1", "DAY"),
    "day": ("1", "DAY"), "weekday": ("1", "DAY"), "week": ("7", "DAY"), "hour": ("1", "HOUR"),
    "minute": ("1", "MINUTE"), "second": ("1", "SECOND"), "millisecond": ("1", "MILLISECOND"),
    "microsecond": ("1", "MICROSECOND"),
}
#: .NET custom date format tokens -> to_char patterns (longest first).
_DOTNET_FORMAT = [
    ("yyyy", "YYYY"), ("yy", "YY"), ("MMMM", "FMMonth"), ("MMM", "Mon"), ("MM", "MM"), ("M", "FMMM"),
    ("dddd", "FMDay"), ("ddd", "Dy"), ("dd", "DD"), ("d", "FMDD"), ("HH", "HH24"), ("H", "FMHH24"),
    ("hh", "HH12"), ("h", "FMHH12"), ("mm", "MI"), ("m", "FMMI"), ("ss", "SS"), ("s", "FMSS"),
    ("fff", "MS"), ("tt", "AM"),
]


class PgEmitter(Emitter):
    """Rewrites one analysed T-SQL statement into PostgreSQL (bottom-up, by static type)."""

    ENGINE = "PostgreSQL"

    def __init__(self, analyzer: Analyzer, catalogue_name: str, schemas: dict[str, str]) -> None:
        super().__init__(analyzer, catalogue_name)
        self.schemas = schemas

    # -- helpers ----------------------------------------------------------------------------
    def marker(self, index: int) -> exp.Expression:
        return exp.Var(this=f"__mh_p{index}__")

    def cut(self, text: exp.Expression, limit: int, inputs: list[exp.Expression]) -> exp.Expression:
        if limit > 0:
            return exp.Left(this=text, expression=exp.Literal.number(limit))
        return self.fn("cut", text, *[_cast(node.copy(), "TEXT") for node in inputs])

    def now(self, which: str, type_name: str = "TIMESTAMP(3)") -> exp.Expression:
        return _cast(self.placeholder(NOW_KEYS[which], which), type_name)

    @staticmethod
    def fn(name: str, *args: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this=f"{SUPPORT_SCHEMA}.{name}", expressions=list(args))

    def text(self, node: exp.Expression) -> exp.Expression:
        """An argument of a string function (SQL Server converts other types implicitly)."""
        kind, _ = self.kind(node)
        if kind in K.TEMPORAL:
            return self.fn("convert_datetime", _cast(node, "TIMESTAMP"), exp.Literal.number(0),
                           exp.Boolean(this=kind == K.DATE))
        if kind == K.GUID:
            return exp.Upper(this=_cast(node, "TEXT"))
        if kind == K.STR and not isinstance(node, exp.Literal):
            return node
        return _cast(node, "TEXT")

    def timestamp(self, node: exp.Expression) -> exp.Expression:
        """A datetime argument of a date function (string literals are parsed as SQL Server would)."""
        if isinstance(node, exp.Literal) and node.is_string:
            return _cast(exp.Literal.string(convert.convert(node.this, "datetime2")), "TIMESTAMP")
        if isinstance(node, exp.Literal) or isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            # a number is a datetime as SQL Server converts it: days after 1900-01-01 (DATEADD(second, n, 0))
            days = float(node.sql(dialect="tsql"))
            return _cast(exp.Literal.string((datetime(1900, 1, 1) + timedelta(days=days)).isoformat(sep=" ")),
                         "TIMESTAMP")
        return _cast(node, "TIMESTAMP")

    # -- the walk ---------------------------------------------------------------------------
    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        tree = super().rewrite(tree)
        _recursive_ctes(tree)
        return tree

    def finish(self, tree: exp.Expression) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """PostgreSQL text with ``?`` placeholders, and the parameter keys in placeholder order."""
        for ident in tree.find_all(exp.Identifier):
            ident.set("this", ident.name.lower())
            ident.set("quoted", True)
        sql = generate(tree, "postgres")
        order = [self.params[int(m.group(1))] for m in _MARK.finditer(sql)]
        return _MARK.sub("?", sql), tuple(order), tuple(self.written[k] for k in order)

    # -- names --------------------------------------------------------------------------------
    def table(self, node: exp.Table) -> exp.Expression:
        info = self.analyzer.table_of(node)
        if info is None:
            return node  # a CTE
        node.set("catalog", None)
        if info.db == temp_tables.DB:  # a temporary table or table variable: a session temp table named "#t" / "@t"
            node.set("db", exp.to_identifier("pg_temp"))
            node.set("this", exp.to_identifier(info.name))
            return node
        node.set("db", exp.to_identifier(self.schemas[info.db]))
        node.set("this", exp.to_identifier(info.name.lower()))
        return node

    # -- operators ------------------------------------------------------------------------------
    def add(self, node: exp.Add) -> exp.Expression:
        left, right = node.this, node.expression
        lk, rk = self.kind(left)[0], self.kind(right)[0]
        numbers = {K.INT, K.DEC, K.BIT}
        if lk in (K.STR, K.NULL) and rk in (K.STR, K.NULL) and K.STR in (lk, rk):
            join = exp.DPipe(this=self.text(left), expression=self.text(right))
            return self.joined(left, right, join) if lk == rk else join
        if lk == K.DATETIME and rk in numbers:
            return _days(left, right)
        if rk == K.DATETIME and lk in numbers:
            return _days(right, left)
        if K.DATE in (lk, rk) and {lk, rk} & numbers:
            raise errors.operand_clash("date", "int")
        # With a request parameter, the result's string type (where SQL Server cuts it) is known at run time.
        marks = [self.join_mark(left), self.join_mark(right)]
        if K.STR in (lk, rk) and K.UNKNOWN in (lk, rk):  # @param + 'text': concatenation
            join = exp.DPipe(this=_cast(left, "TEXT"), expression=_cast(right, "TEXT"))
            return self.runtime_join(self.fn("cut_to", join, self.join_limit_call(marks)), marks)
        if lk == K.UNKNOWN and rk == K.UNKNOWN:  # two request parameters: decided by their types at run time
            return self.runtime_join(self.fn("add", left, right, self.join_limit_call(marks)), marks)
        return node

    def join_limit_call(self, marks: list[exp.Expression]) -> exp.Expression:
        return self.fn("join_limit", *marks)

    def string_type(self, placeholder: exp.Expression) -> exp.Expression:
        return _cast(placeholder, "INTEGER")

    def sub(self, node: exp.Sub) -> exp.Expression:
        left, right = node.this, node.expression
        (lk, _), (rk, _) = self.kind(left), self.kind(right)
        if lk == K.DATETIME and rk in (K.INT, K.DEC, K.BIT):
            return _days(left, exp.Neg(this=exp.Paren(this=right)))
        return node

    def compare(self, node: exp.Binary) -> exp.Expression:
        if isinstance(node.parent, exp.Update) and isinstance(node, exp.EQ):
            if isinstance(node.this, exp.Column):
                node.this.set("table", None)  # PostgreSQL's SET takes bare column names
            return node
        left, right = node.this, node.expression
        lk, rk = self.kind(left)[0], self.kind(right)[0]
        if lk in _STRINGISH and rk in _STRINGISH and K.STR in (lk, rk):
            node.set("this", _ci(_rtrim(left)))
            node.set("expression", _ci(_rtrim(right)))
        else:
            node.set("this", self.implicit(left, rk))
            node.set("expression", self.implicit(right, lk))
        return node

    def implicit(self, node: exp.Expression, other: K.Kind) -> exp.Expression:
        """SQL Server's implicit conversion of a string compared with a number, date or GUID (the string side
        converts, by data type precedence); PostgreSQL would refuse the mixed comparison."""
        if self.kind(node)[0] != K.STR or isinstance(node, (exp.Literal, exp.Null)):
            return node
        target = {K.INT: "INTEGER", K.BIT: "INTEGER", K.DEC: "NUMERIC", K.DATE: "DATE", K.DATETIME: "TIMESTAMP",
                  K.GUID: "UUID", K.TIME: "TIME"}.get(other)
        return node if target is None else _cast(exp.Anonymous(this="TRIM", expressions=[node]), target)

    def implicit_conversion(self, text: exp.Expression, to: str, source: str) -> exp.Expression:
        """Text converted to a number as SQL Server converts it, row by row: ``mock_halo.to_int`` (``''`` is 0) or
        ``mock_halo.to_numeric``, failing with 245 / 248 / 8114 (messages from :mod:`~mock_halo.sql.semantics.errors`,
        see :func:`mock_halo.odbc.postgres.map_pg_error`)."""
        src = exp.Literal.string(K.split_decl(source)[0] or "varchar")
        if to in ("int", "bigint"):
            return self.fn("to_int", _cast(text, "TEXT"), src, exp.Boolean(this=to == "bigint"))
        return self.fn("to_numeric", _cast(text, "TEXT"), src, exp.Literal.string(convert.target(to).name))

    def in_(self, node: exp.In) -> exp.Expression:
        kind, _ = self.kind(node.this)
        if not node.expressions:
            return node
        kinds = {self.kind(e)[0] for e in node.expressions} - {K.NULL}
        if kind == K.STR and kinds <= {K.STR, K.UNKNOWN}:
            node.set("this", _ci(_rtrim(node.this)))
            node.set("expressions", [_ci(_rtrim(e)) for e in node.expressions])
        elif kind == K.STR and len(kinds) == 1:
            node.set("this", self.implicit(node.this, next(iter(kinds))))
        else:
            node.set("expressions", [self.implicit(e, kind) for e in node.expressions])
        return node

    def ordered(self, node: exp.Ordered) -> exp.Expression:
        """Text sorts case-insensitively with accented letters next to their base letter (CI_AS), via ICU."""
        key = node.this
        select = node.parent.parent if isinstance(node.parent, exp.Order) else None
        if not isinstance(select, exp.Select) or select.args.get("distinct"):
            return node
        if isinstance(key, exp.Literal) and not key.is_string and key.this.isdigit() and \
                0 < int(key.this) <= len(select.expressions):  # ORDER BY 2: the projection itself
            projection = select.expressions[int(key.this) - 1]
            key = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(key, exp.Star) or self.kind(key)[0] != K.STR:
                return node
            key = key.copy()
        elif self.kind(key)[0] != K.STR or isinstance(key, exp.Literal):
            return node
        if isinstance(key, exp.Column) and not key.table:
            for projection in select.expressions:
                if isinstance(projection, exp.Alias) and projection.alias.lower() == key.name.lower():
                    key = projection.this.copy()
                    break
        node.set("this", exp.Collate(this=_ci(key), expression=exp.Identifier(this="und-x-icu", quoted=True)))
        return node

    def like(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Escape):
            like = node.this
            if not isinstance(like, exp.Like):
                return node
            pattern = like.expression
            if not (isinstance(pattern, exp.Literal) and pattern.is_string and "[" not in pattern.this):
                raise errors.unsupported("LIKE ... ESCAPE with a [...] class or a non-constant pattern on PostgreSQL")
            escaped = exp.Escape(this=exp.ILike(this=self.text(like.this), expression=pattern),
                                 expression=node.expression)
            return exp.Not(this=escaped) if like.args.get("negate") else escaped
        if isinstance(node.parent, exp.Escape):
            return node
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string and "[" not in pattern.this:
            match: exp.Expression = exp.Escape(this=exp.ILike(this=self.text(node.this), expression=pattern),
                                               expression=exp.Literal.string(""))
        else:  # [...] classes, or a pattern known only at run time: an anchored case-insensitive regular expression
            match = exp.RegexpILike(this=self.text(node.this), expression=self.fn("like_regex", self.text(pattern)))
        return exp.Not(this=exp.Paren(this=match)) if node.args.get("negate") else match

    def collate(self, node: exp.Collate) -> exp.Expression:
        name = node.expression.name.upper()
        if "_CS" in name or "BIN" in name:
            return exp.Collate(this=_cast(node.this, "TEXT"), expression=exp.Identifier(this="C", quoted=True))
        return _cast(node.this, "CITEXT")

    # -- types --------------------------------------------------------------------------------
    def cast(self, node: exp.Expression) -> exp.Expression:
        value, spec, style, safe = self.conversion(node)
        target = convert.target(spec)
        src_kind, src = self.kind(value)
        pg = _pg_type(spec)
        if isinstance(value, (exp.Literal, exp.Null)):
            folded = self.folded(value, spec, style, safe)
            if folded is None:
                return _cast(exp.Null(), pg)
            literal = exp.Literal.number(repr(folded)) if isinstance(folded, (int, float)) else \
                exp.Literal.string(str(folded))
            return _cast(literal, pg)
        base = target.base
        if safe:
            return self._try_cast(value, src_kind, base, pg, style)
        if base in ("varchar", "nvarchar", "char", "nchar", "text", "ntext"):
            if src_kind in (K.DATE, K.DATETIME):
                if style is not None and style not in _DATETIME_STYLES:
                    raise errors.unsupported(f"CONVERT style {style} on PostgreSQL")
                text = self.fn("convert_datetime", _cast(value, "TIMESTAMP"), exp.Literal.number(style or 0),
                               exp.Boolean(this=src_kind == K.DATE))
                return _cast(text, pg)
            return _cast(self.text(value) if src_kind in (K.GUID, K.TIME) else value, pg)
        if base in ("int", "bigint", "smallint", "tinyint") and src_kind == K.DEC:
            return _cast(exp.Anonymous(this="TRUNC", expressions=[value]), pg)
        if base == "bit":
            if src_kind == K.STR:
                return self.fn("to_bit", _cast(value, "TEXT"))
            return exp.Case(ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
                                 exp.If(this=exp.NEQ(this=value, expression=exp.Literal.number(0)),
                                        true=exp.Literal.number(1))],
                            default=exp.Literal.number(0))
        if base in ("date", "datetime", "datetime2", "smalldatetime") and src_kind == K.STR and style is not None:
            if style not in _PARSE_STYLES:
                raise errors.unsupported(f"CONVERT of a string with style {style} on PostgreSQL")
            return _cast(self.fn("parse_datetime", _cast(value, "TEXT"), exp.Literal.number(style)), pg)
        return _cast(value, pg)

    def _try_cast(self, value: exp.Expression, src_kind: K.Kind, base: str, pg: str,
                  style: int | None) -> exp.Expression:
        """TRY_CAST / TRY_CONVERT: NULL where SQL Server's conversion would fail (strings to numbers/dates)."""
        if src_kind != K.STR or style is not None:
            raise errors.unsupported("TRY_CAST / TRY_CONVERT other than of a string to a number or date on "
                                     "PostgreSQL")
        text = _cast(value, "TEXT")
        if base in ("int", "bigint", "smallint", "tinyint"):
            number = self.fn("try_numeric", text)
            return exp.Case(ifs=[exp.If(this=exp.EQ(this=number, expression=exp.Anonymous(
                this="TRUNC", expressions=[number.copy()])), true=_cast(number.copy(), pg))])
        if base in ("decimal", "numeric", "money", "smallmoney", "float", "real"):
            return _cast(self.fn("try_numeric", text), pg)
        if base in ("date", "datetime", "datetime2", "smalldatetime"):
            return _cast(self.fn("try_timestamp", text), pg)
        raise errors.unsupported(f"TRY_CAST / TRY_CONVERT to {base} on PostgreSQL")

    def pow(self, node: exp.Pow) -> exp.Expression:
        call = exp.Anonymous(this="POWER", expressions=[node.this, node.expression])
        return _cast(call, "BIGINT") if self.kind(node.this)[0] == K.INT else call

    def avg(self, node: exp.Avg) -> exp.Expression:
        if self.kind(node.this)[0] in (K.INT, K.BIT):
            return _cast(exp.Anonymous(this="TRUNC", expressions=[node]), "INTEGER")
        return node

    def sum(self, node: exp.Sum) -> exp.Expression:
        if self.kind(node.this)[0] in (K.INT, K.BIT) and not isinstance(node.parent, exp.Window):
            return _cast(node, "BIGINT")
        return node

    def count(self, node: exp.Count) -> exp.Expression:
        return node if isinstance(node.parent, exp.Window) else _cast(node, "INTEGER")

    def window(self, node: exp.Window) -> exp.Expression:
        """``SUM(int) OVER (...)`` stays an integer (PostgreSQL's is numeric); ``COUNT`` an int."""
        inner = node.this
        if isinstance(inner, exp.Count) or isinstance(inner, exp.Sum) and self.kind(inner.this)[0] in (K.INT, K.BIT):
            return _cast(node, "BIGINT")
        return node

    # -- built-ins ------------------------------------------------------------------------------
    def dateadd(self, args: list[exp.Expression]) -> exp.Expression:
        part = dates.canonical_part(args[0].name, "dateadd")
        if part not in _INTERVAL_UNITS:
            raise errors.unsupported(f"DATEADD({part}, ...) on PostgreSQL")
        amount, unit = _INTERVAL_UNITS[part]
        number, value = args[1], args[2]
        if self.kind(number)[0] != K.INT:
            number = _cast(exp.Anonymous(this="TRUNC", expressions=[_cast(number, "NUMERIC")]), "INTEGER")
        kind, decl = self.kind(value)
        interval = exp.Mul(this=exp.Paren(this=number),
                           expression=exp.Interval(this=exp.Literal.string(amount), unit=exp.Var(this=unit)))
        if kind == K.TIME:
            return _cast(exp.Add(this=_cast(value, "TIME"), expression=interval), "TIME")
        moved = exp.Paren(this=exp.Add(this=self.timestamp(value), expression=interval))
        if kind == K.DATE:
            return _cast(moved, "DATE")
        return _cast(moved, _pg_type(decl) if decl in ("datetime", "datetime2", "smalldatetime") else "TIMESTAMP(3)")

    def datediff(self, args: list[exp.Expression]) -> exp.Expression:
        part = dates.canonical_part(args[0].name, "datediff")
        call = self.fn("datediff", exp.Literal.string(part), self.timestamp(args[1]), self.timestamp(args[2]))
        return _cast(call, "INTEGER")

    def datepart(self, args: list[exp.Expression], function: str = "datepart") -> exp.Expression:
        part = dates.canonical_part(args[0].name, function)
        return self.fn(function, exp.Literal.string(part), self.timestamp(args[1]))

    def format(self, args: list[exp.Expression]) -> exp.Expression:
        value, pattern = args[0], args[1]
        kind = self.kind(value)[0]
        if kind in (K.INT, K.DEC) and isinstance(pattern, exp.Literal) and pattern.is_string:
            match = re.fullmatch(r"([NnFf])(\d?)", pattern.this)
            if match is None:
                raise errors.unsupported(f"FORMAT pattern {pattern.this!r} for numbers on PostgreSQL")
            digits = int(match.group(2) or 2)
            whole = "FM999,999,999,999,990" if match.group(1) in "Nn" else "FM999999999999990"
            number = whole + ("." + "0" * digits if digits else "")
            return exp.Anonymous(this="TO_CHAR", expressions=[_cast(value, "NUMERIC"), exp.Literal.string(number)])
        if not (isinstance(pattern, exp.Literal) and pattern.is_string) or kind not in (K.DATE, K.DATETIME, K.STR):
            raise errors.unsupported("FORMAT other than a constant date pattern on PostgreSQL")
        return exp.Anonymous(this="TO_CHAR", expressions=[self.timestamp(value),
                                                          exp.Literal.string(_to_char_pattern(pattern.this))])


def _cast(node: exp.Expression, type_name: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=type_name))


def _ci(node: exp.Expression) -> exp.Expression:
    """Compare the way SQL Server's case-insensitive default collation does."""
    if isinstance(node, exp.Column) or isinstance(node, exp.Null):
        return node
    return _cast(node, "CITEXT")


def _rtrim(node: exp.Expression) -> exp.Expression:
    """SQL Server ignores trailing spaces when it compares strings."""
    if isinstance(node, exp.Literal) and node.is_string:
        return exp.Literal.string(node.this.rstrip(" "))
    if isinstance(node, exp.Null):
        return node
    if isinstance(node, exp.Var) and _MARK.fullmatch(node.name):  # a parameter, bound as whatever type it was sent
        node = _cast(node, "TEXT")
    return exp.Anonymous(this="RTRIM", expressions=[node])


def _days(value: exp.Expression, days: exp.Expression) -> exp.Expression:
    return _cast(exp.Paren(this=exp.Add(this=_cast(value, "TIMESTAMP"), expression=exp.Mul(
        this=exp.Paren(this=days), expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="DAY"))))),
        "TIMESTAMP(3)")



_DATETIME_STYLES = frozenset({0, 100, 1, 101, 2, 102, 3, 103, 4, 104, 5, 105, 106, 107, 8, 108, 24, 10, 110, 11, 111,
                              12, 112, 23, 20, 120, 21, 121, 25, 126, 127})


#: CONVERT(<date type>, <string>, style) styles mock_halo.parse_datetime reads.
_PARSE_STYLES = frozenset({101, 103, 104, 105, 110, 111, 112, 20, 120, 21, 121, 23, 126, 127})


def _pg_type(spec: str) -> str:
    """A compact SQL Server type (``nvarchar(50)``, ``decimal(9,2)``) -> PostgreSQL (as for CAST)."""
    base, params = K.split_decl(spec)
    if base in ("varchar", "nvarchar", "char", "nchar"):
        if params == "max":
            return "TEXT"
        return f"VARCHAR({params or 30})"
    return {
        "text": "TEXT", "ntext": "TEXT", "sysname": "VARCHAR(128)", "xml": "TEXT",
        "int": "INTEGER", "integer": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT", "tinyint": "SMALLINT",
        "bit": "SMALLINT", "money": "NUMERIC(19,4)", "smallmoney": "NUMERIC(10,4)",
        "float": "DOUBLE PRECISION", "real": "REAL", "date": "DATE", "time": "TIME",
        "datetime": "TIMESTAMP(3)", "datetime2": "TIMESTAMP", "smalldatetime": "TIMESTAMP(0)",
        "datetimeoffset": "TIMESTAMPTZ", "uniqueidentifier": "UUID",
        "binary": "BYTEA", "varbinary": "BYTEA", "image": "BYTEA",
    }.get(base) or (f"NUMERIC({params})" if base in ("decimal", "numeric") and params else
                    "NUMERIC(18,0)" if base in ("decimal", "numeric") else _refuse(spec))


def _refuse(spec: str) -> str:
    raise errors.unsupported(f"the type {spec} on PostgreSQL")


def _to_char_pattern(pattern: str) -> str:
    """A .NET custom date format -> a to_char pattern (other characters quoted as literals)."""
    out: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        for token, replacement in _DOTNET_FORMAT:
            if pattern.startswith(token, i):
                if literal:
                    out.append('"' + "".join(literal).replace('"', '\\"') + '"')
                    literal = []
                out.append(replacement)
                i += len(token)
                break
        else:
            literal.append(pattern[i])
            i += 1
    if literal:
        out.append('"' + "".join(literal).replace('"', '\\"') + '"')
    return "".join(out)


def _recursive_ctes(tree: exp.Expression) -> None:
    """T-SQL has no RECURSIVE keyword; PostgreSQL needs it when a CTE names itself."""
    for with_ in tree.find_all(exp.With):
        for cte in with_.expressions:
            name = cte.alias.lower()
            if any(t.name.lower() == name and not t.db for t in cte.this.find_all(exp.Table)):
                with_.set("recursive", True)


def _len(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    return exp.Length(this=exp.Anonymous(this="RTRIM", expressions=[rw.text(args[0])]))


def _datalength(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    _, decl = rw.kind(args[0])
    if decl in ("varchar", "char", "text") or decl.startswith(("varchar(", "char(")):
        return exp.Anonymous(this="OCTET_LENGTH", expressions=[rw.text(args[0])])
    return exp.Mul(this=exp.Length(this=rw.text(args[0])), expression=exp.Literal.number(2))


def _side(name: str):
    def build(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=[rw.text(args[0]), _cast(args[1], "INTEGER")])
    return build


def _charindex(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    start = _cast(args[2], "INTEGER") if len(args) > 2 else exp.Literal.number(1)
    return rw.fn("charindex", rw.text(args[0]), rw.text(args[1]), start)


def _isnull(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    """ISNULL has the type of its first argument: the second is converted to it (a text literal beside a number
    arrives converted, by the front end's precedence pass)."""
    (kind, decl), (other, _) = rw.kind(args[0]), rw.kind(args[1])
    second = args[1]
    if other not in (kind, K.NULL, K.UNKNOWN) and kind not in (K.NULL, K.UNKNOWN):
        if kind == K.STR:
            second = rw.text(second)
        elif decl:
            second = _cast(second, _pg_type(decl))
    return exp.Coalesce(this=args[0], expressions=[second])


def _choose(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    ifs = [exp.If(this=exp.EQ(this=args[0].copy(), expression=exp.Literal.number(i)), true=value)
           for i, value in enumerate(args[1:], start=1)]
    return exp.Case(ifs=ifs)


def _eomonth(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    months = _cast(args[1], "INTEGER") if len(args) > 1 else exp.Literal.number(0)
    return rw.fn("eomonth", _cast(rw.timestamp(args[0]), "DATE"), months)


def _db_name(rw: PgEmitter, args: list[exp.Expression]) -> exp.Expression:
    if args:
        raise errors.unsupported("DB_NAME(database_id)")
    return exp.Literal.string(rw.catalogue_name)


def _simple(name: str, *, text: bool = True):
    def handler(rw: PgEmitter, node: exp.Expression) -> exp.Expression:
        node.set("this", rw.text(node.this) if text else node.this)
        return node
    return handler


def _built(rw: PgEmitter, built: exp.Expression, limit: int, inputs: list[exp.Expression]) -> exp.Expression:
    """A string builder's result cut at its ``limit`` (SQL Server's 8,000 bytes; none for a max type)."""
    return rw.typed_builder(built if limit == 0 else rw.cut(built, limit, inputs), limit)


def _replace(rw: PgEmitter, node: exp.Replace) -> exp.Expression:
    built = rw.fn("replace", rw.text(node.this), rw.text(node.expression), rw.text(node.args["replacement"]))
    return _built(rw, built, rw.char_limit(node.this), [node.this, node.expression, node.args["replacement"]])


def _stuff(rw: PgEmitter, node: exp.Stuff) -> exp.Expression:
    built = rw.fn("stuff", rw.text(node.this), _cast(node.args["start"], "INTEGER"),
                  _cast(node.args["length"], "INTEGER"), rw.text(node.expression))
    return _built(rw, built, rw.char_limit(node.this), [node.this, node.expression])


def _replicate(rw: PgEmitter, text: exp.Expression, times: exp.Expression, limit: int) -> exp.Expression:
    """REPLICATE as mock_halo.replicate, which never builds more than the limit keeps."""
    return rw.typed_builder(rw.fn("replicate", text, _cast(times, "INTEGER"), exp.Literal.number(limit)), limit)


def _substring(rw: PgEmitter, node: exp.Substring) -> exp.Expression:
    if node.args.get("length") is None:
        raise errors.wrong_argument_count("substring", 3)
    return exp.Substring(this=rw.text(node.this), start=_cast(node.args["start"], "INTEGER"),
                         length=_cast(node.args["length"], "INTEGER"))


def _concat(rw: PgEmitter, node: exp.Concat | exp.ConcatWs) -> exp.Expression:
    texts = node.expressions[1:] if isinstance(node, exp.ConcatWs) else node.expressions
    limit = rw.joined_limit(texts)
    inputs = list(texts)
    node.set("expressions", [rw.text(e) for e in node.expressions])
    return _built(rw, node, limit, inputs)


def _string_agg(rw: PgEmitter, node: exp.GroupConcat) -> exp.Expression:
    inner = node.this
    if isinstance(inner, exp.Order):
        inner.set("this", rw.text(inner.this))
    else:
        node.set("this", rw.text(inner))
    return node


def _round(rw: PgEmitter, node: exp.Round) -> exp.Expression:
    if node.args.get("truncate") is not None:
        raise errors.unsupported("ROUND(x, n, function) on PostgreSQL")
    decimals = node.args.get("decimals") or exp.Literal.number(0)
    kind = rw.kind(node.this)[0]
    value = node.this if kind in (K.INT, K.DEC) and "float" not in rw.kind(node.this)[1] else _cast(node.this,
                                                                                                  "NUMERIC")
    return exp.Round(this=value, decimals=_cast(decimals, "INTEGER"))


PgEmitter.BUILTINS = {
    "DATEADD": PgEmitter.dateadd, "DATEDIFF": PgEmitter.datediff,
    "DATEDIFF_BIG": lambda rw, a: _cast(rw.fn("datediff", exp.Literal.string(
        dates.canonical_part(a[0].name, "datediff_big")), rw.timestamp(a[1]), rw.timestamp(a[2])), "BIGINT"),
    "DATEPART": PgEmitter.datepart, "DATENAME": lambda rw, a: rw.datepart(a, "datename"),
    "YEAR": lambda rw, a: rw.fn("datepart", exp.Literal.string("year"), rw.timestamp(a[0])),
    "MONTH": lambda rw, a: rw.fn("datepart", exp.Literal.string("month"), rw.timestamp(a[0])),
    "DAY": lambda rw, a: rw.fn("datepart", exp.Literal.string("day"), rw.timestamp(a[0])),
    "EOMONTH": _eomonth, "FORMAT": PgEmitter.format,
    "GETDATE": lambda rw, a: rw.now("local"), "SYSDATETIME": lambda rw, a: rw.now("local", "TIMESTAMP"),
    "GETUTCDATE": lambda rw, a: rw.now("utc"), "SYSUTCDATETIME": lambda rw, a: rw.now("utc", "TIMESTAMP"),
    "ISNULL": _isnull, "LEN": _len, "DATALENGTH": _datalength, "LEFT": _side("LEFT"), "RIGHT": _side("RIGHT"),
    "CHARINDEX": _charindex, "CHOOSE": _choose, "DB_NAME": _db_name,
}

PgEmitter.TRANSFORMS = {
    **Emitter.TRANSFORMS,
    exp.Table: PgEmitter.table,
    exp.Cast: PgEmitter.cast, exp.TryCast: PgEmitter.cast, exp.Convert: PgEmitter.cast,
    exp.Add: PgEmitter.add, exp.Sub: PgEmitter.sub,
    exp.In: PgEmitter.in_, exp.Like: PgEmitter.like, exp.Escape: PgEmitter.like,
    exp.Collate: PgEmitter.collate, exp.Avg: PgEmitter.avg, exp.Sum: PgEmitter.sum, exp.Count: PgEmitter.count,
    exp.Window: PgEmitter.window, exp.Ordered: PgEmitter.ordered,
    exp.Upper: _simple("upper"), exp.Lower: _simple("lower"), exp.Trim: _simple("trim"),
    exp.Reverse: _simple("reverse"), exp.Ascii: _simple("ascii"),
    exp.Substring: _substring, exp.Replace: _replace, exp.Concat: _concat, exp.ConcatWs: _concat,
    exp.GroupConcat: _string_agg,
    exp.Uuid: lambda rw, n: exp.Anonymous(this="GEN_RANDOM_UUID", expressions=[]),
    exp.Rand: lambda rw, n: exp.Anonymous(this="RANDOM", expressions=[]),
    exp.Round: _round, exp.Pow: PgEmitter.pow,
    exp.Stuff: _stuff,
    exp.DateFromParts: lambda rw, n: exp.Anonymous(this="MAKE_DATE", expressions=[
        _cast(n.args["year"], "INTEGER"), _cast(n.args["month"], "INTEGER"), _cast(n.args["day"], "INTEGER")]),
    exp.Repeat: lambda rw, n: _replicate(rw, rw.text(n.this), n.args["times"], rw.char_limit(n.this)),
    exp.Space: lambda rw, n: _replicate(rw, exp.Literal.string(" "), n.this, NON_MAX_BYTES),
    exp.Chr: lambda rw, n: exp.Anonymous(this="CHR", expressions=[_cast(n.expressions[0], "INTEGER")]),
}

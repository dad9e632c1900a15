"""``TOP (n) PERCENT`` and ``TOP n WITH TIES`` as plain ``TOP`` with a computed row count.

SQLite's ``LIMIT`` takes any scalar expression, subqueries included, so both
forms become ``TOP (<count>)`` before translation, keeping the query's own
projection, ``ORDER BY`` and ``*``:

* ``PERCENT``: ``CEILING(n * (SELECT COUNT(*) FROM (<query without TOP/ORDER BY>)) / 100)``
  rows, as SQL Server rounds the row count up.
* ``WITH TIES``: the number of rows whose ``RANK()`` over the query's ``ORDER BY``
  is at most the wanted count (ties of the last row are ranked alike).
"""

from __future__ import annotations

from sqlglot import exp

from mock_halo.sql.frontend import dialect
from mock_halo.sql.semantics import errors

_RANK_ALIAS = "__mh_rank"


def reshape(statement: exp.Expression) -> exp.Expression:
    """Rewrite every ``TOP ... PERCENT`` / ``WITH TIES`` in ``statement`` (in place)."""
    for select in list(statement.find_all(exp.Select)):
        limit = select.args.get("limit")
        options = limit.args.get("limit_options") if isinstance(limit, exp.Limit) else None
        if options is None:
            continue
        percent, ties = bool(options.args.get("percent")), bool(options.args.get("with_ties"))
        if not (percent or ties):
            continue
        if ties and not select.args.get("order"):
            raise errors.with_ties_without_order_by()
        if ties and select.args.get("distinct"):
            raise errors.unsupported("TOP ... WITH TIES with DISTINCT")
        count = _unwrap(limit.expression)
        if percent:
            count = _percent_of(select, count)
        if ties:
            count = _with_ties(select, count)
        limit.set("expression", exp.Paren(this=count))
        limit.set("limit_options", None)
    return statement


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node.copy()


def _base(select: exp.Select) -> exp.Select:
    """The query without its TOP and ORDER BY."""
    base = select.copy()
    base.set("limit", None)
    base.set("order", None)
    return base


def _percent_of(select: exp.Select, percent: exp.Expression) -> exp.Expression:
    total = exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(
        exp.Subquery(this=_base(select), alias=exp.TableAlias(this=exp.to_identifier("__mh_all")))))
    product = exp.Mul(this=exp.Cast(this=exp.Paren(this=percent), to=exp.DataType.build("float")), expression=total)
    rows = exp.Ceil(this=exp.Div(this=product, expression=exp.Literal.number(100)))
    return exp.Cast(this=rows, to=exp.DataType.build("int"))


def _with_ties(select: exp.Select, count: exp.Expression) -> exp.Expression:
    order = select.args["order"].copy()
    aliases = {e.alias.upper(): e.this for e in select.expressions if isinstance(e, exp.Alias)}
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Column) and not key.table and key.name.upper() in aliases:
            ordered.set("this", aliases[key.name.upper()].copy())
        elif isinstance(key, exp.Literal) and not key.is_string:
            projection = select.expressions[int(key.this) - 1]
            ordered.set("this", (projection.this if isinstance(projection, exp.Alias) else projection).copy())
    rank = dialect.parse(f"SELECT RANK() OVER (ORDER BY 1) AS {_RANK_ALIAS}")[0].expressions[0]
    rank.this.set("order", order)
    ranked = _base(select)
    ranked.set("expressions", [rank])
    ranked.set("distinct", None)
    query = exp.select(exp.Count(this=exp.Star())).from_(
        exp.Subquery(this=ranked, alias=exp.TableAlias(this=exp.to_identifier("__mh_ranked")))).where(
        exp.LTE(this=exp.column(_RANK_ALIAS), expression=count))
    return exp.Subquery(this=query)

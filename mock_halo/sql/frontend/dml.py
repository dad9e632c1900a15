"""T-SQL's ``UPDATE ... FROM`` and ``DELETE alias FROM ...`` joins, reshaped for SQLite.

T-SQL names the target of a joined UPDATE/DELETE by an alias of its FROM
clause; SQLite wants the target table first:

* ``UPDATE p SET p.X = a.Y FROM PATIENTS p JOIN APPOINTMENTS a ON a.ID = p.ID WHERE w``
  becomes ``UPDATE PATIENTS AS p SET X = a.Y FROM APPOINTMENTS a WHERE a.ID = p.ID AND w``
  (inner joins only: their ON conditions move to WHERE);
* ``DELETE p FROM PATIENTS p JOIN ... WHERE w`` becomes
  ``DELETE FROM PATIENTS WHERE <pk> IN (SELECT p.<pk> FROM PATIENTS p JOIN ... WHERE w)``.

Both run before name resolution, so the analyzer sees ordinary SQLite shapes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from mock_halo.sql.semantics import errors

PrimaryKey = Callable[[exp.Table], str | None]


def reshape(statement: exp.Expression, primary_key: PrimaryKey) -> exp.Expression:
    if isinstance(statement, exp.Update) and statement.args.get("from_") is not None:
        return _update_from(statement)
    if isinstance(statement, exp.Delete) and statement.args.get("tables"):
        return _delete_from(statement, primary_key)
    return statement


def _name(table: exp.Expression) -> str:
    return (table.alias or table.name).lower() if isinstance(table, exp.Table) else table.alias.lower()


def _flatten(first: exp.Expression) -> tuple[list[exp.Expression], list[exp.Expression]]:
    """``a JOIN b ON c, d`` -> ([a, b, d], [c]) for inner and comma joins."""
    joins = first.args.get("joins") or []
    first.set("joins", None)
    items, conditions = [first], []
    for join in joins:
        side, kind = join.args.get("side"), (join.args.get("kind") or "").upper()
        if side or kind not in ("", "INNER", "CROSS") or join.args.get("using"):
            raise errors.unsupported(f"{(side or kind).upper()} JOIN in UPDATE ... FROM")
        items.append(join.this)
        if join.args.get("on") is not None:
            conditions.append(join.args["on"])
    return items, conditions


def _update_from(update: exp.Update) -> exp.Expression:
    items, conditions = _flatten(update.args["from_"].this)
    target = update.this
    wanted = target.name.lower() if isinstance(target, exp.Table) and not target.db else None
    for index, item in enumerate(items):
        if wanted is not None and _name(item) == wanted and isinstance(item, exp.Table):
            target = items.pop(index)
            break
    where = update.args.get("where")
    if where is not None:
        conditions.append(where.this)
    reshaped = exp.Update(this=target, expressions=update.expressions)
    if conditions:
        reshaped.set("where", exp.Where(this=exp.and_(*conditions)))
    if items:
        first = items[0]
        first.set("joins", [exp.Join(this=item) for item in items[1:]] or None)
        reshaped.set("from_", exp.From(this=first))
    return reshaped


def _delete_from(delete: exp.Delete, primary_key: PrimaryKey) -> exp.Expression:
    wanted = delete.args["tables"][0].name.lower()
    source = delete.this
    joins = source.args.get("joins") or []
    candidates = [source, *(join.this for join in joins)]
    target = next((t for t in candidates if isinstance(t, exp.Table) and _name(t) == wanted), None)
    if target is None:
        raise errors.invalid_object(delete.args["tables"][0].name)
    key = primary_key(target)
    if key is None:
        raise errors.unsupported("DELETE ... FROM on a table without a single-column primary key")
    source.set("joins", None)
    select = exp.Select(expressions=[exp.column(key, table=target.alias or target.name)],
                        from_=exp.From(this=source), joins=joins or None)
    where = delete.args.get("where")
    if where is not None:
        select.set("where", where)
    plain = exp.Table(this=target.this.copy(), db=target.args.get("db"), catalog=target.args.get("catalog"))
    return exp.Delete(this=plain, where=exp.Where(this=exp.In(this=exp.column(key), query=select.subquery())))

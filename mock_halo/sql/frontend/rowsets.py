"""T-SQL's row constructs that integrations use, reshaped into plain queries both back ends run.

* A table value constructor as a table, ``(VALUES (1, 'a'), (2, 'b')) AS t(n, s)`` in ``FROM`` or a
  ``JOIN``: a derived table ``(SELECT 1 AS n, 'a' AS s UNION ALL SELECT 2, 'b') AS t``.
* ``CROSS APPLY (VALUES (a, b), (c, d)) AS x(p, q)`` (unpivoting a row's columns): a join with the
  row numbers ``(SELECT 1 AS mh_row UNION ALL SELECT 2) AS x``, each ``x.p`` becoming
  ``CASE x.mh_row WHEN 1 THEN a WHEN 2 THEN c END`` (the expressions keep reading the outer row).
  ``OUTER APPLY`` of a VALUES is the same (a VALUES always has rows).
* String aggregation with ``FOR XML PATH('')`` (usually inside ``STUFF``): the subquery becomes
  ``STRING_AGG(<value>, '') WITHIN GROUP (ORDER BY <its ORDER BY>)``. As SQL Server does, an unnamed
  column is text, a named one an element ``<name>value</name>``, ``&``, ``<`` and ``>`` are escaped
  unless ``, TYPE).value('.', ...)`` reads the text back, and no rows give NULL. With ``DISTINCT``,
  ``GROUP BY`` or ``TOP`` the rows are chosen first, in a derived table, then aggregated in order.

Anything else of these families (``CROSS APPLY`` of a subquery or function, other ``FOR XML`` modes,
``FOR JSON``) stays refused by name (:mod:`~mock_halo.sql.frontend.unsupported`).
"""

from __future__ import annotations

from sqlglot import exp

from mock_halo.sql.semantics import errors

#: SQLite's limit on the terms of one compound SELECT.
MAX_ROWS = 500
ROW = "mh_row"


def reshape(statement: exp.Expression) -> exp.Expression:
    """Rewrite every VALUES table, CROSS APPLY (VALUES ...) and FOR XML PATH('') in ``statement`` (in place)."""
    for node in list(statement.find_all(exp.Lateral)):
        if isinstance(node.this, exp.Subquery) and isinstance(node.this.this, exp.Values):
            _apply_values(node)
    for node in list(statement.find_all(exp.Values)):
        if isinstance(node.parent, (exp.From, exp.Join)) or (
                isinstance(node.parent, exp.Subquery) and isinstance(node.parent.parent, (exp.From, exp.Join))):
            _values_table(node)
    for node in list(statement.find_all(exp.Subquery)):
        if isinstance(node.this, exp.Select) and node.this.args.get("for_") is not None:
            _for_xml_path(node)
    return statement


# -- VALUES as a table -------------------------------------------------------------------------
def _rows(values: exp.Values, alias: str) -> list[list[exp.Expression]]:
    rows = [list(row.expressions) if isinstance(row, exp.Tuple) else [row] for row in values.expressions]
    if len({len(row) for row in rows}) > 1:
        raise errors.values_row_lengths()
    if len(rows) > MAX_ROWS:
        raise errors.unsupported(f"a VALUES table of more than {MAX_ROWS} rows", alias)
    return rows


def _union(selects: list[exp.Select]) -> exp.Expression:
    query: exp.Expression = selects[0]
    for select in selects[1:]:
        query = exp.Union(this=query, expression=select, distinct=False)
    return query


def _names(values_alias: exp.TableAlias | None, width: int, owner: exp.Expression) -> tuple[str, list[str]]:
    alias = values_alias.name if values_alias is not None else ""
    names = [c.name for c in values_alias.columns] if values_alias is not None else []
    if not alias:
        raise errors.syntax_near(")")  # a derived table needs an alias
    if not names:
        raise errors.no_column_name(1, alias)
    if len(names) < width:
        raise errors.more_columns_than_names(alias)
    if len(names) > width:
        raise errors.fewer_columns_than_names(alias)
    return alias, names


def _values_table(values: exp.Values) -> None:
    """``(VALUES ...) AS t(a, b)`` -> ``(SELECT .. AS a, .. AS b UNION ALL SELECT ..) AS t``."""
    holder = values.parent if isinstance(values.parent, exp.Subquery) else values
    table_alias = holder.args.get("alias") or values.args.get("alias")
    rows = _rows(values, table_alias.name if table_alias is not None else "")
    alias, names = _names(table_alias, len(rows[0]), values)
    selects = [exp.Select(expressions=[exp.alias_(value.copy(), name, quoted=True) if i == 0 else value.copy()
                                       for value, name in zip(row, names)])
               for i, row in enumerate(rows)]
    holder.replace(exp.Subquery(this=_union(selects), alias=exp.TableAlias(this=exp.to_identifier(alias))))


# -- CROSS APPLY (VALUES ...) --------------------------------------------------------------------
def _apply_values(lateral: exp.Lateral) -> None:
    values: exp.Values = lateral.this.this
    table_alias = lateral.args.get("alias") or values.args.get("alias")
    rows = _rows(values, table_alias.name if table_alias is not None else "")
    alias, names = _names(table_alias, len(rows[0]), values)
    join = lateral.parent
    select = join.parent if isinstance(join, exp.Join) else None
    if not isinstance(select, exp.Select):
        raise errors.unsupported("CROSS APPLY / OUTER APPLY here")
    numbers = _union([exp.Select(expressions=[exp.alias_(exp.Literal.number(i), ROW) if i == 1
                                              else exp.Literal.number(i)]) for i in range(1, len(rows) + 1)])
    by_name = {name.lower(): index for index, name in enumerate(names)}
    join.replace(exp.Join(this=exp.Subquery(this=numbers, alias=exp.TableAlias(this=exp.to_identifier(alias))),
                          kind="CROSS"))
    for column in list(select.find_all(exp.Column)):
        index = by_name.get(column.name.lower())
        if index is None or (column.table and column.table.lower() != alias.lower()):
            continue
        case = exp.Case(this=exp.column(ROW, table=alias),
                        ifs=[exp.If(this=exp.Literal.number(i), true=row[index].copy())
                             for i, row in enumerate(rows, 1)])
        named = column.parent is select and column.arg_key == "expressions"  # a projection keeps its name
        column.replace(exp.alias_(case, column.name, quoted=True) if named else case)


# -- FOR XML PATH('') ----------------------------------------------------------------------------
def _for_xml_path(subquery: exp.Subquery) -> None:
    select: exp.Select = subquery.this
    clause = select.args["for_"]
    options = clause.expressions
    kind = str(clause.args.get("kind") or "").upper()
    path = options[0].this if options and isinstance(options[0].this, exp.XMLKeyValueOption) else None
    rest = [str(o.this.name if isinstance(o.this, exp.Var) else o.this).upper() for o in options[1:]]
    if kind != "XML" or path is None or path.this.name.upper() != "PATH" or not (
            isinstance(path.expression, exp.Literal) and path.expression.this == "") or rest not in ([], ["TYPE"]):
        raise errors.unsupported("FOR XML other than PATH('') string aggregation", clause.sql(dialect="tsql"))
    typed = rest == ["TYPE"]
    reader = subquery.parent
    if typed:
        if not (isinstance(reader, exp.Dot) and isinstance(reader.expression, exp.Anonymous)
                and str(reader.expression.this).lower() == "value"):
            raise errors.unsupported("FOR XML ... TYPE other than read back with .value('.', ...)")
    parts = []
    for projection in select.expressions:
        named = isinstance(projection, (exp.Alias, exp.Column)) and projection.alias_or_name
        value = projection.this if isinstance(projection, exp.Alias) else projection
        text = exp.Cast(this=value.copy(), to=exp.DataType.build("NVARCHAR(MAX)", dialect="tsql"))
        if not typed:
            for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                text = exp.Replace(this=text, expression=exp.Literal.string(char),
                                   replacement=exp.Literal.string(entity))
        if named:
            name = projection.alias_or_name
            text = exp.Add(this=exp.Add(this=exp.Literal.string(f"<{name}>"), expression=text),
                           expression=exp.Literal.string(f"</{name}>"))
        parts.append(text)
    value = parts[0]
    for part in parts[1:]:  # several columns: each row's parts one after another (a NULL part is left out)
        value = exp.Add(this=exp.Coalesce(this=value, expressions=[exp.Literal.string("")]),
                        expression=exp.Coalesce(this=part, expressions=[exp.Literal.string("")]))
    order = select.args.get("order")
    keys = [o.copy() for o in order.expressions] if order else []
    select.set("for_", None)
    if select.args.get("distinct") or select.args.get("group") or select.args.get("limit"):
        # the rows first (DISTINCT, GROUP BY, TOP as written), then their text in order
        select.set("expressions", [exp.alias_(value, "mh_v")] + [exp.alias_(k.this, f"mh_k{i}")
                                                                  for i, k in enumerate(keys)])
        if not select.args.get("limit"):
            select.set("order", None)
        value = exp.column("mh_v", table="mh_xml")
        for i, key in enumerate(keys):
            key.set("this", exp.column(f"mh_k{i}", table="mh_xml"))
        select = exp.Select(from_=exp.From(this=exp.Subquery(this=select, alias=exp.TableAlias(
            this=exp.to_identifier("mh_xml")))))
        subquery.set("this", select)
    aggregate = exp.GroupConcat(this=exp.Order(this=value, expressions=keys) if keys else value,
                                separator=exp.Literal.string(""))
    select.set("expressions", [aggregate])
    select.set("order", None)
    if typed:
        reader.replace(subquery)

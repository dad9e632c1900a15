"""The SQLite back end of the translator: resolved statements -> SQLite SQL (and its Unicode variants).

:class:`SqliteTranslator` is the front end's :class:`~mock_halo.sql.frontend.translate.Translator` with
SQLite's last step: :class:`~mock_halo.sql.engines.sqlite.emitter.SqliteEmitter` rewrites the typed tree
and sqlglot's SQLite generator writes it, once more with SQL Server's Unicode collation (``MH_CI``) where
a comparison with a parameter or an ORDER BY over text may need it.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from mock_halo.sql.engines import emitter
from mock_halo.sql.engines.sqlite.emitter import PARAM_COLLATION, SqliteEmitter
from mock_halo.sql.frontend.resolve import Analyzer
from mock_halo.sql.frontend.script import Statement
from mock_halo.sql.frontend.translate import Resolved, Translator
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.encode import Encoder


class SqliteTranslator(Translator):
    """T-SQL batches -> SQLite statements, cached by text."""

    def emit(self, resolved: Resolved) -> Statement:
        emitter = SqliteEmitter(resolved.analyzer, self.catalog.display[resolved.db])
        tree = emitter.rewrite(resolved.tree)
        sql_unicode = sql_sorted = None
        marks = [c for c in tree.find_all(exp.Collate) if c.expression.name == PARAM_COLLATION]
        for mark in emitter.sort_marks:
            mark.set("expression", exp.Var(this="MH_CI"))
        if marks:
            for mark in marks:
                mark.set("expression", exp.Var(this="MH_CI"))
            sql_unicode = generate(tree)  # also sorts with MH_CI: rare enough not to need a fourth variant
            for mark in marks:
                mark.replace(mark.this)
        if emitter.sort_marks:
            sql_sorted = generate(tree)
            for mark in emitter.sort_marks:
                mark.replace(mark.this)
        sql = generate(tree)
        return Statement(
            sql=sql, verb=resolved.verb, params=tuple(emitter.params),
            written=tuple(emitter.written[k] for k in emitter.params),
            encoder=resolved.encoder, target=resolved.target, param_columns=resolved.param_columns,
            returns_rows=resolved.returns_rows, sql_unicode=sql_unicode, sql_sorted=sql_sorted,
            sort_checks=tuple(emitter.sort_checks),
        )

    def update_output_deleted(self, update: exp.Update, db: str, scope: Any) -> Statement:
        """``UPDATE t SET ... OUTPUT DELETED.a, INSERTED.a``: SQLite's RETURNING sees only the new row, so the
        old rows are read first (same WHERE) and matched to the new ones by SQLite's rowid."""
        info = Analyzer(self.catalog, db, scope).lookup_table(update.this.copy())
        if info.is_view:
            raise errors.unsupported("UPDATE of a view with OUTPUT DELETED")
        rowid_alias = {c.name.lower() for c in info.columns if c.pk and c.decl == "integer"}  # IDENTITY keys
        for assignment in update.expressions:
            if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column) and \
                    assignment.this.name.lower() in rowid_alias:
                raise errors.unsupported("UPDATE ... OUTPUT DELETED that changes an identity key")
        sides: dict[str, list[str]] = {"DELETED": [], "INSERTED": []}
        compose: list[tuple[int, int]] = []
        names: list[str] = []
        for projection in update.args["returning"].expressions:
            alias = projection.alias if isinstance(projection, exp.Alias) else ""
            column = projection.this if isinstance(projection, exp.Alias) else projection
            if not isinstance(column, exp.Column) or column.table.upper() not in sides:
                raise errors.unsupported("expressions in the OUTPUT clause of UPDATE with DELETED.*")
            side = column.table.upper()
            wanted = [c.name for c in info.columns] if column.is_star else [column.name]
            for name in wanted:
                found = info.column(name)
                if found is None:
                    raise errors.invalid_column(name)
                sides[side].append(found.name)
                compose.append((0 if side == "DELETED" else 1, len(sides[side]) - 1))
                names.append(alias or found.name)
        where = update.args.get("where")
        # Both statements are built here, so their generated text is known: a SELECT list that starts the
        # statement and a RETURNING list that ends it. rowid goes first in each.
        pre = self._statement(exp.Select(expressions=[exp.column(n) for n in sides["DELETED"] or [info.columns[0].name]],
                                         from_=exp.From(this=update.this.copy()),
                                         where=where.copy() if where else None), db, scope)
        new = update.copy()
        new.set("returning", exp.Returning(expressions=[exp.column(n, table="INSERTED")
                                                        for n in sides["INSERTED"] or [info.columns[0].name]]))
        statement = self._statement(new, db, scope)
        encoder = Encoder(names, [info.column(n).kind for n in (
            (sides["DELETED"] if s == 0 else sides["INSERTED"])[i] for s, i in compose)])
        return Statement(sql=_with_rowid_returned(statement.sql), verb="update", params=statement.params,
                         written=statement.written, encoder=encoder, target=statement.target, returns_rows=True,
                         sql_unicode=_with_rowid_returned(statement.sql_unicode),
                         pre=Statement(sql=_with_rowid_selected(pre.sql), verb="select", params=pre.params,
                                       written=pre.written, sql_unicode=_with_rowid_selected(pre.sql_unicode)),
                         compose=tuple(compose))


def _with_rowid_selected(sql: str | None) -> str | None:
    if sql is None:
        return None
    assert sql.startswith("SELECT ")
    return "SELECT rowid, " + sql[len("SELECT "):]


def _with_rowid_returned(sql: str | None) -> str | None:
    if sql is None:
        return None
    at = sql.rindex(" RETURNING ")
    return sql[:at] + " RETURNING rowid, " + sql[at + len(" RETURNING "):]


def generate(tree: exp.Expression) -> str:
    """SQLite SQL for a rewritten tree; anything sqlglot cannot express is refused."""
    return emitter.generate(tree, "sqlite")

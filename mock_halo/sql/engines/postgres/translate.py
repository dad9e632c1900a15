"""T-SQL -> PostgreSQL: the front end's translator with the PostgreSQL back end.

:class:`PgTranslator` is the front end's :class:`~mock_halo.sql.frontend.translate.Translator` (same
cache, same batch compiler, same parser, checks, reshaping, name resolution, typing and data type
precedence as the embedded engine) whose last step is
:class:`~mock_halo.sql.engines.postgres.emitter.PgEmitter`. What differs from SQLite beyond spelling:
an ``INSERT`` into a table with an ``IDENTITY`` key gets ``RETURNING <key>`` (how ``SCOPE_IDENTITY()``
is known), and ``UPDATE ... OUTPUT DELETED`` reads the old row through a self-join.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from mock_halo.sql.engines.postgres.emitter import PgEmitter
from mock_halo.sql.engines.postgres.layout import schema_name
from mock_halo.sql.frontend import discovery
from mock_halo.sql.frontend.schema import Catalog
from mock_halo.sql.frontend.script import Statement
from mock_halo.sql.frontend.translate import Resolved, Translator
from mock_halo.sql.semantics import errors


@dataclass(frozen=True, slots=True)
class PgStatement(Statement):
    """A translated statement; ``identity``: the INSERT returns the new IDENTITY keys (RETURNING)."""

    identity: bool = False


class PgTranslator(Translator):
    """The embedded translator's front end with a PostgreSQL back end (same cache, same batches)."""

    dialect = "postgresql"

    def __init__(self, catalog: Catalog, maxsize: int = 1024) -> None:
        super().__init__(catalog, maxsize)
        self.schemas = {db: schema_name(name) for db, name in catalog.display.items()}
        self.schemas[discovery.DB] = discovery.DB  # the catalogue views (INFORMATION_SCHEMA.*, sys.*)

    def emit(self, resolved: Resolved, old_rows: bool = False) -> Statement:
        emitter = PgEmitter(resolved.analyzer, self.catalog.display[resolved.db], self.schemas)
        tree = emitter.rewrite(resolved.tree)
        target, identity = resolved.target, False
        if resolved.verb == "insert" and not resolved.returns_rows and target is not None and not target.is_view:
            keys = [c for c in target.columns if c.pk]
            if len(keys) == 1 and keys[0].decl.lower() == "integer":  # INT IDENTITY key (pg_load, schema.py)
                tree.set("returning", exp.Returning(expressions=[exp.column(exp.to_identifier(
                    keys[0].name.lower(), quoted=True))]))
                identity = True
        if old_rows:
            same_row = exp.EQ(this=exp.column("ctid", table=_INSERTED), expression=exp.column("ctid", table=_DELETED))
            where = tree.args.get("where")
            tree.set("where", exp.Where(this=exp.and_(same_row, exp.Paren(this=where.this)) if where else same_row))
        sql, params, written = emitter.finish(tree)
        return PgStatement(sql=sql, verb=resolved.verb, params=params, written=written, encoder=resolved.encoder,
                           target=target, param_columns=resolved.param_columns,
                           returns_rows=resolved.returns_rows, identity=identity)

    def update_output_deleted(self, update: exp.Update, db: str, scope: Any) -> Statement:
        """PostgreSQL's RETURNING sees the new row only: the old one comes from a self-join (:func:`_join_old_rows`)."""
        return self.emit(self.resolve(update, "update", db, scope, True, adjust=_join_old_rows), old_rows=True)


_INSERTED, _DELETED = "__mh_inserted", "__mh_deleted"


def _join_old_rows(update: exp.Update) -> None:
    """``UPDATE t SET ... OUTPUT DELETED.x, INSERTED.y``: PostgreSQL 15's RETURNING sees only the new row, but a
    self-join in ``FROM`` reads the statement's snapshot, i.e. the old row: ``UPDATE t AS __mh_inserted ... FROM t
    AS __mh_deleted WHERE <same ctid> AND ... RETURNING __mh_deleted.x, __mh_inserted.y`` (the ctid join is added
    after name resolution)."""
    target = update.this
    if update.args.get("from_") is not None or not isinstance(target, exp.Table):
        raise errors.unsupported("UPDATE ... FROM with OUTPUT DELETED")
    own = {target.name.lower(), target.alias.lower()} - {""}

    def qualify(node: exp.Expression) -> None:  # this UPDATE's own columns only (not those of subqueries)
        for column in node.walk(prune=lambda n: isinstance(n, (exp.Subquery, exp.Select))):
            if isinstance(column, exp.Column) and (not column.table or column.table.lower() in own):
                column.set("table", exp.to_identifier(_INSERTED))

    for assignment in update.expressions:
        if isinstance(assignment, exp.EQ):
            qualify(assignment.expression)
            if isinstance(assignment.this, exp.Column):  # the SET target (bare again after rewriting)
                assignment.this.set("table", exp.to_identifier(_INSERTED))
    if update.args.get("where") is not None:
        qualify(update.args["where"].this)
    for column in update.args["returning"].find_all(exp.Column):
        prefix = column.table.upper()
        if prefix not in ("INSERTED", "DELETED"):
            raise errors.unbound_identifier(column.sql(dialect="tsql"))
        column.set("table", exp.to_identifier(_INSERTED if prefix == "INSERTED" else _DELETED))
    old = exp.Table(this=target.this.copy(), db=target.args.get("db"), catalog=target.args.get("catalog"),
                    alias=exp.TableAlias(this=exp.to_identifier(_DELETED)))
    target.set("alias", exp.TableAlias(this=exp.to_identifier(_INSERTED)))
    update.set("from_", exp.From(this=old))



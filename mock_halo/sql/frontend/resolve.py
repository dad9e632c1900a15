"""Name resolution and static typing of a parsed T-SQL statement.

:class:`Analyzer` maps table references to the site's catalogues (3-part
names, ``dbo.``, brackets, any case), resolves every column reference to its
source (raising SQL Server's 207 / 209 / 4104 where SQL Server would), and
infers the :mod:`kind <mock_halo.sql.semantics.kinds>` and declared type of any
expression. The rewriter uses the kinds to pick SQL Server semantics (string
``+``, date comparisons) and the encoder uses them to render results.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from mock_halo.sql.frontend import discovery, temp_tables
from mock_halo.sql.frontend.schema import Catalog, OutCol, Table
from mock_halo.sql.frontend.temp_tables import Scope
from mock_halo.sql.frontend.typing_rules import infer
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.kinds import UNTYPED, Typed

#: Schemas of SQL Server's catalogue views (INFORMATION_SCHEMA.TABLES, sys.objects, ...).
SYSTEM_SCHEMAS = frozenset({"information_schema", "sys"})
SCOPES = (exp.Select, exp.Update, exp.Delete, exp.Insert, exp.SetOperation)


@dataclass
class Source:
    """Something a FROM clause reads: a table/view, a CTE or a derived table."""

    alias: str  # how columns qualify it (alias, else the table name)
    table: Table | None
    columns: list[OutCol] | None  # None: not known statically
    aliased: bool = False
    ref: exp.Expression | None = None  # the FROM item (an exp.Table once resolved)

    def find(self, name: str) -> OutCol | None:
        lowered = name.lower()
        for col in self.columns or ():
            if col.name.lower() == lowered:
                return col
        return None


def written_name(table: exp.Table) -> str:
    """The object name as the query wrote it, for SQL Server's messages."""
    parts = [table.catalog, table.db, table.name]
    if table.catalog and not table.db:
        return f"{table.catalog}..{table.name}"
    return ".".join(p for p in parts if p)




class Analyzer:
    """Resolves names and infers kinds for one statement (memoised by node identity)."""

    def __init__(self, catalog: Catalog, current_db: str, temps: Scope | None = None) -> None:
        self.catalog = catalog
        self.current_db = current_db
        self.temps = temps  # the batch's temporary tables and table variables
        # Keyed by id(); the node is kept alive next to its type so no id is ever reused.
        self._kinds: dict[int, tuple[Typed, exp.Expression]] = {}
        self._sources: dict[int, list[Source]] = {}
        self._outputs: dict[int, list[OutCol] | None] = {}
        self._cte_names: dict[str, exp.CTE] = {}
        self._in_progress: set[int] = set()
        # Side tables keyed by node identity (not node.meta: sqlglot deep-copies meta).
        self._tables: dict[int, Table] = {}
        self._ctes: dict[int, exp.CTE] = {}

    # -- tables -----------------------------------------------------------------
    def resolve_tables(self, tree: exp.Expression) -> None:
        """Check every table reference and point it at the right SQLite schema."""
        for cte in tree.find_all(exp.CTE):
            self._cte_names[cte.alias.lower()] = cte
        for table in list(tree.find_all(exp.Table)):
            if self.temps is not None and temp_tables.key_of(table) is not None:
                self._tables[id(table)] = self.lookup_table(table)
                continue
            if not isinstance(table.this, (exp.Identifier, exp.Dot)):
                raise errors.unsupported("table-valued functions", written_name(table))
            if isinstance(table.this, exp.Dot):
                raise errors.server_not_found(table.catalog)
            if not table.db and not table.catalog and table.name.lower() in self._cte_names:
                self._ctes[id(table)] = self._cte_names[table.name.lower()]
                continue
            self._tables[id(table)] = self.lookup_table(table)

    def table_of(self, table: exp.Expression) -> Table | None:
        """The catalogue table a resolved ``exp.Table`` reads (None for CTEs)."""
        return self._tables.get(id(table))

    def lookup_table(self, table: exp.Table) -> Table:
        if self.temps is not None and temp_tables.key_of(table) is not None:
            if table.db and table.db.lower() != "dbo" or table.catalog and table.catalog.lower() != "tempdb":
                raise errors.invalid_object(written_name(table))
            info = self.temps.find(table)
            table.set("this", exp.to_identifier(info.name, quoted=True))
            table.set("catalog", None)
            table.set("db", exp.to_identifier(temp_tables.DB, quoted=True))
            return info
        name = written_name(table)
        db = self.current_db
        if table.catalog:
            found = self.catalog.db_for(table.catalog)
            if found is None:
                raise errors.invalid_object(name)
            db = found
        if table.db and table.db.lower() in SYSTEM_SCHEMAS:
            return self._system_view(table, db, name)
        if table.db and table.db.lower() != "dbo":
            raise errors.invalid_object(name)
        info = self.catalog.table(db, table.name)
        if info is None:
            raise errors.invalid_object(name)
        table.set("catalog", None)
        table.set("db", exp.to_identifier(db, quoted=True))
        return info

    def _system_view(self, table: exp.Table, db: str, name: str) -> Table:
        """``INFORMATION_SCHEMA.TABLES``, ``sys.columns``, ...: the engine's built copy (see :mod:`discovery`)."""
        view = discovery.find(table.db, table.name)
        if view is None:
            raise errors.invalid_object(name)
        info = discovery.table(self.catalog, db, view)
        if self.temps is not None:
            self.temps.system_views.add(info.name)
        table.set("catalog", None)
        table.set("db", exp.to_identifier(discovery.DB, quoted=True))
        table.set("this", exp.to_identifier(info.name, quoted=True))
        return info

    # -- scopes and sources -------------------------------------------------------
    @staticmethod
    def scope_of(node: exp.Expression) -> exp.Expression | None:
        parent = node.parent
        while parent is not None and not isinstance(parent, SCOPES):
            parent = parent.parent
        return parent

    def sources(self, scope: exp.Expression) -> list[Source]:
        cached = self._sources.get(id(scope))
        if cached is not None:
            return cached
        found: list[Source] = []
        refs: list[exp.Expression] = []
        if isinstance(scope, (exp.Update, exp.Delete)) and isinstance(scope.this, exp.Table):
            refs.append(scope.this)
        if isinstance(scope, exp.Insert):
            target = scope.this.this if isinstance(scope.this, exp.Schema) else scope.this
            refs.append(target)
        from_ = scope.args.get("from_")
        if from_ is not None:
            refs.append(from_.this)
            refs.extend(join.this for join in from_.this.args.get("joins") or ())  # UPDATE ... FROM a, b
        refs.extend(join.this for join in scope.args.get("joins") or ())
        for ref in refs:
            found.append(self._source(ref))
        self._sources[id(scope)] = found
        return found

    def _source(self, ref: exp.Expression) -> Source:
        alias = ref.alias if isinstance(ref, (exp.Table, exp.Subquery)) else ""
        if isinstance(ref, exp.Table):
            info = self._tables.get(id(ref))
            if info is not None:
                cols = [OutCol(c.name, c.kind, c.decl) for c in info.columns]
                return Source(alias or info.name, info, cols, aliased=bool(alias), ref=ref)
            cte = self._ctes.get(id(ref))
            if cte is not None:
                return Source(alias or cte.alias, None, self.cte_outputs(cte), aliased=bool(alias))
        if isinstance(ref, exp.Subquery):
            return Source(alias, None, self.outputs(ref.this), aliased=True)
        return Source(alias, None, None, aliased=bool(alias))

    def cte_outputs(self, cte: exp.CTE) -> list[OutCol] | None:
        columns = self.outputs(cte.this)
        renamed = cte.args.get("alias").columns if cte.args.get("alias") else []
        if columns is not None and renamed:
            return [OutCol(ident.name, col.kind, col.decl) for ident, col in zip(renamed, columns)]
        return columns

    # -- outputs ---------------------------------------------------------------------
    def outputs(self, query: exp.Expression) -> list[OutCol] | None:
        """The output columns of a query, or None when not statically known."""
        key = id(query)
        if key in self._outputs:
            return self._outputs[key]
        if key in self._in_progress:  # a recursive CTE referring to itself
            return None
        self._in_progress.add(key)
        try:
            result = self._compute_outputs(query)
        finally:
            self._in_progress.discard(key)
        self._outputs[key] = result
        return result

    def _compute_outputs(self, query: exp.Expression) -> list[OutCol] | None:
        if isinstance(query, exp.SetOperation):
            return self.outputs(query.left)
        if isinstance(query, exp.Subquery):
            return self.outputs(query.this)
        if not isinstance(query, exp.Select):
            return None
        result: list[OutCol] = []
        for projection in query.expressions:
            expanded = self.expand_star(query, projection)
            if expanded is not None:
                if not expanded:
                    return None
                result.extend(expanded)
                continue
            kind, decl = self.kind(projection)
            result.append(OutCol(projection.alias_or_name if _named(projection) else "", kind, decl))
        return result

    def expand_star(self, select: exp.Select, projection: exp.Expression) -> list[OutCol] | None:
        """For ``*`` / ``t.*``: the columns it stands for ([] if unknown); None if not a star."""
        if isinstance(projection, exp.Star):
            wanted = None
        elif isinstance(projection, exp.Column) and projection.is_star:
            wanted = projection.table.lower()
        else:
            return None
        cols: list[OutCol] = []
        matched = False
        for source in self.sources(select):
            if wanted is not None and source.alias.lower() != wanted:
                continue
            matched = True
            if source.columns is None:
                return []
            cols.extend(source.columns)
        if wanted is not None and not matched:
            raise errors.unbound_identifier(projection.table)
        return cols

    # -- columns ------------------------------------------------------------------------
    def resolve_column(self, column: exp.Column) -> Typed:
        name = column.name
        scope = self.scope_of(column)
        while scope is not None:
            if isinstance(scope, exp.SetOperation):
                hit = _find_out(self.outputs(scope), name)
                if hit is not None:
                    return hit.kind, hit.decl
            else:
                sources = self.sources(scope)
                if column.table:
                    for source in sources:
                        if self._qualifies(source, column):
                            if source.columns is None:
                                return UNTYPED
                            hit = source.find(name)
                            if hit is None:
                                raise errors.invalid_column(name)
                            return hit.kind, hit.decl
                else:
                    found = [hit for hit in (s.find(name) for s in sources) if hit is not None]
                    if len(found) > 1:
                        raise errors.ambiguous_column(name)
                    if found:
                        return found[0].kind, found[0].decl
                    if any(s.columns is None for s in sources):
                        return UNTYPED
                    alias = self._projection_alias(scope, column)
                    if alias is not None:
                        return alias
            scope = self.scope_of(scope)
        if column.table:
            raise errors.unbound_identifier(".".join(p for p in (column.db, column.table, name) if p))
        raise errors.invalid_column(name)

    def column_source(self, column: exp.Column) -> Source | None:
        """The source of the statement's own FROM a column reads (None: an outer query's, or not known)."""
        scope = self.scope_of(column)
        if scope is None or isinstance(scope, exp.SetOperation):
            return None
        for source in self.sources(scope):
            if (self._qualifies(source, column) if column.table else True) and source.find(column.name) is not None:
                return source
        return None

    @staticmethod
    def _qualifies(source: Source, column: exp.Column) -> bool:
        if source.alias.lower() != column.table.lower():
            return False
        if column.db and (source.aliased or column.db.lower() != "dbo"):
            return False
        return not (column.catalog and source.aliased)

    def _projection_alias(self, scope: exp.Expression, column: exp.Column) -> Typed | None:
        """ORDER BY may name a SELECT-list alias."""
        if not isinstance(scope, exp.Select) or column.table or column.find_ancestor(exp.Order) is None:
            return None
        for projection in scope.expressions:
            if isinstance(projection, exp.Alias) and projection.alias.lower() == column.name.lower():
                return self.kind(projection.this)
        return None

    # -- kinds -------------------------------------------------------------------------------
    def kind(self, node: exp.Expression) -> Typed:
        cached = self._kinds.get(id(node))
        if cached is not None:
            return cached[0]
        typed = infer(self, node)
        self._kinds[id(node)] = (typed, node)
        return typed

    def set_kind(self, node: exp.Expression, typed: Typed) -> None:
        self._kinds[id(node)] = (typed, node)


def _named(projection: exp.Expression) -> bool:
    return isinstance(projection, (exp.Alias, exp.Column)) and bool(projection.alias_or_name)


def _find_out(columns: list[OutCol] | None, name: str) -> OutCol | None:
    for col in columns or ():
        if col.name.lower() == name.lower():
            return col
    return None

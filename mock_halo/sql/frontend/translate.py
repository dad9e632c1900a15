"""T-SQL text -> a compiled :class:`~mock_halo.sql.frontend.script.Script`, with an LRU cache keyed by
(text, catalogue).

A batch is split into statements and control flow (:mod:`~mock_halo.sql.frontend.flow`), compiled into
steps (:mod:`~mock_halo.sql.frontend.program`), and each plain statement is checked, resolved, typed and
rewritten here. A cache hit costs one dictionary lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from mock_halo.sql import procedures
from mock_halo.sql.frontend import discovery, dml, flow, program, rowsets, temp_tables, top, unsupported
from mock_halo.sql.frontend.precedence import Precedence
from mock_halo.sql.frontend.resolve import Analyzer, written_name
from mock_halo.sql.frontend.schema import Catalog, OutCol, Table
from mock_halo.sql.frontend.script import ProcArg, Script, Statement
from mock_halo.sql.semantics import errors
from mock_halo.sql.semantics.encode import Encoder


@dataclass
class Resolved:
    """A statement after the front end: its typed tree (names resolved, precedence applied) and what the back
    end needs to know about it."""

    tree: exp.Expression
    verb: str
    db: str
    analyzer: Analyzer
    target: Table | None  # the table an INSERT/UPDATE/DELETE writes
    returns_rows: bool
    encoder: Encoder | None  # SELECT: the result columns' names and kinds (None: known only when run)
    param_columns: tuple[tuple[int, str], ...]


class Translator:
    """Translates batches for one site's catalogues and caches the results: the front end, whose last step an
    engine's subclass provides (:meth:`emit`, :meth:`update_output_deleted`)."""

    def __init__(self, catalog: Catalog, maxsize: int = 1024) -> None:
        self.catalog = catalog
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[tuple[str, str | None], Script] = OrderedDict()

    def cache_info(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "size": len(self._cache), "maxsize": self.maxsize}

    def clear(self) -> None:
        self._cache.clear()

    def cached(self, text: str, catalogue: str | None = None) -> Script | None:
        """The translation if it is in the cache, else None (nothing is translated or counted)."""
        return self._cache.get((text, catalogue))

    def translate(self, text: str, catalogue: str | None = None) -> Script:
        key = (text, catalogue)
        script = self._cache.get(key)
        if script is not None:
            self.hits += 1
            self._cache.move_to_end(key)
            return script
        self.misses += 1
        script = self._translate(text, catalogue)
        self._cache[key] = script
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)
        return script

    def _translate(self, text: str, catalogue: str | None) -> Script:
        db = self.catalog.db_for(catalogue)
        if db is None:
            raise errors.database_not_found(catalogue)
        translated: list[Statement] = []
        scope = temp_tables.Scope()
        current = [db]  # USE <catalogue> changes it for the statements after it

        def one(tree: exp.Expression) -> Statement:
            statement = self._statement(tree, current[0], scope)
            translated.append(statement)
            return statement

        def use(name: str) -> None:
            found = self.catalog.db_for(name)
            if found is None:
                raise errors.database_not_found(name)
            current[0] = found

        try:
            compiler = program.Compiler(one, scope=scope, outputs=lambda tree: self._outputs(tree, current[0], scope),
                                        object_id=lambda name: self._object_id(name, current[0]),
                                        col_length=lambda table, column: self._col_length(table, column, current[0]),
                                        use=use)
            steps = compiler.compile(flow.split(text))
            return Script(tuple(translated), steps, scratch=bool(scope.tables),
                          system_views=tuple(sorted(scope.system_views)))
        except errors.SqlError:
            raise
        except SqlglotError as exc:
            raise errors.unsupported("this construct", str(exc).splitlines()[0]) from None

    def _statement(self, statement: exp.Expression, db: str, scope: Any = None) -> Statement:
        """One plain statement: checked, reshaped, resolved, typed, precedence applied; then the back end's."""
        verb = unsupported.statement_verb(statement)
        if verb == "exec":
            return _exec(statement)
        returns_rows = verb in ("insert", "update", "delete") and statement.args.get("returning") is not None
        if returns_rows and verb == "update" and any(
                c.table.upper() == "DELETED" for c in statement.args["returning"].find_all(exp.Column)):
            if statement.args.get("from_") is not None or not isinstance(statement.this, exp.Table):
                raise errors.unsupported("UPDATE ... FROM with OUTPUT DELETED")
            return self.update_output_deleted(statement, db, scope)
        if returns_rows:
            _output_clause(statement)
        return self.emit(self.resolve(statement, verb, db, scope, returns_rows))

    def resolve(self, statement: exp.Expression, verb: str, db: str, scope: Any, returns_rows: bool,
                adjust: Callable[[exp.Expression], None] | None = None) -> Resolved:
        """The front end's work on one statement, up to the typed tree a back end emits."""
        top.reshape(statement)
        rowsets.reshape(statement)
        unsupported.check(statement)
        statement = dml.reshape(statement, lambda table: self._primary_key(table, db, scope))
        if adjust is not None:
            adjust(statement)
        analyzer = Analyzer(self.catalog, db, scope)
        analyzer.resolve_tables(statement)
        encoder = None
        param_columns: tuple[tuple[int, str], ...] = ()
        if verb == "select":
            _expand_stars(analyzer, _leftmost(statement))
            outputs = analyzer.outputs(statement)
            if outputs is not None:
                encoder = Encoder([c.name for c in outputs], [c.kind for c in outputs])
            param_columns = _parameter_columns(_leftmost(statement))
        target = _target(analyzer, statement)
        if target is not None and target.db == discovery.DB:
            raise errors.system_catalog_update()
        tree = Precedence(analyzer).apply(statement)
        return Resolved(tree, verb, db, analyzer, target, returns_rows, encoder, param_columns)

    # -- the back end's part ---------------------------------------------------------------------
    def emit(self, resolved: Resolved) -> Statement:
        """The engine's statement for a resolved tree."""
        raise NotImplementedError

    def update_output_deleted(self, update: exp.Update, db: str, scope: Any) -> Statement:
        """``UPDATE t SET ... OUTPUT DELETED.x``: the old row image, as the engine can give it."""
        raise NotImplementedError

    def _primary_key(self, table: exp.Table, db: str, scope: Any = None) -> str | None:
        info = Analyzer(self.catalog, db, scope).lookup_table(table.copy())
        keys = [c.name for c in info.columns if c.pk]
        return keys[0] if len(keys) == 1 else None

    def _outputs(self, tree: exp.Expression, db: str, scope: Any) -> list[OutCol] | None:
        """The output columns of a query (for ``SELECT ... INTO #t``), without translating it."""
        tree = tree.copy()
        top.reshape(tree)
        rowsets.reshape(tree)
        unsupported.check(tree)
        analyzer = Analyzer(self.catalog, db, scope)
        analyzer.resolve_tables(tree)
        _expand_stars(analyzer, _leftmost(tree))
        return analyzer.outputs(tree)

    def _object_id(self, name: str, db: str) -> tuple[int, str] | None:
        """OBJECT_ID('dbo.PATIENTS') of a catalogue object: (its stable number, its type code), or None."""
        return discovery.object_id(self.catalog, db, name)

    def _col_length(self, table: str, column: str, db: str) -> int | None:
        return discovery.col_length(self.catalog, db, table, column)


def _leftmost(query: exp.Expression) -> exp.Expression:
    while isinstance(query, exp.SetOperation):
        query = query.left
    return query


def _expand_stars(analyzer: Analyzer, select: exp.Expression) -> None:
    """Replace ``*`` / ``t.*`` in the outer SELECT by the columns, so their types are known."""
    if not isinstance(select, exp.Select):
        return
    expanded: list[exp.Expression] = []
    changed = False
    for projection in select.expressions:
        wanted = None
        if isinstance(projection, exp.Column) and projection.is_star:
            wanted = projection.table.lower()
        elif not isinstance(projection, exp.Star):
            expanded.append(projection)
            continue
        columns: list[exp.Expression] = []
        for source in analyzer.sources(select):
            if wanted is not None and source.alias.lower() != wanted:
                continue
            if source.columns is None:
                columns = []
                break
            columns.extend(exp.Column(this=exp.to_identifier(c.name, quoted=True),
                                      table=exp.to_identifier(source.alias, quoted=True)) for c in source.columns)
        if columns:
            expanded.extend(columns)
            changed = True
        else:
            analyzer.expand_star(select, projection)  # 4104 for an unknown t.*
            expanded.append(projection)
    if changed:
        select.set("expressions", expanded)


def _parameter_columns(select: exp.Expression) -> tuple[tuple[int, str], ...]:
    if not isinstance(select, exp.Select):
        return ()
    found = []
    for index, projection in enumerate(select.expressions):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Parameter) and not isinstance(inner.this, exp.Parameter):
            found.append((index, inner.name.lower()))
    return tuple(found)


def _target(analyzer: Analyzer, statement: exp.Expression) -> Table | None:
    if isinstance(statement, (exp.Insert, exp.Update, exp.Delete)):
        table = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
        return analyzer.table_of(table)
    return None


def _exec(statement: exp.Execute) -> Statement:
    target = statement.this
    name = written_name(target) if isinstance(target, exp.Table) else target.sql(dialect="tsql")
    status = statement.args.get("return_status")
    if not isinstance(target, exp.Table):
        raise errors.unsupported("EXEC of a dynamic SQL string")
    if procedures.find(name) is None:
        raise errors.procedure_not_found(name)
    args = []
    for arg in statement.expressions:
        arg_name, output = None, False
        if isinstance(arg, exp.Alias) and arg.alias.upper() in ("OUTPUT", "OUT"):
            arg, output = arg.this, True
        if isinstance(arg, exp.EQ) and isinstance(arg.this, exp.Parameter):
            arg_name, arg = arg.this.name.lower(), arg.expression
        if isinstance(arg, exp.Neg) and isinstance(arg.this, exp.Literal) and not arg.this.is_string:
            arg = exp.Literal.number("-" + arg.this.this)
        if output and not isinstance(arg, exp.Parameter):
            raise errors.output_of_a_constant()
        if isinstance(arg, exp.Parameter) and not isinstance(arg.this, exp.Parameter):
            args.append(ProcArg(arg_name, param=arg.name.lower(), output=output))
        elif isinstance(arg, (exp.Literal, exp.National)):
            value = arg.this if isinstance(arg, exp.National) or arg.is_string else (
                float(arg.this) if "." in arg.this else int(arg.this))
            args.append(ProcArg(arg_name, literal=value))
        elif isinstance(arg, exp.Null):
            args.append(ProcArg(arg_name))
        else:
            raise errors.unsupported("EXEC arguments other than literals and parameters")
    return Statement(sql="", verb="exec", procedure=name, proc_args=tuple(args),
                     return_key=status.name.lower() if isinstance(status, exp.Parameter) else None)


def _output_clause(statement: exp.Expression) -> None:
    """``OUTPUT INSERTED.x, DELETED.*`` -> SQLite's ``RETURNING x, *`` (same row image)."""
    returning = statement.args["returning"]
    if returning.args.get("into"):  # flow.py cuts INTO out first; sqlglot's own parse of it is not used
        raise errors.unsupported("OUTPUT ... INTO")
    wanted = "DELETED" if isinstance(statement, exp.Delete) else "INSERTED"
    for column in list(returning.find_all(exp.Column)):
        prefix = column.table.upper()
        if prefix not in ("INSERTED", "DELETED"):
            raise errors.unbound_identifier(column.sql(dialect="tsql"))
        if prefix != wanted:
            raise errors.unsupported(f"{prefix}.* in the OUTPUT clause of {type(statement).__name__.upper()}")
        column.set("table", None)
        if column.is_star:
            column.replace(exp.Star())

"""Compiling a batch's statement tree (:mod:`~mock_halo.sql.frontend.flow`) into executable steps.

Each plain statement is translated once (and cached with the batch). Variables
are request parameters or ``DECLARE`` d names, all bound as SQLite parameters;
a declared variable is read through ``CAST(@v AS <declared type>)`` so the
translator knows its type (``@name + ' x'`` concatenates, ``@d + 1`` adds a
day). ``@@ROWCOUNT``, ``SCOPE_IDENTITY()``, ``@@IDENTITY`` and ``ERROR_*()``
become parameters the interpreter fills in (keys starting with ``@``, which no
request parameter can have).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from mock_halo.sql.frontend import dialect, flow, temp_tables
from mock_halo.sql.frontend.schema import OutCol
from mock_halo.sql.frontend.script import Statement
from mock_halo.sql.semantics import errors

#: Built-in values the interpreter provides: written form -> (parameter key, SQL Server type).
SPECIALS: dict[str, tuple[str, str]] = {
    "@@ROWCOUNT": ("@rowcount", "INT"), "@@IDENTITY": ("@identity", "NUMERIC(38, 0)"),
    "SCOPE_IDENTITY": ("@identity", "NUMERIC(38, 0)"), "@@ERROR": ("@error", "INT"),
    "@@TRANCOUNT": ("@trancount", "INT"),
    "ERROR_NUMBER": ("@error_number", "INT"), "ERROR_MESSAGE": ("@error_message", "NVARCHAR(4000)"),
    "ERROR_SEVERITY": ("@error_severity", "INT"), "ERROR_STATE": ("@error_state", "INT"),
    "ERROR_LINE": ("@error_line", "INT"), "ERROR_PROCEDURE": ("@error_procedure", "NVARCHAR(128)"),
}


@dataclass(frozen=True)
class Step:
    """One executable step: ``kind`` is run | declare | assign | if | while | break | continue | block | try
    | throw | raise | return | noop | rollback | create | drop."""

    kind: str
    #: run: the statement; declare/assign/if/while/throw/raise/return: the query; create: the DDL
    statement: Statement | None = None
    keys: tuple[str, ...] = ()  # declare: the variable; assign: the targets (one per query column); drop: tables
    written: tuple[str, ...] = ()
    body: tuple[Step, ...] = ()
    other: tuple[Step, ...] = ()
    extra: Statement | None = None  # run with OUTPUT ... INTO: the INSERT of each output row
    flag: bool = False  # drop: IF EXISTS; create: a table variable (created once per batch)


Translate = Callable[[exp.Expression], Statement]
#: Parameter keys of the values an OUTPUT ... INTO inserts (column i of the output row).
OUTPUT_KEY = "\x00out{}"
#: Parameter keys of the command's clock (GETDATE() and friends: ``local``, ``utc``), bound when it runs.
NOW_KEYS = {"local": "\x00now", "utc": "\x00utcnow"}
#: Parameter key prefix of OBJECT_ID('tempdb..#t') (filled in at run time: temporary tables come and go).
OBJECT_KEY = "\x00object:"
#: Parameter key prefix of a request parameter's string type in ``+`` (params.string_limit, at run time:
#: one translation serves every call, whatever its parameters' types).
STRING_TYPE_KEY = "\x00strtype:"


class Compiler:
    """Turns control nodes into steps with ``translate`` (the translator's one-statement function).

    ``scope`` collects the batch's temporary tables and table variables, ``outputs`` gives a
    query's output columns (for SELECT ... INTO), ``object_id`` answers OBJECT_ID() for
    catalogue objects ((number, type code) or None), ``col_length`` COL_LENGTH() and ``use`` switches the
    database of the statements compiled after a ``USE``.
    """

    def __init__(self, translate: Translate, scope: temp_tables.Scope | None = None,
                 outputs: Callable[[exp.Expression], list[OutCol] | None] | None = None,
                 object_id: Callable[[str], tuple[int, str] | None] | None = None,
                 col_length: Callable[[str, str], int | None] | None = None,
                 use: Callable[[str], None] | None = None) -> None:
        self.translate = translate
        self.scope = scope if scope is not None else temp_tables.Scope()
        self.outputs = outputs
        self.object_id = object_id or (lambda name: None)
        self.col_length = col_length or (lambda table, column: None)
        self.use = use or (lambda name: None)
        self.declared: dict[str, exp.DataType] = {}
        self.loops = 0

    def compile(self, nodes: list[flow.Node]) -> tuple[Step, ...]:
        return tuple(self.step(node) for node in nodes)

    def step(self, node: flow.Node) -> Step:
        if node.kind == "plain":
            if node.into is not None:
                return self.output_into(node.tree, *node.into)
            return self.plain(node.tree)
        if node.kind in ("block",):
            return Step("block", body=self.compile(node.body))
        if node.kind == "if":
            condition = self.query(f"SELECT CASE WHEN {node.text} THEN 1 ELSE 0 END")
            return Step("if", statement=condition, body=self.compile(node.body), other=self.compile(node.other))
        if node.kind == "while":
            condition = self.query(f"SELECT CASE WHEN {node.text} THEN 1 ELSE 0 END")
            self.loops += 1
            try:
                return Step("while", statement=condition, body=self.compile(node.body))
            finally:
                self.loops -= 1
        if node.kind in ("break", "continue"):
            if not self.loops:
                word = node.kind.upper()
                raise errors.outside_while(word)
            return Step(node.kind)
        if node.kind == "try":
            return Step("try", body=self.compile(node.body), other=self.compile(node.other))
        if node.kind == "throw":
            return Step("throw", statement=self.query(f"SELECT {node.text}") if node.text.strip() else None)
        if node.kind == "return":
            return Step("return")
        if node.kind == "use":
            self.use(node.text)  # the statements compiled after it resolve names in that database
            return Step("noop")
        return Step("noop")  # print, SET NOCOUNT ON & co.

    # -- statements ------------------------------------------------------------------------
    def query(self, text: str) -> Statement:
        trees = dialect.parse(text)
        if len(trees) != 1:
            raise errors.syntax_near(text)
        return self.translate(self.prepare(trees[0]))

    def plain(self, tree: exp.Expression) -> Step:
        if isinstance(tree, exp.Declare):
            return self.declare(tree)
        if isinstance(tree, exp.Create) and _temp_target(tree.this) is not None:
            return self.create(tree)
        dropped = tree.args.get("tables") or [] if isinstance(tree, exp.Drop) else []
        if str(tree.args.get("kind") or "").upper() == "TABLE" and dropped and all(
                isinstance(t, exp.Table) and temp_tables.key_of(t) is not None for t in dropped):
            return self.drop(dropped, bool(tree.args.get("exists")))
        if isinstance(tree, exp.TruncateTable) and len(tree.expressions) == 1 and temp_tables.key_of(
                tree.expressions[0]) is not None:
            return Step("run", statement=self.translate(exp.Delete(this=tree.expressions[0].copy())))
        if isinstance(tree, exp.Select) and isinstance(tree.args.get("into"), exp.Into):
            target = tree.args["into"].this
            if isinstance(target, exp.Table) and temp_tables.key_of(target) is not None:
                return self.select_into(tree, target)
        if isinstance(tree, exp.Set) and _assignments(tree) is not None:
            return self.set(tree)
        if isinstance(tree, exp.Select) and any(_assigned(p) for p in tree.expressions):
            return self.assign_select(tree)
        if isinstance(tree, exp.Anonymous) and str(tree.this).upper() == "RAISERROR":
            select = exp.Select(expressions=[self.prepare(a.copy()) for a in tree.expressions])
            return Step("raise", statement=self.translate(select))
        if isinstance(tree, (exp.Transaction, exp.Commit)):
            return Step("noop")  # the whole command already runs in one transaction
        if isinstance(tree, exp.Rollback):
            return Step("rollback")
        if isinstance(tree, exp.Execute):
            return Step("run", statement=self.translate(tree))
        return Step("run", statement=self.translate(self.prepare(tree)))

    # -- temporary tables and table variables ---------------------------------------------
    def create(self, tree: exp.Create) -> Step:
        schema = tree.this
        if str(tree.args.get("kind") or "").upper() != "TABLE" or not isinstance(schema, exp.Schema):
            raise errors.unsupported("CREATE")
        table = schema.this
        table_key = temp_tables.key_of(table)
        if table.db and table.db.lower() != "dbo" or table.catalog and table.catalog.lower() != "tempdb":
            raise errors.unsupported("CREATE TABLE outside tempdb")
        if tree.expression is not None or tree.args.get("exists"):
            raise errors.unsupported("this form of CREATE TABLE")
        return self.define(table_key, temp_tables.written(table), temp_tables.columns_of_definition(schema))

    def define(self, key: str, written: str, columns: list) -> Step:
        table, ddl = self.scope.define(key, written, columns)
        return Step("create", statement=Statement(sql=ddl, verb="create", target=table), keys=(key,),
                    written=(written,), flag=key.startswith("@"))

    def drop(self, tables: list[exp.Table], if_exists: bool) -> Step:
        keys, written = [], []
        for table in tables:
            if table.db and table.db.lower() != "dbo" or table.catalog and table.catalog.lower() != "tempdb":
                raise errors.unsupported("DROP")
            key = temp_tables.key_of(table)
            if key.startswith("@"):
                raise errors.syntax_near("@" + table.name)
            keys.append(key)
            written.append(temp_tables.written(table))
        return Step("drop", keys=tuple(keys), written=tuple(written), flag=if_exists)

    def select_into(self, tree: exp.Select, target: exp.Table) -> Step:
        key = temp_tables.key_of(target)
        if key.startswith("@"):
            raise errors.syntax_near("@" + target.name)
        query = tree.copy()
        query.set("into", None)
        query = self.prepare(query)
        if self.outputs is None:
            raise errors.unsupported("SELECT ... INTO")
        create = self.define(key, temp_tables.written(target), temp_tables.columns_of_query(self.outputs(query)))
        insert = exp.Insert(this=target.copy(), expression=query)
        return Step("block", body=(create, Step("run", statement=self.translate(insert))))

    def output_into(self, tree: exp.Expression, target: exp.Table, names: tuple[str, ...]) -> Step:
        """``INSERT/UPDATE/DELETE ... OUTPUT ... INTO target``: the DML returns rows that an INSERT stores.

        Also ``INSERT INTO target EXEC proc``: the procedure's result rows are stored.
        """
        if isinstance(tree, exp.Execute):
            statement = self.translate(tree)
            key = temp_tables.key_of(target)
            if names:
                width = len(names)
            elif key is not None:
                width = len(self.scope.find(target).columns)
            else:
                raise errors.unsupported("INSERT ... EXEC into a base table without a column list")
            return Step("run", statement=statement, extra=self._row_insert(target, names, width))
        statement = self.translate(self.prepare(tree))
        width = len(statement.compose)
        for projection in tree.args["returning"].expressions if not statement.compose else ():
            if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
                width += len(statement.target.columns) if statement.target is not None else 0
            else:
                width += 1
        return Step("run", statement=statement, extra=self._row_insert(target, names, width))

    def _row_insert(self, target: exp.Table, names: tuple[str, ...], width: int) -> Statement:
        """``INSERT INTO target [(names)] VALUES (<width> row values)``, the values bound per row."""
        values = exp.Tuple(expressions=[exp.Parameter(this=exp.Var(this=OUTPUT_KEY.format(i))) for i in range(width)])
        into: exp.Expression = target.copy()
        if names:
            into = exp.Schema(this=into, expressions=[exp.to_identifier(n) for n in names])
        return self.translate(exp.Insert(this=into, expression=exp.Values(expressions=[values])))

    def declare(self, tree: exp.Declare) -> Step:
        steps = []
        for item in tree.expressions:
            targets = item.this if isinstance(item.this, list) else [item.this]
            kind = item.args.get("kind")
            if isinstance(kind, exp.Schema) and len(targets) == 1:
                written = "@" + targets[0].name
                if targets[0].name.lower() in self.declared:
                    raise errors.duplicate_variable(written)
                steps.append(self.define("@" + targets[0].name.lower(), written,
                                         temp_tables.columns_of_definition(kind)))
                continue
            if not isinstance(kind, exp.DataType):
                raise errors.unsupported("this form of DECLARE")
            if kind.this == exp.DataType.Type.USERDEFINED:
                raise errors.unsupported(f"variables of type {kind.args.get('kind') or kind.sql(dialect='tsql')}")
            for target in targets:
                key, written = target.name.lower(), "@" + target.name
                if key in self.declared or "@" + key in self.scope.tables:
                    raise errors.duplicate_variable(written)
                default = item.args.get("default")
                query = None
                if isinstance(default, exp.Expression):
                    query = self.translate(exp.Select(expressions=[
                        exp.Cast(this=self.prepare(default.copy()), to=kind.copy())]))
                self.declared[key] = kind
                steps.append(Step("declare", statement=query, keys=(key,), written=(written,)))
        return steps[0] if len(steps) == 1 else Step("block", body=tuple(steps))

    def set(self, tree: exp.Set) -> Step:
        pairs = _assignments(tree) or []
        steps = [self.assignment([(target, value)]) for target, value in pairs]
        return steps[0] if len(steps) == 1 else Step("block", body=tuple(steps))

    def assign_select(self, tree: exp.Select) -> Step:
        pairs = []
        for projection in tree.expressions:
            if not _assigned(projection):
                raise errors.assignment_with_retrieval()
            pairs.append((projection.this, projection.expression))
        select = tree.copy()
        select.set("expressions", [])
        return self.assignment(pairs, select)

    def assignment(self, pairs: list[tuple[exp.Parameter, exp.Expression]],
                   select: exp.Select | None = None) -> Step:
        select = select if select is not None else exp.Select()
        columns = []
        for index, (target, value) in enumerate(pairs):
            value = value.copy()
            kind = self.declared.get(target.name.lower())
            if kind is not None:
                value = exp.Cast(this=value, to=kind.copy())
            columns.append(exp.alias_(value, f"v{index}"))
        select.set("expressions", columns)
        statement = self.translate(self.prepare(select))
        return Step("assign", statement=statement, keys=tuple(t.name.lower() for t, _ in pairs),
                    written=tuple("@" + t.name for t, _ in pairs))

    # -- expressions ------------------------------------------------------------------------
    def prepare(self, tree: exp.Expression) -> exp.Expression:
        """Typed reads of declared variables; built-in values as interpreter parameters."""
        for node in list(tree.walk()):
            replacement = self._replacement(node)
            if replacement is not None:
                if node is tree:
                    tree = replacement
                else:
                    node.replace(replacement)
        return tree

    def _replacement(self, node: exp.Expression) -> exp.Expression | None:
        name = None
        if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Parameter):
            name = "@@" + node.this.name.upper()
            if name not in SPECIALS:
                raise errors.unsupported(name)
        elif isinstance(node, exp.Anonymous) and str(node.this).upper() in SPECIALS and not node.expressions:
            name = str(node.this).upper()
        if name is not None:
            key, type_name = SPECIALS[name]
            return exp.Cast(this=exp.Parameter(this=exp.Var(this=key)), to=exp.DataType.build(type_name,
                                                                                               dialect="tsql"))
        if isinstance(node, exp.ObjectId):
            return self._object_id(node)
        if isinstance(node, exp.Anonymous) and str(node.this).upper() == "COL_LENGTH":
            return self._col_length(node)
        if isinstance(node, exp.Parameter) and not isinstance(node.this, exp.Parameter):
            if isinstance(node.parent, exp.Table):
                return None  # a table variable
            kind = self.declared.get(node.name.lower())
            if kind is not None and not isinstance(node.parent, exp.Cast):
                return exp.Cast(this=node.copy(), to=kind.copy())
        return None


    def _object_id(self, node: exp.ObjectId) -> exp.Expression:
        """OBJECT_ID('tempdb..#t') is looked up when the statement runs; catalogue objects now."""
        name = node.this
        kind = node.expression
        if not isinstance(name, (exp.Literal, exp.National)) or (name.is_string is False if isinstance(
                name, exp.Literal) else False):
            raise errors.unsupported("OBJECT_ID of anything but a string literal")
        if kind is not None and not (isinstance(kind, exp.National) or isinstance(kind, exp.Literal) and kind.is_string):
            raise errors.unsupported("OBJECT_ID with a non-literal object type")
        text = name.this.strip()
        parts = [p.strip().strip("[]\"") for p in text.split(".")]
        last = parts[-1]
        int_type = exp.DataType.build("INT", dialect="tsql")
        if last.startswith("#"):
            temp = len(parts) == 1 or (len(parts) == 3 and parts[0].lower() == "tempdb" and parts[1].lower() in (
                "", "dbo"))
            if not temp or last.startswith("##"):
                return exp.Cast(this=exp.Null(), to=int_type)
            return exp.Cast(this=exp.Parameter(this=exp.Var(this=OBJECT_KEY + last.lower())), to=int_type)
        found = self.object_id(text)
        wanted = (kind.this.strip().upper() if kind is not None else "")
        if found is None or wanted not in ("", found[1]):
            return exp.Cast(this=exp.Null(), to=int_type)
        return exp.Literal.number(found[0])

    def _col_length(self, node: exp.Anonymous) -> exp.Expression:
        """COL_LENGTH('table', 'column'): the column's bytes (a smallint), NULL when either does not exist."""
        args = node.expressions
        if len(args) != 2:
            raise errors.wrong_argument_count("col_length", 2)
        if not all(isinstance(a, exp.National) or isinstance(a, exp.Literal) and a.is_string for a in args):
            raise errors.unsupported("COL_LENGTH of anything but string literals")
        length = self.col_length(args[0].this, args[1].this)
        smallint = exp.DataType.build("SMALLINT", dialect="tsql")
        return exp.Cast(this=exp.Null() if length is None else exp.Literal.number(length), to=smallint)


def _temp_target(schema: exp.Expression) -> str | None:
    table = schema.this if isinstance(schema, exp.Schema) else schema
    return temp_tables.key_of(table) if isinstance(table, exp.Table) else None


def _assigned(projection: exp.Expression) -> bool:
    return isinstance(projection, exp.EQ) and isinstance(projection.this, exp.Parameter) and not isinstance(
        projection.this.this, exp.Parameter)


def _assignments(tree: exp.Set) -> list[tuple[exp.Parameter, exp.Expression]] | None:
    pairs = []
    for item in tree.expressions:
        target = item.this if isinstance(item, exp.SetItem) else item
        if not _assigned(target):
            return None
        pairs.append((target.this, target.expression))
    return pairs

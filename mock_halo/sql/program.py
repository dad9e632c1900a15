"""Compiling a batch's statement tree (:mod:`control`) into executable steps.

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

from mock_halo.sql import control, dialect, errors
from mock_halo.sql.translate import Statement

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
    """One executable step: ``kind`` is run | declare | assign | if | block | try | throw | raise | return | noop
    | rollback."""

    kind: str
    statement: Statement | None = None  # run: the statement; declare/assign/if/throw/raise/return: the query
    keys: tuple[str, ...] = ()  # declare: the variable; assign: the targets (one per query column)
    written: tuple[str, ...] = ()
    body: tuple[Step, ...] = ()
    other: tuple[Step, ...] = ()


Translate = Callable[[exp.Expression], Statement]


class Compiler:
    """Turns control nodes into steps with ``translate`` (the translator's one-statement function)."""

    def __init__(self, translate: Translate) -> None:
        self.translate = translate
        self.declared: dict[str, exp.DataType] = {}

    def compile(self, nodes: list[control.Node]) -> tuple[Step, ...]:
        return tuple(self.step(node) for node in nodes)

    def step(self, node: control.Node) -> Step:
        if node.kind == "plain":
            return self.plain(node.tree)
        if node.kind in ("block",):
            return Step("block", body=self.compile(node.body))
        if node.kind == "if":
            condition = self.query(f"SELECT CASE WHEN {node.text} THEN 1 ELSE 0 END")
            return Step("if", statement=condition, body=self.compile(node.body), other=self.compile(node.other))
        if node.kind == "try":
            return Step("try", body=self.compile(node.body), other=self.compile(node.other))
        if node.kind == "throw":
            return Step("throw", statement=self.query(f"SELECT {node.text}") if node.text.strip() else None)
        if node.kind == "return":
            return Step("return")
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

    def declare(self, tree: exp.Declare) -> Step:
        steps = []
        for item in tree.expressions:
            targets = item.this if isinstance(item.this, list) else [item.this]
            kind = item.args.get("kind")
            if not isinstance(kind, exp.DataType):
                raise errors.unsupported("table variables")
            for target in targets:
                key, written = target.name.lower(), "@" + target.name
                if key in self.declared:
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
                raise errors.SqlError(141, "A SELECT statement that assigns a value to a variable must not be "
                                           "combined with data-retrieval operations.")
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
        if isinstance(node, exp.Parameter) and not isinstance(node.this, exp.Parameter):
            kind = self.declared.get(node.name.lower())
            if kind is not None and not isinstance(node.parent, exp.Cast):
                return exp.Cast(this=node.copy(), to=kind.copy())
        return None


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

"""Constructs mock-halo does not run yet, refused with an error that names them.

sqlglot accepts a lot of T-SQL it cannot translate for SQLite, sometimes
silently (an ``EXEC`` becomes an empty string, ``FOR XML`` is dropped with a
log warning). Every statement is checked here before translation, and the
generator runs with ``unsupported_level=RAISE`` as a second net, so nothing is
ever run half-translated.
"""

from __future__ import annotations

from sqlglot import exp

from mock_halo.sql.semantics import errors

STATEMENT_NAMES: dict[type[exp.Expression], str] = {
    exp.Declare: "DECLARE", exp.IfBlock: "IF ... ELSE", exp.WhileBlock: "WHILE", exp.Use: "USE",
    exp.Transaction: "BEGIN TRANSACTION", exp.Commit: "COMMIT", exp.Rollback: "ROLLBACK", exp.Merge: "MERGE",
    exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER", exp.TruncateTable: "TRUNCATE TABLE",
    exp.ExecuteSql: "sp_executesql",
}
NODE_NAMES: dict[type[exp.Expression], str] = {
exp.Lateral: "CROSS APPLY / OUTER APPLY", exp.Pivot: "PIVOT / UNPIVOT",
    exp.Stddev: "STDEV", exp.StddevPop: "STDEVP", exp.StddevSamp: "STDEV", exp.Variance: "VAR",
    exp.VariancePop: "VARP", exp.Greatest: "GREATEST", exp.Least: "LEAST", exp.TimestampTrunc: "DATETRUNC",
    exp.CurrentTimestampLTZ: "SYSDATETIMEOFFSET", exp.JSONExtract: "JSON_QUERY",
    exp.JSONExtractScalar: "JSON_VALUE", exp.Merge: "MERGE", exp.Execute: "EXEC inside a statement",
    exp.Command: "this statement", exp.Declare: "DECLARE", exp.Set: "SET",
}
QUERY_STATEMENTS = (exp.Select, exp.SetOperation)
DML_STATEMENTS = (exp.Insert, exp.Update, exp.Delete)


def statement_verb(statement: exp.Expression) -> str:
    """``select`` / ``insert`` / ``update`` / ``delete`` / ``exec``, or raise for anything else."""
    if isinstance(statement, exp.ExecuteSql):
        raise errors.unsupported("sp_executesql")
    if isinstance(statement, exp.SetOperation):
        for side in (statement.this, statement.expression):
            if not isinstance(side, (exp.Query, exp.Subquery)):
                raise errors.syntax_near_keyword(type(statement).__name__.upper())
        return "select"
    if isinstance(statement, QUERY_STATEMENTS):
        return "select"
    if isinstance(statement, DML_STATEMENTS):
        return type(statement).__name__.lower()
    if isinstance(statement, exp.Execute):
        return "exec"
    if isinstance(statement, exp.Command):
        word = str(statement.this).upper()
        raise errors.unsupported(f"{word} statements" if word else "this statement")
    if isinstance(statement, exp.Set):
        raise errors.unsupported(_set_name(statement))
    if isinstance(statement, exp.Pragma):
        raise errors.syntax_near("PRAGMA")
    for kind, name in STATEMENT_NAMES.items():
        if isinstance(statement, kind):
            raise errors.unsupported(name)
    if isinstance(statement, exp.Values):
        raise errors.syntax_near_keyword("VALUES")
    if isinstance(statement, (exp.Condition, exp.Paren, exp.Tuple)):  # an expression where a statement must be
        words = statement.sql(dialect="tsql").split()
        raise errors.syntax_near(words[0].strip("()") or "(" if words else "")
    raise errors.unsupported(f"{type(statement).__name__} statements")


def _set_name(statement: exp.Set) -> str:
    for item in statement.expressions:
        target = item.this if isinstance(item, exp.SetItem) else item
        if isinstance(target, exp.EQ) and isinstance(target.this, exp.Parameter):
            return "SET @variable"
        if isinstance(target, exp.EQ) and isinstance(target.this, exp.Column):
            return f"SET options (SET {target.this.name.upper()})"
    return "SET options (e.g. SET NOCOUNT ON)"


def check(statement: exp.Expression) -> None:
    """Raise for any construct inside ``statement`` that is not emulated yet."""
    for node in statement.walk():
        name = NODE_NAMES.get(type(node))
        if name is not None and node is not statement:
            raise errors.unsupported(name)
        if isinstance(node, exp.Select):
            if node.args.get("into") is not None:
                raise errors.unsupported("SELECT ... INTO")
            if node.args.get("for_"):
                raise errors.unsupported("FOR XML / FOR JSON")
            node.set("options", None)  # OPTION (RECOMPILE) and friends change nothing here
            for projection in node.expressions:
                if isinstance(projection, exp.EQ) and isinstance(projection.this, exp.Parameter):
                    raise errors.unsupported("assigning variables in SELECT (SELECT @v = ...)")
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier) and node.this.args.get("global_"):
            raise errors.unsupported("global temporary tables", f"##{node.name}")
        elif isinstance(node, exp.Parameter) and isinstance(node.this, exp.Parameter):
            raise errors.unsupported(f"@@{node.this.name.upper()}")
        elif isinstance(node, (exp.Limit, exp.Fetch)):
            options = node.args.get("limit_options")
            if options is not None and options.args.get("percent"):
                raise errors.unsupported("TOP ... PERCENT")
            if options is not None and options.args.get("with_ties"):
                raise errors.unsupported("TOP ... WITH TIES")
        elif isinstance(node, exp.Delete) and (node.args.get("limit") or any(
                t.name.upper() == "TOP" for t in node.args.get("tables") or ())):  # sqlglot misreads TOP (n)
            raise errors.unsupported("DELETE TOP")
        elif isinstance(node, exp.Update) and node.args.get("limit"):
            raise errors.unsupported("UPDATE TOP")

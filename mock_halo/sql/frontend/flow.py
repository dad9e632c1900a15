"""Splitting a T-SQL batch into statements and control flow, at the token level.

sqlglot parses single statements well but not T-SQL's batch structure: it
cannot split statements that are only separated by line breaks, and it does
not parse ``IF ... BEGIN ... END ELSE``, ``BEGIN TRY ... END CATCH`` or
``THROW``. This module walks sqlglot's tokens, finds statement boundaries and
control keywords (tracking parentheses and ``CASE ... END``), and hands each
plain statement's text to :func:`mock_halo.sql.frontend.dialect.parse`.

The result is a tree of :class:`Node` s; :mod:`mock_halo.sql.frontend.program` compiles it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from mock_halo.sql.frontend import dialect, limits
from mock_halo.sql.semantics import errors

#: Words that start a statement (at parenthesis and CASE depth 0).
STARTS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "DECLARE", "SET", "EXEC", "EXECUTE", "IF", "WHILE",
                    "BEGIN", "PRINT", "RETURN", "MERGE", "CREATE", "DROP", "TRUNCATE", "USE", "WITH", "RAISERROR",
                    "THROW", "END", "ELSE", "COMMIT", "ROLLBACK", "GO", "ALTER", "BREAK", "CONTINUE"})
#: ``SET <option>`` statements that change nothing the emulator models (one transaction, no locks).
NOOP_OPTIONS = frozenset({"NOCOUNT", "XACT_ABORT", "TRANSACTION", "ANSI_NULLS", "ANSI_WARNINGS", "ARITHABORT",
                          "QUOTED_IDENTIFIER", "LOCK_TIMEOUT", "DEADLOCK_PRIORITY", "CONCAT_NULL_YIELDS_NULL"})
_TEXT = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.IDENTIFIER, TokenType.NUMBER}
_SET_OPS = frozenset({"UNION", "EXCEPT", "INTERSECT", "ALL"})


@dataclass
class Node:
    """A statement of the batch: ``kind`` is plain | if | while | block | try | throw | print | return | break
    | continue | use (``text``: the database)."""

    kind: str
    tree: exp.Expression | None = None  # plain: the parsed statement
    text: str = ""  # if: the condition; throw/return/print: the argument text
    body: list[Node] = field(default_factory=list)  # block / try body / if: the THEN branch (one node)
    other: list[Node] = field(default_factory=list)  # if: the ELSE branch; try: the CATCH block
    #: plain INSERT/UPDATE/DELETE with ``OUTPUT ... INTO``: the target table and its column list
    into: tuple[exp.Table, tuple[str, ...]] | None = None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.tokens: list[Token] = dialect.tokenize(text)
        except TokenError:
            raise dialect.unclosed(text) from None
        limits.check(self.tokens)  # before anything recursive looks at the batch
        # A variable named like a keyword (@end, @if, @begin) is a name, not a control word.
        self.words = [("" if t.token_type in _TEXT or (i and self.tokens[i - 1].token_type == TokenType.PARAMETER
                                                       and t.token_type != TokenType.PARAMETER)
                       else t.text.upper()) for i, t in enumerate(self.tokens)]
        self.i = 0

    def word(self, offset: int = 0) -> str:
        index = self.i + offset
        return self.words[index] if index < len(self.words) else ""

    def skip_semicolons(self) -> None:
        while self.word() == ";":
            self.i += 1

    def span(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.text[self.tokens[start].start: self.tokens[end - 1].end + 1]

    def is_start(self, index: int, first: str, seen: set[str]) -> bool:
        """Does the word at ``index`` start a new statement (inside a statement that began with ``first``)?"""
        word = self.words[index]
        previous = self.words[index - 1] if index else ""
        following = self.words[index + 1] if index + 1 < len(self.words) else ""
        if word not in STARTS or first == "MERGE":  # MERGE must end with ';' anyway
            return False
        if word == "WITH":  # not a table hint WITH (NOLOCK), nor TOP n WITH TIES
            return following not in ("(", "TIES")
        if word in ("SELECT", "EXEC", "EXECUTE") and (previous in _SET_OPS or previous == "("):
            return False
        if word == "SELECT" and first in ("INSERT", "WITH") and "SELECT" not in seen:
            return False
        if word in ("EXEC", "EXECUTE") and first == "INSERT" and "SELECT" not in seen:
            return False
        if word in ("INSERT", "UPDATE", "DELETE", "SELECT") and first == "WITH" and not seen & {
                "INSERT", "UPDATE", "DELETE", "SELECT"}:
            return False
        if word == "SET" and ("UPDATE" in (first, *seen)) and "SET" not in seen:
            return False
        if word == "IF" and previous in ("TABLE", "VIEW", "PROCEDURE", "PROC", "FUNCTION", "INDEX"):
            return False
        return True

    def statement_end(self) -> int:
        """Index just past the plain statement starting at ``self.i``."""
        first = self.word()
        seen: set[str] = set()
        depth = cases = 0
        index = self.i + 1
        while index < len(self.words):
            word = self.words[index]
            if word == "(":
                depth += 1
            elif word == ")":
                depth -= 1
            elif depth == 0 and word == "CASE":
                cases += 1
            elif depth == 0 and cases and word == "END":
                cases -= 1
            elif depth == 0 and not cases:
                if word == ";" or self.is_start(index, first, seen):
                    return index
                if word in STARTS:
                    seen.add(word)
            index += 1
        return index


#: T-SQL statements the emulator does not run (refused by name): never a procedure call.
_TSQL_STATEMENTS = frozenset({"GOTO", "WAITFOR", "DBCC", "KILL", "DENY", "REVOKE", "GRANT", "BACKUP", "RESTORE",
                              "BULK", "CHECKPOINT", "RECONFIGURE", "SHUTDOWN", "READTEXT", "WRITETEXT", "UPDATETEXT",
                              "REVERT", "SETUSER"})
#: Words that start no procedure call either: T-SQL's statements and SQLite's own (syntax errors, as before).
_STATEMENT_WORDS = _TSQL_STATEMENTS | {"ENABLE", "DISABLE", "ATTACH", "DETACH", "PRAGMA", "VACUUM", "REINDEX"}
#: Words that start a cursor statement (other than DECLARE ... CURSOR).
_CURSOR_WORDS = frozenset({"OPEN", "CLOSE", "DEALLOCATE", "FETCH"})


def split(text: str) -> list[Node]:
    """The batch as a list of nodes (raises SQL Server syntax errors)."""
    reader = _Reader(text)
    if _bare_procedure(reader):  # SQL Server runs a batch that starts with a name as EXEC name ...
        return split("EXEC " + text)
    nodes = _sequence(reader, stop=())
    if reader.i < len(reader.words):
        raise _near(reader)
    return nodes


def _bare_procedure(reader: _Reader) -> bool:
    """Does the batch start with a procedure's name (``BP_GetAllUsers``, ``[dbo].[sp_help] 'X'``)?"""
    if not reader.tokens:
        return False
    first = reader.tokens[0]
    word = first.text.upper()
    if word in _CURSOR_WORDS:
        raise errors.unsupported("cursors", word)
    return first.token_type in (TokenType.VAR, TokenType.IDENTIFIER) and word not in STARTS and \
        word not in dialect.KEYWORDS and word not in _STATEMENT_WORDS and reader.word(1) != ":"


def _near(reader: _Reader) -> errors.SqlError:
    word = reader.word()
    if word in dialect.KEYWORDS:
        return errors.syntax_near_keyword(word)
    return errors.syntax_near(reader.tokens[reader.i].text if reader.i < len(reader.tokens) else "end of batch")


def _sequence(reader: _Reader, stop: tuple[str, ...]) -> list[Node]:
    nodes: list[Node] = []
    while True:
        reader.skip_semicolons()
        if reader.i >= len(reader.words) or reader.word() in stop:
            return nodes
        nodes.extend(_statement(reader))


def _statement(reader: _Reader) -> list[Node]:
    """One statement; a plain chunk may yield several (only the first belongs to an enclosing IF)."""
    word = reader.word()
    if word == "IF":
        return [_if(reader)]
    if word == "BEGIN" and reader.word(1) == "TRY":
        return [_try(reader)]
    if word == "BEGIN" and reader.word(1) not in ("TRAN", "TRANSACTION", "DISTRIBUTED"):
        reader.i += 1
        body = _sequence(reader, stop=("END",))
        _expect(reader, "END")
        return [Node("block", body=body)]
    if word in ("END", "ELSE"):
        raise errors.syntax_near_keyword(word)
    if word in ("THROW", "PRINT", "RETURN"):
        start = reader.i + 1
        reader.i = reader.statement_end()
        return [Node(word.lower(), text=reader.span(start, reader.i))]
    if word == "USE":
        name = reader.tokens[reader.i + 1] if reader.i + 1 < len(reader.tokens) else None
        if name is None or name.token_type not in (TokenType.VAR, TokenType.IDENTIFIER):
            raise errors.syntax_near_keyword("USE") if name is None else errors.syntax_near(name.text)
        reader.i += 2
        return [Node("use", text=name.text)]
    if word == "DECLARE" and (reader.word(2) in ("CURSOR", "INSENSITIVE", "SCROLL") or
                              reader.word(1) == "CURSOR"):
        raise errors.unsupported("cursors", "DECLARE ... CURSOR")
    if word in _CURSOR_WORDS:
        raise errors.unsupported("cursors", word)
    first = reader.tokens[reader.i].text.upper()
    if first in _TSQL_STATEMENTS:
        raise errors.unsupported(f"{first} statements")
    if word == "SET" and reader.word(1) in NOOP_OPTIONS:
        reader.i = reader.statement_end()
        return [Node("noop")]
    if word == "WHILE":
        return [_while(reader)]
    if word in ("BREAK", "CONTINUE"):
        reader.i += 1
        return [Node(word.lower())]
    start = reader.i
    reader.i = reader.statement_end()
    if word == "INSERT" and {"EXEC", "EXECUTE"} & set(reader.words[start:reader.i]):
        return _insert_exec(reader, start, reader.i)
    if word in ("INSERT", "UPDATE", "DELETE") and "OUTPUT" in reader.words[start:reader.i]:
        return _with_output(reader, start, reader.i)
    return [Node("plain", tree=tree) for tree in dialect.parse(reader.span(start, reader.i))]


def _expect(reader: _Reader, *words: str) -> None:
    for word in words:
        if reader.i >= len(reader.tokens) or reader.tokens[reader.i].text.upper() != word:
            raise _near(reader)
        reader.i += 1


def _condition(reader: _Reader, keyword: str) -> str:
    """The condition after IF / WHILE: up to the word that starts the controlled statement."""
    reader.i += 1
    depth = 0
    start = reader.i
    while reader.i < len(reader.words):
        word = reader.word()
        depth += {"(": 1, ")": -1}.get(word, 0)
        if depth == 0 and reader.i > start and word in STARTS and word not in ("END", "ELSE"):
            break
        reader.i += 1
    condition = reader.span(start, reader.i)
    if not condition or reader.i >= len(reader.words):
        raise errors.syntax_near(condition or keyword)
    return condition


def _while(reader: _Reader) -> Node:
    condition = _condition(reader, "WHILE")
    body = _statement(reader)
    node = Node("while", text=condition, body=body[:1])
    return node if len(body) == 1 else Node("block", body=[node, *body[1:]], text="flat")


def _if(reader: _Reader) -> Node:
    condition = _condition(reader, "IF")
    then = _statement(reader)
    node = Node("if", text=condition, body=then[:1])
    rest = then[1:]
    if not rest:
        save = reader.i
        reader.skip_semicolons()
        if reader.word() == "ELSE":
            if reader.i > save and then[0].kind in ("block", "try") and then[0].text != "flat":
                raise errors.syntax_near_keyword("ELSE")  # BEGIN ... END; ELSE is refused by SQL Server
            reader.i += 1
            reader.skip_semicolons()
            other = _statement(reader)
            node.other, rest = other[:1], other[1:]
        else:
            reader.i = save
    return node if not rest else Node("block", body=[node, *rest], text="flat")


def _try(reader: _Reader) -> Node:
    reader.i += 2
    body = _sequence(reader, stop=("END",))
    _expect(reader, "END", "TRY")
    reader.skip_semicolons()
    _expect(reader, "BEGIN", "CATCH")
    catch = _sequence(reader, stop=("END",))
    _expect(reader, "END", "CATCH")
    return Node("try", body=body, other=catch)


#: Words that end an OUTPUT clause's column list or its INTO target.
_AFTER_OUTPUT = frozenset({"INTO", "FROM", "WHERE", "VALUES", "SELECT", "DEFAULT", "EXEC", "EXECUTE", ";",
                           "OPTION"})


def _with_output(reader: _Reader, start: int, end: int) -> list[Node]:
    """An INSERT/UPDATE/DELETE with an ``OUTPUT`` clause, parsed without it.

    sqlglot cannot parse ``DELETE FROM t OUTPUT ... WHERE`` nor ``OUTPUT ... INTO @t (cols)``, so the
    clause is cut out at the token level: its columns are parsed as a SELECT list and become the
    statement's ``returning``, an INTO target is kept on the node.
    """
    words = reader.words
    depth, output = 0, -1
    for index in range(start, end):
        depth += {"(": 1, ")": -1}.get(words[index], 0)
        if depth == 0 and words[index] == "OUTPUT":
            output = index
            break
    if output < 0:
        return [Node("plain", tree=tree) for tree in dialect.parse(reader.span(start, end))]
    index, depth = output + 1, 0
    while index < end and not (depth == 0 and words[index] in _AFTER_OUTPUT):
        depth += {"(": 1, ")": -1}.get(words[index], 0)
        index += 1
    columns_end = index
    into = None
    if index < end and words[index] == "INTO":
        table, names, index = _target(reader, index + 1, end)
        into = (table, names)
    column_text = reader.span(output + 1, columns_end)

    if not column_text:
        raise errors.syntax_near("OUTPUT")
    columns = dialect.parse(f"SELECT {column_text}")
    rest = (reader.span(start, output) + " " + reader.span(index, end)).strip()
    trees = dialect.parse(rest)
    if len(columns) != 1 or not isinstance(columns[0], exp.Select) or len(trees) != 1:
        raise errors.syntax_near("OUTPUT")
    tree = trees[0]
    tree.set("returning", exp.Returning(expressions=columns[0].expressions))
    return [Node("plain", tree=tree, into=into)]


def _target(reader: _Reader, start: int, end: int) -> tuple[exp.Table, tuple[str, ...], int]:
    """``table [(col, ...)]`` from ``start``: the table, the column names and the index after them."""
    words = reader.words
    index = start
    while index < end and words[index] not in _AFTER_OUTPUT and words[index] != "(":
        index += 1
    target_text = reader.span(start, index)
    names: list[str] = []
    if index < end and words[index] == "(":
        close = index
        while close < end and words[close] != ")":
            close += 1
        names = [part.strip().strip("[]\"") for part in reader.span(index + 1, close).split(",")]
        if close >= end or not all(names):
            raise errors.syntax_near("(")
        index = close + 1
    if not target_text:
        raise errors.syntax_near(reader.tokens[start - 1].text if start else "INTO")
    target_trees = dialect.parse(f"SELECT * FROM {target_text}")
    source = target_trees[0].args.get("from_") if len(target_trees) == 1 else None
    if source is None or not isinstance(source.this, exp.Table) or source.this.args.get("joins"):
        raise errors.syntax_near(target_text)
    return source.this, tuple(names), index


def _insert_exec(reader: _Reader, start: int, end: int) -> list[Node]:
    """``INSERT [INTO] target [(cols)] EXEC proc ...``: the procedure's result rows go into the table."""
    words = reader.words
    index = start + 1
    if index < end and words[index] == "INTO":
        index += 1
    table, names, index = _target(reader, index, end)
    if index >= end or words[index] not in ("EXEC", "EXECUTE"):
        return [Node("plain", tree=tree) for tree in dialect.parse(reader.span(start, end))]
    trees = dialect.parse(reader.span(index, end))
    if len(trees) != 1 or not isinstance(trees[0], exp.Execute):
        raise errors.syntax_near(words[index])
    return [Node("plain", tree=trees[0], into=(table, names))]

"""Parsing T-SQL with sqlglot, keeping SQL Server's meaning.

sqlglot's T-SQL parser turns some built-ins into nodes that lose information
(``FORMAT`` patterns become strftime, ``DATENAME(w, d)`` becomes a format,
``DATEPART(w, d)`` becomes *week* although ``w`` is *weekday*). Its parser
classes are compiled, so they cannot be subclassed: instead the token stream is
checked and those calls are renamed to ``MH_<NAME>`` before parsing, which
sqlglot keeps as plain ``exp.Anonymous`` calls with the arguments as written.
Parse failures become SQL Server's 102 / 156 / 105 errors.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from sqlglot import exp
from sqlglot.dialects.tsql import TSQL
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from mock_halo.sql.frontend import limits
from mock_halo.sql.semantics import dates, errors

#: Built-ins parsed as ``MH_<NAME>(...)`` anonymous calls (see module docstring).
RENAMED = frozenset({"DATEADD", "DATEDIFF", "DATEDIFF_BIG", "DATEPART", "DATENAME", "FORMAT", "EOMONTH",
                     "YEAR", "MONTH", "DAY", "LEN", "LEFT", "RIGHT", "CHARINDEX", "GETDATE", "SYSDATETIME",
                     "ISNULL"})
#: Renamed calls whose first argument is a datepart keyword.
DATEPART_FIRST = {"MH_DATEADD": "dateadd", "MH_DATEDIFF": "datediff", "MH_DATEDIFF_BIG": "datediff_big",
                  "MH_DATEPART": "datepart", "MH_DATENAME": "datename"}
_NOT_NAMES = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.IDENTIFIER, TokenType.NUMBER}
KEYWORDS = frozenset("""ADD ALL ALTER AND ANY AS ASC BEGIN BETWEEN BREAK BY CASE CHECK CLOSE COLUMN COMMIT
CONSTRAINT CONTINUE CONVERT CREATE CROSS CURRENT_TIMESTAMP CURSOR DATABASE DECLARE DEFAULT DELETE DESC DISTINCT
DROP ELSE END EXCEPT EXEC EXECUTE EXISTS FETCH FOR FOREIGN FROM FULL FUNCTION GOTO GRANT GROUP HAVING IF IN INDEX
INNER INSERT INTERSECT INTO IS JOIN KEY LEFT LIKE MERGE NOT NULL OF OFF ON OPEN OPTION OR ORDER OUTER OVER PERCENT
PIVOT PRIMARY PRINT PROC PROCEDURE REFERENCES RETURN RIGHT ROLLBACK SELECT SET TABLE THEN TOP TRAN TRANSACTION
TRUNCATE UNION UNIQUE UPDATE USE VALUES VIEW WHEN WHERE WHILE WITH""".split())

_DIALECT = TSQL()
_state = threading.local()


class _DropWhileParsing(logging.Filter):
    """sqlglot logs a warning for every statement it falls back to ``exp.Command`` for; those
    statements are refused with a clear SqlError anyway, so the warning is noise (only ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_state, "parsing", False)


logging.getLogger("sqlglot").addFilter(_DropWhileParsing())


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    _state.parsing = True
    try:
        yield
    finally:
        _state.parsing = False


def parse(text: str) -> list[exp.Expression]:
    """Parse a batch into statements, raising SQL Server syntax errors."""
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError:
        raise _unclosed(text) from None
    limits.check(tokens)  # sqlglot's parser recurses on the C stack: never let it see deep nesting
    _strict(tokens)
    renamed = _rename(text, tokens)
    try:
        with _quiet():
            statements = _DIALECT.parse(renamed)
    except ParseError as exc:
        if _second_statement(renamed, exc):
            raise errors.unsupported("multi-statement batches", "statements separated by line breaks") from None
        raise _syntax_error(exc) from None
    except TokenError:
        raise _unclosed(text) from None
    except Exception:  # noqa: BLE001 - sqlglot trips over some malformed input: still a syntax error
        raise errors.syntax_near(tokens[-1].text if tokens else "") from None
    result = [statement for statement in statements if statement is not None]
    for statement in result:
        _dateparts(statement)
    return result


#: Clause keywords SQL Server never accepts where an expression must come first.
CLAUSES = frozenset({"FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "UNION", "EXCEPT", "INTERSECT",
                     "INTO", "VALUES", "SET", "ON", "JOIN", "GROUP", "ORDER"})
_EXPRESSION_EXPECTED = frozenset({"SELECT", ",", "SET", "WHERE", "HAVING", "AND", "OR", "ON", "ORDER BY",
                                  "GROUP BY"})


def _strict(tokens: list) -> None:
    """Syntax errors sqlglot lets through (``SELECT FROM t``, ``SELECT a, FROM t``, ``ORDER`` without BY)."""
    words = [("" if t.token_type in _NOT_NAMES or (i and tokens[i - 1].token_type == TokenType.PARAMETER
                                                  and t.token_type != TokenType.PARAMETER)
              else t.text.upper()) for i, t in enumerate(tokens)]  # @order is a variable, not ORDER
    for token in tokens:
        if token.token_type == TokenType.PLACEHOLDER:  # an ODBC '?' marker: T-SQL names its parameters
            raise errors.syntax_near(token.text)
    for index, word in enumerate(words):
        if word in ("ORDER", "GROUP") and not (word == "GROUP" and index and words[index - 1] == "WITHIN"):
            raise errors.syntax_near_keyword(word)
        if word == "," and (index == 0 or index == len(words) - 1 or words[index - 1] in ("SELECT", ",", "(")
                            or words[index + 1] in (")", ";")):
            raise errors.syntax_near(",")
        if word not in CLAUSES or index == 0:
            continue
        before = words[index - 1]
        if before in _EXPRESSION_EXPECTED or _after_select_head(words, index):
            raise errors.syntax_near_keyword(word.split()[0])


def _after_select_head(words: list[str], index: int) -> bool:
    """Is ``words[index]`` right after ``SELECT [DISTINCT|ALL] [TOP n|TOP (..) [PERCENT] [WITH TIES]]``?"""
    i = index - 1
    while i >= 0 and words[i] in ("PERCENT", "TIES", "WITH"):
        i -= 1
    if i >= 1 and words[i] == ")":
        depth = 0
        while i >= 0:
            depth += {")": 1, "(": -1}.get(words[i], 0)
            if depth == 0:
                break
            i -= 1
        i -= 1
        if i < 0 or words[i] != "TOP":
            return False
        i -= 1
    elif i >= 1 and words[i - 1] == "TOP":
        i -= 2
    elif words[i] not in ("DISTINCT", "ALL"):
        return False
    while i >= 0 and words[i] in ("DISTINCT", "ALL"):
        i -= 1
    return i >= 0 and words[i] == "SELECT"


def _rename(text: str, tokens: list) -> str:
    pieces: list[str] = []
    last = 0
    for index, token in enumerate(tokens[:-1]):
        if token.token_type in _NOT_NAMES or tokens[index + 1].token_type != TokenType.L_PAREN:
            continue
        written = text[token.start: token.end + 1]
        if written.upper() in RENAMED:
            pieces.append(text[last: token.start])
            pieces.append("MH_" + written.upper())
            last = token.end + 1
    pieces.append(text[last:])
    return "".join(pieces)


def _dateparts(tree: exp.Expression) -> None:
    """Turn the datepart argument of DATEADD & co. into a canonical ``exp.Var``."""
    for call in list(tree.find_all(exp.Anonymous)):
        function = DATEPART_FIRST.get(str(call.this).upper())
        if function is None or not call.expressions:
            continue
        first = call.expressions[0]
        if isinstance(first, exp.Column) and not first.table:
            name = first.name
        elif isinstance(first, exp.Var):
            name = first.name
        else:
            raise errors.invalid_parameter(function.split('_')[0])
        first.replace(exp.Var(this=dates.canonical_part(name, function.split("_")[0])))


STATEMENT_STARTS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "DECLARE", "SET", "EXEC", "EXECUTE",
                              "IF", "WHILE", "BEGIN", "PRINT", "RETURN", "MERGE", "CREATE", "DROP", "TRUNCATE",
                              "USE", "WITH", "RAISERROR", "THROW", "GO"})


def _second_statement(text: str, exc: ParseError) -> bool:
    """Did parsing fail where a second statement starts (T-SQL needs no ``;`` between statements)?"""
    details = exc.errors[0] if exc.errors else {}
    for token in _DIALECT.tokenize(text):
        if token.line == details.get("line") and token.col == details.get("col"):
            if token.start == 0 or token.text.upper() not in STATEMENT_STARTS:
                return False
            try:
                _DIALECT.parse(text[: token.start])
            except (ParseError, TokenError):
                return False
            return True
    return False


def _syntax_error(exc: ParseError) -> errors.SqlError:
    details = exc.errors[0] if exc.errors else {}
    near = str(details.get("highlight") or "").strip()
    if near.upper().startswith("MH_"):
        near = near[3:]
    if near.upper() in KEYWORDS:
        return errors.syntax_near_keyword(near.upper())
    return errors.syntax_near(near or "end of batch")


def _unclosed(text: str) -> errors.SqlError:
    quote = max(text.rfind("'"), text.rfind("["))
    rest = text[quote + 1:] if quote >= 0 else text
    return errors.unclosed_quotation(rest)


class _BatchTokenizer(TSQL.Tokenizer):
    """T-SQL tokens for splitting a batch.

    sqlglot counts ``END`` among its "commands": after a ``;`` it swallows the
    rest of the text as one string, so ``...; END TRY BEGIN CATCH ...`` (a
    semicolon before ``END``, common in T-SQL) lost the whole CATCH block.
    """

    COMMANDS = TSQL.Tokenizer.COMMANDS - {TokenType.END}


def tokenize(text: str) -> list:
    """sqlglot's T-SQL tokens for ``text`` (raises ``TokenError`` on an unclosed quote)."""
    return _BatchTokenizer(dialect=_DIALECT).tokenize(text)  # a tokenizer keeps state: one per call


def unclosed(text: str) -> errors.SqlError:
    """SQL Server's 105 for an unclosed quotation mark in ``text``."""
    return _unclosed(text)

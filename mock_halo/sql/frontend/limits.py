"""SQL Server's limits on a batch's shape, checked on the tokens before anything parses them.

sqlglot's compiled parser recurses on the C stack: about 6,000 nested subqueries
kill the process (SIGSEGV) and a few hundred nested parentheses already come back
as a misleading syntax error. So the nesting is measured on the token stream
first, where it costs one pass, and refused with the error SQL Server gives:

* parentheses (subqueries, expressions) or ``BEGIN ... END`` blocks nested more than
  :data:`MAX_NESTING` deep: 191 "Some part of your SQL statement is nested too deeply";
* ``CASE`` nested more than 10 deep: 125 (SQL Server's documented limit);
* more than :data:`MAX_UNARY_RUN` prefix operators in a row (``NOT NOT ...``, ``- - ...``):
  8631 "Server stack limit has been reached";
* more than :data:`MAX_TOKENS` tokens (a giant ``IN`` list or expression): 8623, the
  query processor running out of resources; parsing that much would block for seconds.
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from mock_halo.sql.semantics import errors

#: Parentheses / BEGIN-END blocks nested at most this deep (SQL Server documents 32 nested
#: subqueries, and accepts somewhat deeper expressions; 128 leaves room for both).
MAX_NESTING = 128
#: SQL Server's documented limit on nested CASE expressions.
MAX_CASE_NESTING = 10
MAX_UNARY_RUN = 128
#: A batch of at most this many tokens (an IN list of ~50,000 items); parsing one takes ~2 s here.
MAX_TOKENS = 100_000

_UNARY = frozenset(t for t in (TokenType.NOT, TokenType.DASH, TokenType.PLUS, getattr(TokenType, "TILDE", None)) if t)
#: BEGIN followed by one of these starts a transaction, not a block.
_NOT_BLOCKS = frozenset({"TRAN", "TRANSACTION", "DISTRIBUTED"})
_OPERAND_END = frozenset({TokenType.R_PAREN, TokenType.NUMBER, TokenType.STRING, TokenType.NATIONAL_STRING,
                          TokenType.VAR, TokenType.IDENTIFIER, TokenType.PARAMETER, TokenType.NULL})


def check(tokens: list[Token]) -> None:
    """Raise SQL Server's error if the batch is nested too deeply or too large to parse safely."""
    if len(tokens) > MAX_TOKENS:
        raise errors.out_of_query_resources()
    openers: list[str] = []  # "(" / "CASE" / "BEGIN", innermost last
    depth = cases = unary = 0
    previous: TokenType | None = None
    for index, token in enumerate(tokens):
        kind = token.token_type
        if kind == TokenType.BEGIN and token.text.upper() == "BEGIN":
            following = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
            block = following not in _NOT_BLOCKS
        else:
            block = False
        if kind == TokenType.L_PAREN or block:
            openers.append("(")
            depth += 1
            if depth > MAX_NESTING:
                raise errors.nested_too_deeply()
        elif kind == TokenType.CASE:
            openers.append("CASE")
            cases += 1
            if cases > MAX_CASE_NESTING:
                raise errors.case_nested_too_deeply()
        elif kind in (TokenType.R_PAREN, TokenType.END) and openers:
            if openers.pop() == "CASE":
                cases -= 1
            else:
                depth -= 1
        if kind in _UNARY and previous not in _OPERAND_END:
            unary += 1
            if unary > MAX_UNARY_RUN:
                raise errors.stack_limit()
        else:
            unary = 0
        previous = kind

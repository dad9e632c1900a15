"""SQL-comment directives: scenario outcomes for clients that cannot call ``/_mock``.

A comment anywhere in the command text asks for an outcome with the rules'
vocabulary, as ``key=value`` pairs::

    SELECT 1 /* mock-halo: status=expiredInQueue */
    SELECT 1 /* mock-halo: error=429 retryAfter=5 */
    SELECT 1 /* mock-halo: sqlError=1205 "Transaction was deadlocked" */
    -- mock-halo: status=uploadFailed failAfterPages=3 pageSizeBytes=200

The comment is ignored by the SQL engine like any other comment. A directive
applies to its own request only and beats every rule.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from mock_halo.scenarios.rules import LIFECYCLE_KEYS, Outcome, ScenarioError, parse_outcome

_DIRECTIVE = re.compile(r"/\*\s*mock-halo\s*:(.*?)\*/|--[ \t]*mock-halo\s*:([^\r\n]*)", re.IGNORECASE | re.DOTALL)
_INT_KEYS = {"error", "retryAfter", "latencyMs", *LIFECYCLE_KEYS}


def parse_directive(sql: str | None) -> Outcome | None:
    """The outcome asked for in ``sql``'s mock-halo comments (None if there are none).

    Several directive comments are read in order, later keys overriding earlier ones.
    Raises ScenarioError for a malformed directive (the caller answers 400).
    """
    if not sql or "mock-halo" not in sql.lower():
        return None
    data: dict[str, Any] = {}
    found = False
    for match in _DIRECTIVE.finditer(sql):
        found = True
        data.update(_pairs(match.group(1) if match.group(1) is not None else match.group(2)))
    if not found:
        return None
    try:
        return parse_outcome(data, "mock-halo directive")
    except ScenarioError as exc:
        raise ScenarioError(f"{exc} (in a /* mock-halo: ... */ SQL comment)") from None


def _pairs(body: str) -> dict[str, Any]:
    try:
        tokens = shlex.split(body.strip())
    except ValueError as exc:
        raise ScenarioError(f"mock-halo directive: cannot read '{body.strip()}': {exc}.") from None
    data: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if "=" not in token:
            raise ScenarioError(f"mock-halo directive: expected key=value, got '{token}'.")
        key, value = token.split("=", 1)
        if key == "sqlError":
            message = None
            if i + 1 < len(tokens) and "=" not in tokens[i + 1]:
                message = tokens[i + 1]
                i += 1
            data[key] = {"number": _number(key, value), "message": message or f"SQL Server error {value}."}
        elif key in _INT_KEYS:
            data[key] = _number(key, value)
        elif key == "runSql":
            data[key] = value.lower() in ("1", "true", "yes")
        else:
            data[key] = value
        i += 1
    return data


def _number(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ScenarioError(f"mock-halo directive: {key} must be an integer, got '{value}'.") from None

"""Limits on what a request may ask of the emulator, checked before the work starts.

Bad input must get a clear 4xx, never a crash, a hang or unbounded memory.
This module holds the limits that are not SQL's (those live with the SQL
front end) and are shared by several surfaces.
"""

from __future__ import annotations

from typing import Any

import orjson

#: JSON nesting a request body may have: System.Text.Json's default
#: ``MaxDepth`` (64), what Halo's .NET services read bodies with. Deeper
#: bodies are refused before anything walks them (some of our own code
#: recurses over bodies, and orjson refuses to write past 255 levels).
MAX_JSON_DEPTH = 64


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than :data:`MAX_JSON_DEPTH`."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"the JSON is nested more than {limit} levels deep (the maximum is {limit})")


def load_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``orjson.loads`` that also refuses documents nested deeper than ``max_depth``.

    Raises ``orjson.JSONDecodeError`` for invalid JSON and :class:`JsonTooDeep`
    (both ValueErrors).
    """
    value = orjson.loads(raw)
    data = raw.encode() if isinstance(raw, str) else raw
    # Fewer brackets than the limit cannot nest past it: the common case costs two counts.
    if data.count(b"[") + data.count(b"{") > max_depth:
        check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonTooDeep` if ``value`` nests containers deeper than ``max_depth`` (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise JsonTooDeep(max_depth)
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))

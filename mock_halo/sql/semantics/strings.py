"""T-SQL string built-ins (``mh_upper``, ``mh_len``, ``mh_like`` ...) with SQL Server's semantics.

Strings compare case-insensitively as under SQL Server's default collation
(``CHARINDEX``, ``REPLACE``, ``LIKE``), ``UPPER``/``LOWER`` are Unicode-aware,
``LEN`` ignores trailing spaces, and ``LIKE`` understands ``[a-c]`` / ``[^a]``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from mock_halo.sql.semantics import convert, dates, errors


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def as_int(value: Any) -> int:
    """An integer argument: strings convert as SQL Server's int conversion does (error 245)."""
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        return int(value)
    if isinstance(value, bytes):
        return int.from_bytes(value[-4:], "big")
    return convert.convert(value, "int", None, "varchar")


def upper(value: Any) -> Any:
    if value is None:
        return None
    text = _text(value)
    result = text.upper()
    if len(result) != len(text):  # 'ß' -> 'SS': SQL Server keeps such characters
        result = "".join(ch if len(ch.upper()) != 1 else ch.upper() for ch in text)
    return result


def lower(value: Any) -> Any:
    if value is None:
        return None
    text = _text(value)
    result = text.lower()
    if len(result) != len(text):
        result = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    return result


def length(value: Any) -> Any:
    return None if value is None else len(_text(value).rstrip(" "))


def datalength(value: Any, unicode: int = 1) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, int):
        return 8 if abs(value) >= 2**31 else 4
    if isinstance(value, float):
        return 8
    return len(value.encode("utf-16-le")) if unicode else len(value.encode("utf-8"))


def left(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    count = as_int(count)
    if count < 0:
        raise errors.invalid_length("left")
    return _text(value)[:count]


def right(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    count = as_int(count)
    if count < 0:
        raise errors.invalid_length("right")
    text = _text(value)
    return text[len(text) - count:] if count else ""


def substring(value: Any, start: Any, count: Any) -> Any:
    if value is None or start is None or count is None:
        return None
    start, count = as_int(start), as_int(count)
    if count < 0:
        raise errors.invalid_length("substring")
    end = start + count  # 1-based, exclusive
    begin = max(start, 1)
    if end <= begin:
        return "" if not isinstance(value, bytes) else b""
    if isinstance(value, bytes):
        return value[begin - 1: end - 1]
    return _text(value)[begin - 1: end - 1]


def charindex(needle: Any, haystack: Any, start: Any = 1) -> Any:
    if needle is None or haystack is None:
        return None
    needle, haystack = _text(needle).casefold(), _text(haystack).casefold()
    begin = max(as_int(start or 1), 1) - 1
    if not needle:
        return 0
    return haystack.find(needle, begin) + 1


def replace(value: Any, find: Any, replacement: Any) -> Any:
    if value is None or find is None or replacement is None:
        return None
    find_text = _text(find)
    if not find_text:
        return _text(value)
    return re.sub(re.escape(find_text), lambda _: _text(replacement), _text(value), flags=re.IGNORECASE)


def concat(*values: Any) -> str:
    return "".join(_text(v) for v in values if v is not None)


def concat_ws(separator: Any, *values: Any) -> Any:
    if separator is None:
        return concat(*values)
    return _text(separator).join(_text(v) for v in values if v is not None)


def replicate(value: Any, count: Any) -> Any:
    if value is None or count is None or as_int(count) < 0:
        return None
    return _text(value) * as_int(count)


def space(count: Any) -> Any:
    return None if count is None or as_int(count) < 0 else " " * as_int(count)


def reverse(value: Any) -> Any:
    return None if value is None else _text(value)[::-1]


def stuff(value: Any, start: Any, count: Any, insert: Any) -> Any:
    if value is None or start is None or count is None:
        return None
    text, start, count = _text(value), as_int(start), as_int(count)
    if start < 1 or start > len(text) or count < 0:
        return None
    return text[: start - 1] + ("" if insert is None else _text(insert)) + text[start - 1 + count:]


def char(code: Any) -> Any:
    if code is None or not 0 <= as_int(code) <= 255:
        return None
    return bytes([as_int(code)]).decode("cp1252", errors="replace")


def nchar(code: Any) -> Any:
    return None if code is None or not 0 <= as_int(code) <= 0x10FFFF else chr(as_int(code))


def ascii_code(value: Any) -> Any:
    if value is None or _text(value) == "":
        return None
    return _text(value)[0].encode("cp1252", errors="replace")[0]


def quotename(value: Any, quote: Any = "[") -> Any:
    if value is None:
        return None
    opening = _text(quote or "[")
    closing = {"[": "]", "]": "]", "(": ")", ")": ")", "<": ">", ">": ">", "{": "}", "}": "}"}.get(opening, opening)
    opening = {"]": "[", ")": "(", ">": "<", "}": "{"}.get(opening, opening)
    text = _text(value)
    return opening + text.replace(closing, closing * 2) + closing


def isnumeric(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return 1
    return int(bool(re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*|\s*[$]\s*\d+(\.\d*)?\s*",
                                 _text(value), re.IGNORECASE)))


def isdate(value: Any) -> int:
    if value is None or not isinstance(value, str):
        return 0
    try:
        dates.parse_sql(value)
    except errors.SqlError:
        return 0
    return 1


# -- LIKE with SQL Server's wildcards and case-insensitive collation ---------------------

@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1: i + 2] == "^" else i + 1)
            if close == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1: close]
                negate = body.startswith("^")
                body = body[1:] if negate else body
                parts = "".join(re.escape(c) if c != "-" else "-" for c in body)
                out.append(f"[{'^' if negate else ''}{parts}]")
                i = close
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def like(value: Any, pattern: Any, escape: Any = None) -> Any:
    if value is None or pattern is None:
        return None
    return int(_like_regex(_text(pattern), escape).fullmatch(_text(value)) is not None)


def patindex(pattern: Any, value: Any) -> Any:
    if value is None or pattern is None:
        return None
    regex = _like_regex(_text(pattern), None)
    core = regex.pattern
    core = core[2:] if core.startswith(".*") else "^" + core
    core = core[:-2] if core.endswith(".*") else core + "$"
    found = re.search(core, _text(value), re.IGNORECASE | re.DOTALL)
    return found.start() + 1 if found else 0

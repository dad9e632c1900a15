"""T-SQL string built-ins (``mh_upper``, ``mh_len``, ``mh_like`` ...) with SQL Server's semantics.

Strings compare case-insensitively as under SQL Server's default collation
(``CHARINDEX``, ``REPLACE``, ``LIKE``), ``UPPER``/``LOWER`` are Unicode-aware,
``LEN`` ignores trailing spaces, and ``LIKE`` understands ``[a-c]`` / ``[^a]``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
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
    find_text, text, new = _text(find), _text(value), _text(replacement)
    if not find_text:
        return text
    pattern = re.compile(re.escape(find_text), flags=re.IGNORECASE)
    if len(new) > len(find_text):
        check_length(len(text) + sum(1 for _ in pattern.finditer(text)) * (len(new) - len(find_text)))
    return pattern.sub(lambda _: new, text)


def concat(*values: Any) -> str:
    return "".join(_text(v) for v in values if v is not None)


def concat_ws(separator: Any, *values: Any) -> Any:
    if separator is None:
        return concat(*values)
    return _text(separator).join(_text(v) for v in values if v is not None)


#: SQL Server truncates a string built from non-max types at 8,000 bytes: 8,000 varchar characters,
#: 4,000 nvarchar ones (REPLICATE, SPACE, REPLACE, STUFF, CONCAT); a max type has no such limit.
NON_MAX_BYTES = 8000
UNICODE_CHARS = 4000


def join_limit(*limits: int) -> int:
    """The characters ``a + b (+ ...)`` keeps, from each operand's (:func:`truncated`'s 0: max, 4,000:
    nvarchar, 8,000: varchar; -1: not known to be a string): nvarchar(n) + nvarchar(m) is
    nvarchar(min(n + m, 4000)), varchar's bound is 8,000, nvarchar wins over varchar, and a max
    operand makes a max result (0: no cut; an operand of unknown type cuts nothing either)."""
    if any(limit <= 0 for limit in limits):
        return 0
    return UNICODE_CHARS if UNICODE_CHARS in limits else NON_MAX_BYTES


def truncated(limit: int, result: Any, inputs: tuple[Any, ...]) -> Any:
    """``result`` cut to ``limit`` characters (0: a max type, no limit; -1: typed at run time by
    request parameters, which SqlClient sends as nvarchar(4000) unless a value is longer)."""
    if not isinstance(result, str) or limit == 0:
        return result
    if limit < 0:
        if any(isinstance(v, str) and len(v) > UNICODE_CHARS for v in inputs):
            return result
        limit = UNICODE_CHARS
    return result[:limit] if len(result) > limit else result


#: The longest string the emulator builds (characters here; bytes of UTF-8 in SQLite, whose own limit it is
#: too): ours, so that one REPLICATE of a max type cannot take gigabytes; SQL Server's bound is 2 GB. 64 MiB
#: is the default async result limit: a longer value could not be returned anyway.
MAX_VALUE_BYTES = 64 << 20


def check_length(length: int) -> None:
    """Refuse to build a string of ``length`` characters past :data:`MAX_VALUE_BYTES` (error 7119)."""
    if length > MAX_VALUE_BYTES:
        raise errors.value_too_large(MAX_VALUE_BYTES)


def replicate(value: Any, count: Any) -> Any:
    if value is None or count is None or as_int(count) < 0:
        return None
    text = _text(value)
    check_length(len(text) * as_int(count))
    return text * as_int(count)


def space(count: Any) -> Any:
    if count is None or as_int(count) < 0:
        return None
    check_length(as_int(count))
    return " " * as_int(count)


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
#
# A pattern is split at its ``%`` into *segments*, each a run of one-character
# matchers (a literal, ``_``, a ``[...]`` class), compiled to a regular
# expression without any quantifier. Matching then places the segments left to
# right, each at its leftmost possible position (the first anchored at the
# start, the last at the end): for ``%`` that greedy placement is exact, and
# every step is a fixed-length regex search in C, so no pattern, however many
# ``%`` it has, can make a match take more than (text length x pattern length)
# steps. A translation of the whole pattern into one regex (``.*`` per ``%``)
# backtracks exponentially instead: ``REPLICATE('a', 200) LIKE
# '%a%a%a%a%a%a%a%a%[b]'`` would have run for days and nothing can interrupt a
# function while it runs.

_FLAGS = re.IGNORECASE | re.DOTALL
#: matches no character (an empty ``[]`` class).
_NOTHING = "(?!)"


@dataclass(frozen=True)
class LikePattern:
    """A compiled LIKE pattern: its segments between ``%`` and whether it starts/ends with one."""

    segments: tuple[re.Pattern[str] | None, ...]  # None: an empty segment
    lengths: tuple[int, ...]
    leading: bool
    trailing: bool


def _class(body: str, escape: str | None) -> str:
    """A ``[...]`` body (after ``[`` and any ``^``) as a regex class body; ranges backwards match nothing."""
    chars: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if escape and ch == escape and i + 1 < len(body):
            ch = body[i + 1]
            i += 1
        chars.append(ch)
        i += 1
    items: list[str] = []
    j = 0
    while j < len(chars):
        if j + 2 < len(chars) and chars[j + 1] == "-":
            low, high = chars[j], chars[j + 2]
            if low <= high:
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            j += 3
        else:
            items.append(re.escape(chars[j]))
            j += 1
    return "".join(items)


@functools.lru_cache(maxsize=512)
def like_pattern(pattern: str, escape: str | None) -> LikePattern:
    """Compile ``pattern`` (SQL Server LIKE syntax, optional ESCAPE character)."""
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            segments[-1].append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            if segments[-1] or len(segments) == 1:
                segments.append([])
        elif ch == "_":
            segments[-1].append(".")
        elif ch == "[":
            negate = pattern[i + 1: i + 2] == "^"
            close = pattern.find("]", i + 2 if negate else i + 1)
            if close == -1:
                segments[-1].append(re.escape(ch))
            else:
                body = _class(pattern[i + (2 if negate else 1): close], escape)
                if body:
                    segments[-1].append(f"[{'^' if negate else ''}{body}]")
                else:
                    segments[-1].append("." if negate else _NOTHING)
                i = close
        else:
            segments[-1].append(re.escape(ch))
        i += 1
    leading = pattern.startswith("%")
    trailing = len(segments) > 1 and not segments[-1]
    if leading:
        segments = segments[1:]  # the empty one before the first %
    if trailing:
        segments = segments[:-1]
    return LikePattern(
        segments=tuple(re.compile("".join(parts), _FLAGS) if parts else None for parts in segments),
        lengths=tuple(len(parts) for parts in segments),
        leading=leading,
        trailing=trailing,
    )


def like_start(compiled: LikePattern, text: str) -> int | None:
    """Where the pattern's first segment lands when the whole pattern matches ``text`` (None: no match).

    With a leading ``%`` that is the leftmost such place (PATINDEX's answer); each segment goes at
    its leftmost position after the one before, the last one at the very end unless a ``%`` follows it.
    """
    segments, lengths = compiled.segments, compiled.lengths
    end = len(text)
    if not segments:  # only %s
        return 0
    last = len(segments) - 1
    # Where segments before the last must end: before an end-anchored last segment.
    limit = end if compiled.trailing else end - lengths[last]
    if limit < 0:
        return None
    pos, start = 0, None
    for index, segment in enumerate(segments):
        if segment is None:  # the empty pattern: matches only ''
            return 0 if end == 0 else None
        if index == last and not compiled.trailing:  # ends exactly at the end of the text
            at = limit
            if index == 0 and not compiled.leading and at != 0:
                return None
            if at < pos or segment.fullmatch(text, at, end) is None:
                return None
            return at if start is None else start
        if index == 0 and not compiled.leading:  # starts exactly at the start
            if segment.match(text, 0, limit) is None:
                return None
            start, pos = 0, lengths[0]
            continue
        found = segment.search(text, pos, limit)
        if found is None:
            return None
        if start is None:
            start = found.start()
        pos = found.end()
    return start


def like(value: Any, pattern: Any, escape: Any = None) -> Any:
    if value is None or pattern is None:
        return None
    return int(like_start(like_pattern(_text(pattern), escape), _text(value)) is not None)


def patindex(pattern: Any, value: Any) -> Any:
    """The 1-based position where ``pattern`` first matches (0: nowhere), like SQL Server's PATINDEX."""
    if value is None or pattern is None:
        return None
    start = like_start(like_pattern(_text(pattern), None), _text(value))
    return 0 if start is None else start + 1

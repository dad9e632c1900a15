"""T-SQL built-ins as Python functions registered on each SQLite connection.

Every function is registered as ``mh_<name>``; the translator rewrites T-SQL
calls to them. They receive SQLite values (storage forms, see dates.py) and
raise :class:`SqlError` with SQL Server's numbers; because SQLite only reports
"user-defined function raised exception", each error is stashed first
(:func:`errors.stash`) for the engine to recover.
"""

from __future__ import annotations

import functools
import math
import random
import sqlite3
import unicodedata
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from mock_halo.sql.semantics import convert, dates, errors, formatting
from mock_halo.sql.semantics.strings import (
    _text, as_int, ascii_code, char, charindex, concat, concat_ws, datalength, isdate, isnumeric, join_limit, left,
    length, like, lower, nchar, patindex, quotename, replace, replicate, reverse, right, space, stuff, substring, truncated,
    upper,
)

_Fn = Callable[..., Any]


def _guarded(name: str, fn: _Fn) -> _Fn:
    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except errors.SqlError as exc:
            raise errors.stash(exc)
        except Exception as exc:  # noqa: BLE001 - any failure must surface as a SqlError
            raise errors.stash(errors.internal(f"{name}() failed: {exc}")) from exc
    return call


# -- numbers -------------------------------------------------------------------------

def _number(value: Any, like_value: Any) -> Any:
    """Convert a string operand the way SQL Server's type precedence does."""
    if not isinstance(value, str):
        return value
    spec = "int" if isinstance(like_value, int) else "float"
    return convert.convert(value, spec, None, "varchar")


def _limited(function: Callable[..., Any]) -> Callable[..., Any]:
    """A string builder called as ``mh_x(limit, args...)``: its result cut as SQL Server cuts non-max strings."""

    def call(limit: int, *args: Any) -> Any:
        if isinstance(limit, int) and limit > 0 and function is replicate and args[1] is not None:
            # Never build more than the limit keeps: REPLICATE('a', 2000000000) is 8,000 characters.
            text = _text(args[0]) if args[0] is not None else ""
            if text and as_int(args[1]) * len(text) > limit:
                args = (args[0], -(-limit // len(text)))
        elif isinstance(limit, int) and limit > 0 and function is space and args[0] is not None:
            args = (min(as_int(args[0]), limit),)
        return truncated(limit, function(*args), args)

    call.__name__ = function.__name__
    return call


def cut(limit: int, text: Any, *inputs: Any) -> Any:
    """``text`` cut as a string joined from ``inputs`` (``a + b``) with that ``limit`` is cut."""
    return truncated(limit, text, inputs)


def add(*values: Any) -> Any:
    """``a + b + c ...`` when static types are unknown, left to right (see :func:`add_two`)."""
    total = values[0]
    for value in values[1:]:
        total = add_two(total, value)
    return total


def cut_to(value: Any, limit: Any) -> Any:
    """A string cut to ``limit`` characters (0: not cut); anything else as it is."""
    return value[:limit] if isinstance(value, str) and 0 < limit < len(value) else value


def add_typed(*operands: Any) -> Any:
    """:func:`add` called as ``mh_add_typed(a, mark a, b, mark b, ...)``: a string is cut after each step
    where SQL Server cuts the type of that step (:func:`~mock_halo.sql.semantics.strings.join_limit` of
    the marks so far)."""
    total, limit = operands[0], operands[1]
    for index in range(2, len(operands), 2):
        total = add_two(total, operands[index])
        limit = join_limit(limit, operands[index + 1])
        total = cut_to(total, limit)
    return total


def add_two(left_value: Any, right_value: Any) -> Any:
    """``+`` when static types are unknown: concatenation of strings, else numeric addition."""
    if left_value is None or right_value is None:
        return None
    left_is_text, right_is_text = isinstance(left_value, str), isinstance(right_value, str)
    if left_is_text and right_is_text:
        return left_value + right_value
    if isinstance(left_value, bytes) and isinstance(right_value, bytes):
        return left_value + right_value
    return _number(left_value, right_value) + _number(right_value, left_value)


def divide(dividend: Any, divisor: Any) -> Any:
    if dividend is None or divisor is None:
        return None
    dividend, divisor = _number(dividend, divisor), _number(divisor, dividend)
    if divisor == 0:
        raise errors.divide_by_zero()
    if isinstance(dividend, int) and isinstance(divisor, int):
        quotient = abs(dividend) // abs(divisor)
        return quotient if (dividend >= 0) == (divisor >= 0) else -quotient
    return dividend / divisor


def modulo(dividend: Any, divisor: Any) -> Any:
    if dividend is None or divisor is None:
        return None
    dividend, divisor = _number(dividend, divisor), _number(divisor, dividend)
    if divisor == 0:
        raise errors.divide_by_zero()
    return math.fmod(dividend, divisor) if isinstance(dividend, float) or isinstance(divisor, float) else (
        int(math.fmod(dividend, divisor)))


def round_(value: Any, places: Any, mode: Any = 0) -> Any:
    if value is None or places is None:
        return None
    places, value = as_int(places), as_number(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    quantum = Decimal(1).scaleb(-places)
    result = number.quantize(quantum, rounding=ROUND_DOWN if mode else ROUND_HALF_UP) if places >= 0 else (
        (number / quantum).quantize(Decimal(1), rounding=ROUND_DOWN if mode else ROUND_HALF_UP) * quantum)
    return int(result) if isinstance(value, int) else float(result)


def as_number(value: Any) -> int | float:
    """A numeric argument: strings convert to float as SQL Server does (error 8114)."""
    if isinstance(value, (int, float)):
        return value
    return convert.convert(value, "float", None, "varchar")


def floor(value: Any) -> Any:
    if value is None:
        return None
    value = as_number(value)
    return value if isinstance(value, int) else float(math.floor(value))


def ceiling(value: Any) -> Any:
    if value is None:
        return None
    value = as_number(value)
    return value if isinstance(value, int) else float(math.ceil(value))


def power(value: Any, exponent: Any) -> Any:
    if value is None or exponent is None:
        return None
    value, exponent = as_number(value), as_number(exponent)
    try:
        result = float(value) ** float(exponent)
    except (OverflowError, ZeroDivisionError):
        raise errors.invalid_floating_point() from None
    if isinstance(result, complex):
        raise errors.invalid_floating_point()
    return int(result) if isinstance(value, int) and result == int(result) and abs(result) < 2**63 else result


# -- dates -----------------------------------------------------------------------------

def dateadd(part: str, number: Any, value: Any) -> Any:
    if number is None or value is None:
        return None
    moment, shape = dates.to_datetime(value)
    return dates.fmt_shape(dates.dateadd(part, as_int(number), moment, shape), shape)


def datediff(part: str, start: Any, end: Any, big: int = 0) -> Any:
    if start is None or end is None:
        return None
    return dates.datediff(part, dates.to_datetime(start)[0], dates.to_datetime(end)[0], bool(big))


def datepart(part: str, value: Any) -> Any:
    return None if value is None else dates.datepart(part, dates.to_datetime(value)[0])


def datename(part: str, value: Any) -> Any:
    return None if value is None else dates.datename(part, dates.to_datetime(value)[0])


def eomonth(value: Any, months: Any = 0) -> Any:
    if value is None or months is None:
        return None
    return dates.eomonth(dates.to_datetime(value)[0], as_int(months))


def datefromparts(year: Any, month: Any, day: Any) -> Any:
    if year is None or month is None or day is None:
        return None
    try:
        return dates.fmt_date(date(as_int(year), as_int(month), as_int(day)))
    except ValueError:
        raise errors.invalid_date_parts() from None


def add_days(value: Any, days: Any) -> Any:
    """``datetime + number``: SQL Server adds days (fractions are times of day)."""
    if value is None or days is None:
        return None
    moment, shape = dates.to_datetime(value)
    if shape == "date":
        raise errors.operand_clash("date", "int")
    try:
        return dates.fmt_datetime(moment + timedelta(days=float(_number(days, 0.0))))
    except OverflowError:
        raise errors.dateadd_overflow() from None


def normalise(value: Any, kind: str) -> Any:
    """A value compared with a ``kind`` column, in that column's storage form."""
    if value is None:
        return None
    if kind == "bit":
        return convert.to_bit(value, convert.target("bit"), "")
    if kind == "guid":
        return convert.to_guid(value, convert.target("uniqueidentifier"), "") if isinstance(value, str) else value
    if not isinstance(value, str):
        return value
    moment, _ = dates.from_storage(value)
    if kind == "date":
        return dates.fmt_date(moment)
    if kind == "time":
        return dates.fmt_time(moment)
    return dates.fmt_datetime(moment)


def format_(value: Any, pattern: Any, culture: Any = None) -> Any:
    if value is None or pattern is None:
        return None
    if isinstance(value, str):
        moment, _ = dates.from_storage(value)
        return formatting.format_date(moment, _text(pattern), culture)
    if isinstance(value, (int, float)):
        return formatting.format_number(value, _text(pattern), culture)
    raise errors.invalid_argument_type("varbinary", 1, "format")


def register(conn: sqlite3.Connection, rng: random.Random) -> None:
    """Register every ``mh_*`` function on ``conn``; NEWID/RAND draw from ``rng``."""
    deterministic: dict[str, tuple[int, _Fn]] = {
        "upper": (1, upper), "lower": (1, lower), "len": (1, length), "datalength": (2, datalength),
        "left": (2, left), "right": (2, right), "substring": (3, substring),
        "charindex": (-1, charindex), "replace": (4, _limited(replace)), "concat": (-1, _limited(concat)),
        "concat_ws": (-1, _limited(concat_ws)), "replicate": (3, _limited(replicate)), "space": (2, _limited(space)),
        "cut": (-1, cut),
        "reverse": (1, reverse), "stuff": (5, _limited(stuff)), "char": (1, char), "nchar": (1, nchar),
        "ascii": (1, ascii_code), "quotename": (-1, quotename), "isnumeric": (1, isnumeric),
        "isdate": (1, isdate), "like": (-1, like), "patindex": (2, patindex),
        "add": (-1, add), "add_typed": (-1, add_typed), "cut_to": (2, cut_to), "join_limit": (-1, join_limit), "div": (2, divide), "mod": (2, modulo), "round": (-1, round_),
        "floor": (1, floor), "ceiling": (1, ceiling), "power": (2, power),
        "dateadd": (3, dateadd), "datediff": (-1, datediff), "datepart": (2, datepart),
        "datename": (2, datename), "eomonth": (-1, eomonth), "datefromparts": (3, datefromparts),
        "add_days": (2, add_days), "norm": (2, normalise), "format": (-1, format_),
        "convert": (5, convert.convert),
    }
    for name, (arity, fn) in deterministic.items():
        conn.create_function(f"mh_{name}", arity, _guarded(name, fn), deterministic=True)

    def newid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def rand(seed: Any = None) -> float:
        if seed is not None:
            rng.seed(int(seed))
        return rng.random()

    conn.create_function("mh_newid", 0, _guarded("newid", newid))
    conn.create_function("mh_rand", -1, _guarded("rand", rand))
    conn.create_aggregate("mh_string_agg", -1, OrderedStringAgg)
    conn.create_collation("MH_CI", case_insensitive)


def _order_key(value: Any) -> tuple[int, Any]:
    """SQL Server's ascending order for one key: NULL first, text case-insensitively."""
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (1, value.rstrip(" ").casefold())
    return (1, value)


class OrderedStringAgg:
    """``STRING_AGG(value, separator) WITHIN GROUP (ORDER BY ...)`` (SQLite 3.40 has no ordered group_concat).

    Called as ``mh_string_agg(value, separator, key1, desc1, key2, desc2, ...)``; NULL values are skipped.
    """

    def __init__(self) -> None:
        self.items: list[tuple[list[tuple[Any, bool]], str]] = []
        self.separator = ""

    def step(self, value: Any, separator: Any, *order: Any) -> None:
        self.separator = "" if separator is None else str(separator)
        if value is not None:
            keys = [(order[i], bool(order[i + 1])) for i in range(0, len(order), 2)]
            self.items.append((keys, str(value)))

    def finalize(self) -> str | None:
        if not self.items:
            return None

        def compare(a: tuple[list[tuple[Any, bool]], str], b: tuple[list[tuple[Any, bool]], str]) -> int:
            for (left, desc), (right, _) in zip(a[0], b[0]):
                x, y = _order_key(left), _order_key(right)
                if x != y:
                    return (1 if x > y else -1) * (-1 if desc else 1)
            return 0
        ordered = sorted(self.items, key=functools.cmp_to_key(compare))
        return self.separator.join(value for _, value in ordered)


def case_insensitive(left_text: str, right_text: str) -> int:
    """SQL Server's default collation for expressions: Unicode case-insensitive, trailing spaces ignored.

    (Columns keep SQLite's NOCASE so their indexes stay usable; NOCASE folds ASCII only.)
    """
    a, b = left_text.rstrip(" ").casefold(), right_text.rstrip(" ").casefold()
    if a == b:
        return 0
    if not (a.isascii() and b.isascii()):  # accented letters sort next to their base letter, then by accent
        a, b = (_unaccented(a), a), (_unaccented(b), b)
    return 1 if a > b else -1


def _unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))

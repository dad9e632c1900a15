"""``FORMAT(value, format [, culture])``: .NET format strings for dates and numbers.

Covers the custom date patterns (``dd/MM/yyyy``, ``yyyy-MM-dd HH:mm:ss``,
``dddd d MMMM yyyy h:mm tt`` ...), the common standard date formats (``d``,
``D``, ``t``, ``T``, ``g``, ``G``, ``s``, ``u``, ``o``) and the common numeric
formats (``N2``, ``F1``, ``D5``, ``C``, ``P``, ``#,##0.00``). Cultures:
``en-US`` (SQL Server's default language) and ``en-AU`` / ``en-GB``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from mock_halo.sql.semantics import dates

_CULTURES = {
    "en-us": {"d": "M/d/yyyy", "D": "dddd, MMMM d, yyyy", "t": "h:mm tt", "T": "h:mm:ss tt"},
    "en-au": {"d": "d/MM/yyyy", "D": "dddd, d MMMM yyyy", "t": "h:mm tt", "T": "h:mm:ss tt"},
    "en-gb": {"d": "dd/MM/yyyy", "D": "dd MMMM yyyy", "t": "HH:mm", "T": "HH:mm:ss"},
}
_DATE_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|\\.|dddd|ddd|dd|d|MMMM|MMM|MM|M|yyyy|yyy|yy|y|HH|H|hh|h|mm|m|ss|s|"
                         r"f{1,7}|F{1,7}|tt|t|zzz|zz|z|K|.", re.S)


def _culture(name: str | None) -> dict[str, str]:
    return _CULTURES.get((name or "en-US").lower(), _CULTURES["en-us"])


def format_date(moment: datetime, pattern: str, culture: str | None = None) -> str:
    names = _culture(culture)
    if len(pattern) == 1:
        standard = {
            "d": names["d"], "D": names["D"], "t": names["t"], "T": names["T"],
            "f": names["D"] + " " + names["t"], "F": names["D"] + " " + names["T"],
            "g": names["d"] + " " + names["t"], "G": names["d"] + " " + names["T"],
            "s": "yyyy-MM-dd'T'HH:mm:ss", "u": "yyyy-MM-dd HH:mm:ss'Z'",
            "o": "yyyy-MM-dd'T'HH:mm:ss.fffffff", "O": "yyyy-MM-dd'T'HH:mm:ss.fffffff",
            "M": "MMMM d", "m": "MMMM d", "Y": "MMMM yyyy", "y": "MMMM yyyy",
        }
        if pattern not in standard:
            return None  # type: ignore[return-value]  # .NET: FormatException -> SQL Server NULL
        pattern = standard[pattern]
    out: list[str] = []
    for token in _DATE_TOKEN.findall(pattern):
        out.append(_date_token(moment, token))
    return "".join(out)


def _date_token(moment: datetime, token: str) -> str:
    hour12 = moment.hour % 12 or 12
    simple = {
        "dddd": dates.WEEKDAY_NAMES[moment.weekday()], "ddd": dates.WEEKDAY_NAMES[moment.weekday()][:3],
        "dd": f"{moment.day:02d}", "d": str(moment.day),
        "MMMM": dates.MONTH_NAMES[moment.month - 1], "MMM": dates.MONTH_NAMES[moment.month - 1][:3],
        "MM": f"{moment.month:02d}", "M": str(moment.month),
        "yyyy": f"{moment.year:04d}", "yyy": f"{moment.year:03d}", "yy": f"{moment.year % 100:02d}",
        "y": str(moment.year % 100),
        "HH": f"{moment.hour:02d}", "H": str(moment.hour), "hh": f"{hour12:02d}", "h": str(hour12),
        "mm": f"{moment.minute:02d}", "m": str(moment.minute), "ss": f"{moment.second:02d}",
        "s": str(moment.second), "tt": "PM" if moment.hour >= 12 else "AM",
        "t": "P" if moment.hour >= 12 else "A", "zzz": "+00:00", "zz": "+00", "z": "+0", "K": "",
    }
    if token in simple:
        return simple[token]
    if token[0] in "fF" and set(token) <= {"f", "F"}:
        digits = f"{moment.microsecond:06d}0"[: len(token)]
        return digits.rstrip("0") if token[0] == "F" else digits
    if token[0] in "'\"" and len(token) >= 2:
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    return token


def _group(digits: str) -> str:
    return f"{int(digits):,}" if digits else "0"


def _fixed(value: float, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_number(value: float, pattern: str, culture: str | None = None) -> str | None:
    match = re.fullmatch(r"([NnFfDdCcPpGgXx])(\d{0,2})", pattern)
    if match:
        code, digits = match.group(1).upper(), match.group(2)
        places = int(digits) if digits else None
        if code == "D":
            if value != int(value):
                return None
            text = str(abs(int(value))).rjust(places or 0, "0")
            return ("-" if value < 0 else "") + text
        if code == "X":
            return format(int(value), "X" if match.group(1) == "X" else "x").rjust(places or 0, "0")
        if code == "G":
            return repr(value) if isinstance(value, float) and value != int(value) else str(int(value))
        if code == "P":
            value *= 100
        text = _fixed(abs(value), 2 if places is None else places)
        whole, _, frac = text.partition(".")
        grouped = _group(whole) if code in ("N", "C", "P") else whole
        body = grouped + (f".{frac}" if frac else "")
        sign = "-" if value < 0 and float(text) != 0 else ""
        if code == "C":
            return f"{sign}${body}"
        if code == "P":
            return f"{sign}{body}%"
        return sign + body
    return _custom_number(value, pattern)


def _custom_number(value: float, pattern: str) -> str:
    """A subset of .NET custom numeric formats: ``0``, ``#``, ``.``, ``,`` and literals."""
    body = pattern
    integer_part, _, fraction_part = body.partition(".")
    places = sum(1 for ch in fraction_part if ch in "0#")
    required = sum(1 for ch in fraction_part if ch == "0")
    text = _fixed(abs(value), places)
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(required, "0") if places else ""
    min_int = sum(1 for ch in integer_part if ch == "0")
    whole = whole.lstrip("0").rjust(min_int, "0")
    if "," in integer_part:
        whole = f"{int(whole):,}" if whole else ""
    prefix = "".join(ch for ch in integer_part if ch not in "0#,")
    suffix = "".join(ch for ch in fraction_part if ch not in "0#")
    sign = "-" if value < 0 and (float(text) != 0) else ""
    return f"{sign}{prefix}{whole}{'.' + frac if frac else ''}{suffix}"

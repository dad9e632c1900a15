"""``CAST`` / ``CONVERT`` / ``TRY_CONVERT`` with SQL Server's rules and styles.

The translator calls :func:`convert` (registered as ``mh_convert``) with the
target type name (``'int'``, ``'decimal(9,2)'``, ``'varchar(30)'`` ...), the
style (or NULL) and the source's declared type name when it is known (``''``
otherwise): SQLite values alone cannot tell a ``datetime`` from a string.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from mock_halo.sql.semantics import dates, errors
from mock_halo.sql.semantics import kinds as K

INT_RANGES = {"tinyint": (0, 255), "smallint": (-2**15, 2**15 - 1), "int": (-2**31, 2**31 - 1),
              "bigint": (-2**63, 2**63 - 1)}
_INT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_DEC_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$")
_DMY_STYLES = {3, 103, 4, 104, 5, 105, 6, 106, 13, 113, 131}
_STRING_TYPES = ("varchar", "nvarchar", "char", "nchar", "text", "ntext", "sysname", "xml")


class Target:
    """A parsed target type: base name, length/precision/scale."""

    __slots__ = ("base", "length", "precision", "scale", "name")

    def __init__(self, spec: str) -> None:
        base, params = K.split_decl(spec)
        self.base = base
        self.name = base
        self.length: int | None = None
        self.precision, self.scale = 18, 0
        parts = [p for p in params.split(",") if p]
        if base in _STRING_TYPES or base in ("binary", "varbinary"):
            if parts and parts[0] != "max":
                self.length = int(parts[0])
            elif not parts:
                self.length = 30 if base not in ("char", "nchar", "binary") else 1
        elif base in ("decimal", "numeric"):
            if parts:
                self.precision = int(parts[0])
                self.scale = int(parts[1]) if len(parts) > 1 else 0
            self.name = "numeric"
        elif base in ("money", "smallmoney"):
            self.precision, self.scale = 19, 4


def _source_name(src: str, value: object) -> str:
    if src:
        return K.split_decl(src)[0]
    if isinstance(value, bool):
        return "bit"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "numeric"
    if isinstance(value, bytes):
        return "varbinary"
    return "varchar"


# -- to numbers ----------------------------------------------------------------

def to_int(value: object, target: Target, src: str) -> int:
    low, high = INT_RANGES[target.base]
    if isinstance(value, bool):
        result = int(value)
    elif isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise errors.arithmetic_overflow(target.base)
        result = int(value)  # truncates towards zero, as SQL Server does
    elif isinstance(value, bytes):
        result = int.from_bytes(value[-8:], "big", signed=False) if value else 0
    elif isinstance(value, str):
        src_kind = K.kind_of_decl(src)
        if src_kind in K.TEMPORAL:
            if src_kind != K.DATETIME:
                raise errors.explicit_conversion(K.split_decl(src)[0], target.base)
            moment, _ = dates.from_storage(value)
            result = round((moment - datetime(1900, 1, 1)).total_seconds() / 86400)
        elif _INT_RE.match(value):
            result = int(value)
            if not low <= result <= high and target.base != "bigint":
                raise errors.string_overflow(value, K.string_type_name(src), target.base)
        elif not value.strip():
            result = 0  # SQL Server converts an empty (or blank) string to 0
        else:
            raise errors.conversion_failed(value, K.string_type_name(src), target.base)
    else:
        raise errors.conversion_failed(value, "varchar", target.base)
    if not low <= result <= high:
        raise errors.arithmetic_overflow(target.base)
    return result


def _decimal_of(value: object, target: Target, src: str) -> Decimal:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise errors.arithmetic_overflow(target.name, "float")
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, str):
        text = value.strip()
        if target.base in ("money", "smallmoney"):
            text = text.replace(",", "").lstrip("$")
        if not _DEC_RE.match(text):
            if target.base in ("money", "smallmoney"):
                raise errors.char_to_money()
            raise errors.converting_data_type(K.string_type_name(src), target.name)
        return Decimal(text)
    raise errors.converting_data_type(_source_name(src, value), target.name)


def to_decimal(value: object, target: Target, src: str) -> int | float:
    number = _decimal_of(value, target, src)
    try:
        quantum = Decimal(1).scaleb(-target.scale)
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise errors.arithmetic_overflow(target.name, _source_name(src, value)) from None
    digits = len(rounded.as_tuple().digits) - max(0, -rounded.as_tuple().exponent)
    if rounded and digits > target.precision - target.scale:
        raise errors.arithmetic_overflow(target.name, _source_name(src, value))
    return int(rounded) if target.scale == 0 else float(rounded)


def to_float(value: object, target: Target, src: str) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = math.nan
        if math.isnan(result) or math.isinf(result) or not value.strip():
            raise errors.converting_data_type(K.string_type_name(src), "float") from None
        return result
    raise errors.converting_data_type(_source_name(src, value), "float")


def to_bit(value: object, target: Target, src: str) -> int:
    if isinstance(value, (int, float)):
        return 0 if value == 0 else 1
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return int(text == "true")
        if _DEC_RE.match(text):
            return 0 if float(text) == 0 else 1
        raise errors.conversion_failed(value, K.string_type_name(src), "bit")
    raise errors.conversion_failed(value, "varchar", "bit")


# -- to strings -------------------------------------------------------------------

def _float_text(value: float) -> str:
    """SQL Server's default float -> varchar: up to 6 significant digits."""
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = exponent[0]
        text = f"{mantissa}e{sign}{int(exponent[1:]):03d}"
    return text


def _number_text(value: int | float, src: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        base, params = K.split_decl(src)
        if base in ("decimal", "numeric") and "," in params:
            return f"{value:.{int(params.split(',')[1])}f}"
        return str(value)
    base, params = K.split_decl(src)
    if base in ("decimal", "numeric"):
        scale = int(params.split(",")[1]) if "," in params else 0
        return f"{value:.{scale}f}"
    if base in ("money", "smallmoney"):
        return f"{value:.2f}"
    if base in ("float", "real"):
        return _float_text(value)
    return repr(value) if value != int(value) or abs(value) >= 1e15 else f"{value:.1f}".rstrip("0").rstrip(".")


def _date_text(moment: datetime, base: str, style: int | None) -> str:
    if style is None or style in (0, 100):
        if base == "date":
            return dates.fmt_date(moment)
        if base == "time":
            return dates.fmt_time(moment) + (".0000000" if not moment.microsecond else "")
        if base == "datetime2":
            return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}0"
        return _style_text(moment, 100)
    return _style_text(moment, style)


def _hour12(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour:>2}:{moment.minute:02d}{'PM' if moment.hour >= 12 else 'AM'}"


def _style_text(moment: datetime, style: int) -> str:
    """``CONVERT(varchar, datetime, style)`` for the common styles."""
    y4, y2 = f"{moment.year:04d}", f"{moment.year % 100:02d}"
    mm, dd = f"{moment.month:02d}", f"{moment.day:02d}"
    mon = dates.MONTH_NAMES[moment.month - 1][:3]
    hms = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    ms = f"{moment.microsecond // 1000:03d}"
    ampm = "PM" if moment.hour >= 12 else "AM"
    fraction = f".{ms}" if moment.microsecond else ""
    fixed: dict[int, Callable[[], str]] = {
        0: lambda: f"{mon} {moment.day:>2} {y4} {_hour12(moment)}",
        8: lambda: hms, 108: lambda: hms, 24: lambda: hms,
        9: lambda: f"{mon} {moment.day:>2} {y4} {moment.hour % 12 or 12:>2}:{moment.minute:02d}:"
                   f"{moment.second:02d}:{ms}{ampm}",
        13: lambda: f"{dd} {mon} {y4} {hms}:{ms}", 14: lambda: f"{hms}:{ms}",
        20: lambda: f"{y4}-{mm}-{dd} {hms}", 21: lambda: f"{y4}-{mm}-{dd} {hms}.{ms}",
        22: lambda: f"{mm}/{dd}/{y2} {_hour12(moment).strip()}", 23: lambda: f"{y4}-{mm}-{dd}",
        25: lambda: f"{y4}-{mm}-{dd} {hms}.{ms}",
        126: lambda: f"{y4}-{mm}-{dd}T{hms}{fraction}", 127: lambda: f"{y4}-{mm}-{dd}T{hms}{fraction}Z",
    }
    for short in (0, 9, 13, 14, 20, 21):
        fixed[short + 100] = fixed[short]
    if style in fixed:
        return fixed[style]()
    century = style >= 100
    yy = y4 if century else y2
    dated: dict[int, Callable[[], str]] = {
        1: lambda: f"{mm}/{dd}/{yy}", 2: lambda: f"{yy}.{mm}.{dd}", 3: lambda: f"{dd}/{mm}/{yy}",
        4: lambda: f"{dd}.{mm}.{yy}", 5: lambda: f"{dd}-{mm}-{yy}", 6: lambda: f"{dd} {mon} {yy}",
        7: lambda: f"{mon} {dd}, {yy}", 10: lambda: f"{mm}-{dd}-{yy}", 11: lambda: f"{yy}/{mm}/{dd}",
        12: lambda: f"{yy}{mm}{dd}",
    }
    key = style - 100 if century else style
    if key in dated:
        return dated[key]()
    raise errors.invalid_datetime_style(style)


def to_text(value: object, src: str, style: int | None) -> str:
    src_kind = K.kind_of_decl(src)
    if isinstance(value, str):
        if src_kind in K.TEMPORAL:
            moment, _ = dates.from_storage(value)
            return _date_text(moment, K.split_decl(src)[0], style)
        if src_kind == K.GUID:
            return value.upper()
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (int, float)):
        if src_kind == K.BIT:
            return "1" if value else "0"
        if style == 1 and K.split_decl(src)[0] in ("money", "smallmoney"):
            return f"{value:,.2f}"
        return _number_text(value, src)
    return str(value)


def to_string_type(value: object, target: Target, src: str, style: int | None) -> str:
    text = to_text(value, src, style)
    if target.length is not None and len(text) > target.length:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if target.base.startswith("n"):
                raise errors.arithmetic_overflow(target.base)
            return "*"
        text = text[: target.length]
    if target.base in ("char", "nchar") and target.length:
        text = text.ljust(target.length)
    return text


# -- to dates, guids, binary ----------------------------------------------------------

def _moment(value: object, target: Target, src: str, style: int | None) -> tuple[datetime, dates.Shape]:
    if isinstance(value, str):
        if K.kind_of_decl(src) in K.TEMPORAL:
            return dates.from_storage(value)
        order = "dmy" if style in _DMY_STYLES else "mdy"
        return dates.parse_sql(value, order=order, target=target.base)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if target.base not in ("datetime", "smalldatetime"):
            raise errors.explicit_conversion(_source_name(src, value), target.base)
        try:
            return dates.to_datetime(value)
        except OverflowError:
            raise errors.arithmetic_overflow(target.base) from None
    raise errors.explicit_conversion(_source_name(src, value), target.base)


def to_temporal(value: object, target: Target, src: str, style: int | None) -> str:
    moment, _ = _moment(value, target, src, style)
    if target.base == "date":
        return dates.fmt_date(moment)
    if target.base == "time":
        return dates.fmt_time(moment)
    if target.base == "datetime":
        return dates.fmt_datetime(dates.round_datetime(moment))
    if target.base == "smalldatetime":
        return dates.fmt_datetime(dates.round_smalldatetime(moment))
    if target.base == "datetimeoffset":
        return dates.fmt_datetime(moment) + "+00:00"
    return dates.fmt_datetime(moment)


def to_guid(value: object, target: Target, src: str) -> str:
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes_le=value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) in (36, 38):
            try:
                return str(uuid.UUID(text.strip("{}")))
            except ValueError:
                pass
        raise errors.guid_from_string()
    raise errors.explicit_conversion(_source_name(src, value), "uniqueidentifier")


def to_binary(value: object, target: Target, src: str) -> bytes:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-16-le" if K.is_unicode(src) else "latin-1", errors="replace")
    elif isinstance(value, int):
        data = value.to_bytes(8 if abs(value) >= 2**31 else 4, "big", signed=True)
    else:
        raise errors.explicit_conversion(_source_name(src, value), target.base)
    if target.length is not None:
        data = data[: target.length]
        if target.base == "binary":
            data = data.ljust(target.length, b"\x00")
    return data


_BY_BASE: dict[str, Callable[..., object]] = {
    **dict.fromkeys(INT_RANGES, lambda v, t, s, st: to_int(v, t, s)),
    **dict.fromkeys(("decimal", "numeric", "money", "smallmoney"), lambda v, t, s, st: to_decimal(v, t, s)),
    **dict.fromkeys(("float", "real"), lambda v, t, s, st: to_float(v, t, s)),
    "bit": lambda v, t, s, st: to_bit(v, t, s),
    **dict.fromkeys(_STRING_TYPES, to_string_type),
    **dict.fromkeys(("date", "time", "datetime", "datetime2", "smalldatetime", "datetimeoffset"), to_temporal),
    "uniqueidentifier": lambda v, t, s, st: to_guid(v, t, s),
    **dict.fromkeys(("binary", "varbinary", "image"), lambda v, t, s, st: to_binary(v, t, s)),
}


@lru_cache(maxsize=256)
def target(spec: str) -> Target:
    parsed = Target(spec)
    if parsed.base not in _BY_BASE:
        raise errors.unsupported(f"conversion to {spec}")
    return parsed


def convert(value: object, spec: str, style: int | None = None, src: str = "", safe: int = 0) -> object:
    """Convert ``value`` to the SQL Server type ``spec``; NULL stays NULL."""
    if value is None:
        return None
    parsed = target(spec)
    try:
        return _BY_BASE[parsed.base](value, parsed, src, style)
    except errors.SqlError as exc:
        if safe and exc.number not in (errors.UNSUPPORTED, 529):
            return None
        raise

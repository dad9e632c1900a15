"""Small random-draw helpers shared by the generator modules."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
T = TypeVar("T")


def weighted(rng: random.Random, pairs: tuple[tuple[T, int], ...]) -> T:
    """One value of (value, weight) pairs."""
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


def slug(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def years_before(d: date, years: int, rng: random.Random) -> date:
    """A date ``years`` full years (plus up to 364 days) before ``d``: an age of exactly ``years``."""
    try:
        anchor = d.replace(year=d.year - years)
    except ValueError:  # 29 February
        anchor = d.replace(year=d.year - years, day=28)
    return anchor - timedelta(days=rng.randrange(365))


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in [start, end] (start when the range is empty)."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(span + 1)) if span > 0 else start


def below_from(rng: random.Random) -> Callable[[int], int]:
    """``below(n)``: a whole number in [0, n) (n > 0), the draw ``rng.randrange(n)`` makes, for less.

    It takes the same bits from ``rng`` as ``randrange(n)``, ``randint(a, b)`` (``a + below(b - a + 1)``) and
    ``choice(seq)`` (``seq[below(len(seq))]``) do, so the stream goes on alike whichever is called: the
    generators' hot loops call it instead of those to cut their overhead.
    """
    bits = rng.getrandbits

    def below(n: int) -> int:
        k = n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    return below

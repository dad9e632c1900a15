"""The one clock every part of the emulator reads time from.

A single class covers both modes of DESIGN.md: time runs at ``speed`` times
wall-clock speed (1.0 = real time, 60.0 = an hour a minute) and a speed of 0
freezes it, which is the virtual clock: it moves only when ``advance`` or
``set`` is called. Switching mode re-anchors the clock so that time never jumps
backwards.

Listeners registered with ``on_change`` run after every explicit move, so the
lifecycle scheduler can perform side effects that became due.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

WallSource = Callable[[], float]

#: Where a virtual clock starts when nothing else is configured: a fixed
#: instant, so that runs are reproducible. It is Monday 5 January 2026, 10:00
#: in Sydney (AEDT), during clinic hours, so the fake appointment book has
#: patients waiting and with the doctor "now".
DEFAULT_EPOCH = datetime(2026, 1, 4, 23, 0, 0, tzinfo=UTC)

#: The range the clock may show. Every instant the emulator derives from now
#: (token expiry, retention, registered schedules, scenario phases, all capped
#: well below a century) then stays far from the year 9999, where Python's
#: datetime ends; a request can never push the shared clock somewhere every
#: later request would fail.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class Clock:
    """Time source: ``now() = anchor + (wall - wall_anchor) * speed``."""

    def __init__(
        self,
        start: datetime | None = None,
        speed: float = 0.0,
        wall: WallSource = time.time,
    ) -> None:
        if speed < 0:
            raise ValueError("clock speed cannot be negative")
        self._wall = wall
        self._lock = threading.Lock()
        self._anchor = in_range(as_utc(start)) if start is not None else datetime.fromtimestamp(wall(), UTC)
        self._wall_anchor = wall()
        self._speed = float(speed)
        self._listeners: list[Callable[[datetime], None]] = []

    @classmethod
    def virtual(cls, start: datetime | None = None) -> Clock:
        """A frozen clock that moves only when told (the default for tests)."""
        return cls(start=start or DEFAULT_EPOCH, speed=0.0)

    @classmethod
    def real(cls, speed: float = 1.0, start: datetime | None = None) -> Clock:
        """Wall-clock time, optionally scaled (``speed=60`` runs an hour a minute)."""
        return cls(start=start, speed=speed)

    # -- reading ---------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._speed == 0.0:
            return self._anchor
        elapsed = (self._wall() - self._wall_anchor) * self._speed
        if elapsed >= _SPAN_SECONDS:  # a fast clock left running for ages stops at the end of the range
            return LATEST
        now = self._anchor + timedelta(seconds=elapsed)
        return now if now <= LATEST else LATEST

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def frozen(self) -> bool:
        return self._speed == 0.0

    # -- moving ----------------------------------------------------------
    def advance(self, delta: timedelta | float) -> datetime:
        """Move time forward by ``delta`` (seconds or a timedelta); never backwards."""
        if not isinstance(delta, timedelta):
            delta = _seconds(delta)
        if delta < timedelta(0):
            raise ValueError("the clock cannot move backwards")
        with self._lock:
            current = self._now_locked()
            if delta > LATEST - current:
                raise ValueError(
                    f"that would move the clock past {format_timestamp(LATEST)}, the latest instant it can show "
                    f"(now {format_timestamp(current)})"
                )
            self._anchor = current + delta
            self._wall_anchor = self._wall()
            now = self._anchor
        self._notify(now)
        return now

    def set(self, instant: datetime, *, backwards: bool = False) -> datetime:
        """Jump to ``instant``: not earlier than now unless ``backwards`` is asked for.

        Listeners hear a forward move only; whoever moves the clock back must
        put its own state right (the emulator forgets every query first).
        """
        instant = in_range(as_utc(instant))
        with self._lock:
            current = self._now_locked()
            if instant < current and not backwards:
                raise ValueError(
                    f"the clock cannot move backwards (now {format_timestamp(current)})"
                )
            self._anchor = instant
            self._wall_anchor = self._wall()
        if instant >= current:
            self._notify(instant)
        return instant

    def wall_now(self) -> datetime:
        """What the wall clock (the clock's time source) says now, whatever the emulator's time."""
        return datetime.fromtimestamp(self._wall(), UTC)

    def set_speed(self, speed: float) -> None:
        """Change the rate; 0 freezes the clock where it stands."""
        if speed < 0:
            raise ValueError("clock speed cannot be negative")
        with self._lock:
            self._anchor = self._now_locked()
            self._wall_anchor = self._wall()
            self._speed = float(speed)

    def freeze(self) -> None:
        self.set_speed(0.0)

    def on_change(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` after each explicit move of the clock."""
        self._listeners.append(listener)

    def _notify(self, now: datetime) -> None:
        for listener in list(self._listeners):
            listener(now)


_SPAN_SECONDS = (LATEST - EARLIEST).total_seconds()


def in_range(instant: datetime) -> datetime:
    """``instant`` if the clock may show it, else a ValueError naming the range."""
    if not EARLIEST <= instant <= LATEST:
        raise ValueError(
            f"{instant.isoformat()} is outside the clock's range "
            f"{format_timestamp(EARLIEST)} to {format_timestamp(LATEST)}"
        )
    return instant


def _seconds(value: float) -> timedelta:
    """``value`` seconds as a timedelta; ValueError (not OverflowError) when out of range."""
    try:
        seconds = float(value)
        if seconds != seconds:  # NaN
            raise ValueError("a duration cannot be NaN")
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"duration out of range: {value!r}") from None


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """Halo's timestamp style: UTC, millisecond precision, ``Z`` suffix."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # This runs for every timestamp of every response; the timestamps of one
    # response share their second, so the "YYYY-MM-DDTHH:MM:SS" part is cached.
    key = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    prefix = _SECOND_PREFIXES.get(key)
    if prefix is None:
        if len(_SECOND_PREFIXES) > 4096:
            _SECOND_PREFIXES.clear()
        prefix = _SECOND_PREFIXES[key] = value.replace(microsecond=0, tzinfo=None).isoformat()
    return f"{prefix}.{value.microsecond // 1000:03d}Z"


_SECOND_PREFIXES: dict[tuple[int, int, int, int, int, int], str] = {}


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 instant (``Z`` or an offset; naive means UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        return as_utc(value)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past datetime's end in UTC
        raise ValueError(f"{text!r} is out of range") from None


def parse_duration(text: str | float | int) -> timedelta:
    """Parse ``90``, ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"500ms"`` or ISO ``PT2H30M``."""
    if isinstance(text, (int, float)):
        return _seconds(text)
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration")
    if raw.upper().startswith("P"):
        return _parse_iso_duration(raw.upper())
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for suffix in ("ms", "s", "m", "h", "d"):
        if raw.lower().endswith(suffix):
            number = raw[: -len(suffix)].strip()
            return _seconds(float(number) * units[suffix])
    return _seconds(float(raw))


def _parse_iso_duration(raw: str) -> timedelta:
    import re

    match = re.fullmatch(
        r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?",
        raw,
    )
    if not match or raw in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {raw!r}")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return _seconds(days * 86400 + hours * 3600 + minutes * 60 + seconds)

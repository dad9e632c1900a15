from datetime import UTC, datetime, timedelta, timezone

import pytest

from mock_halo.clock import Clock, format_timestamp, parse_duration, parse_timestamp

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeWall:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_virtual_clock_is_frozen_until_moved():
    wall = FakeWall()
    clock = Clock(start=START, speed=0.0, wall=wall)
    wall.t += 3600
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.now() == START + timedelta(seconds=90)


def test_clock_never_moves_backwards():
    clock = Clock.virtual(START)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(START - timedelta(seconds=1))
    assert clock.now() == START


def test_scaled_clock_runs_at_its_speed_and_freezes_in_place():
    wall = FakeWall()
    clock = Clock(start=START, speed=60.0, wall=wall)
    wall.t += 10  # ten wall seconds = ten minutes
    assert clock.now() == START + timedelta(minutes=10)
    clock.freeze()
    wall.t += 10
    assert clock.now() == START + timedelta(minutes=10)
    clock.set_speed(1.0)
    wall.t += 5
    assert clock.now() == START + timedelta(minutes=10, seconds=5)


def test_listeners_hear_every_move():
    clock = Clock.virtual(START)
    heard = []
    clock.on_change(heard.append)
    clock.advance(timedelta(minutes=5))
    clock.set(START + timedelta(hours=1))
    assert heard == [START + timedelta(minutes=5), START + timedelta(hours=1)]


def test_timestamps_render_like_halo():
    assert format_timestamp(datetime(2025, 5, 27, 5, 23, 40, 983000, tzinfo=UTC)) == "2025-05-27T05:23:40.983Z"
    assert parse_timestamp("2025-05-27T05:23:40.983Z") == datetime(2025, 5, 27, 5, 23, 40, 983000, tzinfo=UTC)
    assert parse_timestamp("2025-05-27T15:23:40+10:00") == datetime(2025, 5, 27, 5, 23, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("500ms", 0.5), ("PT2H30M", 9000), ("P1DT1S", 86401)],
)
def test_durations_parse(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "abc", "P", "PT", "5 parsecs"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_cached_timestamp_format_equals_the_plain_one(value):
    assert format_timestamp(value) == value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def test_timestamps_in_other_zones_render_in_utc():
    sydney = timezone(timedelta(hours=11))
    assert format_timestamp(datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=sydney)) == "2026-01-04T23:00:00.123Z"


@pytest.mark.parametrize("text", ["-1000000000d", "1e300", "99999999999999d", "P99999999999D", "nan"])
def test_out_of_range_durations_are_value_errors(text):
    with pytest.raises(ValueError):
        Clock.virtual(START).advance(parse_duration(text))


def test_advancing_past_the_calendar_is_a_value_error():
    clock = Clock.virtual(START)
    with pytest.raises(ValueError):
        clock.advance(timedelta(days=999_999_999))
    assert clock.now() == START

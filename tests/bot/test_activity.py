"""A user's usual hours, from the times of their events (best time to reach)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.activity import MIN_EVENTS, active_hours

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def at(days_ago: float, hour: int, minute: int = 0, tz=UTC) -> datetime:
    day = (NOW - timedelta(days=days_ago)).astimezone(tz)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_too_few_events_say_nothing():
    assert active_hours([at(d, 19) for d in range(MIN_EVENTS - 1)], NOW) == []


def test_an_evening_habit_comes_first():
    moments = [at(d, 19, 30) for d in range(1, 8)] + [at(d, 8) for d in range(1, 3)]

    assert active_hours(moments, NOW)[0] == 19


def test_a_recent_habit_outweighs_an_old_one():
    old = [at(120 + d, 8) for d in range(10)]
    recent = [at(d, 21) for d in range(1, 6)]

    assert active_hours(old + recent, NOW)[0] == 21


def test_a_habit_across_the_hour_counts_as_one():
    """Three events at 18:50 and three at 19:10 beat four at 07:00 (an hour on its own would not)."""
    moments = [at(d, 18, 50) for d in (1, 2, 3)] + [at(d, 19, 10) for d in (1, 2, 3)] + [at(d, 7) for d in (1, 2, 3, 4)]

    assert set(active_hours(moments, NOW)[:2]) == {18, 19}


def test_hours_are_utc_whatever_offset_the_events_carry():
    paris_evening = timezone(timedelta(hours=2))
    moments = [at(d, 21, 15, tz=paris_evening) for d in range(1, 7)]

    assert active_hours(moments, NOW) == [19]


def test_only_hours_with_events_are_named():
    assert active_hours([at(d, 6) for d in range(1, 7)], NOW, top=3) == [6]

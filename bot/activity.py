"""Time in a user's signals: how an event fades with age (``decay``, what the taste vector
and the learned categories weigh feedback by), and when a user is usually around: the hours
of the day of their events, recent habits weighing more, so that an email or a push message
can be timed (issue 9, "best time to reach").

Hours are UTC: the engine stores every event in UTC and knows no user's time zone; a sender
of messages converts. An hour's score is its own events plus half of each neighbouring
hour's, so a habit that straddles two hours (18:50 and 19:10) is still seen as one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

HALF_LIFE_DAYS = 30.0  # an event a month old counts half
MIN_EVENTS = 5  # fewer events than this say nothing about a habit
TOP_HOURS = 3
NEIGHBOUR_SHARE = 0.5


def decay(at: datetime, now: datetime, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """1.0 for an event now, 0.5 one half-life ago; future events count as now."""
    age_days = max((now - at).total_seconds(), 0.0) / 86400.0
    return math.pow(0.5, age_days / half_life_days)


def active_hours(moments: Iterable[datetime], now: datetime, top: int = TOP_HOURS) -> list[int]:
    """The user's most active hours of the day (0-23, UTC), most active first; empty with
    fewer than ``MIN_EVENTS`` events."""
    moments = list(moments)
    if len(moments) < MIN_EVENTS:
        return []
    weights = np.zeros(24)
    for moment in moments:
        weights[moment.astimezone(UTC).hour] += decay(moment, now)
    scores = weights + NEIGHBOUR_SHARE * (np.roll(weights, 1) + np.roll(weights, -1))
    ranked = sorted(range(24), key=lambda hour: (-scores[hour], -weights[hour], hour))
    return [hour for hour in ranked if weights[hour] > 0][:top]

"""The analytics page's numbers: conversations a day, and how recommendations are received per
day, per segment and per variant of the running experiment.

A rate is what the experiment reports use (bot/statistics.py): the share of items shown
that the user then clicked, liked or acted on in any way, with a 95% interval that treats the
user as the unit. An item counts on the day it was first shown to that user, in the segment the
user is in now, and in the variant the running experiment deals them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.experiments import ANY_OUTCOME, Experiment
from bot.statistics import GroupResult, UserCounts, summarize, tally
from bot.vocabulary import EventType

RATES = (str(EventType.CLICK), str(EventType.LIKE), ANY_OUTCOME)
NO_SEGMENT = "no taste yet"


@dataclass(frozen=True)
class Analytics:
    since: datetime
    until: datetime
    conversations: dict[str, int]  # UTC day -> users who wrote to the bot that day
    days: tuple[GroupResult, ...]  # every day of the period, oldest first
    segments: tuple[GroupResult, ...]  # biggest first; none before `bot segments build`
    experiment: str | None  # the experiment running at the end of the period
    variants: tuple[GroupResult, ...]


def analytics(
    events: Iterable[tuple[str, str, str, datetime]],
    conversations: Mapping[str, int],
    since: datetime,
    until: datetime,
    segment_of: Callable[[str], str | None] | None = None,
    experiment: Experiment | None = None,
) -> Analytics:
    """The page's numbers from the period's (sender, item, type, time) events, oldest first."""
    events = list(events)
    by_day = _groups(tally(events, group=lambda _sender, at: f"{at:%Y-%m-%d}"))
    days = tuple(summarize(day, by_day.get(day, []), RATES) for day in _days(since, until))
    segments: tuple[GroupResult, ...] = ()
    if segment_of is not None:
        grouped = _groups(tally(events, group=lambda sender, _at: segment_of(sender) or NO_SEGMENT))
        segments = tuple(sorted((summarize(name, users, RATES) for name, users in grouped.items()),
                                key=lambda result: (-result.users, result.name)))
    variants: tuple[GroupResult, ...] = ()
    if experiment is not None:
        during = [event for event in events if experiment.running(event[3])]
        grouped = _groups(tally(during, group=lambda sender, _at: experiment.variant_of(sender).name))
        variants = tuple(summarize(v.name, grouped.get(v.name, []), RATES) for v in experiment.variants)
    return Analytics(since, until, dict(conversations), days, segments,
                     experiment.name if experiment else None, variants)


def _groups(counts: Mapping[tuple[str, str], UserCounts]) -> dict[str, list[UserCounts]]:
    grouped: dict[str, list[UserCounts]] = defaultdict(list)
    for (group, _sender), user in counts.items():
        grouped[group].append(user)
    return grouped


def _days(since: datetime, until: datetime) -> list[str]:
    day, last, found = since.date(), until.date(), []
    while day <= last:
        found.append(day.isoformat())
        day += timedelta(days=1)
    return found

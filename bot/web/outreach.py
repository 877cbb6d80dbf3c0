"""Proactive messages, off by default: once an hour, users who consented and are usually
around at this hour (bot/activity.py) get a turn started for them through Rasa's
``trigger_intent`` (``BOT_OUTREACH_INTENT``, e.g. ``request_recommendations`` for fresh picks),
at most once every ``OUTREACH_GAP`` per user. Each message sent is logged as an ``outreach``
event, which is the bot's doing: it never counts as the user's activity.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.activity import HALF_LIFE_DAYS, active_hours
from bot.store import Store
from bot.vocabulary import BOT_EVENTS, EventType
from bot.web.rasa_api import RasaApi, RasaUnavailable

log = logging.getLogger(__name__)

OUTREACH_GAP = timedelta(hours=20)  # at most one proactive message a day per user
HABIT_WINDOW = timedelta(days=8 * HALF_LIFE_DAYS)  # older events weigh under 0.4% of a new one


def due(store: Store, now: datetime) -> list[str]:
    """Consenting users whose most active hour is ``now``'s and who had no outreach lately,
    from one read of every event of the last ``HABIT_WINDOW`` (one query, not one a user)."""
    consenting = set(store.consenting_senders())
    own: dict[str, list[datetime]] = defaultdict(list)
    reached: dict[str, datetime] = {}
    for sender_id, kind, at in store.event_moments(now - HABIT_WINDOW):
        if sender_id not in consenting:
            continue
        if kind == EventType.OUTREACH:
            reached[sender_id] = max(at, reached.get(sender_id, at))
        elif kind not in BOT_EVENTS:
            own[sender_id].append(at)
    hour = now.astimezone(UTC).hour
    return sorted(
        sender_id for sender_id, moments in own.items()
        if active_hours(moments, now, top=1) == [hour]
        and not (sender_id in reached and now - reached[sender_id] < OUTREACH_GAP)
    )


def reach_out(store: Store, rasa: RasaApi, intent: str, now: datetime | None = None) -> int:
    """Start a turn with ``intent`` for every user due now; how many Rasa accepted. Each one
    is logged only if the user still consents (checked as it is written)."""
    now = now or datetime.now(UTC)
    sent = 0
    for sender_id in due(store, now):
        try:
            rasa.trigger(sender_id, intent)
        except RasaUnavailable as error:
            log.error("could not send the proactive message to %s: %s", sender_id, error)
            continue
        store.add_events(sender_id, [(EventType.OUTREACH, None, None)], channel="outreach", at=now,
                         if_consented=True)
        sent += 1
    return sent


async def reach_out_hourly(store: Callable[[], Store], rasa: RasaApi, intent: str) -> None:
    """Run :func:`reach_out` at the start of every hour for as long as the app runs."""
    while True:
        now = datetime.now(UTC)
        next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        await asyncio.sleep((next_hour - now).total_seconds())
        try:
            sent = await asyncio.to_thread(lambda: reach_out(store(), rasa, intent))
            log.info("proactive messages sent: %d", sent)
        except Exception:
            log.exception("the hourly outreach failed; trying again next hour")

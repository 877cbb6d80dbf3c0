"""When to write first: consenting users whose most active hour of the day (bot/activity.py)
is now, and who had no proactive message within ``OUTREACH_GAP``. The web app's hourly job
(``bot/web/outreach.py``) asks :meth:`bot.records.Records.due_for_outreach` and starts the turns.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bot.activity import HALF_LIFE_DAYS, active_hours
from bot.store import Store
from bot.vocabulary import BOT_EVENTS, EventType

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

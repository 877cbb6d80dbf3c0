"""Proactive messages, off by default: once an hour, users who consented and are usually
around at this hour (``bot/outreach.py`` decides who) get a turn started for them through
Rasa's ``trigger_intent`` (``BOT_OUTREACH_INTENT``, e.g. ``request_recommendations`` for fresh
picks). Each message sent is logged as an ``outreach`` event, which is the bot's doing: it
never counts as the user's activity.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.records import Records
from bot.web.rasa_api import RasaApi, RasaUnavailable

log = logging.getLogger(__name__)


def reach_out(records: Records, rasa: RasaApi, intent: str, now: datetime | None = None) -> int:
    """Start a turn with ``intent`` for every user due now; how many Rasa accepted. Each one
    is logged only if the user still consents (checked as it is written)."""
    now = now or datetime.now(UTC)
    sent = 0
    for sender_id in records.due_for_outreach(now):
        try:
            rasa.trigger(sender_id, intent)
        except RasaUnavailable as error:
            log.error("could not send the proactive message to %s: %s", sender_id, error)
            continue
        records.record_outreach(sender_id, now)
        sent += 1
    return sent


async def reach_out_hourly(records: Callable[[], Records], rasa: RasaApi, intent: str) -> None:
    """Run :func:`reach_out` at the start of every hour for as long as the app runs."""
    while True:
        now = datetime.now(UTC)
        next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        await asyncio.sleep((next_hour - now).total_seconds())
        try:
            sent = await asyncio.to_thread(lambda: reach_out(records(), rasa, intent))
            log.info("proactive messages sent: %d", sent)
        except Exception:
            log.exception("the hourly outreach failed; trying again next hour")

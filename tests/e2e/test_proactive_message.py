"""A proactive message (bot/web/outreach.py) through a real Rasa: at the user's usual hour the
outreach triggers ``request_recommendations`` with Rasa's ``trigger_intent``; fresh picks land in
the user's conversation, it is logged as the bot's doing, and the user gets no second one that day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.records import Records
from bot.store import Store
from bot.vocabulary import EventType
from bot.web.outreach import reach_out
from bot.web.rasa_api import RasaApi

INTENT = "request_recommendations"


def bot_texts(events: list[dict]) -> list[str]:
    return [event.get("text") or "" for event in events if event["event"] == "bot"]


def test_at_the_users_usual_hour_fresh_picks_arrive_once_a_day(services):
    user = "e2e-outreach"
    for text in ("hello", "yes", "sci-fi", "skip", "nothing"):
        services.say(user, text)
    store = Store(services.env["BOT_DATABASE_URL"])
    now = datetime.now(UTC)
    for days in range(1, 8):  # a week of searches at this hour of the day: their habit
        store.add_events(user, [(EventType.SEARCH, None, "Sci-Fi")], channel="site", at=now - timedelta(days=days))
    records = Records(store)
    rasa = RasaApi(services.rasa_url, services.rasa_token)
    before = len(bot_texts(services.tracker_events(user)))

    assert reach_out(records, rasa, INTENT, now) == 1

    events = services.tracker_events(user)
    new = bot_texts(events)[before:]
    assert "Here are some picks for you:" in new
    assert any(e["event"] == "user" and (e.get("text") or "").startswith("EXTERNAL: ") for e in events)
    assert [e.type for e in store.events(user, [EventType.OUTREACH])] == [EventType.OUTREACH]
    assert reach_out(records, rasa, INTENT, now + timedelta(minutes=5)) == 0  # at most one a day

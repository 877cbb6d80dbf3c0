"""Proactive messages at a user's usual hour (who is due: bot.outreach; the messages:
bot.web.outreach), with Rasa's API played by an httpx mock that records every call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fake_rasa import FakeRasa

from bot.outreach import HABIT_WINDOW, due
from bot.records import Records
from bot.vocabulary import EventType
from bot.web.outreach import reach_out
from bot.web.rasa_api import RasaApi

SEVEN_PM = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
INTENT = "request_recommendations"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def records(store) -> Records:
    return Records(store)


@pytest.fixture
def api(rasa) -> RasaApi:
    return RasaApi("http://rasa.test", "rasa-token", transport=httpx.MockTransport(rasa))


def evenings(store, sender_id: str, kind: EventType = EventType.VIEW, hour: int = 19) -> None:
    """Six events at ``hour`` on the six days before SEVEN_PM."""
    for days in range(1, 7):
        store.add_event(sender_id, kind, "jaws-1975", at=SEVEN_PM.replace(hour=hour, minute=20) - timedelta(days=days))


def test_a_consenting_user_is_due_at_their_usual_hour_only(store):
    store.set_consent("eve", True)
    evenings(store, "eve")

    assert due(store, SEVEN_PM) == ["eve"]
    assert due(store, SEVEN_PM - timedelta(hours=1)) == []


def test_no_consent_no_outreach(store):
    evenings(store, "declined")
    store.set_consent("declined", False)
    evenings(store, "never-asked")

    assert due(store, SEVEN_PM) == []


def test_the_bots_own_events_are_no_habit(store):
    store.set_consent("shown", True)
    evenings(store, "shown", kind=EventType.IMPRESSION)

    assert due(store, SEVEN_PM) == []


def test_a_habit_long_gone_is_no_reason_to_write(store):
    store.set_consent("left", True)
    for days in range(1, 7):
        store.add_event("left", EventType.VIEW, "jaws-1975", at=SEVEN_PM - HABIT_WINDOW - timedelta(days=days))
    store.set_consent("stays", True)
    evenings(store, "stays")

    assert due(store, SEVEN_PM) == ["stays"]


def test_reach_out_triggers_the_intent_and_logs_it_once_a_day(store, records, api, rasa):
    store.set_consent("eve", True)
    evenings(store, "eve")

    assert reach_out(records, api, INTENT, SEVEN_PM) == 1
    assert rasa.calls == [("POST", "/conversations/eve/trigger_intent",
                           {"token": "rasa-token", "output_channel": "latest"}, {"name": INTENT})]
    assert [e.type for e in store.events("eve", types=[EventType.OUTREACH])] == [EventType.OUTREACH]

    assert reach_out(records, api, INTENT, SEVEN_PM + timedelta(minutes=30)) == 0  # once is enough today
    assert reach_out(records, api, INTENT, SEVEN_PM + timedelta(days=1)) == 1
    assert len(rasa.calls) == 2


def test_a_message_rasa_refused_is_not_logged_and_is_tried_again(store, records, api, rasa):
    store.set_consent("eve", True)
    evenings(store, "eve")
    rasa.status = 500

    assert reach_out(records, api, INTENT, SEVEN_PM) == 0
    assert store.events("eve", types=[EventType.OUTREACH]) == []

    rasa.status = 200
    assert reach_out(records, api, INTENT, SEVEN_PM + timedelta(minutes=5)) == 1


def test_consenting_senders_follow_the_newest_decision(store):
    store.set_consent("a", True)
    store.set_consent("b", True)
    store.set_consent("b", False)
    store.set_consent("c", False)
    store.set_consent("c", True)

    assert store.consenting_senders() == ["a", "c"]

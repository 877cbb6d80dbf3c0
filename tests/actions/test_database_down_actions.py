"""What the user reads while the engine's PostgreSQL is unreachable (tests/db_outage.py),
and that their feedback from then is there once it is back."""

from __future__ import annotations

import pytest
from db_outage import postgres_behind_proxy
from dispatched import message

from actions.actions import MORE_BUTTON, PROFILE_UNAVAILABLE, ActionFeedback, ActionGreet, ActionRecommend
from actions.privacy import ActionShowProfile
from actions.runtime import MEMORY_UNAVAILABLE, use_engine
from bot.engine import Engine
from bot.outbox import Outbox
from bot.store import Store
from bot.vocabulary import EventType


@pytest.fixture
def proxy(postgres_url, catalog, index, encoder, tmp_path):
    """The actions' engine on PostgreSQL behind a proxy (``proxy.store``: that database);
    alice consented before it goes down."""
    with postgres_behind_proxy(postgres_url) as proxy:
        proxy.store = Store(proxy.url)
        engine = Engine(catalog, index, encoder, proxy.store, outbox=Outbox(tmp_path / "outbox"))
        engine.set_consent("alice", True)
        use_engine(engine)
        yield proxy
        proxy.store.engine.dispose()


def test_feedback_is_noted_and_stored_once_the_database_is_back(run, tracker, proxy):
    proxy.cut()
    events, messages = run(ActionFeedback(), tracker("dislike_button"))
    assert events == []
    assert messages == [message(
        "Got it, I won't suggest Alien (1979) again. (My memory is offline for a moment; "
        "I'll take it into account as soon as it's back.)", buttons=[MORE_BUTTON])]

    proxy.restore()
    _, messages = run(ActionRecommend(), tracker("recommend_scifi"))
    assert [(e.type, e.item_id) for e in proxy.store.events("alice", types=[EventType.DISLIKE])] == [
        (EventType.DISLIKE, "alien-1979")
    ]
    assert PROFILE_UNAVAILABLE not in [m["text"] for m in messages]


def test_picks_say_they_are_not_personal(run, tracker, proxy):
    proxy.cut()
    events, messages = run(ActionRecommend(), tracker("recommend_scifi"))
    assert [m["text"] for m in messages[:2]] == [PROFILE_UNAVAILABLE, "Here are some Sci-Fi picks for you:"]
    assert len(messages) == 2 + 5
    assert events[0]["name"] == "last_recommendations" and len(events[0]["value"]) == 5


def test_a_greeting_still_greets(run, tracker, proxy):
    proxy.cut()
    events, messages = run(ActionGreet(), tracker("greet"))
    assert events == []
    assert messages == [message(
        "Hi! My memory is offline for a moment, so I can't tell whether we've met. "
        "I can still show you popular picks.",
        buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}])]


def test_what_needs_the_database_says_so(run, tracker, proxy):
    proxy.cut()
    assert run(ActionShowProfile(), tracker("greet")) == ([], [message(MEMORY_UNAVAILABLE)])

"""A visitor who chatted anonymously signs in (Store.link_sender, Privacy): one profile from then
on, under the consent rules of docs/privacy.md, and export and erasure of the user cover the
visitor's id and conversation. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fake_conversations import Conversations

from bot.privacy import Privacy
from bot.store import Store
from bot.vocabulary import EventType, HandoffStatus, PreferenceKind

VISITOR = "web-0f8fad5b-d9cb-469f-a165-70867728950e"
USER = "shop-user-42"


@pytest.fixture
def links(database_url) -> Store:
    store = Store(database_url)
    yield store
    store.engine.dispose()


def visited(store: Store, *, consents: bool | None) -> None:
    """The visitor chatted anonymously: a decision, and (with consent) a like and a taste."""
    if consents is not None:
        store.set_consent(VISITOR, consents, channel="socketio")
    store.add_event(VISITOR, EventType.LIKE, "alien-1979", channel="socketio")
    store.add_preferences(VISITOR, {PreferenceKind.CATEGORY: ["Sci-Fi", "Drama"]})


def test_a_consenting_visitor_becomes_the_user_who_had_not_decided(links):
    visited(links, consents=True)
    links.add_event(USER, EventType.VIEW, "heat-1995", channel="site")

    linked = links.link_sender(VISITOR, USER, kind="anonymous")

    assert (linked.events, linked.preferences, linked.consent) == (1, 2, True)
    assert [c.granted for c in links.consents(USER)] == [True]
    assert {e.item_id for e in links.events(USER)} == {"alien-1979", "heat-1995"}
    assert links.preferences(USER)[PreferenceKind.CATEGORY] == ["Sci-Fi", "Drama"]
    assert links.export(VISITOR) is None and links.events(VISITOR) == []
    assert links.linked_ids(USER) == [VISITOR]


def test_the_users_own_no_stands_and_the_visitors_data_goes(links):
    links.set_consent(USER, False, channel="site")
    visited(links, consents=True)

    linked = links.link_sender(VISITOR, USER, kind="anonymous")

    assert (linked.events, linked.preferences, linked.consent) == (0, 0, False)
    assert [c.granted for c in links.consents(USER)] == [False]
    assert links.events(USER) == [] and links.events(VISITOR) == [] and links.user(VISITOR) is None


def test_a_visitor_who_never_consented_brings_nothing(links):
    links.set_consent(USER, True, channel="site")
    links.add_event(USER, EventType.PURCHASE, "heat-1995", channel="site")
    visited(links, consents=None)  # without consent nothing of the visitor was stored

    linked = links.link_sender(VISITOR, USER, kind="anonymous")

    assert (linked.events, linked.consent) == (0, True)
    assert [e.item_id for e in links.events(USER)] == ["heat-1995"]


def test_preferences_both_hold_are_kept_once(links):
    links.set_consent(USER, True)
    links.add_preferences(USER, {PreferenceKind.CATEGORY: ["Sci-Fi"]})
    visited(links, consents=True)

    assert links.link_sender(VISITOR, USER, kind="anonymous").preferences == 1
    assert sorted(links.preferences(USER)[PreferenceKind.CATEGORY]) == ["Drama", "Sci-Fi"]


def test_an_id_is_not_linked_to_itself(links):
    with pytest.raises(ValueError):
        links.link_sender(USER, USER, kind="anonymous")


def test_export_and_erasure_of_the_user_cover_the_visitors_conversation(links):
    visited(links, consents=True)
    links.link_sender(VISITOR, USER, kind="anonymous")
    conversations = Conversations(**{VISITOR: [{"said": "hi"}, {"bot": "hello"}], USER: [{"said": "again"}]})
    privacy = Privacy(links, conversations)

    exported = privacy.export(USER)
    assert exported["linked_ids"] == [VISITOR]
    assert exported["conversation"] == [{"said": "hi"}, {"bot": "hello"}, {"said": "again"}]

    assert privacy.erase(USER) == {"engine": 1, "conversation_events": 3}
    assert conversations.turns == {} and links.linked_ids(USER) == [] and links.export(USER) is None


def test_a_visitor_waiting_for_a_person_keeps_the_request_and_erasure_takes_it(links):
    visited(links, consents=True)
    links.open_handoff(VISITOR, "socketio", "asked for a person")

    links.link_sender(VISITOR, USER, kind="anonymous")

    assert [h.sender_id for h in links.handoffs(HandoffStatus)] == [VISITOR]  # the agent still answers it
    assert links.events(VISITOR) == [] and links.consents(VISITOR) == []
    assert links.erase(USER) is True
    assert links.handoffs(HandoffStatus) == [] and links.user(VISITOR) is None

"""The human handoff queue (bot.handoff) and the brief an agent reads (Engine.handoff_brief)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.conversations import ConversationStore
from bot.engine import Engine
from bot.handoff import HandoffDesk
from bot.vocabulary import EventType, HandoffConflict, HandoffReason, HandoffStatus, utcnow

T0 = 1_700_000_000.0


@pytest.fixture
def desk(any_store) -> HandoffDesk:
    return HandoffDesk(any_store)


def test_a_request_queues_the_conversation_once(desk):
    first, created = desk.request("alice", "socketio", HandoffReason.ASKED)
    again, created_again = desk.request("alice", "socketio", HandoffReason.NOT_UNDERSTOOD)

    assert (created, created_again) == (True, False)
    assert again == first
    assert first.status == HandoffStatus.WAITING and first.agent is None
    assert first.reason == "asked for a person" and first.requested_at.tzinfo is not None
    assert [h.sender_id for h in desk.open()] == ["alice"]
    assert desk.open_for("alice") == first and desk.open_for("bob") is None


def test_the_queue_is_oldest_first_and_leaves_out_closed_handoffs(desk):
    alice, _ = desk.request("alice", "socketio", HandoffReason.ASKED)
    bob, _ = desk.request("bob", "telegram", HandoffReason.SUPPORT_REQUEST)
    carol, _ = desk.request("carol", "slack", HandoffReason.ASKED)
    desk.take(bob.id, "anna")
    desk.close(carol.id, "anna")

    assert [(h.sender_id, h.status) for h in desk.open()] == [
        ("alice", HandoffStatus.WAITING), ("bob", HandoffStatus.ACTIVE),
    ]


def test_one_agent_takes_a_conversation_and_another_cannot(desk):
    handoff, _ = desk.request("alice", "socketio", HandoffReason.ASKED)

    taken = desk.take(handoff.id, "anna")
    assert (taken.status, taken.agent) == (HandoffStatus.ACTIVE, "anna") and taken.claimed_at is not None
    assert desk.take(handoff.id, "anna") == taken  # taking one's own again is harmless
    with pytest.raises(HandoffConflict, match="anna is already talking"):
        desk.take(handoff.id, "ben")
    with pytest.raises(HandoffConflict, match="anna is talking"):
        desk.close(handoff.id, "ben")


def test_handing_back_closes_it_and_the_user_may_ask_again(desk):
    handoff, _ = desk.request("alice", "socketio", HandoffReason.ASKED)
    desk.take(handoff.id, "anna")

    closed = desk.close(handoff.id, "anna")

    assert (closed.status, closed.agent) == (HandoffStatus.CLOSED, "anna") and closed.closed_at is not None
    assert desk.open() == [] and desk.open_for("alice") is None
    with pytest.raises(HandoffConflict, match="already back with the bot"):
        desk.take(handoff.id, "anna")
    again, created = desk.request("alice", "socketio", HandoffReason.ASKED)
    assert created and again.id != handoff.id


def test_a_waiting_conversation_can_be_handed_back_without_taking_it(desk):
    handoff, _ = desk.request("alice", "socketio", HandoffReason.ASKED)
    assert desk.close(handoff.id, "ben").status == HandoffStatus.CLOSED


def test_unknown_handoffs_are_key_errors(desk):
    with pytest.raises(KeyError):
        desk.take(404, "anna")
    assert desk.get(404) is None


def test_only_channels_that_take_pushed_messages_are_reachable(desk):
    web, _ = desk.request("w", "socketio", HandoffReason.ASKED)
    rest, _ = desk.request("r", "rest", HandoffReason.ASKED)
    assert web.reachable and not rest.reachable


def test_handoffs_are_exported_erased_and_purged_once_closed_long_ago(any_store, desk):
    handoff, _ = desk.request("alice", "telegram", HandoffReason.SUPPORT_REQUEST)
    desk.take(handoff.id, "anna")
    desk.request("bob", "socketio", HandoffReason.ASKED)

    exported = any_store.export("alice")["handoffs"]
    assert [(h["reason"], h["channel"], h["status"], h["agent"]) for h in exported] == [
        ("support request", "telegram", "active", "anna")
    ]
    assert any_store.purge(utcnow() + timedelta(days=1))["handoffs"] == 0  # open ones stay

    desk.close(handoff.id, "anna")
    assert any_store.purge(utcnow() - timedelta(days=1))["handoffs"] == 0  # closed just now
    assert any_store.purge(utcnow() + timedelta(days=1))["handoffs"] == 1
    assert any_store.erase("bob") is True
    assert desk.open() == []


@pytest.fixture
def engine_with_tracker(catalog, index, encoder, store, tmp_path, make_tracker_db):
    tracker_db = make_tracker_db(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    conversations = ConversationStore(str(tracker_db.engine.url))
    yield Engine(catalog, index, encoder, store, conversations=conversations), tracker_db
    conversations.engine.dispose()


def test_the_brief_shows_tastes_picks_feedback_and_the_last_turns(engine_with_tracker):
    engine, tracker_db = engine_with_tracker
    engine.set_consent("alice", True, channel="socketio")
    engine.save_preferences("alice", categories=["Sci-Fi"], loved_items=[], avoid_categories=[])
    shown = engine.recommend("alice", n=3, channel="socketio")
    engine.record_event("alice", EventType.DISLIKE, shown[0].item.id, channel="socketio")
    tracker_db.user("alice", "sci-fi please", "inform", T0, channel="socketio")
    tracker_db.user("alice", "talk to a human", "request_human", T0 + 1, channel="socketio")
    tracker_db.bot("alice", "I'm passing you to a person from our team.", T0 + 2)
    tracker_db.add("alice", {"event": "bot", "timestamp": T0 + 3, "text": "anna (support): Hi, Anna here!",
                             "metadata": {"agent": "anna"}})
    tracker_db.add("alice", {"event": "user", "timestamp": T0 + 4, "text": "EXTERNAL: handed_back",
                             "parse_data": {"intent": {"name": "handed_back"}}})
    tracker_db.user("bob", "hello", "greet", T0)
    handoff, _ = engine.request_handoff("alice", "socketio", HandoffReason.ASKED)

    brief = engine.handoff_brief(handoff.id)

    assert brief.handoff == handoff
    assert brief.profile.categories == ["Sci-Fi"] and brief.profile.consent is True
    assert [r["item_id"] for r in brief.recent_recommendations] == [r.item.id for r in shown][::-1]
    assert brief.recent_recommendations[0]["title"] == shown[-1].item.label
    assert [(f["type"], f["item_id"]) for f in brief.recent_feedback] == [("dislike", shown[0].item.id)]
    assert [(t["from"], t["text"]) for t in brief.transcript] == [
        ("user", "sci-fi please"), ("user", "talk to a human"),
        ("bot", "I'm passing you to a person from our team."), ("agent", "anna (support): Hi, Anna here!"),
    ]
    assert brief.transcript[-1]["agent"] == "anna"
    assert engine.handoff_brief(handoff.id, turns=1).transcript == brief.transcript[-1:]
    assert engine.handoff_brief(404) is None


def test_a_user_without_consent_can_still_reach_a_person_but_the_brief_has_no_tastes(engine):
    engine.recommend("stranger", n=3, channel="socketio")
    handoff, created = engine.request_handoff("stranger", "socketio", HandoffReason.ASKED)

    brief = engine.handoff_brief(handoff.id)

    assert created
    assert brief.profile.consent is None and not brief.profile.has_taste
    assert brief.recent_recommendations == [] and brief.recent_feedback == []
    assert engine.erase("stranger")["engine"] == 1
    assert engine.open_handoff_of("stranger") is None


def test_handoff_is_available_only_with_agents_configured(engine, settings, catalog, index, encoder, store):
    import dataclasses

    assert engine.handoff_available is False
    with_agents = dataclasses.replace(settings, agent_tokens={"anna": "x" * 16})
    assert Engine(catalog, index, encoder, store, settings=with_agents).handoff_available is True


def test_waiting_handoffs_expire_after_the_timeout_but_taken_ones_do_not(desk):
    old, _ = desk.request("old", "socketio", HandoffReason.ASKED)
    taken, _ = desk.request("taken", "socketio", HandoffReason.ASKED)
    desk.take(taken.id, "anna")
    cutoff = utcnow()
    fresh, _ = desk.request("fresh", "socketio", HandoffReason.ASKED)

    expired = desk.expire_waiting(cutoff)

    assert [(h.sender_id, h.status, h.agent) for h in expired] == [("old", HandoffStatus.CLOSED, None)]
    assert desk.expire_waiting(cutoff) == []  # a second sweeper finds nothing left
    assert [h.sender_id for h in desk.open()] == ["taken", "fresh"]

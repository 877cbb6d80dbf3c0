"""Consent and users' rights at the engine: nothing is remembered without a yes; export,
one-time export links, erasure and retention cover the engine database and Rasa's tracker store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT, Settings
from bot.conversations import ConversationStore
from bot.engine import Engine
from bot.records import Records
from bot.results import UnknownItem
from bot.schema import Consent, Event, ExportToken, HandoffRequest, Preference, User
from bot.store import Store
from bot.vocabulary import EventType, PreferenceKind, Recorded, utcnow

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20+00:00


def rows(store: Store) -> dict[str, int]:
    """How many rows each engine table holds (over all users)."""
    with store.transaction() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (User, Preference, Event, Consent, ExportToken, HandoffRequest)
        }


EMPTY = {"users": 0, "preferences": 0, "events": 0, "consents": 0, "export_tokens": 0, "handoffs": 0}


def ids(recommendations) -> list[str]:
    return [r.item.id for r in recommendations]


# --- Rasa's tracker store ---------------------------------------------------------------------


@pytest.fixture
def tracker_db(tmp_path, make_tracker_db):
    """Rasa's tracker store: a SQLite file next to the engine's own database."""
    return make_tracker_db(f"sqlite:///{tmp_path / 'tracker.sqlite3'}")


@pytest.fixture
def engine_with_tracker(catalog, index, encoder, store, tracker_db):
    """The engine with Rasa's tracker store next to its own database."""
    conversations = ConversationStore(str(tracker_db.engine.url))
    yield Engine(catalog, index, encoder, store, conversations=conversations)
    conversations.engine.dispose()


# --- no answer, no memory ---------------------------------------------------------------------


def test_a_user_who_never_answered_gets_picks_but_nothing_is_stored(engine, store):
    recommendations = engine.recommend("stranger", n=5, category="Comedy")

    assert len(recommendations) == 5
    assert all("Comedy" in r.item.categories for r in recommendations)
    assert engine.consent("stranger") is None
    assert engine.personalizes("stranger") is False
    assert rows(store) == EMPTY  # no user row, no impressions
    assert engine.export("stranger") is None
    summary = engine.summary("stranger")
    assert (summary.known, summary.consent, summary.liked, summary.learned_categories) == (False, None, [], [])


def test_without_consent_feedback_is_not_stored(engine, store):
    assert engine.record_event("stranger", EventType.LIKE, "jaws-1975") is Recorded.NO_CONSENT
    assert engine.record_event("stranger", "dislike", "alien-1979") is Recorded.NO_CONSENT
    assert rows(store) == EMPTY

    engine.set_consent("refuser", False)
    assert engine.record_event("refuser", EventType.LIKE, "jaws-1975") is Recorded.NO_CONSENT
    assert store.events("refuser") == []
    assert rows(store) == {**EMPTY, "users": 1, "consents": 1}


def test_without_consent_an_unknown_item_is_still_an_error(engine, store):
    with pytest.raises(UnknownItem):
        engine.record_event("stranger", EventType.LIKE, "no-such-film")
    assert rows(store) == EMPTY


def test_without_consent_questionnaire_answers_are_not_stored(engine, store):
    assert engine.save_preferences("stranger", ["Sci-Fi"], ["alien-1979"], ["Horror"]) is False

    assert rows(store) == EMPTY
    assert engine.summary("stranger").onboarded is False
    assert engine.profile("stranger").categories == ()


# --- with consent ------------------------------------------------------------------------------


def test_with_consent_feedback_is_stored_and_shapes_the_next_list(engine, remember, store):
    remember("alice")
    first = engine.recommend("alice", n=5)
    assert len(first) == 5
    impressions = [e.item_id for e in store.events("alice", types=[EventType.IMPRESSION])]
    assert sorted(impressions) == sorted(ids(first))

    liked = first[0].item.id
    assert engine.record_event("alice", EventType.LIKE, liked, channel="rest") is Recorded.STORED

    likes = store.events("alice", types=[EventType.LIKE])
    assert [(e.type, e.item_id, e.channel) for e in likes] == [("like", liked, "rest")]
    after = engine.recommend("alice", n=5)
    assert len(after) == 5
    assert liked not in ids(after)
    assert engine.summary("alice").liked == [engine.item(liked).label]


def test_with_consent_questionnaire_answers_are_stored(engine, remember):
    remember("alice")

    assert engine.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], ["Horror"]) is True

    summary = engine.summary("alice")
    assert (summary.onboarded, summary.consent, summary.categories, summary.loved, summary.avoid_categories) == (
        True, True, ["Sci-Fi"], ["Alien (1979)"], ["Horror"]
    )


def test_withdrawing_deletes_what_was_learned_and_depersonalizes(engine, remember, store):
    remember("alice")
    engine.save_preferences("alice", ["Horror"], ["alien-1979"], ["Comedy"])
    engine.record_event("alice", EventType.LIKE, "the-thing-1982")
    personal = ids(engine.recommend("alice", n=5))
    assert personal != ids(engine.recommend("stranger", n=5))  # the profile did shape the picks

    engine.set_consent("alice", False, channel="slack")

    assert engine.consent("alice") is False
    assert engine.personalizes("alice") is False
    assert store.events("alice") == []
    assert store.preferences("alice") == {kind: [] for kind in PreferenceKind}
    summary = engine.summary("alice")
    assert (summary.consent, summary.onboarded, summary.categories, summary.loved, summary.liked,
            summary.avoid_categories, summary.learned_categories) == (False, False, [], [], [], [], [])
    assert ids(engine.recommend("alice", n=5)) == ids(engine.recommend("stranger", n=5))
    assert ids(engine.recommend("alice", n=5, category="Drama")) == ids(
        engine.recommend("stranger", n=5, category="Drama"))
    assert store.events("alice") == []  # no impressions logged after withdrawal
    assert engine.record_event("alice", EventType.LIKE, "jaws-1975") is Recorded.NO_CONSENT

    data = engine.export("alice")
    assert [(c["granted"], c["channel"]) for c in data["consent_history"]] == [(True, "unknown"), (False, "slack")]
    assert data["events"] == []
    assert data["preferences"] == {str(kind): [] for kind in PreferenceKind}
    assert data["profile"]["consent"] is False


def test_withdrawing_keeps_other_users_data(engine, remember, store):
    remember("alice", "bob")
    engine.record_event("alice", EventType.LIKE, "jaws-1975")
    engine.record_event("bob", EventType.LIKE, "alien-1979")

    engine.set_consent("alice", False)

    assert [e.item_id for e in store.events("bob")] == ["alien-1979"]
    assert engine.personalizes("bob") is True


def test_consenting_again_starts_from_scratch(engine, remember, store):
    remember("alice")
    engine.record_event("alice", EventType.LIKE, "jaws-1975")
    engine.set_consent("alice", False)
    engine.set_consent("alice", True)

    assert engine.summary("alice").liked == []
    assert engine.record_event("alice", EventType.LIKE, "alien-1979") is Recorded.STORED
    assert [e.item_id for e in store.events("alice")] == ["alien-1979"]
    assert [c["granted"] for c in engine.export("alice")["consent_history"]] == [True, False, True]


def test_exclude_keeps_items_out_of_the_list(engine, remember):
    first = ids(engine.recommend("stranger", n=5))
    second = ids(engine.recommend("stranger", n=5, exclude=first))
    assert len(second) == 5
    assert not set(first) & set(second)

    remember("alice")
    drama = ids(engine.recommend("alice", n=5, category="Drama"))
    more = engine.recommend("alice", n=5, category="Drama", exclude=drama + ["no-such-film"])
    assert len(more) == 5
    assert not set(drama) & set(ids(more))
    assert all("Drama" in r.item.categories for r in more)


def test_learned_categories_come_from_liked_items_strongest_first(engine, remember):
    remember("alice")
    now = utcnow()
    engine.record_event("alice", EventType.LIKE, "the-matrix-1999", at=now)  # Action, Sci-Fi
    engine.record_event("alice", EventType.LIKE, "alien-1979", at=now - timedelta(days=30))  # Horror, Sci-Fi (half)
    engine.record_event("alice", EventType.LIKE, "jaws-1975", at=now - timedelta(days=90))  # Adventure, Thriller
    engine.record_event("alice", EventType.DISLIKE, "toy-story-1995", at=now)  # Animation, Comedy, Family

    summary = engine.summary("alice")

    assert summary.learned_categories == ["Sci-Fi", "Action", "Horror"]
    assert summary.disliked == ["Toy Story (1995)"]


def test_the_summary_has_the_hours_the_user_is_usually_active(engine, remember):
    remember("alice")
    today = utcnow().replace(minute=0, second=0, microsecond=0)
    for days in range(1, 6):
        engine.record_event("alice", EventType.VIEW, "jaws-1975", at=today.replace(hour=21) - timedelta(days=days))
    engine.record_event("alice", EventType.CLICK, "alien-1979", at=today.replace(hour=7) - timedelta(days=1))

    assert engine.summary("alice").active_hours_utc == [21, 7]
    assert engine.summary("bob").active_hours_utc == []  # nothing stored


def test_learned_categories_are_empty_with_only_dislikes(engine, remember):
    remember("alice")
    engine.record_event("alice", EventType.DISLIKE, "toy-story-1995")

    assert engine.summary("alice").learned_categories == []


# --- export ------------------------------------------------------------------------------------


def test_export_includes_the_conversation_from_the_tracker_store(engine_with_tracker, tracker_db, remember):
    engine = engine_with_tracker
    engine.set_consent("alice", True, channel="rest")
    engine.record_event("alice", EventType.LIKE, "jaws-1975", channel="rest")
    tracker_db.action("alice", "action_session_start", T0)
    tracker_db.user("alice", "hi", "greet", T0 + 1)
    tracker_db.user("bob", "hello", "greet", T0 + 1.5)
    tracker_db.bot("alice", "Hi! I'm your movie guide.", T0 + 2)
    tracker_db.bot("bob", "Hi bob!", T0 + 2.5)

    data = engine.export("alice")

    assert data["sender_id"] == "alice"
    assert data["conversation"] == [
        {"from": "user", "at": "2023-11-14T22:13:21+00:00", "text": "hi", "intent": "greet", "channel": "rest"},
        {"from": "bot", "at": "2023-11-14T22:13:22+00:00", "text": "Hi! I'm your movie guide."},
    ]
    assert [(e["type"], e["item_id"]) for e in data["events"]] == [("like", "jaws-1975")]
    assert [(c["granted"], c["channel"]) for c in data["consent_history"]] == [(True, "rest")]
    assert data["profile"]["liked"] == ["Jaws (1975)"]
    assert data["profile"]["learned_categories"] == ["Adventure", "Thriller"]
    datetime.fromisoformat(data["exported_at"])
    json.dumps(data)  # ready to be served as JSON


def test_export_of_a_user_known_only_to_rasa_is_the_conversation(engine_with_tracker, tracker_db):
    tracker_db.user("bob", "hello", "greet", T0)
    tracker_db.bot("bob", "Hi bob!", T0 + 1)

    data = engine_with_tracker.export("bob")

    assert data["conversation"] == [
        {"from": "user", "at": "2023-11-14T22:13:20+00:00", "text": "hello", "intent": "greet", "channel": "rest"},
        {"from": "bot", "at": "2023-11-14T22:13:21+00:00", "text": "Hi bob!"},
    ]
    assert (data["sender_id"], data["events"], data["consent_history"]) == ("bob", [], [])
    assert not any(data["preferences"].values())
    assert data["profile"]["known"] is False and data["profile"]["consent"] is None
    assert engine_with_tracker.export("nobody") is None


# --- erasure -----------------------------------------------------------------------------------


def test_erase_deletes_only_that_users_rows_in_both_databases(engine_with_tracker, tracker_db, store):
    engine = engine_with_tracker
    for sender_id in ("alice", "bob"):
        engine.set_consent(sender_id, True)
        engine.record_event(sender_id, EventType.LIKE, "jaws-1975")
    engine.export_link("alice")
    tracker_db.action("alice", "action_session_start", T0)
    tracker_db.user("alice", "hi", "greet", T0 + 1)
    tracker_db.user("bob", "hello", "greet", T0 + 1.5)
    tracker_db.bot("alice", "Hello!", T0 + 2)

    assert engine.erase("alice") == {"engine": 1, "conversation_events": 3}

    assert engine.export("alice") is None
    assert engine.consent("alice") is None
    assert tracker_db.rows() == [("bob", "user", T0 + 1.5)]
    assert rows(store) == {"users": 1, "preferences": 0, "events": 1, "consents": 1, "export_tokens": 0, "handoffs": 0}
    assert engine.export("bob")["conversation"][0]["text"] == "hello"
    assert engine.erase("alice") == {"engine": 0, "conversation_events": 0}


def test_erase_without_a_tracker_store_counts_no_conversation(engine, remember, store):
    remember("alice")

    assert engine.erase("alice") == {"engine": 1, "conversation_events": 0}
    assert rows(store) == EMPTY


# --- export links ------------------------------------------------------------------------------


def test_an_export_link_redeems_exactly_once(engine, remember, store):
    remember("alice")
    engine.record_event("alice", EventType.LIKE, "jaws-1975")

    link = engine.export_link("alice")

    assert link.startswith("http://localhost:8000/export/")
    token = link.removeprefix("http://localhost:8000/export/")
    assert len(token) >= 40 and "/" not in token
    with store.transaction() as session:
        assert session.scalars(select(ExportToken.token_hash)).all() != [token]  # only its hash is kept
    data = engine.redeem_export_token(token)
    assert data["sender_id"] == "alice"
    assert [(e["type"], e["item_id"]) for e in data["events"]] == [("like", "jaws-1975")]
    assert engine.redeem_export_token(token) is None


def test_each_export_link_is_new(engine, remember):
    remember("alice")
    first, second = engine.export_link("alice"), engine.export_link("alice")

    assert first != second
    assert engine.redeem_export_token(second.rsplit("/", 1)[1])["sender_id"] == "alice"
    assert engine.redeem_export_token(first.rsplit("/", 1)[1])["sender_id"] == "alice"


def test_an_expired_or_unknown_export_token_does_not_redeem(engine, remember, store):
    remember("alice")
    expired = Records(store).create_export_token("alice", now=utcnow() - timedelta(hours=1))

    assert engine.redeem_export_token(expired) is None
    assert engine.redeem_export_token("not-a-token") is None


def test_an_export_token_stops_working_after_fifteen_minutes(engine, remember, store):
    remember("alice")
    issued = utcnow()
    token = Records(store).create_export_token("alice", now=issued)

    assert Records(store).redeem_export_token(token, now=issued + timedelta(minutes=16)) is None
    assert Records(store).redeem_export_token(token, now=issued + timedelta(minutes=14)) == "alice"


def test_the_export_link_uses_the_configured_public_url(catalog, index, encoder, store, tmp_path):
    settings = Settings.from_env({
        "BOT_STATE_DIR": str(tmp_path), "BOT_CATALOG": str(DEMO_CATALOG),
        "BOT_PUBLIC_URL": "https://bot.example.org/",
    })
    engine = Engine(catalog, index, encoder, store, settings=settings)
    engine.set_consent("alice", True)

    link = engine.export_link("alice")

    assert link.startswith("https://bot.example.org/export/")
    assert engine.redeem_export_token(link.rsplit("/", 1)[1])["sender_id"] == "alice"


# --- retention ---------------------------------------------------------------------------------


def test_purge_deletes_old_events_and_conversation_turns(engine_with_tracker, tracker_db, store):
    engine = engine_with_tracker
    engine.set_consent("alice", True)
    now = utcnow()
    engine.record_event("alice", EventType.LIKE, "jaws-1975", at=now - timedelta(days=40))
    engine.record_event("alice", EventType.LIKE, "alien-1979", at=now - timedelta(days=20))
    engine.record_event("alice", EventType.DISLIKE, "toy-story-1995", at=now)
    tracker_db.user("alice", "old hi", "greet", (now - timedelta(days=40)).timestamp())
    tracker_db.bot("alice", "old hello", (now - timedelta(days=31)).timestamp())
    recent = (now - timedelta(days=29)).timestamp()
    tracker_db.user("bob", "recent hi", "greet", recent)

    assert engine.purge(30) == {"events": 1, "export_tokens": 0, "handoffs": 0, "conversation_events": 2}

    assert [e.item_id for e in store.events("alice")] == ["toy-story-1995", "alien-1979"]
    assert tracker_db.rows() == [("bob", "user", recent)]
    assert engine.consent("alice") is True  # consent history is no event: kept
    assert engine.purge(30) == {"events": 0, "export_tokens": 0, "handoffs": 0, "conversation_events": 0}


def test_purge_defaults_to_a_year(engine, remember, store):
    remember("alice")
    now = utcnow()
    engine.record_event("alice", EventType.LIKE, "jaws-1975", at=now - timedelta(days=366))
    engine.record_event("alice", EventType.LIKE, "alien-1979", at=now - timedelta(days=364))

    assert engine.purge() == {"events": 1, "export_tokens": 0, "handoffs": 0, "conversation_events": 0}
    assert [e.item_id for e in store.events("alice")] == ["alien-1979"]


def test_purge_deletes_expired_export_tokens(engine, remember, store):
    remember("alice")
    Records(store).create_export_token("alice", now=utcnow() - timedelta(days=2))
    live = engine.export_link("alice").rsplit("/", 1)[1]

    assert engine.purge(1) == {"events": 0, "export_tokens": 1, "handoffs": 0, "conversation_events": 0}
    assert engine.redeem_export_token(live)["sender_id"] == "alice"


def test_learned_categories_come_from_feedback_not_from_the_questionnaire(engine, remember):
    remember("questionnaire-only")
    engine.save_preferences("questionnaire-only", [], ["alien-1979"], [])
    assert engine.summary("questionnaire-only").learned_categories == []
    engine.record_event("questionnaire-only", "like", "jaws-1975")
    assert set(engine.summary("questionnaire-only").learned_categories) == set(engine.item("jaws-1975").categories)


def test_no_export_link_and_no_row_for_a_user_with_no_data(engine, store):
    assert engine.export_link("stranger") is None
    assert store.user("stranger") is None


def test_closed_connections_open_again_on_next_use(engine_with_tracker, tracker_db):
    engine = engine_with_tracker
    engine.set_consent("alice", True)
    tracker_db.user("alice", "hi", "greet", T0)

    engine.close()

    assert engine.consent("alice") is True
    assert engine.export("alice")["conversation"][0]["text"] == "hi"

"""The SQLAlchemy store, on SQLite and on PostgreSQL (``any_store`` runs each test twice)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.schema import Base
from bot.store import Store
from bot.vocabulary import EventType, PreferenceKind, utcnow

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def row_counts(store: Store, sender_id: str) -> dict[str, int]:
    """Rows about one user in every table that has a sender_id column."""
    counts = {}
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "sender_id" in table.c:
                query = select(func.count()).select_from(table).where(table.c.sender_id == sender_id)
                counts[table.name] = connection.execute(query).scalar_one()
    return counts


def fill(store: Store, sender_id: str) -> None:
    """A user with preferences, a couple of events, a consent, an export link, a handoff, the
    anonymous id they chatted under before signing in and a code to link a chat."""
    store.link_sender(f"web-{uuid.uuid5(uuid.NAMESPACE_URL, sender_id)}", sender_id, kind="anonymous")
    store.set_preferences(
        sender_id,
        {PreferenceKind.CATEGORY: ["Sci-Fi"], PreferenceKind.ITEM: ["alien-1979"]},
    )
    store.add_events(
        sender_id, [(EventType.LIKE, "jaws-1975", None), (EventType.IMPRESSION, "heat-1995", "Crime")]
    )
    store.set_consent(sender_id, True, channel="rest")
    store.add_export_token(sender_id, f"hash-of-{sender_id}", utcnow() + timedelta(minutes=5))
    store.open_handoff(sender_id, "socketio", "asked for a person")
    store.set_link_code(sender_id, f"code-hash-of-{sender_id}", utcnow() + timedelta(minutes=10))


def test_unknown_user_has_nothing_stored(any_store):
    assert any_store.user("nobody") is None
    assert any_store.events("nobody") == []
    assert any_store.preferences("nobody") == {kind: [] for kind in PreferenceKind}
    assert any_store.export("nobody") is None
    assert any_store.erase("nobody") is False


def test_add_event_creates_the_user_and_stores_every_field(any_store):
    any_store.add_event("u", EventType.LIKE, "jaws-1975", category="Thriller", channel="web", at=T0)

    assert any_store.user("u") is not None
    assert any_store.user("u").onboarded_at is None
    [event] = any_store.events("u")
    assert (event.type, event.item_id, event.category, event.channel) == (
        "like",
        "jaws-1975",
        "Thriller",
        "web",
    )
    assert event.created_at == T0


def test_add_events_stores_a_batch_with_one_timestamp(any_store):
    any_store.add_events(
        "u",
        [(EventType.IMPRESSION, f"item-{n}", None) for n in range(3)] + [(EventType.SEARCH, None, "Drama")],
        channel="cli",
        at=T0,
    )

    events = any_store.events("u")
    assert [e.item_id for e in events] == [None, "item-2", "item-1", "item-0"]  # newest (last) first
    assert {e.created_at for e in events} == {T0}
    assert {e.channel for e in events} == {"cli"}


def test_events_are_newest_first_with_utc_aware_datetimes(any_store):
    for days_ago, item_id in [(1, "middle"), (0, "newest"), (2, "oldest")]:
        any_store.add_event("u", EventType.CLICK, item_id, at=T0 - timedelta(days=days_ago))

    events = any_store.events("u")

    assert [e.item_id for e in events] == ["newest", "middle", "oldest"]
    assert [e.created_at for e in events] == [T0, T0 - timedelta(days=1), T0 - timedelta(days=2)]
    assert all(e.created_at.utcoffset() == timedelta(0) for e in events)


def test_events_default_to_now(any_store):
    before = datetime.now(UTC)
    any_store.add_event("u", EventType.CLICK, "x")
    after = datetime.now(UTC)

    assert before - timedelta(seconds=1) <= any_store.events("u")[0].created_at <= after + timedelta(seconds=1)


def test_events_limit_keeps_the_newest(any_store):
    for n in range(5):
        any_store.add_event("u", EventType.CLICK, f"i{n}", at=T0 + timedelta(minutes=n))

    assert [e.item_id for e in any_store.events("u", limit=2)] == ["i4", "i3"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_event_time_with_another_utc_offset_keeps_the_same_instant(request, backend):
    store = Store(request.getfixturevalue(f"{backend}_url"))
    at = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    store.add_event("u", EventType.LIKE, "jaws-1975", at=at)

    assert store.events("u")[0].created_at == at  # == 10:00 UTC
    store.engine.dispose()


def test_set_preferences_stores_answers_and_marks_the_user_onboarded(any_store):
    any_store.set_preferences(
        "u",
        {
            PreferenceKind.CATEGORY: ["Sci-Fi", "Horror", "Sci-Fi"],
            PreferenceKind.AVOID_CATEGORY: ["Romance"],
            PreferenceKind.ITEM: ["alien-1979"],
        },
    )

    assert any_store.preferences("u") == {
        PreferenceKind.CATEGORY: ["Sci-Fi", "Horror"],
        PreferenceKind.AVOID_CATEGORY: ["Romance"],
        PreferenceKind.ITEM: ["alien-1979"],
        PreferenceKind.INTEREST: [],
        PreferenceKind.AVOID_INTEREST: [],
    }
    assert any_store.user("u").onboarded_at is not None


def test_add_preferences_keeps_the_others_and_needs_consent(any_store):
    assert not any_store.add_preferences("u", {PreferenceKind.AVOID_CATEGORY: ["Musical"]})  # no consent: nothing
    assert any_store.preferences("u")[PreferenceKind.AVOID_CATEGORY] == []
    any_store.set_consent("u", True, channel="rest")
    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Comedy"], PreferenceKind.AVOID_CATEGORY: ["Horror"]})

    assert any_store.add_preferences("u", {PreferenceKind.AVOID_CATEGORY: ["Musical", "Horror"],
                                           PreferenceKind.AVOID_INTEREST: ["glass", "glass"]})

    stored = any_store.preferences("u")
    assert stored[PreferenceKind.CATEGORY] == ["Comedy"]
    assert stored[PreferenceKind.AVOID_CATEGORY] == ["Horror", "Musical"]
    assert stored[PreferenceKind.AVOID_INTEREST] == ["glass"]


def test_set_preferences_replaces_previous_answers(any_store):
    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Sci-Fi"], PreferenceKind.ITEM: ["alien-1979"]})

    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Comedy"]})

    assert any_store.preferences("u") == {
        PreferenceKind.CATEGORY: ["Comedy"],
        PreferenceKind.AVOID_CATEGORY: [],
        PreferenceKind.ITEM: [],
        PreferenceKind.INTEREST: [],
        PreferenceKind.AVOID_INTEREST: [],
    }
    assert row_counts(any_store, "u")["preferences"] == 1


def test_set_preferences_keeps_the_users_events(any_store):
    any_store.add_event("u", EventType.LIKE, "jaws-1975")

    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Comedy"]})

    assert [e.item_id for e in any_store.events("u")] == ["jaws-1975"]


def test_item_popularity_weights_feedback_across_users(any_store):
    any_store.add_events("a", [(EventType.LIKE, "liked", None), (EventType.PURCHASE, "bought", None)])
    any_store.add_events("b", [(EventType.LIKE, "liked", None), (EventType.CLICK, "clicked", None)])
    any_store.add_events(
        "c",
        [
            (EventType.DISLIKE, "disliked", None),
            (EventType.NOT_INTERESTED, "skipped", None),
            (EventType.IMPRESSION, "shown", None),
            (EventType.SEARCH, None, "Drama"),
            (EventType.DISLIKE, "liked", None),
        ],
    )

    assert dict(any_store.item_popularity()) == {
        "liked": 1 + 1 - 1,
        "bought": 2,
        "clicked": 0.5,
        "disliked": -1,
        "skipped": -0.5,
    }


def test_item_popularity_since_ignores_older_events(any_store):
    any_store.add_event("a", EventType.LIKE, "old", at=T0 - timedelta(days=10))
    any_store.add_event("a", EventType.LIKE, "edge", at=T0)
    any_store.add_event("b", EventType.LIKE, "new", at=T0 + timedelta(days=1))

    assert dict(any_store.item_popularity(since=T0)) == {"edge": 1, "new": 1}
    assert set(any_store.item_popularity()) == {"old", "edge", "new"}


def test_export_holds_everything_stored_about_the_user(any_store):
    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Sci-Fi"], PreferenceKind.ITEM: ["alien-1979"]})
    any_store.add_event("u", EventType.LIKE, "jaws-1975", category=None, channel="web", at=T0)
    later = T0 + timedelta(hours=1)
    any_store.add_event("u", EventType.IMPRESSION, "heat-1995", category="Crime", channel="cli", at=later)
    any_store.add_event("someone-else", EventType.LIKE, "not-mine")

    data = any_store.export("u")

    assert data["sender_id"] == "u"
    assert datetime.fromisoformat(data["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(data["onboarded_at"]).tzinfo is not None
    assert data["preferences"] == {
        "category": ["Sci-Fi"], "avoid_category": [], "item": ["alien-1979"], "interest": [], "avoid_interest": []
    }
    assert data["events"] == [  # oldest first
        {"type": "like", "item_id": "jaws-1975", "category": None, "channel": "web", "at": T0.isoformat()},
        {
            "type": "impression",
            "item_id": "heat-1995",
            "category": "Crime",
            "channel": "cli",
            "at": later.isoformat(),
        },
    ]


def test_export_of_a_user_who_never_onboarded(any_store):
    any_store.add_event("u", EventType.CLICK, "x")

    assert any_store.export("u")["onboarded_at"] is None


def test_erase_removes_every_row_of_the_user_and_nothing_else(any_store):
    fill(any_store, "leaving")
    fill(any_store, "staying")
    before = row_counts(any_store, "staying")
    full = {"users": 1, "preferences": 2, "events": 2, "consents": 1, "export_tokens": 1, "handoffs": 1,
            "sender_links": 1, "link_codes": 1}
    assert row_counts(any_store, "leaving") == before == full

    assert any_store.erase("leaving") is True

    assert row_counts(any_store, "leaving") == dict.fromkeys(full, 0)
    assert row_counts(any_store, "staying") == before
    assert any_store.export("leaving") is None
    assert any_store.erase("leaving") is False


def test_data_survives_a_new_store_on_the_same_database(database_url):
    Store(database_url).add_event("u", EventType.LIKE, "jaws-1975")

    reopened = Store(database_url)

    assert [e.item_id for e in reopened.events("u")] == ["jaws-1975"]
    reopened.engine.dispose()


def test_sqlite_store_creates_the_database_directory(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'bot.sqlite3'}")
    store.add_event("u", EventType.CLICK, "x")

    assert (tmp_path / "deep" / "dir" / "bot.sqlite3").exists()


def test_plain_postgresql_url_works(postgres_url):
    assert postgres_url.startswith("postgresql://")

    Store(postgres_url).add_event("u", EventType.CLICK, "x")


def test_consent_decisions_are_kept_in_order(any_store):
    any_store.set_consent("u", True, channel="rest")
    any_store.set_consent("u", False, channel="slack")
    assert [(c.granted, c.channel) for c in any_store.consents("u")] == [(True, "rest"), (False, "slack")]
    assert [c["granted"] for c in any_store.export("u")["consent_history"]] == [True, False]


def test_withdrawing_consent_deletes_what_was_learned_but_not_other_users_data(any_store):
    fill(any_store, "leaving")
    fill(any_store, "staying")
    any_store.set_consent("leaving", False)
    assert row_counts(any_store, "leaving") == {
        "users": 1, "preferences": 0, "events": 0, "consents": 2, "export_tokens": 1,
        "handoffs": 1,  # a request for a person is support, not personalization: it stays
        "sender_links": 1,  # so is the link to their earlier conversation, which erasure must find
        "link_codes": 1,  # a code to link a chat is no tastes
    }
    assert any_store.user("leaving").onboarded_at is None
    assert row_counts(any_store, "staying")["events"] == 2


def test_an_export_token_works_once_and_only_before_it_expires(any_store):
    now = utcnow()
    any_store.add_export_token("u", "fresh", now + timedelta(minutes=15))
    any_store.add_export_token("u", "stale", now - timedelta(seconds=1))
    assert any_store.redeem_export_token("fresh", now) == "u"
    assert any_store.redeem_export_token("fresh", now) is None  # used up
    assert any_store.redeem_export_token("stale", now) is None  # expired
    assert any_store.redeem_export_token("never-issued", now) is None


def test_purge_deletes_only_events_older_than_the_cutoff(any_store):
    now = utcnow()
    any_store.add_event("u", EventType.LIKE, "old-film", at=now - timedelta(days=400))
    any_store.add_event("u", EventType.LIKE, "new-film", at=now - timedelta(days=10))
    any_store.add_export_token("u", "expired", now - timedelta(days=400))
    assert any_store.purge(now - timedelta(days=365)) == {"events": 1, "export_tokens": 1, "handoffs": 0}
    assert [e.item_id for e in any_store.events("u")] == ["new-film"]


def test_user_records_reads_many_users_in_batches_as_user_record_reads_one(any_store, monkeypatch):
    monkeypatch.setattr("bot.store.BATCH_USERS", 2)  # three users: two batches
    for sender in ("a", "b"):
        fill(any_store, sender)
    any_store.add_event("c", EventType.DISLIKE, "heat-1995")
    any_store.set_consent("c", False)
    types = [EventType.LIKE, EventType.DISLIKE]

    many = any_store.user_records(["a", "never-seen", "b", "c", "a"], types)

    assert set(many) == {"a", "b", "c"}  # a user without a row is left out
    for sender in ("a", "b", "c"):
        assert many[sender] == any_store.user_record(sender, types)
    assert many["a"].preferences[PreferenceKind.CATEGORY] == ["Sci-Fi"] and many["c"].consent is False
    assert [e.type for e in many["a"].events] == [EventType.LIKE]  # of the types asked for only


def test_purge_on_postgresql_prunes_the_deleted_rows_at_once(postgres_url):
    """What retention deletes does not wait for autovacuum: the tables are vacuumed by the purge."""
    from sqlalchemy import text

    store = Store(postgres_url)
    now = utcnow()
    store.add_event("u", EventType.LIKE, "old-film", at=now - timedelta(days=400))

    store.purge(now - timedelta(days=365))

    with store.engine.connect() as connection:
        vacuumed = connection.execute(text(
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'events'")).scalar_one()
    assert vacuumed is not None
    store.engine.dispose()

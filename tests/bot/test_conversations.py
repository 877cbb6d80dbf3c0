"""ConversationStore: reading and deleting Rasa's SQL tracker store rows without Rasa."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from bot.conversations import ConversationStore

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20+00:00


def at(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


@pytest.fixture
def tracker_db(database_url, make_tracker_db):
    """Rasa's tracker table on SQLite and on PostgreSQL (each test runs twice)."""
    db = make_tracker_db(database_url)
    store = ConversationStore(database_url)
    yield db, store
    store.engine.dispose()


# --- no tracker data at all ----------------------------------------------------------------


def test_a_missing_sqlite_file_holds_no_conversations_and_is_not_created(tmp_path):
    path = tmp_path / "not-yet" / "tracker.sqlite3"
    store = ConversationStore(f"sqlite:///{path}")

    assert store.history("alice") == []
    assert store.erase("alice") == 0
    assert store.purge(datetime.now(UTC)) == 0
    assert not path.exists()
    assert not path.parent.exists()


def test_a_database_without_the_events_table_holds_no_conversations(tmp_path):
    path = tmp_path / "tracker.sqlite3"
    other = create_engine(f"sqlite:///{path}")
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE something_else (id INTEGER PRIMARY KEY)"))
    other.dispose()
    store = ConversationStore(f"sqlite:///{path}")

    assert store.history("alice") == []
    assert store.erase("alice") == 0
    assert store.purge(datetime.now(UTC)) == 0


def test_a_postgres_database_without_the_events_table_holds_no_conversations(postgres_url):
    store = ConversationStore(postgres_url)

    assert store.history("alice") == []
    assert store.erase("alice") == 0
    assert store.purge(datetime.now(UTC)) == 0
    store.engine.dispose()


# --- on SQLite and PostgreSQL ----------------------------------------------------------------


def test_history_is_the_users_and_bots_turns_in_id_order(tracker_db):
    db, store = tracker_db
    # Inserted out of id order: the history follows the ids (Rasa's event order).
    db.bot("alice", "Hi! I'm your movie guide.", T0 + 2, row_id=3)
    db.user("alice", "hi", "greet", T0 + 1, row_id=1)
    db.action("alice", "action_greet", T0 + 1.5, row_id=2)
    db.user("bob", "hello there", "greet", T0 + 3, channel="socketio", row_id=4)
    db.user("alice", "sci-fi please", "request_recommendations", T0 + 5, row_id=5)
    db.bot("alice", None, T0 + 6, row_id=6)  # e.g. only an image

    assert store.history("alice") == [
        {"from": "user", "at": "2023-11-14T22:13:21+00:00", "text": "hi", "intent": "greet", "channel": "rest"},
        {"from": "bot", "at": "2023-11-14T22:13:22+00:00", "text": "Hi! I'm your movie guide."},
        {"from": "user", "at": "2023-11-14T22:13:25+00:00", "text": "sci-fi please",
         "intent": "request_recommendations", "channel": "rest"},
        {"from": "bot", "at": "2023-11-14T22:13:26+00:00", "text": None},
    ]
    assert store.history("bob") == [
        {"from": "user", "at": at(T0 + 3), "text": "hello there", "intent": "greet", "channel": "socketio"},
    ]
    assert store.history("nobody") == []


def test_erase_deletes_every_row_of_one_sender_and_counts_them(tracker_db):
    db, store = tracker_db
    db.user("alice", "hi", "greet", T0)
    db.action("alice", "action_greet", T0 + 1)
    db.bot("alice", "Hello!", T0 + 2)
    db.user("bob", "hi", "greet", T0 + 3)
    db.bot("bob", "Hello!", T0 + 4)

    assert store.erase("alice") == 3  # the action row too, not only the turns
    assert store.history("alice") == []
    assert db.rows() == [("bob", "user", T0 + 3), ("bob", "bot", T0 + 4)]
    assert store.erase("alice") == 0
    assert store.erase("nobody") == 0


def test_purge_deletes_rows_older_than_the_cutoff_of_every_sender(tracker_db):
    db, store = tracker_db
    db.user("alice", "old", "greet", T0 - 100)
    db.bot("bob", "old too", T0 - 0.5)
    db.user("alice", "at the cutoff", "greet", T0)
    db.bot("bob", "new", T0 + 100)

    assert store.purge(datetime.fromtimestamp(T0, UTC)) == 2
    assert db.rows() == [("alice", "user", T0), ("bob", "bot", T0 + 100)]
    assert store.purge(datetime.fromtimestamp(T0, UTC)) == 0

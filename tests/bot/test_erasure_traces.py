"""An erased user leaves no trace in the database files, not only in the tables: SQLite keeps
deleted rows in the file's free space and in its write-ahead log until they are overwritten, so
deleted rows are zeroed (secure_delete), the log is emptied after an erasure (checkpoint
TRUNCATE), and a file from before is vacuumed once when it is upgraded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event

from bot.conversations import TRACKER_EVENTS, ConversationStore
from bot.store import Store
from bot.vocabulary import EventType, PreferenceKind

NEEDLE = "erase-me-7f3a9c"


def _files_mentioning(folder: Path, needle: str) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.is_file() and needle.encode() in path.read_bytes())


def test_an_erased_user_is_in_no_file_of_the_engine_database(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    for sender in (NEEDLE, "keeper"):
        store.set_consent(sender, True, channel="rest")
        store.set_preferences(sender, {PreferenceKind.CATEGORY: ["Sci-Fi"], PreferenceKind.INTEREST: [f"{sender} stuff"]})
        for item in ("jaws-1975", "alien-1979", "toy-story-1995"):
            store.add_event(sender, EventType.LIKE, item, channel="rest")
    assert _files_mentioning(tmp_path, NEEDLE)  # the check can fail: the id is in the files now

    store.erase(NEEDLE)

    assert _files_mentioning(tmp_path, NEEDLE) == []
    assert _files_mentioning(tmp_path, "keeper")  # the others' data is untouched
    assert len(store.events("keeper")) == 3


def test_an_erased_conversation_is_in_no_file_of_the_tracker_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    rasa = create_engine(url)  # as Rasa's SQL tracker store writes it
    TRACKER_EVENTS.metadata.create_all(rasa)
    with rasa.begin() as connection:
        connection.execute(TRACKER_EVENTS.insert(), [
            {"sender_id": sender, "type_name": "user", "timestamp": 1.0 + n, "data": f'{{"text": "I am {sender}"}}'}
            for n in range(50) for sender in (NEEDLE, "keeper")])
    rasa.dispose()
    assert _files_mentioning(tmp_path, NEEDLE)

    assert ConversationStore(url).erase(NEEDLE) == 50

    assert _files_mentioning(tmp_path, NEEDLE) == []
    assert _files_mentioning(tmp_path, "keeper")


def test_a_database_from_before_is_vacuumed_when_it_is_upgraded(tmp_path):
    """Rows deleted by an earlier version (without secure_delete) sit in free pages until then."""
    from test_migrations import _made_before_alembic

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _made_before_alembic(url)
    old = create_engine(url)
    event.listen(old, "connect", lambda connection, _: connection.execute("PRAGMA secure_delete=OFF"))  # as many builds
    with old.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO users (sender_id, created_at) VALUES ('{NEEDLE}', '2026-01-01')")
    with old.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM users WHERE sender_id = '{NEEDLE}'")
    old.dispose()
    assert _files_mentioning(tmp_path, NEEDLE)  # deleted, but still in the file

    Store(f"{url}").migrate()

    assert _files_mentioning(tmp_path, NEEDLE) == []

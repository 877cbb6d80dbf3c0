"""SQLite's write-ahead log is copied into the database file by the background thread, not
by the commit of a request (bot/checkpoints.py)."""

from __future__ import annotations

import sqlite3
import time

from bot.store import Store
from bot.vocabulary import EventType

WAIT_S = 20  # the thread checkpoints once a second; a loaded machine may be slow to schedule it


def rows_in_the_file_itself(path) -> int:
    """Events in the database file, ignoring the log (immutable: SQLite reads no -wal file);
    until a checkpoint even the tables are only in the log."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
        if not reader.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
            return 0
        return reader.execute("SELECT count(*) FROM events").fetchone()[0]


def test_commits_leave_the_checkpoint_to_the_background_thread(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0


def test_written_events_reach_the_database_file_without_a_checkpointing_commit(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.add_events("u", [(EventType.LIKE, "alien-1979", None)] * 3)  # a few pages: no commit would checkpoint

    deadline = time.monotonic() + WAIT_S
    while rows_in_the_file_itself(path) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rows_in_the_file_itself(path) == 3

"""The database goes away and comes back: picks degrade, events wait on disk, nothing is lost.

PostgreSQL is taken away by cutting a TCP proxy in front of it, SQLite by another
connection holding its write lock (tests/db_outage.py); the engine is never restarted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from datetime import timedelta
from functools import partial

import pytest
from db_outage import postgres_behind_proxy, sqlite_write_locked

from bot.engine import Engine
from bot.outbox import Outbox, QueuedEvent
from bot.store import Store
from bot.vocabulary import EventType, Recorded, StoreUnavailable, utcnow


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def make_engine(catalog, index, encoder, outbox):
    """make_engine(url) -> (engine, its store): an engine that queues events in ``outbox``."""
    stores: list[Store] = []

    def make(url: str) -> tuple[Engine, Store]:
        stores.append(Store(url))
        return Engine(catalog, index, encoder, stores[-1], outbox=outbox), stores[-1]

    yield make
    for store in stores:
        store.engine.dispose()


@pytest.fixture
def proxy(postgres_url):
    with postgres_behind_proxy(postgres_url) as proxy:
        yield proxy


@pytest.fixture
def sqlite_engine(make_engine, tmp_path) -> tuple[Engine, Store, Callable[[], ContextManager[None]]]:
    """(engine, its store, lock): an engine on a SQLite file whose writers give up waiting for
    a lock after 0.2 s, and ``lock()`` that holds that lock (a stuck writer elsewhere). alice
    consented."""
    path = tmp_path / "locked.sqlite3"
    engine, store = make_engine(f"sqlite:///{path}?timeout=0.2")
    engine.set_consent("alice", True)
    return engine, store, partial(sqlite_write_locked, str(path))


def liked(store: Store, sender_id: str) -> list[str]:
    return [e.item_id for e in store.events(sender_id, types=[EventType.LIKE])]


def impressions(store: Store, sender_id: str) -> int:
    return len(store.events(sender_id, types=[EventType.IMPRESSION]))


def test_postgresql_down_degrades_picks_queues_events_and_recovers_without_restart(make_engine, proxy, outbox):
    engine, store = make_engine(proxy.url)
    engine.set_consent("alice", True)
    engine.record_event("alice", EventType.LIKE, "alien-1979")
    assert not engine.recommend("alice", n=5).profile_unavailable
    liked_at = utcnow() - timedelta(minutes=1)

    proxy.cut()
    assert engine.record_event("alice", EventType.LIKE, "jaws-1975", at=liked_at) is Recorded.QUEUED
    degraded = engine.recommend("alice", n=5)
    assert degraded.profile_unavailable and len(degraded) == 5
    with pytest.raises(StoreUnavailable, match="the database is unavailable"):
        engine.summary("alice")

    proxy.restore()
    assert not engine.recommend("alice", n=5).profile_unavailable
    assert liked(store, "alice") == ["alien-1979", "jaws-1975"]  # newest first: the queued one kept its time
    [queued] = [e for e in store.events("alice") if e.item_id == "jaws-1975"]
    assert abs(queued.created_at - liked_at) < timedelta(milliseconds=1)
    assert impressions(store, "alice") == 10  # the picks shown while down were not personal: not logged
    assert not outbox.pending()


def test_a_database_down_at_start_up_is_used_once_it_is_up(make_engine, proxy):
    proxy.cut()
    engine, _ = make_engine(proxy.url)  # the tables cannot be created yet
    assert engine.recommend("bob", n=3).profile_unavailable
    proxy.restore()
    engine.set_consent("bob", True)
    assert engine.record_event("bob", EventType.LIKE, "jaws-1975") is Recorded.STORED


def test_a_locked_sqlite_file_queues_writes_and_the_next_write_stores_them(sqlite_engine):
    engine, store, lock = sqlite_engine
    with lock():
        assert engine.record_event("alice", EventType.LIKE, "jaws-1975") is Recorded.QUEUED
        picks = engine.recommend("alice", n=3)  # reading still works; its impressions wait
        assert not picks.profile_unavailable
        assert liked(store, "alice") == []

    assert engine.record_event("alice", EventType.LIKE, "alien-1979") is Recorded.STORED
    assert sorted(liked(store, "alice")) == ["alien-1979", "jaws-1975"]
    assert impressions(store, "alice") == 3


def test_queued_events_of_a_user_who_withdrew_consent_meanwhile_are_dropped(sqlite_engine, outbox):
    engine, store, lock = sqlite_engine
    with lock():
        assert engine.record_event("alice", EventType.LIKE, "jaws-1975") is Recorded.QUEUED

    engine.set_consent("alice", False)
    engine.flush_outbox()
    assert store.events("alice") == []
    assert not outbox.pending()


def test_an_erased_user_gets_no_row_back_from_the_queue(sqlite_engine):
    engine, store, lock = sqlite_engine
    with lock():
        engine.record_event("alice", EventType.LIKE, "jaws-1975")
    store.erase("alice")  # the store directly: the engine's erase would flush first
    engine.flush_outbox()
    assert store.user("alice") is None


def test_without_an_outbox_a_write_fails_with_the_cause(catalog, index, encoder, tmp_path):
    path = tmp_path / "locked.sqlite3"
    engine = Engine(catalog, index, encoder, Store(f"sqlite:///{path}?timeout=0.2"))
    engine.set_consent("alice", True)
    with sqlite_write_locked(str(path)), pytest.raises(StoreUnavailable, match="database is locked"):
        engine.record_event("alice", EventType.LIKE, "jaws-1975")


# --- the outbox itself ----------------------------------------------------------------------


def queued(n: int, sender_id: str = "alice") -> QueuedEvent:
    return QueuedEvent(sender_id, "like", f"item-{n}", None, "rest", utcnow())


def test_writers_and_a_drainer_at_once_lose_and_repeat_nothing(tmp_path):
    outbox = Outbox(tmp_path)
    written: list[str] = []
    writers_done = threading.Event()

    def write(thread: int) -> None:
        for n in range(50):
            outbox.put(queued(thread * 100 + n))

    def drain() -> None:
        while not writers_done.is_set():
            outbox.drain(lambda event: written.append(event.item_id))

    drainer = threading.Thread(target=drain)
    drainer.start()
    writers = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    drainer.join()
    outbox.drain(lambda event: written.append(event.item_id))

    assert sorted(written) == sorted(f"item-{t * 100 + n}" for t in range(4) for n in range(50))


def test_a_drain_that_fails_halfway_keeps_the_rest_for_the_next(tmp_path):
    outbox = Outbox(tmp_path)
    for n in range(5):
        outbox.put(queued(n))
    stored: list[str] = []

    def fail_on_the_third(event: QueuedEvent) -> None:
        if len(stored) == 2:
            raise StoreUnavailable("down again")
        stored.append(event.item_id)

    with pytest.raises(StoreUnavailable):
        outbox.drain(fail_on_the_third)
    assert outbox.drain(lambda event: stored.append(event.item_id)) == 3
    assert stored == [f"item-{n}" for n in range(5)]
    assert not outbox.pending()


def test_a_line_cut_short_by_a_crash_is_skipped_and_the_next_event_kept(tmp_path, caplog):
    outbox = Outbox(tmp_path)
    outbox.put(queued(1))
    [path] = tmp_path.glob("*.jsonl")
    with path.open("ab") as handle:
        handle.write(b'{"sender_id": "alice", "type": "li')  # the writer died here
    outbox.put(queued(2))

    drained: list[str] = []
    assert outbox.drain(lambda event: drained.append(event.item_id)) == 2
    assert drained == ["item-1", "item-2"]
    assert "skipping unreadable queued event" in caplog.text

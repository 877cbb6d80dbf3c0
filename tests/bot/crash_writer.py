"""A separate OS process writing to the engine database, driven by ``test_concurrency.py``.

    python crash_writer.py events URL SENDER ITEM=TYPE...
        prints "ready", waits for a line on stdin, then records one event per argument
        (one ``Store.add_event`` transaction each) and prints "done".
    python crash_writer.py transaction URL SENDER NEW_SENDER ITEM...
        in one ``Store.transaction()``: creates NEW_SENDER, replaces SENDER's preferences and
        adds a like per item for both users, flushes (the rows are in the database, not yet
        committed), prints "flushed <events it sees> <preferences it sees>" and blocks on stdin.
    python crash_writer.py add_events URL SENDER ITEM...
        calls the real ``Store.add_events`` for SENDER with a generator that blocks (after
        printing "blocked") half-way through the items.
    python crash_writer.py set_preferences URL SENDER CATEGORY...
        calls the real ``Store.set_preferences`` for SENDER; it blocks (after printing "blocked")
        once the old answers are deleted and the new categories added, before the loved items.

The test kills the blocked writers with SIGKILL: nothing they wrote may survive.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from sqlalchemy import func, select

from bot.schema import Event, Preference, User
from bot.store import Store
from bot.vocabulary import EventType, PreferenceKind, utcnow


def block(message: str) -> None:
    """Tell the test we are mid-write, then wait (the test kills us; EOF is a bug in the test)."""
    print(message, flush=True)
    sys.stdin.readline()
    sys.exit("stdin closed: the writer was not killed")


def events(store: Store, sender: str, specs: list[str]) -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        sys.exit("no go")
    for spec in specs:
        item, kind = spec.split("=")
        store.add_event(sender, EventType(kind), item, channel="process")
    print("done", flush=True)


def transaction(store: Store, sender: str, new_sender: str, items: list[str]) -> None:
    with store.transaction() as session:
        session.add(User(sender_id=new_sender, created_at=utcnow()))
        session.flush()
        session.execute(Preference.__table__.delete().where(Preference.sender_id == sender))
        for who in (sender, new_sender):
            session.add_all(
                Event(sender_id=who, type=str(EventType.LIKE), item_id=item, channel="crash") for item in items
            )
            session.add(Preference(sender_id=who, kind=str(PreferenceKind.CATEGORY), value="Crash"))
        session.flush()
        seen_events = session.scalar(select(func.count()).select_from(Event).where(Event.channel == "crash"))
        seen_prefs = session.scalar(select(func.count()).select_from(Preference).where(Preference.value == "Crash"))
        block(f"flushed {seen_events} {seen_prefs}")


def add_events(store: Store, sender: str, items: list[str]) -> None:
    def feedback() -> Iterator[tuple[EventType, str, None]]:
        for n, item in enumerate(items):
            if n == len(items) // 2:
                block("blocked")
            yield EventType.LIKE, item, None

    store.add_events(sender, feedback(), channel="crash")


def set_preferences(store: Store, sender: str, categories: list[str]) -> None:
    def loved() -> Iterator[str]:
        block("blocked")
        yield "never-stored"

    store.set_preferences(sender, {PreferenceKind.CATEGORY: categories, PreferenceKind.ITEM: loved()})


def main(mode: str, url: str, *args: str) -> None:
    store = Store(url)  # tables exist already: the test created them first
    if mode == "events":
        events(store, args[0], list(args[1:]))
    elif mode == "transaction":
        transaction(store, args[0], args[1], list(args[2:]))
    elif mode == "add_events":
        add_events(store, args[0], list(args[1:]))
    elif mode == "set_preferences":
        set_preferences(store, args[0], list(args[1:]))
    else:
        sys.exit(f"unknown mode {mode}")
    store.engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])

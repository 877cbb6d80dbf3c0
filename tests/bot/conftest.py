"""Fixtures for the unit tests of ``bot/`` (on top of ``tests/conftest.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert, select


@pytest.fixture
def recommender(catalog, index):
    """A Recommender with the default diversity over the real demo catalog."""
    from bot.recommender import Recommender

    return Recommender(catalog, index)


@pytest.fixture
def any_store(database_url):
    """A Store on SQLite and on PostgreSQL (each test runs twice), disposed afterwards."""
    from bot.store import Store

    store = Store(database_url)
    yield store
    store.engine.dispose()


# --- Rasa's tracker store ---------------------------------------------------------------------


class RasaTrackerDb:
    """A database with Rasa's ``events`` table, filled the way SQLTrackerStore fills it
    (one row per conversation event, the event itself as JSON in ``data``).

    The table is written out here, not taken from ``bot/conversations.py``, so that the tests
    check that module against Rasa's schema rather than against itself.
    """

    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.table = Table(
            "events", MetaData(),
            Column("id", Integer, primary_key=True),
            Column("sender_id", String(255), nullable=False, index=True),
            Column("type_name", String(255), nullable=False),
            Column("timestamp", Float),
            Column("intent_name", String(255)),
            Column("action_name", String(255)),
            Column("data", Text),
        )
        self.table.metadata.create_all(self.engine)

    def user(self, sender_id: str, text: str, intent: str, timestamp: float, *,
             channel: str = "rest", row_id: int | None = None) -> None:
        self.add(sender_id, {
            "event": "user", "timestamp": timestamp, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": 0.98}, "entities": [], "text": text},
            "input_channel": channel, "message_id": "m1", "metadata": {},
        }, row_id=row_id)

    def bot(self, sender_id: str, text: str | None, timestamp: float, *, row_id: int | None = None) -> None:
        self.add(sender_id, {
            "event": "bot", "timestamp": timestamp, "text": text, "data": {"buttons": None}, "metadata": {},
        }, row_id=row_id)

    def action(self, sender_id: str, name: str, timestamp: float, *, row_id: int | None = None) -> None:
        self.add(sender_id, {
            "event": "action", "timestamp": timestamp, "name": name, "policy": None, "confidence": 1.0,
        }, row_id=row_id)

    def add(self, sender_id: str, event: dict, row_id: int | None = None) -> None:
        """Store one Rasa event as its row; ``row_id`` fixes the id (Rasa's event order)."""
        row = {
            "sender_id": sender_id,
            "type_name": event["event"],
            "timestamp": event["timestamp"],
            "intent_name": event.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": event.get("name"),
            "data": json.dumps(event),
        }
        if row_id is not None:
            row["id"] = row_id
        with self.engine.begin() as connection:
            connection.execute(insert(self.table).values(**row))

    def rows(self) -> list[tuple[str, str, float]]:
        """Every row as (sender_id, type_name, timestamp), in id order."""
        query = select(self.table.c.sender_id, self.table.c.type_name, self.table.c.timestamp).order_by(self.table.c.id)
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]


@pytest.fixture
def make_tracker_db() -> Iterator[Callable[[str], RasaTrackerDb]]:
    """A factory: ``make_tracker_db(url)`` creates Rasa's tracker table at ``url``; disposed afterwards."""
    made: list[RasaTrackerDb] = []

    def make(url: str) -> RasaTrackerDb:
        db = RasaTrackerDb(url)
        made.append(db)
        return db

    yield make
    for db in made:
        db.engine.dispose()

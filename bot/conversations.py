"""Read and erase a user's conversation in Rasa's SQL tracker store, without importing Rasa.

Rasa (``SQLTrackerStore``) keeps every conversation event as a row of its ``events``
table: ``sender_id``, ``type_name``, ``timestamp``, ``intent_name``, ``action_name`` and
the event as JSON in ``data``. Exporting a user's data must include what they said and
what the bot answered; erasing it must delete these rows too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url

from bot import checkpoints
from bot.database import clear_deleted

# Rasa's text for a turn a system started (trigger_intent): not something the user said.
EXTERNAL_PREFIX = "EXTERNAL: "

_metadata = MetaData()
TRACKER_EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class ConversationStore:
    """Rasa's tracker database; a missing database or table simply holds no conversations."""

    def __init__(self, url: str):
        parsed = make_url(url)
        on_disk = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        self._sqlite_file = Path(parsed.database) if on_disk else None
        self.engine = create_engine(url)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _zero_deleted_rows)

    def _has_table(self) -> bool:
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            return False  # Rasa has not written yet; do not create an empty file
        return inspect(self.engine).has_table(TRACKER_EVENTS.name)

    def history(self, sender_id: str) -> list[dict[str, Any]]:
        """The conversation as readable turns: who said what, and when (oldest first)."""
        if not self._has_table():
            return []
        query = (
            select(TRACKER_EVENTS.c.type_name, TRACKER_EVENTS.c.timestamp, TRACKER_EVENTS.c.data)
            .where(TRACKER_EVENTS.c.sender_id == sender_id, TRACKER_EVENTS.c.type_name.in_(["user", "bot"]))
            .order_by(TRACKER_EVENTS.c.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        turns = [_turn(kind, timestamp, data) for kind, timestamp, data in rows]
        return [t for t in turns if not (t["from"] == "user" and (t["text"] or "").startswith(EXTERNAL_PREFIX))]

    def users_per_day(self, since: datetime, until: datetime) -> dict[str, int]:
        """Per UTC day (YYYY-MM-DD), how many users wrote to the bot: turns a system started
        (outreach through trigger_intent) are not the user writing."""
        if not self._has_table():
            return {}
        query = (
            select(TRACKER_EVENTS.c.sender_id, TRACKER_EVENTS.c.timestamp, TRACKER_EVENTS.c.data)
            .where(TRACKER_EVENTS.c.type_name == "user", TRACKER_EVENTS.c.timestamp >= since.timestamp(),
                   TRACKER_EVENTS.c.timestamp < until.timestamp())
        )
        writers: dict[str, set[str]] = {}
        external = f'"text": "{EXTERNAL_PREFIX}'  # as Rasa's json.dumps writes it: no parse of every row
        with self.engine.connect() as connection:
            for sender_id, timestamp, data in connection.execute(query):
                if external not in (data or ""):
                    writers.setdefault(f"{datetime.fromtimestamp(timestamp, UTC):%Y-%m-%d}", set()).add(sender_id)
        return {day: len(senders) for day, senders in sorted(writers.items())}

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of the conversation; the number of rows deleted."""
        if not self._has_table():
            return 0
        with self.engine.begin() as connection:
            deleted = connection.execute(delete(TRACKER_EVENTS).where(TRACKER_EVENTS.c.sender_id == sender_id)).rowcount
        checkpoints.truncate(self.engine)  # if Rasa's file is in WAL mode, its log too
        return deleted

    def purge(self, before: datetime) -> int:
        """Delete conversation events older than ``before`` (the retention period)."""
        if not self._has_table():
            return 0
        with self.engine.begin() as connection:
            deleted = connection.execute(
                delete(TRACKER_EVENTS).where(TRACKER_EVENTS.c.timestamp < before.timestamp())
            ).rowcount
        clear_deleted(self.engine, (TRACKER_EVENTS.name,))
        return deleted


def _turn(kind: str, timestamp: float | None, data: str | None) -> dict[str, Any]:
    event = json.loads(data or "{}")
    agent = (event.get("metadata") or {}).get("agent") if kind == "bot" else None
    turn: dict[str, Any] = {
        "from": "user" if kind == "user" else "agent" if agent else "bot",
        "at": datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp else None,
        "text": event.get("text"),
    }
    if kind == "user":
        turn["intent"] = (event.get("parse_data") or {}).get("intent", {}).get("name")
        turn["channel"] = event.get("input_channel")
    if agent:
        turn["agent"] = agent  # a support agent's reply, sent through Rasa during a handoff
    return turn


def _zero_deleted_rows(connection, _record) -> None:
    """What this store deletes (an erased user's conversation) is overwritten in the file."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()

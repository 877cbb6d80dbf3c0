"""Consent, export and erasure in real conversations, on SQLite and on PostgreSQL.

After "delete my data" + "yes", no table of the engine database or of Rasa's tracker
database holds the sender id any more, while another user's data is untouched. A
phrase the user typed is never stored by the engine nor written to any service log.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_servers import own_servers
from sqlalchemy import String, Text, create_engine, inspect, text

from bot.config import Settings
from bot.engine import Engine

SECRET = "Zorblax-" + uuid.uuid4().hex[:8]  # a phrase only the leaving user ever types


def _on_postgresql(request: pytest.FixtureRequest) -> dict[str, str]:
    engine_url, tracker_url = (request.getfixturevalue("new_postgres_db")() for _ in range(2))
    return {"BOT_DATABASE_URL": engine_url, "BOT_TRACKER_URL": tracker_url,
            "TRACKER_DIALECT": "postgresql", "TRACKER_HOST": tracker_url, "TRACKER_DB": ""}


ON_POSTGRESQL = own_servers("privacy_postgresql", "bot", _on_postgresql, param="postgresql")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bot(request, own_set) -> Iterator:
    """Both servers with the engine database and the tracker store on one backend: SQLite, as
    the run's shared servers have them, or PostgreSQL, on servers of their own."""
    if request.param == "sqlite":
        running = request.getfixturevalue("services")
        running.urls = (running.env["BOT_DATABASE_URL"], running.env["BOT_TRACKER_URL"])
        yield running
        return
    for running in own_set(ON_POSTGRESQL):
        running.urls = (running.env["BOT_DATABASE_URL"], running.env["BOT_TRACKER_URL"])
        yield running


def rows_mentioning(url: str, needle: str) -> dict[str, int]:
    """Rows of every table whose any text column contains ``needle``, per table."""
    database = create_engine(url)
    found = {}
    try:
        inspector = inspect(database)
        with database.connect() as connection:
            for table in inspector.get_table_names():
                columns = [c["name"] for c in inspector.get_columns(table)
                           if isinstance(c["type"], (String, Text))]
                if not columns:
                    continue
                condition = " OR ".join(f'"{c}" LIKE :needle' for c in columns)
                count = connection.execute(
                    text(f'SELECT COUNT(*) FROM "{table}" WHERE {condition}'), {"needle": f"%{needle}%"}
                ).scalar_one()
                if count:
                    found[table] = count
    finally:
        database.dispose()
    return found


def onboard(bot, sender: str) -> list[str]:
    bot.say(sender, "hi")
    assert bot.say(sender, "/affirm").texts[-1].startswith("Which kinds of movies")
    bot.say(sender, "sci-fi")
    bot.say(sender, "skip")
    picks = bot.say(sender, "nothing").picks
    assert len(picks) == 5
    return picks


def test_export_then_erasure_leaves_no_trace_of_the_user(bot, state_dir):
    keeper, leaver = f"keeper-{uuid.uuid4().hex[:6]}", f"leaver-{uuid.uuid4().hex[:6]}"
    engine_url, tracker_url = bot.urls
    for sender in (keeper, leaver):
        picks = onboard(bot, sender)
        bot.say(sender, f'/like{{"item_id": "{picks[0]}"}}')
    assert bot.say(leaver, f"my cat is called {SECRET}")  # any reply; the phrase must not be kept

    profile = bot.say(leaver, "what do you know about me?").texts[0]
    assert profile.startswith("You agreed that I remember your tastes")
    assert "Sci-Fi" in profile

    link = bot.say(leaver, "export my data").texts[0]
    token = re.search(r"/export/(\S+)", link)[1]
    engine = Engine.from_settings(Settings.from_env({
        "BOT_STATE_DIR": str(state_dir), "BOT_DATABASE_URL": engine_url, "BOT_TRACKER_URL": tracker_url,
    }))
    exported = engine.redeem_export_token(token)
    assert exported["sender_id"] == leaver
    assert [e["type"] for e in exported["events"]].count("like") == 1
    assert [c["granted"] for c in exported["consent_history"]] == [True]
    assert any(turn["text"] == f"my cat is called {SECRET}" for turn in exported["conversation"])
    assert engine.redeem_export_token(token) is None  # one download only

    # Minimization: the engine never stored the phrase, and no log line carries it.
    assert rows_mentioning(engine_url, SECRET) == {}
    assert SECRET not in bot.logs()

    assert bot.say(leaver, "delete my data").texts[0].endswith("Delete it all?")
    assert bot.say(leaver, "yes").texts[0].startswith("Done. I've deleted everything")

    assert rows_mentioning(engine_url, leaver) == {}
    assert rows_mentioning(tracker_url, leaver) == {}
    assert rows_mentioning(tracker_url, SECRET) == {}
    assert set(rows_mentioning(engine_url, keeper)) >= {"users", "events", "preferences", "consents"}
    assert rows_mentioning(tracker_url, keeper)["events"] > 10
    if engine_url.startswith("sqlite"):  # nor in the files' free space or write-ahead logs
        for url in (engine_url, tracker_url):
            database = Path(url.removeprefix("sqlite:///"))
            files = [path for path in database.parent.iterdir() if path.name.startswith(database.name)]
            assert [path.name for path in files if leaver.encode() in path.read_bytes()] == []
            assert [path.name for path in files if SECRET.encode() in path.read_bytes()] == []

    # Starting again is a new user: asked for consent first.
    assert bot.say(leaver, "hi").texts[0].startswith("Hi! I'm your movie guide.")
    engine.close()


def test_without_consent_the_bot_helps_but_stores_nothing(bot):
    engine_url, _ = bot.urls
    sender = f"private-{uuid.uuid4().hex[:6]}"
    bot.say(sender, "hi")
    first = bot.say(sender, "no thanks")
    assert first.texts[0].startswith("No problem: I won't remember anything about you.")
    assert len(first.picks) == 5
    more = bot.say(sender, "show me more").picks
    assert len(more) == 5 and not set(more) & set(first.picks)
    reply = bot.say(sender, f'/like{{"item_id": "{more[0]}"}}').texts[0]
    assert reply.startswith("I'm not remembering anything for you")
    assert rows_mentioning(engine_url, sender) == {"users": 1, "consents": 1}  # the "no" itself

"""Two Rasa servers behind a (pretend) load balancer: one action server, one PostgreSQL
tracker database, one Redis lock store (endpoints.scale.yml), as issue 8's scale-out runs.

A conversation whose turns go to A, B, A, ... goes on as on one server (the form started on A
continues on B), and messages of one conversation fired at once at both servers are each
handled exactly once, one after the other: in the stored conversation every user message is
followed by its own reply before the next user message comes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from live_servers import own_servers
from server_processes import OFFERED_BY_TEST

from bot.store import Store
from bot.vocabulary import EventType

REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = os.environ.get("TEST_REDIS_PORT", "6379")
REDIS_DB = os.environ.get("TEST_REDIS_DB", "0")
A, B = 0, 1  # server numbers (Services.say)
CONCURRENT = 10


def redis(*command: str) -> list[str]:
    """A command on the test's Redis database, with redis-cli (as .ci/run uses it)."""
    if shutil.which("redis-cli") is None:
        pytest.fail("redis-cli not found: install Redis (apt-get install redis-server)", pytrace=False)
    result = subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", REDIS_PORT, "-n", REDIS_DB, *command],
        capture_output=True, text=True, timeout=10,
    )
    if result.returncode != 0 or result.stdout.startswith(("Could not connect", "ERR")):
        pytest.fail(f"Redis at {REDIS_HOST}:{REDIS_PORT} refused `{' '.join(command)}`: "
                    f"{result.stdout}{result.stderr}", pytrace=False)
    return result.stdout.split()


def _scale_out(request: pytest.FixtureRequest) -> dict[str, str]:
    """Fresh PostgreSQL databases and a Redis key prefix of this run's locks only (Rasa wants
    letters and digits)."""
    engine_url, tracker_url = (request.getfixturevalue("new_postgres_db")() for _ in range(2))
    return {
        "BOT_DATABASE_URL": engine_url, "BOT_TRACKER_URL": tracker_url,
        "TRACKER_DIALECT": "postgresql", "TRACKER_HOST": tracker_url, "TRACKER_DB": "",
        "REDIS_HOST": REDIS_HOST, "REDIS_PORT": REDIS_PORT, "REDIS_DB": REDIS_DB,
        "REDIS_KEY_PREFIX": "e2e" + uuid.uuid4().hex[:12],
    }


TWO_SERVERS = own_servers("two_rasa_servers", "two_servers", _scale_out, endpoints="endpoints.scale.yml",
                          rasa_servers=2, start_timeout=840)  # two Rasa servers loading at once, busy cores


@pytest.fixture(scope="module")
def two_servers(own_set) -> Iterator:
    """Action server and Rasa servers A and B (started together) on fresh PostgreSQL databases;
    the locks left in Redis are deleted after."""
    assert redis("PING") == ["PONG"]
    for running in own_set(TWO_SERVERS):
        running.engine_url, running.lock_prefix = running.env["BOT_DATABASE_URL"], running.env["REDIS_KEY_PREFIX"]
        yield running
        leftover = redis("--scan", "--pattern", f"{running.lock_prefix}:*")
        if leftover:
            redis("DEL", *leftover)


def turns(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(user text, the bot's texts after it up to the next user message), in stored order; the
    buttons a test offered before the first message (Services.offer) are no turn."""
    found: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            found.append((event["text"], []))
        elif event["event"] == "bot" and event.get("text") != OFFERED_BY_TEST:
            assert found, f"a bot message before any user message: {event}"
            found[-1][1].append(event.get("text") or "")
    return found


def actions_after(events: list[dict], text: str) -> list[str]:
    """The actions run between the user message ``text`` and the next user message."""
    start = next(i for i, e in enumerate(events) if e["event"] == "user" and e["text"] == text)
    names = []
    for event in events[start + 1:]:
        if event["event"] == "user":
            break
        if event["event"] == "action":
            names.append(event["name"])
    return names


def test_a_conversation_goes_on_whichever_server_gets_each_turn(two_servers, catalog):
    bot, user = two_servers, f"scale-{uuid.uuid4().hex[:8]}"
    said: list[tuple[str, list[str]]] = []

    def say(text: str, server: int):
        reply = bot.say(user, text, server)
        said.append((text, [m.get("text") or "" for m in reply]))
        return reply

    greeting = say("hello", A).texts
    assert greeting[0].startswith("Hi! I'm your movie guide.")
    assert greeting[-1].startswith("May I remember your tastes and feedback")
    # The onboarding form, started on A, goes on on B, back on A, ...
    assert say("yes", B).texts[-1].startswith("Which kinds of movies do you enjoy?")
    assert say("sci-fi", A).texts == [
        "Noted: Sci-Fi.",
        'Name one or two movies you love (for example "The Matrix and Amélie"), or say "skip".',
    ]
    assert say("skip", B).texts[-1].startswith("Anything you'd rather I never suggest?")
    first = say("nothing", A)
    assert first.texts[:2] == ["Thanks! I'll remember that you like Sci-Fi.", "Here are some picks for you:"]
    assert len(first.picks) == 5
    assert sum("Sci-Fi" in catalog.by_id[i].categories for i in first.picks) >= 4

    disliked = first.picks[0]
    assert say(f'/dislike{{"item_id": "{disliked}"}}', B).texts == [
        f"Got it, I won't suggest {catalog.by_id[disliked].label} again."
    ]
    after = say("recommend me something", A).picks
    assert len(after) == 5 and disliked not in after
    assert say("hi", B).texts == ["Welcome back! I remember you like Sci-Fi."]

    # Both servers read the one stored conversation: every turn once, in order, with its replies.
    events = bot.tracker_events(user, A)
    assert bot.tracker_events(user, B) == events
    assert turns(events) == said
    assert sum(e["event"] == "session_started" for e in events) == 1


def test_messages_sent_at_once_to_both_servers_are_handled_one_at_a_time(two_servers, catalog):
    bot, user = two_servers, f"burst-{uuid.uuid4().hex[:8]}"
    lock_prefix = bot.lock_prefix
    items = list(catalog.items[:CONCURRENT])
    messages = [f'/not_interested{{"item_id": "{item.id}"}}' for item in items]
    bot.offer(user, ["/give_consent", *messages], A)  # also starts the session
    consent = bot.say(user, "/give_consent", A).texts
    assert consent[0].startswith("Thanks! From now on I'll remember your tastes")

    expected = {m: [f"Got it, I won't suggest {item.label} again."] for m, item in zip(messages, items)}

    # While the burst runs, the servers' lock for this conversation must live in Redis.
    locks_seen: set[str] = set()
    burst_over = threading.Event()

    def watch_locks() -> None:
        while not burst_over.is_set():
            locks_seen.update(redis("--scan", "--pattern", f"{lock_prefix}:*"))
            time.sleep(0.05)

    start = threading.Barrier(CONCURRENT)

    def send(number: int):
        start.wait()
        return bot.say(user, messages[number], number % 2)  # A, B, A, B, ...

    watcher = threading.Thread(target=watch_locks, daemon=True)
    watcher.start()
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            replies = list(pool.map(send, range(CONCURRENT)))
    finally:
        burst_over.set()
        watcher.join(timeout=15)
    took = time.monotonic() - began

    for message, reply in zip(messages, replies):
        assert reply.texts == expected[message], message
    assert locks_seen == {f"{lock_prefix}:lock:{user}"}, locks_seen

    # Every message stored exactly once, each followed by its own reply before the next one.
    events = bot.tracker_events(user, B)
    stored = turns(events)
    assert stored[0][1] == consent
    assert sorted(text for text, _ in stored[1:]) == sorted(messages), f"lost or repeated: {stored}"
    for text, bot_texts in stored[1:]:
        assert bot_texts == expected[text], f"{text}: {bot_texts} (took {took:.1f} s)"
        assert actions_after(events, text) == ["action_feedback", "action_listen"]
    assert sum(e["event"] == "session_started" for e in events) == 1

    # And the engine stored each one once.
    store = Store(two_servers.engine_url)
    try:
        not_for_me = store.events(user, [EventType.NOT_INTERESTED])
    finally:
        store.engine.dispose()
    assert sorted(e.item_id for e in not_for_me) == sorted(item.id for item in items)

"""Concurrent and interrupted feedback writes, on SQLite and on PostgreSQL (each test runs twice).

Many threads or OS processes recording feedback for one user at once must store every event
exactly once, create the user's row once and leave a profile that reflects all of it; a writer
killed in the middle of a transaction must leave nothing behind.
"""

from __future__ import annotations

import select as io_select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from bot.config import PROJECT_ROOT
from bot.engine import Engine
from bot.profiles import EXCLUDING_EVENTS, Profile
from bot.schema import Base, Consent, Event, Preference, User
from bot.store import Store
from bot.vocabulary import EventType, PreferenceKind, Recorded

WRITER = Path(__file__).with_name("crash_writer.py")
N = 50  # feedback events per test
TIMEOUT = 60  # seconds any thread or process may take before the test fails instead of hanging
FEEDBACK = [EventType.LIKE, EventType.DISLIKE, EventType.NOT_INTERESTED, EventType.PURCHASE, EventType.CLICK]
POSITIVE = {EventType.LIKE, EventType.PURCHASE}
NEGATIVE = {EventType.DISLIKE, EventType.NOT_INTERESTED}


@pytest.fixture
def live_engine(catalog, index, encoder, any_store) -> Engine:
    """The real engine on the demo catalog, over SQLite and over PostgreSQL."""
    return Engine(catalog, index, encoder, any_store)


def feedback_plan(catalog, n: int = N, skip: int = 0) -> list[tuple[str, EventType]]:
    """n distinct demo items, each with one kind of feedback (positive and negative mixed)."""
    return [(item.id, FEEDBACK[i % len(FEEDBACK)]) for i, item in enumerate(catalog.items[skip:skip + n])]


def run_together(calls: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Run every call in its own thread, released at the same moment by a barrier;
    (the values returned, the exceptions raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(call):
        try:
            barrier.wait(TIMEOUT)
            results.append(call())
        except BaseException as error:  # noqa: BLE001 - the test reports every failure
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,), daemon=True) for call in calls]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a writer is still running after the timeout"
    return results, errors


def count(store: Store, table, sender_id: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(table).where(table.sender_id == sender_id)
        ).scalar_one()


def assert_all_recorded_once(engine: Engine, store: Store, sender_id: str, plan: list[tuple[str, EventType]]) -> None:
    """Each planned event is stored exactly once in the engine's ``store``, nothing else is,
    and the profile and its summary reflect every one of them."""
    catalog = engine.catalog
    stored = store.events(sender_id)
    assert len({e.id for e in stored}) == len(stored)
    assert Counter((e.item_id, e.type) for e in stored) == Counter((item, str(kind)) for item, kind in plan)
    assert count(store, User, sender_id) == 1

    profile = Profile.load(store, sender_id)
    assert {item: e.type for item, e in profile.latest_feedback().items()} == dict(plan)
    rated = profile.excluded_items() - set(profile.loved_items)
    assert rated == {item for item, kind in plan if kind in EXCLUDING_EVENTS}
    summary = engine.summary(sender_id)
    assert summary.known
    assert Counter(summary.liked) == Counter(catalog.by_id[i].label for i, k in plan if k in POSITIVE)
    assert Counter(summary.disliked) == Counter(catalog.by_id[i].label for i, k in plan if k in NEGATIVE)


# --- threads --------------------------------------------------------------------------------


def test_50_threads_recording_feedback_for_one_user_lose_no_event(live_engine, catalog, any_store):
    """Concurrent record_event calls (one transaction each) must not lose or duplicate a row."""
    live_engine.set_consent("u", True)
    plan = feedback_plan(catalog)

    results, errors = run_together(
        [partial(live_engine.record_event, "u", kind, item, channel="thread") for item, kind in plan]
    )

    assert errors == []
    assert results == [Recorded.STORED] * N
    assert_all_recorded_once(live_engine, any_store, "u", plan)


def test_a_lost_event_would_be_caught(live_engine, catalog, any_store):
    """The check used above fails when one concurrent write is missing or doubled."""
    live_engine.set_consent("u", True)
    plan = feedback_plan(catalog, n=5)
    for item, kind in plan[:-1]:
        live_engine.record_event("u", kind, item)
    with pytest.raises(AssertionError):
        assert_all_recorded_once(live_engine, any_store, "u", plan)
    live_engine.record_event("u", plan[-1][1], plan[-1][0])
    live_engine.record_event("u", plan[0][1], plan[0][0])
    with pytest.raises(AssertionError):
        assert_all_recorded_once(live_engine, any_store, "u", plan)


def test_questionnaire_answers_saved_during_concurrent_feedback_lose_no_row(live_engine, catalog, any_store):
    """Replacing the stated preferences while feedback streams in keeps every event, and the
    answers are exactly one of the submitted sets (never a mix, never an error)."""
    live_engine.set_consent("u", True)
    plan = feedback_plan(catalog)
    items = [item.id for item in catalog.items[N:N + 5]]
    answers = [(["Drama", "Comedy"], [items[0]], ["Horror"]),
               (["Sci-Fi"], [items[1], items[2]], []),
               (["Western", "space operas"], [], ["Drama", "Music"]),
               (["Crime"], [items[3]], ["Family"]),
               (["Animation", "Family"], [items[4]], ["War"])]

    calls = [partial(live_engine.record_event, "u", kind, item) for item, kind in plan]
    calls += [partial(live_engine.save_preferences, "u", *answer) for answer in answers]
    results, errors = run_together(calls)

    assert errors == []
    assert (results.count(Recorded.STORED), results.count(True)) == (N, len(answers))
    assert_all_recorded_once(live_engine, any_store, "u", plan)
    stored = any_store.preferences("u")
    known = catalog.category_counts()
    assert any(
        stored == {
            PreferenceKind.CATEGORY: [c for c in categories if c in known],
            PreferenceKind.INTEREST: [c for c in categories if c not in known],
            PreferenceKind.ITEM: loved,
            PreferenceKind.AVOID_CATEGORY: [c for c in avoid if c in known],
            PreferenceKind.AVOID_INTEREST: [c for c in avoid if c not in known],
        }
        for categories, loved, avoid in answers
    ), stored
    assert Profile.load(any_store, "u").onboarded


def overlap(first: Store, first_pauses_after: str, first_call: Callable[[], object],
            second: Store, second_starts: str, second_call: Callable[[], object], database_url: str) -> None:
    """Run ``first_call`` until it has executed a statement starting with ``first_pauses_after``
    (not committed), then ``second_call`` until it is blocked (PostgreSQL: waiting for a
    lock; SQLite: about to execute ``second_starts``, then waiting for the one writer) or
    done, then let both finish. Both must succeed."""
    first_paused, resume_first, second_started = threading.Event(), threading.Event(), threading.Event()

    @event.listens_for(first.engine, "after_cursor_execute")
    def pause_first(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(first_pauses_after) and not first_paused.is_set():
            first_paused.set()
            resume_first.wait(TIMEOUT)

    @event.listens_for(second.engine, "before_cursor_execute")
    def starting(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(second_starts):
            second_started.set()

    errors: list[BaseException] = []

    def guarded(call):
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def second_is_stuck_or_done() -> bool:
        if not second_thread.is_alive():
            return True
        if database_url.startswith("sqlite"):
            return second_started.is_set()
        with first.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar_one() > 0

    first_thread = threading.Thread(target=guarded, args=(first_call,), daemon=True)
    second_thread = threading.Thread(target=guarded, args=(second_call,), daemon=True)
    try:
        first_thread.start()
        assert first_paused.wait(TIMEOUT)
        second_thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not second_is_stuck_or_done():
            assert time.monotonic() < deadline, "the second writer neither finished nor waited"
            time.sleep(0.01)
        resume_first.set()
        first_thread.join(TIMEOUT)
        second_thread.join(TIMEOUT)
        assert not first_thread.is_alive() and not second_thread.is_alive()
    finally:
        resume_first.set()
    assert errors == []


def test_overlapping_replacements_of_the_answers_never_mix(any_store, database_url):
    """Deterministic form of the race above: the second of two overlapping set_preferences
    must replace the first one's answers. On PostgreSQL each statement sees only committed
    rows, so without a lock it deletes only the old answers and both new sets survive."""
    other = Store(database_url)  # a second app process
    any_store.set_consent("u", True)
    first_answers = {PreferenceKind.CATEGORY: ["Drama"], PreferenceKind.ITEM: ["alien-1979"]}
    try:
        overlap(any_store, "INSERT INTO PREFERENCES", partial(any_store.set_preferences, "u", first_answers),
                other, "INSERT INTO USERS",
                partial(other.set_preferences, "u", {PreferenceKind.CATEGORY: ["Comedy"]}), database_url)
    finally:
        other.engine.dispose()
    assert any_store.preferences("u") == {
        PreferenceKind.CATEGORY: ["Comedy"], PreferenceKind.AVOID_CATEGORY: [],
        PreferenceKind.ITEM: [], PreferenceKind.INTEREST: [], PreferenceKind.AVOID_INTEREST: [],
    }


@pytest.mark.parametrize("write", ["event", "answers"])
def test_a_write_racing_a_consent_withdrawal_leaves_nothing(any_store, database_url, write):
    """An event (or questionnaire answers) whose consent check passed, still uncommitted
    when the user withdraws consent in another process: the withdrawal must not miss it.
    Was a bug: consent was checked outside the write's transaction, so on PostgreSQL the
    withdrawal's DELETE did not see the uncommitted row, and the row survived it."""
    other = Store(database_url)
    any_store.set_consent("u", True)
    calls = {
        "event": ("INSERT INTO EVENTS", partial(any_store.add_events, "u", [(EventType.LIKE, "jaws-1975", None)],
                                               if_consented=True)),
        "answers": ("INSERT INTO PREFERENCES", partial(any_store.set_preferences, "u",
                                                      {PreferenceKind.CATEGORY: ["Drama"]}, if_consented=True)),
    }
    pause_after, call = calls[write]
    try:
        overlap(any_store, pause_after, call, other, "INSERT INTO USERS",
                partial(other.set_consent, "u", False), database_url)
    finally:
        other.engine.dispose()
    assert count(any_store, Event, "u") == 0
    assert count(any_store, Preference, "u") == 0
    assert any_store.consents("u")[-1].granted is False


def test_racing_first_writes_of_a_new_user_create_it_once(any_store, catalog):
    """Events, consent and answers that arrive together for a user never seen before all
    succeed: the users row is inserted once, not once per transaction (primary key error)."""
    for round_ in range(3):  # a few rounds: the race between the first transactions is short
        sender = f"new-{round_}"
        plan = feedback_plan(catalog, n=N - 2)
        calls: list[Callable[[], object]] = [
            partial(any_store.add_event, sender, kind, item) for item, kind in plan
        ]
        calls.append(partial(any_store.set_consent, sender, True))
        calls.append(partial(any_store.set_preferences, sender, {PreferenceKind.CATEGORY: ["Drama"]}))

        _, errors = run_together(calls)

        assert errors == []
        assert count(any_store, User, sender) == 1
        assert Counter((e.item_id, e.type) for e in any_store.events(sender)) == Counter(
            (item, str(kind)) for item, kind in plan
        )
        assert [c.granted for c in any_store.consents(sender)] == [True]
        assert any_store.preferences(sender)[PreferenceKind.CATEGORY] == ["Drama"]
        assert any_store.user(sender).onboarded_at is not None


def test_a_first_write_racing_another_transaction_creating_the_user_succeeds(any_store, database_url, catalog):
    """Deterministic form of the race above: a second server process finds no user (the first
    transaction has not committed yet), the first commits, then the second inserts the user."""
    other = Store(database_url)  # a second app process: its own connections
    reached_insert = threading.Event()

    @event.listens_for(other.engine, "before_cursor_execute")
    def inserting_user(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO USERS"):
            reached_insert.set()

    errors: list[BaseException] = []

    def second_write():
        try:
            other.add_event("new", EventType.LIKE, catalog.items[1].id)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    racer = threading.Thread(target=second_write, daemon=True)

    def first_feedback():
        # The first transaction has inserted (not committed) the user; now let the racer in.
        racer.start()
        assert reached_insert.wait(TIMEOUT), "the second writer never tried to insert the user"
        yield EventType.LIKE, catalog.items[0].id, None

    try:
        any_store.add_events("new", first_feedback())
        racer.join(TIMEOUT)
        assert not racer.is_alive()
        assert errors == []
        assert count(any_store, User, "new") == 1
        assert sorted(e.item_id for e in any_store.events("new")) == sorted(i.id for i in catalog.items[:2])
    finally:
        other.engine.dispose()


# --- processes ------------------------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args], cwd=PROJECT_ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def first_line(process: subprocess.Popen) -> str:
    """The writer's first line of output, or fail (with its error) if it has none in time."""
    ready, _, _ = io_select.select([process.stdout], [], [], TIMEOUT)
    line = process.stdout.readline().strip() if ready else ""
    if not line:
        process.kill()
        _, err = process.communicate(timeout=TIMEOUT)
        pytest.fail(f"the writer process said nothing: {err}")
    return line


@pytest.mark.parametrize("user", ["consented", "new"])
def test_50_events_from_5_processes_are_all_recorded(live_engine, database_url, catalog, user, any_store):
    """Five OS processes (as several action-server workers) write feedback for one user at the
    same moment: every event is stored once; a new user's row is created once."""
    if user == "consented":
        live_engine.set_consent("u", True)
    plan = feedback_plan(catalog)
    processes = [spawn("events", database_url, "u", *(f"{item}={kind}" for item, kind in plan[p::5]))
                 for p in range(5)]
    try:
        assert [first_line(p) for p in processes] == ["ready"] * 5
        for process in processes:  # all are connected and waiting: release them together
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=TIMEOUT) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait(TIMEOUT)

    assert [(p.returncode, out.strip(), err) for p, (out, err) in zip(processes, outcomes)] == [
        (0, "done", "")
    ] * 5
    assert_all_recorded_once(live_engine, any_store, "u", plan)
    assert {e.channel for e in any_store.events("u")} == {"process"}


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every engine table, for comparing whole databases."""
    with store.engine.connect() as connection:
        return {
            table.name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("mode", ["transaction", "add_events", "set_preferences"])
def test_a_writer_killed_mid_transaction_leaves_no_partial_state(any_store, database_url, catalog, mode):
    """SIGKILL while a feedback write is open (rows flushed or old answers deleted, nothing
    committed): the database opens fine, holds exactly what it held before, and takes new writes."""
    items = [item.id for item in catalog.items[:6]]
    any_store.set_consent("u", True)
    any_store.set_preferences("u", {PreferenceKind.CATEGORY: ["Drama"], PreferenceKind.ITEM: [items[0]]})
    any_store.add_events("u", [(EventType.LIKE, items[1], None), (EventType.DISLIKE, items[2], "Drama")])
    before = snapshot(any_store)

    args = {
        "transaction": ("u", "ghost", *items[3:]),
        "add_events": ("ghost", *items[3:]),
        "set_preferences": ("u", "Comedy", "Western"),
    }[mode]
    process = spawn(mode, database_url, *args)
    try:
        said = first_line(process)
        # The writer really wrote inside its transaction: 3 likes for each of two users, 2 answers.
        assert said == ("flushed 6 2" if mode == "transaction" else "blocked")
        assert snapshot(any_store) == before  # uncommitted rows are invisible to others
        process.send_signal(signal.SIGKILL)
        process.wait(TIMEOUT)
    finally:
        process.kill()
        process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL

    any_store.engine.dispose()
    reopened = Store(database_url)  # as a restarted server would
    try:
        if database_url.startswith("sqlite"):
            with reopened.engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert snapshot(reopened) == before
        assert reopened.user("ghost") is None
        assert count(reopened, Event, "u") == 2
        assert reopened.preferences("u")[PreferenceKind.CATEGORY] == ["Drama"]

        # New writes go through at once, including to the rows the killed writer had touched.
        reopened.set_preferences("u", {PreferenceKind.CATEGORY: ["Comedy"]})
        reopened.add_events("u", [(EventType.LIKE, items[3], None)])
        reopened.add_event("ghost", EventType.CLICK, items[4])
        assert reopened.preferences("u")[PreferenceKind.CATEGORY] == ["Comedy"]
        assert count(reopened, Event, "u") == 3
        assert count(reopened, Event, "ghost") == 1
        assert count(reopened, Consent, "u") == 1
        assert count(reopened, Preference, "ghost") == 0
    finally:
        reopened.engine.dispose()

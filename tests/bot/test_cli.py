"""The `bot` command line, run in-process with Typer's CliRunner."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PROJECT_ROOT
from bot.engine import Engine
from bot.experiments import load_experiments
from bot.nlu import lookup_tables_yaml
from bot.store import Store
from bot.vocabulary import EventType

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


@pytest.fixture
def cli(monkeypatch, state_dir, db_url, index):
    """Run `bot ...` against the shared state dir (embeddings already cached) and a fresh DB."""
    for key in [k for k in os.environ if k.startswith("BOT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BOT_STATE_DIR", str(state_dir))
    monkeypatch.setenv("BOT_DATABASE_URL", db_url)
    monkeypatch.setenv("BOT_CATALOG", str(DEMO_CATALOG))
    runner = CliRunner()

    def run(*args: str, **kwargs):
        return runner.invoke(app, list(args), **kwargs)

    return run


@pytest.fixture
def engine_on_cli_db(catalog, index, encoder, db_url) -> Engine:
    """An Engine writing to the same database the CLI reads; alice and bob agreed to be remembered."""
    engine = Engine(catalog, index, encoder, Store(db_url))
    for sender_id in ("alice", "bob"):
        engine.set_consent(sender_id, True)
    return engine


def test_catalog_validate_reports_bad_rows_with_line_and_field(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"id": "a", "title": "A", "description": "d", "categories": ["Drama"]}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "b", "year": "soon"}) + "\n")

    result = cli("catalog", "validate", str(path))

    assert result.exit_code == 2
    assert f"{path}:2: field 'year'" in result.output
    assert result.stdout == ""


def test_catalog_validate_accepts_the_demo_catalog(cli, catalog):
    result = cli("catalog", "validate")

    assert result.exit_code == 0, result.output
    assert f"{len(catalog)} items" in result.stdout
    assert "all rows valid" in result.stdout


def test_nlu_lookups_writes_the_file_then_reports_up_to_date(cli, tmp_path, catalog):
    out = tmp_path / "nlu" / "lookups.yml"

    first = cli("nlu", "lookups", "--out", str(out))
    assert first.exit_code == 0, first.output
    assert f"wrote {out}" in first.stdout
    assert out.read_text(encoding="utf-8") == lookup_tables_yaml(catalog)

    second = cli("nlu", "lookups", "--out", str(out))
    assert second.exit_code == 0
    assert "up to date" in second.stdout


def test_nlu_lookups_rewrites_a_stale_file(cli, tmp_path, catalog):
    out = tmp_path / "lookups.yml"
    out.write_text("stale\n", encoding="utf-8")

    result = cli("nlu", "lookups", "--out", str(out))

    assert "wrote" in result.stdout
    assert out.read_text(encoding="utf-8") == lookup_tables_yaml(catalog)


def test_user_export_of_an_unknown_user_fails(cli):
    result = cli("user", "export", "nobody")

    assert result.exit_code == 2
    assert "no data stored for 'nobody'" in result.output


def test_user_export_prints_the_recorded_event_as_json(cli, engine_on_cli_db):
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975", channel="web")

    result = cli("user", "export", "alice")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sender_id"] == "alice"
    assert [(e["type"], e["item_id"], e["channel"]) for e in data["events"]] == [("like", "jaws-1975", "web")]


def test_user_erase_with_yes_erases(cli, engine_on_cli_db):
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975")
    engine_on_cli_db.record_event("bob", EventType.LIKE, "jaws-1975")

    result = cli("user", "erase", "alice", "--yes")

    assert result.exit_code == 0, result.output
    assert "erased alice" in result.stdout
    assert engine_on_cli_db.export("alice") is None
    assert engine_on_cli_db.export("bob") is not None
    assert cli("user", "export", "alice").exit_code == 2


def test_user_erase_asks_first_and_keeps_data_when_declined(cli, engine_on_cli_db):
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975")

    result = cli("user", "erase", "alice", input="n\n")

    assert result.exit_code != 0
    assert engine_on_cli_db.export("alice") is not None


def test_user_erase_of_an_unknown_user_fails(cli):
    assert cli("user", "erase", "nobody", "--yes").exit_code == 2


def test_user_show_prints_what_is_remembered(cli, engine_on_cli_db):
    engine_on_cli_db.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], [])

    result = cli("user", "show", "alice")

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["categories"] == ["Sci-Fi"]
    assert shown["loved"] == ["Alien (1979)"]


def test_recommend_prints_n_picks_with_reasons(cli, engine_on_cli_db):
    engine_on_cli_db.save_preferences("alice", ["Western"], [], [])

    result = cli("recommend", "alice", "--n", "3", "--category", "Western")

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("Western" in line and " — " in line for line in lines)


def test_index_build_is_a_no_op_when_the_index_is_current(cli, state_dir):
    cli("index", "build")  # builds from the cached embeddings if the shared index is missing

    result = cli("index", "build")

    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
    assert (state_dir / "index" / "items.faiss").exists()


def test_index_build_rebuilds_when_only_the_index_settings_change(cli, state_dir, tmp_path, monkeypatch):
    cli("index", "build")
    private = tmp_path / "state"  # a copy: the shared index stays as the other tests expect it
    shutil.copytree(state_dir, private)
    monkeypatch.setenv("BOT_STATE_DIR", str(private))
    monkeypatch.setenv("BOT_INDEX_COMPRESSION", "sq8")

    rebuilt = cli("index", "build")
    again = cli("index", "build")

    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed" in rebuilt.stdout
    assert "sq8" in (private / "index" / "items.json").read_text()
    assert "up to date" in again.stdout


def test_a_config_error_is_a_one_line_error(cli, monkeypatch):
    monkeypatch.setenv("BOT_CATLOG", "x.jsonl")

    result = cli("catalog", "validate")

    assert result.exit_code == 2
    assert "BOT_CATLOG" in result.output


# --- privacy: consent, export with the conversation, retention ------------------------------------


def _tracker_db(path, rows):
    """A tracker database like Rasa's SQLTrackerStore writes: (sender, event JSON) per row."""
    from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

    engine = create_engine(f"sqlite:///{path}")
    table = Table(
        "events", MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        for sender_id, event in rows:
            connection.execute(insert(table).values(
                sender_id=sender_id, type_name=event["event"], timestamp=event["timestamp"],
                intent_name=(event.get("parse_data") or {}).get("intent", {}).get("name"),
                data=json.dumps(event),
            ))
    engine.dispose()
    return f"sqlite:///{path}"


def _count_tracker_rows(url):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM events")).scalar()
    engine.dispose()
    return count


def test_purge_deletes_events_and_conversation_turns_older_than_given(cli, engine_on_cli_db, db_url, monkeypatch,
                                                                       tmp_path):
    from datetime import timedelta

    from bot.vocabulary import utcnow

    now = utcnow()
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975", at=now - timedelta(days=40))
    engine_on_cli_db.record_event("bob", EventType.DISLIKE, "alien-1979", at=now - timedelta(days=31))
    engine_on_cli_db.record_event("alice", EventType.LIKE, "toy-story-1995", at=now - timedelta(days=5))
    tracker_url = _tracker_db(tmp_path / "tracker.sqlite3", [
        ("alice", {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}},
                   "input_channel": "rest", "timestamp": (now - timedelta(days=40)).timestamp()}),
        ("alice", {"event": "bot", "text": "Hello!", "timestamp": (now - timedelta(days=1)).timestamp()}),
    ])
    monkeypatch.setenv("BOT_TRACKER_URL", tracker_url)

    result = cli("purge", "--older-than-days", "30")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2 events, 0 export tokens, 0 handoffs, 1 conversation events deleted"
    assert [e.item_id for e in Store(db_url).events("alice")] == ["toy-story-1995"]
    assert Store(db_url).events("bob") == []
    assert _count_tracker_rows(tracker_url) == 1
    assert engine_on_cli_db.consent("alice") is True


def test_purge_defaults_to_the_configured_retention(cli, engine_on_cli_db, db_url, monkeypatch, tmp_path):
    from datetime import timedelta

    from bot.vocabulary import utcnow

    now = utcnow()
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975", at=now - timedelta(days=40))
    engine_on_cli_db.record_event("alice", EventType.LIKE, "alien-1979", at=now - timedelta(days=20))
    monkeypatch.setenv("BOT_TRACKER_URL", f"sqlite:///{tmp_path / 'no-tracker-yet.sqlite3'}")
    monkeypatch.setenv("BOT_RETENTION_DAYS", "30")

    result = cli("purge")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 events, 0 export tokens, 0 handoffs, 0 conversation events deleted"
    assert [e.item_id for e in Store(db_url).events("alice")] == ["alien-1979"]
    assert not (tmp_path / "no-tracker-yet.sqlite3").exists()


def test_purge_refuses_less_than_a_day(cli):
    result = cli("purge", "--older-than-days", "0")

    assert result.exit_code == 2


def test_user_export_includes_consent_history_and_conversation(cli, engine_on_cli_db, monkeypatch, tmp_path):
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975", channel="web")
    tracker_url = _tracker_db(tmp_path / "tracker.sqlite3", [
        ("alice", {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}},
                   "input_channel": "rest", "timestamp": 1_700_000_000.0}),
        ("bob", {"event": "user", "text": "hey", "parse_data": {"intent": {"name": "greet"}},
                 "input_channel": "rest", "timestamp": 1_700_000_000.5}),
        ("alice", {"event": "bot", "text": "Hello!", "timestamp": 1_700_000_001.0}),
    ])
    monkeypatch.setenv("BOT_TRACKER_URL", tracker_url)

    result = cli("user", "export", "alice")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(c["granted"], c["channel"]) for c in data["consent_history"]] == [(True, "unknown")]
    assert data["conversation"] == [
        {"from": "user", "at": "2023-11-14T22:13:20+00:00", "text": "hi", "intent": "greet", "channel": "rest"},
        {"from": "bot", "at": "2023-11-14T22:13:21+00:00", "text": "Hello!"},
    ]
    assert data["profile"]["consent"] is True
    assert data["profile"]["liked"] == ["Jaws (1975)"]


def test_user_export_without_a_tracker_database_has_an_empty_conversation(cli, engine_on_cli_db, monkeypatch, tmp_path):
    monkeypatch.setenv("BOT_TRACKER_URL", f"sqlite:///{tmp_path / 'none.sqlite3'}")

    result = cli("user", "export", "bob")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["conversation"] == []
    assert [c["granted"] for c in data["consent_history"]] == [True]


def test_user_erase_also_deletes_the_conversation(cli, engine_on_cli_db, monkeypatch, tmp_path):
    tracker_url = _tracker_db(tmp_path / "tracker.sqlite3", [
        ("alice", {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}},
                   "input_channel": "rest", "timestamp": 1_700_000_000.0}),
        ("alice", {"event": "bot", "text": "Hello!", "timestamp": 1_700_000_001.0}),
        ("bob", {"event": "bot", "text": "Hello!", "timestamp": 1_700_000_002.0}),
    ])
    monkeypatch.setenv("BOT_TRACKER_URL", tracker_url)

    result = cli("user", "erase", "alice", "--yes")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "erased alice: the profile and 2 conversation events"
    assert _count_tracker_rows(tracker_url) == 1
    assert engine_on_cli_db.export("alice") is None


def test_user_show_prints_consent_and_learned_categories(cli, engine_on_cli_db):
    engine_on_cli_db.record_event("alice", EventType.LIKE, "jaws-1975")
    engine_on_cli_db.set_consent("bob", False)

    alice = cli("user", "show", "alice")
    bob = cli("user", "show", "bob")

    assert alice.exit_code == 0, alice.output
    shown = json.loads(alice.stdout)
    assert shown["consent"] is True
    assert shown["liked"] == ["Jaws (1975)"]
    assert shown["learned_categories"] == ["Adventure", "Thriller"]
    assert bob.exit_code == 0, bob.output
    shown = json.loads(bob.stdout)
    assert (shown["consent"], shown["onboarded"], shown["liked"]) == (False, False, [])


def test_user_consent_grants_and_withdraws(cli, engine_on_cli_db):
    assert cli("user", "consent", "carol", "--grant").exit_code == 0
    assert engine_on_cli_db.consent("carol") is True
    engine_on_cli_db.record_event("carol", EventType.LIKE, "jaws-1975")

    result = cli("user", "consent", "carol", "--withdraw")

    assert result.exit_code == 0, result.output
    assert "withdrawn" in result.stdout
    assert engine_on_cli_db.consent("carol") is False
    assert engine_on_cli_db.export("carol")["events"] == []
    assert [c["channel"] for c in engine_on_cli_db.export("carol")["consent_history"]] == ["cli", "cli"]


def test_segments_build_clusters_consenting_users_then_show_lists_them(cli, state_dir, tmp_path, monkeypatch,
                                                                       engine_on_cli_db):
    private = tmp_path / "state"  # segments are saved in the state directory: keep the shared one clean
    shutil.copytree(state_dir, private)
    monkeypatch.setenv("BOT_STATE_DIR", str(private))
    engine = engine_on_cli_db
    for sender_id, item_id in (("alice", "alien-1979"), ("bob", "the-matrix-1999"),
                               ("carol", "toy-story-1995"), ("dave", "toy-story-1995")):
        engine.set_consent(sender_id, True)
        engine.record_event(sender_id, EventType.LIKE, item_id)

    before = cli("segments", "show")
    built = cli("segments", "build", "--k", "2")
    shown = cli("segments", "show")
    too_many = cli("segments", "build", "--k", "3")

    assert before.exit_code == 2 and "no segments yet" in before.output
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith("2 segments of 4 users")
    assert "Sci-Fi" in built.stdout and "Animation" in built.stdout
    assert shown.stdout == built.stdout
    assert too_many.exit_code == 2 and "4 users with a known taste: 3 segments need at least 6" in too_many.output


def test_experiments_list_and_report_with_a_chart(cli, monkeypatch, tmp_path, catalog, index, encoder, db_url):
    path = tmp_path / "experiments.yml"
    path.write_text("experiments:\n  - name: ab\n    variants: [{name: a}, {name: b, diversity: 0.9}]\n")
    monkeypatch.setenv("BOT_EXPERIMENTS", str(path))
    engine = Engine(catalog, index, encoder, Store(db_url), experiments=load_experiments(path))
    for user in ("alice", "bob"):
        engine.set_consent(user, True)
        picks = engine.recommend(user, n=3)
        engine.record_event(user, EventType.CLICK, picks[0].item.id)

    listed = cli("experiments", "list")
    report = cli("experiments", "report", "ab", "--chart", str(tmp_path / "ab.png"))

    assert listed.exit_code == 0 and "ab (running): always to no end; decided on 'any'; variants a ×1, b ×1" in listed.output
    assert report.exit_code == 0, report.output
    rows = [line.split() for line in report.output.splitlines() if line.startswith(("a ", "b "))]
    shown = {row[0]: (int(row[1]), int(row[2])) for row in rows if row[1].isdigit()}  # variant: users, items shown
    assert sum(users for users, _ in shown.values()) == 2 and sum(n for _, n in shown.values()) == 6
    assert (tmp_path / "ab.png").read_bytes()[:4] == b"\x89PNG"
    unknown = cli("experiments", "report", "nope")
    assert unknown.exit_code == 2 and "no experiment named 'nope' (defined: ab)" in unknown.output


def test_a_malformed_experiments_file_stops_the_cli_naming_its_line_and_field(cli, monkeypatch, tmp_path):
    path = tmp_path / "experiments.yml"
    path.write_text("experiments:\n  - name: ab\n    variants:\n      - name: a\n      - name: b\n        weight: 0\n")
    monkeypatch.setenv("BOT_EXPERIMENTS", str(path))

    result = cli("experiments", "list")

    assert result.exit_code == 2
    assert f"{path}, line 6, field 'weight': must be a number above 0" in result.output


def test_history_import_reports_what_it_stored_and_a_second_run_stores_nothing(cli, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("user,item,time\nc1,jaws-1975,2026-01-02\nc1,nothing-like-it,2026-01-02\nc2,jaws-1975,later\n",
                      encoding="utf-8")

    first = cli("history", "import", str(orders))
    second = cli("history", "import", str(orders))

    assert first.exit_code == 0, first.output
    assert ("3 rows read; 1 events stored now and 0 before, of 1 users; 1 rows about 1 items not in the catalog "
            "(nothing-like-it, ...)") in first.stdout
    assert f"rejected: {orders}:4: 'time' must be Unix seconds or an ISO 8601 date-time, got 'later'" in first.stderr
    assert "0 events stored now and 1 before, of 1 users" in second.stdout


def test_history_import_of_a_missing_file_is_a_one_line_error(cli, tmp_path):
    result = cli("history", "import", str(tmp_path / "nowhere.csv"))

    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_db_upgrade_brings_the_database_to_the_newest_revision(cli):
    from bot import migrations

    result = cli("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert f"at revision {migrations.head()}" in result.stdout

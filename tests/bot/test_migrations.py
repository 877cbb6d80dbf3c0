"""The bot's database is carried from every earlier version to today's schema with its rows
(bot/migrations): a new database, one made before migrations existed (its schema kept in
tests/data/databases), and the migrations replayed from nothing all end with exactly the tables of
bot/schema.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from bot import migrations
from bot.schema import Base
from bot.store import Store
from bot.vocabulary import EventType

BEFORE_ALEMBIC = Path(__file__).parents[1] / "data/databases"


def _differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    return found


def _alembic(connection) -> Config:
    """Alembic's configuration for bot/migrations, on an open connection."""
    config = Config()
    config.set_main_option("script_location", str(migrations.FOLDER))
    config.attributes["connection"] = connection
    return config


def _made_before_alembic(url: str) -> None:
    """A database as the version before migrations made it, with a consenting user's rows."""
    engine = create_engine(url)
    script = (BEFORE_ALEMBIC / f"before-alembic.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    with engine.begin() as connection:
        for statement in script.split(";"):
            if "CREATE" in statement:
                connection.execute(text(statement))
        at = datetime(2026, 11, 1, 12, tzinfo=UTC)
        connection.execute(text("INSERT INTO users (sender_id, created_at) VALUES ('old-user', :at)"), {"at": at})
        connection.execute(text("INSERT INTO consents (sender_id, granted, channel, created_at) "
                                "VALUES ('old-user', true, 'rest', :at)"), {"at": at})
        connection.execute(text("INSERT INTO events (sender_id, type, item_id, category, channel, created_at) "
                                "VALUES ('old-user', 'like', 'tt0110912', NULL, 'rest', :at)"), {"at": at})
    engine.dispose()


def test_a_new_database_gets_todays_tables_at_the_newest_revision(database_url):
    store = Store(database_url)
    assert migrations.revision(store.engine) == migrations.head()
    assert _differences(database_url) == []


def test_a_database_made_before_migrations_is_carried_to_today_with_its_rows(database_url):
    _made_before_alembic(database_url)
    assert "alembic_version" not in inspect(create_engine(database_url)).get_table_names()

    store = Store(database_url)

    assert migrations.revision(store.engine) == migrations.head()
    assert _differences(database_url) == []
    [event] = store.events("old-user")
    assert (event.type, event.item_id, event.imported, event.import_key) == ("like", "tt0110912", False, None)
    assert store.consents("old-user")[-1].granted is True
    store.add_event("old-user", EventType.CLICK, "tt0111161")  # today's writes work on it
    assert len(store.events("old-user")) == 2


def test_the_migrations_replayed_from_nothing_make_the_same_tables(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config = _alembic(connection)
        command.upgrade(config, "head")
        command.downgrade(config, migrations.BASELINE)  # and the way back works
        command.upgrade(config, "head")
    engine.dispose()
    assert _differences(database_url) == []


def test_stores_opening_an_old_file_together_migrate_it_once(tmp_path):
    """Four at once (threads: SQLite's lock file is taken per open file, as by processes)."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    _made_before_alembic(url)
    failures: list[BaseException] = []

    def start() -> None:
        try:
            Store(url).events("old-user")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _differences(url) == []


def test_a_database_made_by_the_previous_version_is_carried_to_today_with_its_rows(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "0002_imported_history")  # the schema the version before this one made
        at = datetime(2026, 12, 1, 12, tzinfo=UTC)
        connection.execute(text("INSERT INTO users (sender_id, created_at) VALUES ('web-user', :at)"), {"at": at})
        connection.execute(text("INSERT INTO consents (sender_id, granted, channel, created_at) "
                                "VALUES ('web-user', true, 'socketio', :at)"), {"at": at})
        connection.execute(text("INSERT INTO events (sender_id, type, item_id, channel, created_at, imported) "
                                "VALUES ('web-user', 'like', 'tt0110912', 'socketio', :at, false)"), {"at": at})
    engine.dispose()

    store = Store(database_url)

    assert migrations.revision(store.engine) == migrations.head()
    assert _differences(database_url) == []
    assert [e.item_id for e in store.events("web-user")] == ["tt0110912"]
    assert store.linked_ids("web-user") == []  # the new table works on it


def test_a_database_made_at_sender_links_is_carried_to_today_with_its_rows(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(_alembic(connection), "0003_sender_links")  # the schema the version before link codes made
        at = datetime(2026, 12, 6, 12, tzinfo=UTC)
        connection.execute(text("INSERT INTO users (sender_id, created_at) VALUES ('shop-user', :at)"), {"at": at})
        connection.execute(text("INSERT INTO events (sender_id, type, item_id, channel, created_at, imported) "
                                "VALUES ('shop-user', 'like', 'tt0110912', 'site', :at, false)"), {"at": at})
        connection.execute(text("INSERT INTO sender_links (alias, sender_id, kind, linked_at) "
                                "VALUES ('web-visitor', 'shop-user', 'anonymous', :at)"), {"at": at})
    engine.dispose()

    store = Store(database_url)

    assert migrations.revision(store.engine) == migrations.head() == "0004_link_codes"
    assert _differences(database_url) == []
    assert [e.item_id for e in store.events("shop-user")] == ["tt0110912"]
    assert store.linked_ids("shop-user") == ["web-visitor"]
    store.set_link_code("shop-user", "hash-of-a-code", datetime.now(UTC) + timedelta(minutes=10))  # the new tables work
    linked = store.redeem_link_code("U024BE7LH", "hash-of-a-code", kind="slack")
    assert (linked.outcome, store.linked_ids("shop-user")) == ("linked", ["web-visitor", "U024BE7LH"])
    store.engine.dispose()

"""Carrying the bot's database to the schema of bot/schema.py, with alembic.

:func:`upgrade` runs whenever a :class:`bot.store.Store` first touches its database, so an
operator upgrading the bot needs no extra step: a new database gets today's tables at once, one
made before migrations existed is stamped as the baseline and upgraded, any other one is
upgraded from its revision. Processes that start together take turns (a PostgreSQL advisory
lock, a lock file beside a SQLite file), so the one that comes second finds the work done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, Engine, inspect, text

from bot import checkpoints
from bot.schema import Base

FOLDER = Path(__file__).parent
BASELINE = "0001_baseline"  # the schema of every database made before migrations
_LOCK_KEY = 727_105_112  # the PostgreSQL advisory lock taken while migrating (any fixed number)


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision (nothing to do costs one query)."""
    with engine.connect() as connection:
        if _revision(connection) == head():
            return
    with _migration_lock(engine):
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            tables = set(inspect(connection).get_table_names())
            config = _config(connection)
            if "alembic_version" not in tables:
                if "users" not in tables:  # a new database: today's tables, no history to replay
                    Base.metadata.create_all(connection)
                    command.stamp(config, "head")
                    return
                command.stamp(config, BASELINE)
            if _revision(connection) == head():  # another process did it while this one waited
                return
            command.upgrade(config, "head")
        _vacuum(engine)


def _vacuum(engine: Engine) -> None:
    """An upgraded SQLite file is rebuilt without its free pages: what was deleted before
    ``secure_delete`` zeroed deleted rows (an erased user's data) leaves the file."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM")
        checkpoints.truncate(engine)  # in WAL mode the rebuilt pages are in the log until then


def revision(engine: Engine) -> str | None:
    """The database's revision; None if it has none (new, or made before migrations)."""
    with engine.connect() as connection:
        return _revision(connection)


@cache
def head() -> str:
    """The newest revision in bot/migrations/versions."""
    head = ScriptDirectory(str(FOLDER)).get_current_head()
    assert head is not None, "bot/migrations/versions holds no revision"
    return head


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Beside a SQLite file, a lock file that processes sharing it take in turn (PostgreSQL's
    lock is taken inside the migration's transaction)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with FileLock(f"{database}.migrate-lock", timeout=120):
        yield

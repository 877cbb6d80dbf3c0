"""Opening the bot's database: SQLite (one file, zero set-up) by default, any SQLAlchemy URL,
such as PostgreSQL, for scale. Connection failures read as :class:`StoreUnavailable`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import checkpoints
from bot.vocabulary import StoreUnavailable

log = logging.getLogger(__name__)


def open_database(url: str) -> Engine:
    """An engine whose pooled connections are checked before use (pre-ping), so a restarted
    PostgreSQL needs no restart of ours; a SQLite file is shared by threads and processes."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    options: dict[str, Any] = {"pool_pre_ping": not sqlite}  # SQLite: no server to lose
    if sqlite:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False}
        if "timeout" not in parsed.query:  # seconds a writer waits for another's lock
            options["connect_args"]["timeout"] = 10
    engine = create_engine(url, **options)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        if parsed.database and parsed.database != ":memory:":
            checkpoints.manage(engine)
    return engine


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Connection-level failures become :class:`StoreUnavailable`; bugs stay what they are."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeout) as error:
        raise StoreUnavailable(f"the database is unavailable: {error.orig or error}") from error


def clear_deleted(engine: Engine, tables: Iterable[str]) -> None:
    """After rows were deleted for good (retention), let as little of them remain as the
    database allows: PostgreSQL prunes the dead rows of ``tables`` now (VACUUM) instead of
    whenever autovacuum comes; SQLite, which zeroes deleted rows, empties its log."""
    if engine.dialect.name != "postgresql":
        checkpoints.truncate(engine)
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in tables:
                connection.exec_driver_sql(f'VACUUM "{table}"')
    except SQLAlchemyError as error:  # the rows are deleted all the same; autovacuum prunes them later
        log.warning("VACUUM after deleting failed: %s", error)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything in the engine is UTC-aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection, _record) -> None:
    """Foreign keys on, and WAL so the action server and CLI can share the file. In WAL mode,
    synchronous=NORMAL syncs the log at checkpoints instead of at every commit: a crashed
    process loses nothing and the file never corrupts, but a power cut may undo the last
    commits. Every reply writes (impressions, events), and a sync per commit was most of
    a recommendation's time on this store (PostgreSQL is the store for durability at scale).
    The log is copied into the file in the background (bot/checkpoints.py). Deleted rows are
    overwritten with zeros (secure_delete), so that an erased user's data does not linger in
    the file's free space."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

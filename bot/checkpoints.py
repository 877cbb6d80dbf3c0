"""SQLite's write-ahead log, copied into the database file off the request path.

In WAL mode SQLite copies the log back into the database file (a checkpoint) during the commit
that takes the log past 1,000 pages, and with ``synchronous=NORMAL`` that commit also syncs the
file. Every reply commits (its impressions), so now and then a reply waited for a checkpoint,
which set the p99 of a recommendation. Here commits never checkpoint
(``wal_autocheckpoint=0``); one daemon thread checkpoints every managed database once a second,
passively, so it never waits for or blocks a reader or a writer, and SQLite's C code runs without
the GIL. The log is checkpointed too when the last connection to the file closes.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
TRUNCATE_ATTEMPTS = 10

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def manage(engine: Engine) -> None:
    """Take over the checkpoints of this SQLite file database: its connections stop
    checkpointing on commit, and the background thread (started on first use) does it."""
    global _thread
    event.listen(engine, "connect", _no_checkpoint_on_commit)
    with _lock:
        _engines.add(engine)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_checkpoint_forever, name="sqlite-checkpoints", daemon=True)
            _thread.start()


def checkpoint(engine: Engine) -> None:
    """Copy what the log holds into the database file, as far as readers allow (PASSIVE)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def truncate(engine: Engine, attempts: int = TRUNCATE_ATTEMPTS) -> bool:
    """Copy the whole log into the database file and empty the log file (TRUNCATE), so that
    what was just deleted (and zeroed by ``secure_delete``) is gone from both files; a reader
    in the middle of a transaction can hold it up, so it is tried a few times. Whether it
    went through (False: the next passive checkpoints copy the log, which is then reused)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return True
    for attempt in range(attempts):
        try:
            with engine.connect() as connection:
                busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        except SQLAlchemyError as error:  # locked past the busy timeout: what was deleted stays deleted
            log.warning("the log of %s could not be emptied now: %s", engine.url.database, error)
            return False
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    log.warning("the log of %s could not be emptied now: a reader held it", engine.url.database)
    return False


def _no_checkpoint_on_commit(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _checkpoint_forever() -> None:
    while True:
        time.sleep(INTERVAL_S)
        for engine in list(_engines):
            if not Path(engine.url.database).exists():  # removed: connecting would create it again
                continue
            try:
                checkpoint(engine)
            except SQLAlchemyError as error:  # locked or unreachable now: the next round tries again
                log.debug("checkpoint of %s skipped: %s", engine.url.database, error)

"""The statements of every request, built once (building one costs more than SQLite running
it), and what a write on a user's behalf runs first in its transaction: the user's row,
locked as the write needs, and the consent check."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from contextlib import closing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.schema import Consent, Event, Preference, User
from bot.vocabulary import utcnow

if TYPE_CHECKING:
    from bot.store import ImportedEvent

_SENDER = bindparam("sender")
_SENDERS = bindparam("senders", expanding=True)
_NEWEST_CONSENT = select(Consent.granted).where(Consent.sender_id == _SENDER).order_by(Consent.id.desc()).limit(1)
_NEWEST_CONSENT_OF_ROW = (
    select(Consent.granted).where(Consent.sender_id == User.sender_id).order_by(Consent.id.desc()).limit(1)
    .scalar_subquery()
)
_CONSENTING_USER_SHARED = (  # PostgreSQL: the consent check and the shared row lock in one
    select(User.sender_id).where(User.sender_id == _SENDER, _NEWEST_CONSENT_OF_ROW.is_(True))
    .with_for_update(read=True, of=User)
)
_EVENT_COLUMNS = (Event.type, Event.item_id, Event.category, Event.created_at, Event.id)
_NEWEST_FIRST = (Event.created_at.desc(), Event.id.desc())
_INSERT_USER = insert(User)
INSERT_MISSING_USER = {
    name: dialect_insert(User).on_conflict_do_nothing(index_elements=[User.sender_id])
    for name, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}

# One user (bound: sender; types; type and count).
USER_WITH_CONSENT = select(User.onboarded_at, _NEWEST_CONSENT_OF_ROW.label("consent")).where(User.sender_id == _SENDER)
PREFERENCES = select(Preference.kind, Preference.value).where(Preference.sender_id == _SENDER).order_by(Preference.id)
EVENTS_OF_TYPES = (
    select(*_EVENT_COLUMNS).where(Event.sender_id == _SENDER, Event.type.in_(bindparam("types", expanding=True)))
    .order_by(*_NEWEST_FIRST)
)
NEWEST_OF_TYPE = (
    select(*_EVENT_COLUMNS).where(Event.sender_id == _SENDER, Event.type == bindparam("type"))
    .order_by(*_NEWEST_FIRST).limit(bindparam("count"))
)
# Many users (bound: senders; types).
USERS_WITH_CONSENT = select(
    User.sender_id, User.onboarded_at, _NEWEST_CONSENT_OF_ROW.label("consent")).where(User.sender_id.in_(_SENDERS))
PREFERENCES_OF_MANY = (
    select(Preference.sender_id, Preference.kind, Preference.value).where(Preference.sender_id.in_(_SENDERS))
    .order_by(Preference.id)
)
EVENTS_OF_MANY = select(Event.sender_id, *_EVENT_COLUMNS).where(
    Event.sender_id.in_(_SENDERS), Event.type.in_(bindparam("types", expanding=True)))
INSERT_EVENT = insert(Event)

RowLock = Literal["share", "update"]
ROW_LOCKS: dict[RowLock | None, dict[str, bool] | None] = {
    "share": {"read": True},  # FOR SHARE
    "update": {"key_share": True},  # FOR NO KEY UPDATE: plain event inserts still go in
}


class NoConsent(Exception):
    """Rolls back a write that needs the user's consent when they have not given it."""


def require_consent(session: Session | Connection, sender_id: str) -> None:
    if session.scalar(_NEWEST_CONSENT, {"sender": sender_id}) is not True:
        raise NoConsent(sender_id)


def lock_consenting_user(connection: Connection, sender_id: str) -> None:
    """Raise NoConsent unless the user's newest consent decision is yes, holding the user's
    row (shared) until commit. On PostgreSQL that is one statement: a consenting user has a
    row, so nothing is inserted first (ingest latency is mostly round trips). SQLite reads
    after ``insert_missing_user``, the write that takes its one writer lock first."""
    if connection.dialect.name == "postgresql":
        if connection.scalar(_CONSENTING_USER_SHARED, {"sender": sender_id}) is None:
            raise NoConsent(sender_id)
        return
    insert_missing_user(connection, sender_id)
    require_consent(connection, sender_id)


def ensure_user(session: Session, sender_id: str, lock: RowLock | None = None) -> User:
    """The user's row, created if missing, as the transaction's first statement.

    The insert skips a row that exists (or that a concurrent first write is inserting)
    instead of failing on the primary key. Being a write, it also takes SQLite's one
    writer lock before anything is read, so what the transaction reads next (consent)
    cannot change before it commits. On PostgreSQL ``lock`` orders writers on the row:
    "update" for those that replace or delete the user's rows (one at a time), "share"
    for those that add events only if the user consents (many at a time, never while
    consent changes)."""
    insert_missing_user(session.connection(), sender_id)
    return session.get(User, sender_id, with_for_update=ROW_LOCKS.get(lock))


def insert_missing_user(connection: Connection, sender_id: str) -> None:
    """INSERT of a new user that does nothing if the row exists (or is being inserted by a
    transaction that then commits); a plain INSERT on databases without ON CONFLICT."""
    connection.execute(INSERT_MISSING_USER.get(connection.dialect.name, _INSERT_USER),
                       {"sender_id": sender_id, "created_at": utcnow()})


IMPORT_CACHE_KIB = 65536  # SQLite's page cache while importing (64 MiB; the default is 2)
# An imported event's own columns, then the two that are the same on every one: channel "import", imported.
_IMPORTED_COLUMNS = ("sender_id", "type", "item_id", "created_at", "import_key", "rating", "quantity", "value")
_INSERT_IMPORTED_SQLITE = (
    f"INSERT INTO events ({', '.join(_IMPORTED_COLUMNS)}, channel, imported) "
    f"VALUES ({', '.join('?' * len(_IMPORTED_COLUMNS))}, 'import', 1) ON CONFLICT (import_key) DO NOTHING"
)
_COPIED_COLUMNS = ", ".join((*_IMPORTED_COLUMNS, "channel", "imported"))
_COPIED_TYPES = ("text", "text", "text", "timestamptz", "text", "float8", "int4", "float8", "text", "bool")
_INT4_MAX = 2**31 - 1  # PostgreSQL's integer (the quantity's column)


def insert_imported(connection: Connection, users: Collection[str], events: Sequence[ImportedEvent],
                    now: datetime) -> int:
    """The users that are missing, then a shop's past events, in the driver's own terms: at
    tens of thousands of rows a second, SQLAlchemy's work on each row's parameters costs more
    than the database's. An event whose import key is stored already is left as it is; the
    number of events stored."""
    if connection.dialect.name == "postgresql":
        with closing(connection.connection.cursor()) as cursor:
            return _insert_imported_postgresql(cursor, users, events, now)
    return _insert_imported_sqlite(connection, users, events, now)


def sqlite_time(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite (UTC, no offset: "2026-03-01 10:00:00.000000"),
    so that stored times compare as text with every other one. A time in UTC already (every
    imported one) is cut from its own text: once a row, converting first cost more."""
    if moment.tzinfo is UTC:
        return moment.isoformat(" ", "microseconds")[:-6]  # without "+00:00"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_imported_sqlite(connection: Connection, users: Collection[str], events: Sequence[ImportedEvent],
                            now: datetime) -> int:
    """One prepared INSERT run for every row (the driver's executemany): the rows' parameters
    are all that is built in Python, the channel and the imported mark are in the statement.
    (Many rows to a statement, multi-row VALUES or json_each, cost SQLite 3.40 a third more.)"""
    # A page cache that holds the indexes' pages: new keys land all over the import key's index.
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    if users:  # (an empty list would run the statement once, without parameters)
        created = sqlite_time(now)
        connection.exec_driver_sql("INSERT INTO users (sender_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                   [(sender, created) for sender in users])
    if not events:
        return 0
    return connection.exec_driver_sql(_INSERT_IMPORTED_SQLITE, [
        (e.sender_id, str(e.type), e.item_id, sqlite_time(e.at), e.key, e.rating, e.quantity, e.value)
        for e in events]).rowcount


def _insert_imported_postgresql(cursor: Any, users: Collection[str], events: Sequence[ImportedEvent],
                                now: datetime) -> int:
    """The missing users in one statement, then the events through COPY (many times faster than
    INSERTs), straight into the table in a savepoint: the server stores the rows a page at a
    time and writes nothing twice, a quarter less of its time than through a scratch table.
    If an import key is taken (a second import, a concurrent one, or a row twice in the batch),
    the savepoint is rolled back and the rows go through the scratch table, which leaves those
    keys out."""
    from psycopg.errors import UniqueViolation  # (the driver is loaded only where PostgreSQL is used)

    if users:
        cursor.execute("INSERT INTO users (sender_id, created_at) SELECT unnest(%s::text[]), %s "
                       "ON CONFLICT DO NOTHING", (list(users), now))
    if not events:
        return 0
    rows = [(e.sender_id, str(e.type), e.item_id, e.at, e.key, e.rating, e.quantity, e.value, "import", True)
            for e in events]
    binary = _binary_copyable(events)
    cursor.execute("SAVEPOINT imported_events")
    try:
        _copy(cursor, "events", rows, binary)
    except UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT imported_events")
        return _copy_new(cursor, rows, binary)
    cursor.execute("RELEASE SAVEPOINT imported_events")
    return len(rows)


def _binary_copyable(events: Sequence[ImportedEvent]) -> bool:
    """Whether COPY may use PostgreSQL's binary format, which the server reads without parsing
    text and psycopg writes with half the work: not for a quantity beyond the integer column,
    which psycopg would write wrapped around where the text format has the server refuse it."""
    return all(e.quantity is None or e.quantity <= _INT4_MAX for e in events)


def _copy_new(cursor: Any, rows: list[tuple], binary: bool) -> int:
    """COPY into a scratch table of this transaction, then the rows whose import key is not
    taken into events; how many."""
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS new_events ON COMMIT DELETE ROWS "
                   f"AS SELECT {_COPIED_COLUMNS} FROM events WITH NO DATA")
    _copy(cursor, "new_events", rows, binary)
    cursor.execute(f"INSERT INTO events ({_COPIED_COLUMNS}) SELECT {_COPIED_COLUMNS} FROM new_events "
                   "ON CONFLICT (import_key) DO NOTHING")
    stored = cursor.rowcount
    cursor.execute("TRUNCATE new_events")  # a second batch in the same transaction starts empty
    return stored


def _copy(cursor: Any, table: str, rows: list[tuple], binary: bool) -> None:
    """``rows`` into ``table`` by COPY: one statement, the rows streamed as they are written."""
    with cursor.copy(f"COPY {table} ({_COPIED_COLUMNS}) FROM STDIN{' (FORMAT BINARY)' if binary else ''}") as copy:
        if binary:
            copy.set_types(_COPIED_TYPES)
        for row in rows:
            copy.write_row(row)


IMPORT_LOCK = 0x626F7468  # PostgreSQL's advisory lock key of history imports against erasures and withdrawals


def import_lock(connection: Connection, exclusive: bool = False) -> None:
    """Take, for the rest of the transaction, the lock that keeps a batch of imported history
    and an erasure or consent withdrawal apart: a batch reads who is erased or declined and
    writes their events in one transaction, which none of those may commit into. On
    PostgreSQL an advisory lock, shared by batches (they may run side by side) and taken
    ``exclusive`` by erasures and withdrawals (rare; they wait for at most a batch). SQLite has
    one writer at a time: a batch begins its transaction as a writer (BEGIN IMMEDIATE) before
    its reads, and the others' writes wait for it, so nothing is needed from them."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}({IMPORT_LOCK})")
    elif not exclusive:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def consent_decisions(connection: Connection, senders: Sequence[str]) -> dict[str, bool]:
    """The consent decision in force of each of these users who made one (many users at once)."""
    decisions: dict[str, bool] = {}
    for chunk in _chunks(senders):
        for sender, granted in connection.exec_driver_sql(
                f"SELECT sender_id, granted FROM consents WHERE sender_id IN ({_marks(connection, len(chunk))}) "
                "ORDER BY id", tuple(chunk)):
            decisions[sender] = bool(granted)  # the newest last
    return decisions


def erased_among(connection: Connection, senders: Sequence[str]) -> set[str]:
    """Which of these users were erased (their id's hash is kept); none are hashed while no one was."""
    if connection.exec_driver_sql("SELECT 1 FROM erased_senders LIMIT 1").first() is None:
        return set()
    by_hash = {sender_hash(sender): sender for sender in senders}
    hashes = list(by_hash)
    return {by_hash[found] for chunk in _chunks(hashes) for (found,) in connection.exec_driver_sql(
        f"SELECT sender_hash FROM erased_senders WHERE sender_hash IN ({_marks(connection, len(chunk))})",
        tuple(chunk))}


def sender_hash(sender_id: str) -> str:
    """How an erased user is remembered: a hash of their id, nothing else."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def _chunks(values: Sequence[str], size: int = 5000) -> Iterable[Sequence[str]]:
    return (values[start:start + size] for start in range(0, len(values), size))


def _marks(connection: Connection, count: int) -> str:
    return ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * count)

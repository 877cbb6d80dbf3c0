"""The statements of every request, built once (building one costs more than SQLite running
it), and what a write on a user's behalf runs first in its transaction: the user's row,
locked as the write needs, and the consent check."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.schema import Consent, Event, Preference, User
from bot.vocabulary import utcnow

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
_INSERT_MISSING_USER = {
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
    connection.execute(_INSERT_MISSING_USER.get(connection.dialect.name, _INSERT_USER),
                       {"sender_id": sender_id, "created_at": utcnow()})

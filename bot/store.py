"""Persistent user data through SQLAlchemy 2: users, stated preferences and events.

SQLite (one file, zero set-up) by default; any SQLAlchemy URL, such as
PostgreSQL, for scale. Every write is one transaction, so a crash never leaves
half an update. No table stores raw message text: events carry ids and labels.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot import checkpoints
from bot.vocabulary import POPULARITY_WEIGHTS, EventType, HandoffStatus, PreferenceKind, StoreUnavailable, utcnow

log = logging.getLogger(__name__)


BATCH_USERS = 500  # users read per statement by user_records (well under any database's parameter limit)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    sender_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    onboarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Preference(Base):
    """An answer from the onboarding questionnaire (a category, an avoided one, a loved item)."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("sender_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(
        ForeignKey("users.sender_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_sender_time", "sender_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("users.sender_id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str | None] = mapped_column(String(255), index=True)
    category: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(64), default="unknown")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Consent(Base):
    """One consent decision (given or withdrawn); the newest is in force, all are history."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_sender_time", "sender_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("users.sender_id", ondelete="CASCADE"))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(64), default="unknown")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ExportToken(Base):
    """A one-time, expiring download of a user's data; only the token's hash is stored."""

    __tablename__ = "export_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("users.sender_id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HandoffRequest(Base):
    """A conversation handed to a human agent; the agent queue is the open ones."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_time", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("users.sender_id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64), default="unknown")
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=HandoffStatus.WAITING)
    agent: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


RowLock = Literal["share", "update"]
ROW_LOCKS: dict[RowLock | None, dict[str, bool] | None] = {
    "share": {"read": True},  # FOR SHARE
    "update": {"key_share": True},  # FOR NO KEY UPDATE: plain event inserts still go in
}


@dataclass(frozen=True)
class FeedbackEvent:
    """One stored event as the engine reads it back (no ids, no channel)."""

    type: EventType
    item_id: str | None
    category: str | None
    at: datetime


@dataclass(frozen=True)
class UserRecord:
    """What a request reads about one user, read in one session (a session each was most of
    a request's database time): the consent in force, the user row's onboarding, the stated
    preferences, and the events asked for, newest first."""

    consent: bool | None  # None: never asked
    exists: bool
    onboarded: bool
    preferences: dict[PreferenceKind, list[str]]
    events: list[FeedbackEvent]


@contextmanager
def _unavailable_as_error() -> Iterator[None]:
    """Connection-level failures become :class:`StoreUnavailable`; bugs stay what they are."""
    try:
        yield
    except (OperationalError, InterfaceError, PoolTimeout) as error:
        raise StoreUnavailable(f"the database is unavailable: {error.orig or error}") from error


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything in the engine is UTC-aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Store:
    """Every method raises :class:`StoreUnavailable` when the database cannot be reached, and
    works again as soon as it can: pooled connections are checked before use (pre-ping), so
    a restarted PostgreSQL needs no restart of ours. The tables are created on first use, so
    a database that is down at start-up does not stop the process."""

    def __init__(self, url: str):
        parsed = make_url(url)
        options: dict[str, Any] = {"pool_pre_ping": parsed.get_backend_name() != "sqlite"}  # no server to lose
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"check_same_thread": False}
            if "timeout" not in parsed.query:  # seconds a writer waits for another's lock
                options["connect_args"]["timeout"] = 10
        self.engine = create_engine(url, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if parsed.database and parsed.database != ":memory:":
                checkpoints.manage(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._schema_ready = False
        try:
            self._ensure_schema()
        except StoreUnavailable as error:
            log.warning("%s; tables are created once it is back", error)

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with _unavailable_as_error():
                Base.metadata.create_all(self.engine)
            self._schema_ready = True

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: all of it commits, or none of it."""
        self._ensure_schema()
        with _unavailable_as_error(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only."""
        self._ensure_schema()
        with _unavailable_as_error(), self._sessions() as session:
            yield session

    def _ensure_user(self, session: Session, sender_id: str, lock: RowLock | None = None) -> User:
        """The user's row, created if missing, as the transaction's first statement.

        The insert skips a row that exists (or that a concurrent first write is inserting)
        instead of failing on the primary key. Being a write, it also takes SQLite's one
        writer lock before anything is read, so what the transaction reads next (consent)
        cannot change before it commits. On PostgreSQL ``lock`` orders writers on the row:
        "update" for those that replace or delete the user's rows (one at a time), "share"
        for those that add events only if the user consents (many at a time, never while
        consent changes)."""
        _insert_missing_user(session.connection(), sender_id)
        return session.get(User, sender_id, with_for_update=ROW_LOCKS.get(lock))

    def add_event(
        self,
        sender_id: str,
        type: EventType,
        item_id: str | None = None,
        category: str | None = None,
        channel: str = "unknown",
        at: datetime | None = None,
    ) -> None:
        self.add_events(sender_id, [(type, item_id, category)], channel=channel, at=at)

    def add_events(
        self,
        sender_id: str,
        events: Iterable[tuple[EventType, str | None, str | None]],
        channel: str = "unknown",
        at: datetime | None = None,
        if_consented: bool = False,
    ) -> bool:
        """Store the events in one transaction; with ``if_consented`` only if the user's
        newest consent decision is yes, checked in the same transaction (False if not).

        Every reply writes here (impressions), so it is Core on a plain connection with
        statements built once: the ORM session's set-up and statement building cost more
        than SQLite's work."""
        at = (at or utcnow()).astimezone(UTC)  # SQLite keeps no offset: store UTC only
        rows = [
            {"sender_id": sender_id, "type": str(kind), "item_id": item_id, "category": category,
             "channel": channel, "created_at": at}
            for kind, item_id, category in events
        ]
        self._ensure_schema()
        with suppress(_NoConsent), _unavailable_as_error(), self.engine.begin() as connection:
            if if_consented:
                _lock_consenting_user(connection, sender_id)
            else:
                _insert_missing_user(connection, sender_id)
            if rows:
                connection.execute(_INSERT_EVENT, rows)
            return True
        return False

    def set_preferences(
        self, sender_id: str, preferences: dict[PreferenceKind, Iterable[str]], if_consented: bool = False
    ) -> bool:
        """Replace the questionnaire answers and mark the user onboarded; with
        ``if_consented`` only if the user consents (checked in the same transaction)."""
        with suppress(_NoConsent), self.transaction() as session:
            # Locked: two concurrent replacements would otherwise both delete only the old
            # answers and leave a mix of both new sets (or fail on the unique constraint).
            user = self._ensure_user(session, sender_id, lock="update")
            if if_consented:
                _require_consent(session, sender_id)
            session.execute(delete(Preference).where(Preference.sender_id == sender_id))
            now = utcnow()
            for kind, values in preferences.items():
                for value in dict.fromkeys(values):
                    session.add(
                        Preference(sender_id=sender_id, kind=str(kind), value=value, created_at=now)
                    )
            user.onboarded_at = now
            return True
        return False

    def user(self, sender_id: str) -> User | None:
        with self.reading() as session:
            return session.get(User, sender_id)

    def user_record(
        self, sender_id: str, event_types: Iterable[EventType], latest: Iterable[tuple[EventType, int]] = ()
    ) -> UserRecord:
        """The user's consent, row, preferences and events of ``event_types`` (all of them) plus
        the newest few of each ``latest`` (type, how many), newest first."""
        self._ensure_schema()
        with _unavailable_as_error(), self.engine.connect() as connection:  # Core: no ORM work for plain rows
            user = connection.execute(_USER_WITH_CONSENT, {"sender": sender_id}).first()
            if user is None:
                return UserRecord(None, False, False, {kind: [] for kind in PreferenceKind}, [])
            preferences: dict[PreferenceKind, list[str]] = {kind: [] for kind in PreferenceKind}
            for kind, value in connection.execute(_PREFERENCES, {"sender": sender_id}):
                preferences[PreferenceKind(kind)].append(value)
            rows = list(connection.execute(
                _EVENTS_OF_TYPES, {"sender": sender_id, "types": [str(t) for t in event_types]}))
            for kind, count in latest:
                rows += connection.execute(_NEWEST_OF_TYPE, {"sender": sender_id, "type": str(kind), "count": count})
        return _user_record(user, preferences, rows)

    def user_records(self, sender_ids: Iterable[str], event_types: Iterable[EventType]) -> dict[str, UserRecord]:
        """``user_record`` (without the newest few) of many users, a few statements per
        ``BATCH_USERS`` users instead of a few per user (the analytics page reads thousands);
        users without a row are left out."""
        self._ensure_schema()
        senders, types = list(dict.fromkeys(sender_ids)), [str(t) for t in event_types]
        records = {}
        with _unavailable_as_error(), self.engine.connect() as connection:
            for start in range(0, len(senders), BATCH_USERS):
                chunk = {"senders": senders[start:start + BATCH_USERS], "types": types}
                preferences: dict[str, dict[PreferenceKind, list[str]]] = {}
                for sender, kind, value in connection.execute(_PREFERENCES_OF_MANY, chunk):
                    preferences.setdefault(sender, {k: [] for k in PreferenceKind})[PreferenceKind(kind)].append(value)
                events: dict[str, list[Any]] = {}
                for row in connection.execute(_EVENTS_OF_MANY, chunk):
                    events.setdefault(row.sender_id, []).append(row)
                for user in connection.execute(_USERS_WITH_CONSENT, chunk):
                    records[user.sender_id] = _user_record(
                        user, preferences.get(user.sender_id, {k: [] for k in PreferenceKind}),
                        events.get(user.sender_id, []),
                    )
        return records

    def preferences(self, sender_id: str) -> dict[PreferenceKind, list[str]]:
        with self.reading() as session:
            rows = session.scalars(
                select(Preference)
                .where(Preference.sender_id == sender_id)
                .order_by(Preference.id)
            )
            found: dict[PreferenceKind, list[str]] = {kind: [] for kind in PreferenceKind}
            for row in rows:
                found[PreferenceKind(row.kind)].append(row.value)
            return found

    def events(
        self,
        sender_id: str,
        types: Iterable[EventType] | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """The user's events (optionally of some types only), newest first."""
        query = select(Event).where(Event.sender_id == sender_id)
        if types is not None:
            query = query.where(Event.type.in_([str(t) for t in types]))
        query = query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)
        with self.reading() as session:
            rows = session.scalars(query).all()
        for row in rows:
            row.created_at = _as_utc(row.created_at)
        return list(rows)

    def feedback_log(
        self, types: Iterable[EventType], since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, str, str, datetime]]:
        """(sender, item, type, time) of every event about an item of these types, oldest first
        (from ``since``, before ``until``): model training, experiment reports."""
        query = (
            select(Event.sender_id, Event.item_id, Event.type, Event.created_at)
            .where(Event.item_id.is_not(None), Event.type.in_([str(t) for t in types]))
            .order_by(Event.created_at, Event.id)
        )
        if since is not None:
            query = query.where(Event.created_at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(Event.created_at < until.astimezone(UTC))
        with self.reading() as session:
            return [(s, i, t, _as_utc(at)) for s, i, t, at in session.execute(query)]

    def event_moments(self, since: datetime) -> Iterator[tuple[str, EventType, datetime]]:
        """(sender, type, time) of every event from ``since``, in one query (streamed)."""
        query = select(Event.sender_id, Event.type, Event.created_at).where(Event.created_at >= since.astimezone(UTC))
        self._ensure_schema()
        with _unavailable_as_error(), self.engine.connect() as connection:
            for sender_id, kind, at in connection.execution_options(yield_per=10_000).execute(query):
                yield sender_id, EventType(kind), _as_utc(at)

    def item_popularity(self, since: datetime | None = None) -> Counter[str]:
        """Net positive feedback per item over all users: the collaborative prior."""
        query = select(Event.item_id, Event.type, func.count()).where(
            Event.item_id.is_not(None), Event.type.in_([str(k) for k in POPULARITY_WEIGHTS])
        )
        if since is not None:
            query = query.where(Event.created_at >= since.astimezone(UTC))
        counts: Counter[str] = Counter()
        with self.reading() as session:
            for item_id, kind, count in session.execute(query.group_by(Event.item_id, Event.type)):
                counts[item_id] += POPULARITY_WEIGHTS[EventType(kind)] * count
        return counts

    def set_consent(self, sender_id: str, granted: bool, channel: str = "unknown") -> None:
        """Record a consent decision; a withdrawal also deletes everything learned from the
        user (preferences, events) in the same transaction, so it is never used again."""
        with self.transaction() as session:
            user = self._ensure_user(session, sender_id, lock="update")  # waits for consented writes
            if not granted:
                session.execute(delete(Event).where(Event.sender_id == sender_id))
                session.execute(delete(Preference).where(Preference.sender_id == sender_id))
                user.onboarded_at = None
            session.add(Consent(sender_id=sender_id, granted=granted, channel=channel, created_at=utcnow()))

    def consenting_senders(self) -> list[str]:
        """Every user whose newest consent decision is yes."""
        newest = select(func.max(Consent.id)).group_by(Consent.sender_id)
        query = select(Consent.sender_id).where(Consent.id.in_(newest), Consent.granted.is_(True))
        with self.reading() as session:
            return sorted(session.scalars(query))

    def consents(self, sender_id: str) -> list[Consent]:
        """The user's consent decisions, oldest first."""
        query = select(Consent).where(Consent.sender_id == sender_id).order_by(Consent.id)
        with self.reading() as session:
            rows = session.scalars(query).all()
        for row in rows:
            row.created_at = _as_utc(row.created_at)
        return list(rows)

    def add_export_token(self, sender_id: str, token_hash: str, expires_at: datetime) -> None:
        with self.transaction() as session:
            self._ensure_user(session, sender_id)
            session.add(ExportToken(token_hash=token_hash, sender_id=sender_id,
                                    expires_at=expires_at.astimezone(UTC)))

    def redeem_export_token(self, token_hash: str, now: datetime | None = None) -> str | None:
        """The token's user if it is unused and unexpired, marking it used in the same statement
        (so two concurrent downloads cannot both succeed); else None."""
        now = (now or utcnow()).astimezone(UTC)
        with self.transaction() as session:
            sender_id = session.scalar(
                select(ExportToken.sender_id).where(
                    ExportToken.token_hash == token_hash,
                    ExportToken.used_at.is_(None),
                    ExportToken.expires_at > now,
                )
            )
            if sender_id is None:
                return None
            claimed = session.execute(
                update(ExportToken)
                .where(ExportToken.token_hash == token_hash, ExportToken.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            return sender_id if claimed == 1 else None

    # --- the human agents' queue ---------------------------------------------------

    def open_handoff(self, sender_id: str, channel: str, reason: str) -> tuple[HandoffRequest, bool]:
        """The user's open handoff, or a new one in the queue; True if it was created now."""
        with self.transaction() as session:
            self._ensure_user(session, sender_id)
            current = session.scalars(
                select(HandoffRequest).where(
                    HandoffRequest.sender_id == sender_id, HandoffRequest.status != HandoffStatus.CLOSED
                )
            ).first()
            if current is not None:
                return current, False
            created = HandoffRequest(sender_id=sender_id, channel=channel, reason=reason,
                                     status=HandoffStatus.WAITING, requested_at=utcnow())
            session.add(created)
            session.flush()
            return created, True

    def handoffs(self, statuses: Iterable[HandoffStatus], sender_id: str | None = None) -> list[HandoffRequest]:
        """Handoffs in these states, oldest request first."""
        query = select(HandoffRequest).where(HandoffRequest.status.in_([str(s) for s in statuses]))
        if sender_id is not None:
            query = query.where(HandoffRequest.sender_id == sender_id)
        with self.reading() as session:
            return list(session.scalars(query.order_by(HandoffRequest.requested_at, HandoffRequest.id)))

    def handoff(self, handoff_id: int) -> HandoffRequest | None:
        with self.reading() as session:
            return session.get(HandoffRequest, handoff_id)

    def move_handoff(
        self, handoff_id: int, agent: str | None, source: Iterable[HandoffStatus], target: HandoffStatus
    ) -> HandoffRequest | None:
        """Move a handoff from one of ``source`` states to ``target`` in one statement, so two
        agents cannot both take it; the updated handoff, or None if it was in no such state."""
        now = utcnow()
        values: dict[str, Any] = {"status": target, "agent": agent}
        values["claimed_at" if target == HandoffStatus.ACTIVE else "closed_at"] = now
        with self.transaction() as session:
            moved = session.execute(
                update(HandoffRequest)
                .where(HandoffRequest.id == handoff_id, HandoffRequest.status.in_([str(s) for s in source]))
                .values(**values)
            ).rowcount
            return session.get(HandoffRequest, handoff_id) if moved else None

    def purge(self, before: datetime) -> dict[str, int]:
        """Delete events older than ``before``, export tokens that expired before it, and
        handoffs closed before it."""
        before = before.astimezone(UTC)
        with self.transaction() as session:
            events = session.execute(delete(Event).where(Event.created_at < before)).rowcount
            tokens = session.execute(delete(ExportToken).where(ExportToken.expires_at < before)).rowcount
            handoffs = session.execute(
                delete(HandoffRequest).where(
                    HandoffRequest.status == HandoffStatus.CLOSED, HandoffRequest.closed_at < before
                )
            ).rowcount
        return {"events": events, "export_tokens": tokens, "handoffs": handoffs}

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about one user, as plain JSON-ready data."""
        user = self.user(sender_id)
        if user is None:
            return None
        return {
            "sender_id": sender_id,
            "created_at": _as_utc(user.created_at).isoformat(),
            "onboarded_at": _as_utc(user.onboarded_at).isoformat() if user.onboarded_at else None,
            "preferences": {str(k): v for k, v in self.preferences(sender_id).items()},
            "events": [
                {
                    "type": e.type,
                    "item_id": e.item_id,
                    "category": e.category,
                    "channel": e.channel,
                    "at": e.created_at.isoformat(),
                }
                for e in reversed(self.events(sender_id))
            ],
            "consent_history": [
                {"granted": c.granted, "channel": c.channel, "at": c.created_at.isoformat()}
                for c in self.consents(sender_id)
            ],
            "handoffs": [
                {
                    "reason": h.reason,
                    "channel": h.channel,
                    "status": h.status,
                    "agent": h.agent,
                    "requested_at": _as_utc(h.requested_at).isoformat(),
                    "closed_at": _as_utc(h.closed_at).isoformat() if h.closed_at else None,
                }
                for h in self.handoffs(HandoffStatus, sender_id=sender_id)
            ],
        }

    def erase(self, sender_id: str) -> bool:
        """Delete every row about the user; True if there was anything to delete."""
        with self.transaction() as session:
            for table in (Event, Preference, Consent, ExportToken, HandoffRequest):
                session.execute(delete(table).where(table.sender_id == sender_id))
            return session.execute(delete(User).where(User.sender_id == sender_id)).rowcount > 0


class _NoConsent(Exception):
    """Rolls back a write that needs the user's consent when they have not given it."""


def _require_consent(session: Session | Connection, sender_id: str) -> None:
    if session.scalar(_NEWEST_CONSENT, {"sender": sender_id}) is not True:
        raise _NoConsent(sender_id)


def _lock_consenting_user(connection: Connection, sender_id: str) -> None:
    """Raise _NoConsent unless the user's newest consent decision is yes, holding the user's
    row (shared) until commit. On PostgreSQL that is one statement: a consenting user has a
    row, so nothing is inserted first (ingest latency is mostly round trips). SQLite reads
    after ``_insert_missing_user``, the write that takes its one writer lock first."""
    if connection.dialect.name == "postgresql":
        if connection.scalar(_CONSENTING_USER_SHARED, {"sender": sender_id}) is None:
            raise _NoConsent(sender_id)
        return
    _insert_missing_user(connection, sender_id)
    _require_consent(connection, sender_id)


def _insert_missing_user(connection: Connection, sender_id: str) -> None:
    """INSERT of a new user that does nothing if the row exists (or is being inserted by a
    transaction that then commits); a plain INSERT on databases without ON CONFLICT."""
    connection.execute(_INSERT_MISSING_USER.get(connection.dialect.name, _INSERT_USER),
                       {"sender_id": sender_id, "created_at": utcnow()})


# The statements of every request, built once (building one costs more than SQLite running it).
_SENDER = bindparam("sender")
_NEWEST_CONSENT = select(Consent.granted).where(Consent.sender_id == _SENDER).order_by(Consent.id.desc()).limit(1)
_NEWEST_CONSENT_OF_ROW = (
    select(Consent.granted).where(Consent.sender_id == User.sender_id).order_by(Consent.id.desc()).limit(1)
    .scalar_subquery()
)
_USER_WITH_CONSENT = select(User.onboarded_at, _NEWEST_CONSENT_OF_ROW.label("consent")).where(User.sender_id == _SENDER)
_CONSENTING_USER_SHARED = (  # PostgreSQL: the consent check and the shared row lock in one
    select(User.sender_id).where(User.sender_id == _SENDER, _NEWEST_CONSENT_OF_ROW.is_(True))
    .with_for_update(read=True, of=User)
)
_PREFERENCES = select(Preference.kind, Preference.value).where(Preference.sender_id == _SENDER).order_by(Preference.id)
_EVENT_COLUMNS = (Event.type, Event.item_id, Event.category, Event.created_at, Event.id)
_NEWEST_FIRST = (Event.created_at.desc(), Event.id.desc())
_EVENTS_OF_TYPES = (
    select(*_EVENT_COLUMNS).where(Event.sender_id == _SENDER, Event.type.in_(bindparam("types", expanding=True)))
    .order_by(*_NEWEST_FIRST)
)
_NEWEST_OF_TYPE = (
    select(*_EVENT_COLUMNS).where(Event.sender_id == _SENDER, Event.type == bindparam("type"))
    .order_by(*_NEWEST_FIRST).limit(bindparam("count"))
)
_SENDERS = bindparam("senders", expanding=True)
_USERS_WITH_CONSENT = select(
    User.sender_id, User.onboarded_at, _NEWEST_CONSENT_OF_ROW.label("consent")).where(User.sender_id.in_(_SENDERS))
_PREFERENCES_OF_MANY = (
    select(Preference.sender_id, Preference.kind, Preference.value).where(Preference.sender_id.in_(_SENDERS))
    .order_by(Preference.id)
)
_EVENTS_OF_MANY = select(Event.sender_id, *_EVENT_COLUMNS).where(
    Event.sender_id.in_(_SENDERS), Event.type.in_(bindparam("types", expanding=True)))
_INSERT_EVENT = insert(Event)
_INSERT_USER = insert(User)
_INSERT_MISSING_USER = {
    name: dialect_insert(User).on_conflict_do_nothing(index_elements=[User.sender_id])
    for name, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def _user_record(user: Any, preferences: dict[PreferenceKind, list[str]], event_rows: list[Any]) -> UserRecord:
    """A user's row (onboarded_at, consent), preferences and event rows as a record, events newest first."""
    rows = sorted(event_rows, key=lambda row: (_as_utc(row.created_at), row.id), reverse=True)
    events = [FeedbackEvent(EventType(row.type), row.item_id, row.category, _as_utc(row.created_at)) for row in rows]
    return UserRecord(user.consent, True, user.onboarded_at is not None, preferences, events)


def _sqlite_pragmas(connection, _record) -> None:
    """Foreign keys on, and WAL so the action server and CLI can share the file. In WAL mode,
    synchronous=NORMAL syncs the log at checkpoints instead of at every commit: a crashed
    process loses nothing and the file never corrupts, but a power cut may undo the last
    commits. Every reply writes (impressions, events), and a sync per commit was most of
    a recommendation's time on this store (PostgreSQL is the store for durability at scale).
    The log is copied into the file in the background (bot/checkpoints.py)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

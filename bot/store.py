"""Persistent user data: users, stated preferences, events, consents, export tokens, the
human agents' queue, and the ids linked to a user with the codes that link them (the tables are
in bot/schema.py).

Every write is one transaction, so a crash never leaves half an update.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from bot import checkpoints, migrations
from bot.database import as_utc, clear_deleted, open_database, unavailable_as_error
from bot.schema import (
    Consent,
    ErasedSender,
    Event,
    ExportToken,
    HandoffRequest,
    LinkAttempt,
    LinkCode,
    Preference,
    SenderLink,
    User,
)
from bot.statements import (
    EVENTS_OF_MANY,
    EVENTS_OF_TYPES,
    INSERT_EVENT,
    NEWEST_OF_TYPE,
    PREFERENCES,
    PREFERENCES_OF_MANY,
    USER_WITH_CONSENT,
    USERS_WITH_CONSENT,
    NoConsent,
    consent_decisions,
    ensure_user,
    erased_among,
    import_lock,
    insert_imported,
    insert_missing_user,
    lock_consenting_user,
    require_consent,
    sender_hash,
)
from bot.vocabulary import (
    LINK_CODE_MISS_WINDOW,
    LINK_CODE_MISSES,
    POPULARITY_WEIGHTS,
    AccountLink,
    EventType,
    HandoffStatus,
    Linked,
    LinkOutcome,
    PreferenceKind,
    StoreUnavailable,
    utcnow,
)

log = logging.getLogger(__name__)

BATCH_USERS = 500  # users read per statement by user_records (well under any database's parameter limit)


@dataclass(frozen=True)
class FeedbackEvent:
    """One stored event as the engine reads it back (no ids, no channel)."""

    type: EventType
    item_id: str | None
    category: str | None
    at: datetime


class ImportedEvent(NamedTuple):
    """One row of a shop's past (bot/history.py), as it is stored; ``key`` is its import key."""

    sender_id: str
    item_id: str
    type: EventType
    at: datetime
    rating: float | None
    quantity: int | None
    value: float | None
    consent: bool | None  # the shop's own record of the user's consent, if the file has one
    key: str


@dataclass(frozen=True)
class ImportedBatch:
    stored: int
    already_stored: int
    skipped_rows: int  # of users who declined consent, or were erased and have not consented since
    skipped_users: set[str]
    consents: int  # consents taken from the file for users who had made no decision
    users: set[str]  # users whose events are stored (now or by an earlier import)


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


class Store:
    """Every method raises :class:`StoreUnavailable` when the database cannot be reached, and
    works again as soon as it can: pooled connections are checked before use (pre-ping), so
    a restarted PostgreSQL needs no restart of ours. The tables are created (or migrated,
    bot/migrations) on first use, so a database that is down at start-up does not stop the
    process."""

    def __init__(self, url: str):
        self.engine = open_database(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._schema_ready = False
        try:
            self._ensure_schema()
        except StoreUnavailable as error:
            log.warning("%s; tables are created once it is back", error)

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with unavailable_as_error():
                migrations.upgrade(self.engine)
            self._schema_ready = True

    def migrate(self) -> str:
        """Bring the database to today's schema now (rather than on first use); its revision."""
        self._ensure_schema()
        with unavailable_as_error():
            return migrations.revision(self.engine) or "none"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: all of it commits, or none of it."""
        self._ensure_schema()
        with unavailable_as_error(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only."""
        self._ensure_schema()
        with unavailable_as_error(), self._sessions() as session:
            yield session

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
        with suppress(NoConsent), unavailable_as_error(), self.engine.begin() as connection:
            if if_consented:
                lock_consenting_user(connection, sender_id)
            else:
                insert_missing_user(connection, sender_id)
            if rows:
                connection.execute(INSERT_EVENT, rows)
            return True
        return False

    def import_events(self, events: list[ImportedEvent], known_users: set[str] | None = None) -> ImportedBatch:
        """Store a batch of a shop's past events in one transaction: none that is stored
        already, none of a user who declined consent or whose data was erased (unless they
        consented since); users are created as needed (``known_users``: those an earlier batch
        of the same import created, added to as this one does), and the file's consent applies
        to those who have made no decision of their own."""
        known = known_users if known_users is not None else set()
        senders = list({event.sender_id: None for event in events})
        self._ensure_schema()
        with unavailable_as_error(), self.engine.begin() as connection:
            import_lock(connection)  # no erasure or withdrawal commits between these reads and the writes
            decisions = consent_decisions(connection, senders)
            erased = erased_among(connection, senders)
            blocked = {s for s in senders if decisions.get(s) is False or (s in erased and decisions.get(s) is not True)}
            allowed = [event for event in events if event.sender_id not in blocked] if blocked else events
            users = set(senders) - blocked  # each has an event in ``allowed``
            consenting = [s for s in {e.sender_id: None for e in allowed if e.consent} if decisions.get(s) is None]
            stored = 0
            if users:
                now = utcnow()
                stored = insert_imported(connection, users - known, allowed, now)
                if consenting:
                    connection.execute(insert(Consent), [
                        {"sender_id": s, "granted": True, "channel": "import", "created_at": now} for s in consenting])
        known |= users
        skipped_rows = len(events) - len(allowed)
        return ImportedBatch(stored, len(allowed) - stored, skipped_rows, blocked, len(consenting), users)

    def set_preferences(
        self, sender_id: str, preferences: dict[PreferenceKind, Iterable[str]], if_consented: bool = False
    ) -> bool:
        """Replace the questionnaire answers and mark the user onboarded; with
        ``if_consented`` only if the user consents (checked in the same transaction)."""
        with suppress(NoConsent), self.transaction() as session:
            # Locked: two concurrent replacements would otherwise both delete only the old
            # answers and leave a mix of both new sets (or fail on the unique constraint).
            user = ensure_user(session, sender_id, lock="update")
            if if_consented:
                require_consent(session, sender_id)
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

    def add_preferences(self, sender_id: str, preferences: dict[PreferenceKind, Iterable[str]]) -> bool:
        """Add to the user's preferences, keeping those they have, if they consent (else False)."""
        with suppress(NoConsent), self.transaction() as session:
            ensure_user(session, sender_id, lock="update")  # serializes with set_preferences
            require_consent(session, sender_id)
            held = {(kind, value) for kind, value in session.execute(
                select(Preference.kind, Preference.value).where(Preference.sender_id == sender_id))}
            now = utcnow()
            for kind, values in preferences.items():
                for value in dict.fromkeys(values):
                    if (str(kind), value) not in held:
                        session.add(Preference(sender_id=sender_id, kind=str(kind), value=value, created_at=now))
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
        with unavailable_as_error(), self.engine.connect() as connection:  # Core: no ORM work for plain rows
            user = connection.execute(USER_WITH_CONSENT, {"sender": sender_id}).first()
            if user is None:
                return UserRecord(None, False, False, {kind: [] for kind in PreferenceKind}, [])
            preferences: dict[PreferenceKind, list[str]] = {kind: [] for kind in PreferenceKind}
            for kind, value in connection.execute(PREFERENCES, {"sender": sender_id}):
                preferences[PreferenceKind(kind)].append(value)
            rows = list(connection.execute(
                EVENTS_OF_TYPES, {"sender": sender_id, "types": [str(t) for t in event_types]}))
            for kind, count in latest:
                rows += connection.execute(NEWEST_OF_TYPE, {"sender": sender_id, "type": str(kind), "count": count})
        return _user_record(user, preferences, rows)

    def user_records(self, sender_ids: Iterable[str], event_types: Iterable[EventType]) -> dict[str, UserRecord]:
        """``user_record`` (without the newest few) of many users, a few statements per
        ``BATCH_USERS`` users instead of a few per user (the analytics page reads thousands);
        users without a row are left out."""
        self._ensure_schema()
        senders, types = list(dict.fromkeys(sender_ids)), [str(t) for t in event_types]
        records = {}
        with unavailable_as_error(), self.engine.connect() as connection:
            for start in range(0, len(senders), BATCH_USERS):
                chunk = {"senders": senders[start:start + BATCH_USERS], "types": types}
                preferences: dict[str, dict[PreferenceKind, list[str]]] = {}
                for sender, kind, value in connection.execute(PREFERENCES_OF_MANY, chunk):
                    preferences.setdefault(sender, {k: [] for k in PreferenceKind})[PreferenceKind(kind)].append(value)
                events: dict[str, list[Any]] = {}
                for row in connection.execute(EVENTS_OF_MANY, chunk):
                    events.setdefault(row.sender_id, []).append(row)
                for user in connection.execute(USERS_WITH_CONSENT, chunk):
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
            row.created_at = as_utc(row.created_at)
        return list(rows)

    def feedback_log(
        self, types: Iterable[EventType], since: datetime | None = None, until: datetime | None = None,
        live_only: bool = False,
    ) -> list[tuple[str, str, str, datetime]]:
        """(sender, item, type, time) of every event about an item of these types, oldest first
        (from ``since``, before ``until``): model training (imported history included),
        experiment reports and analytics (``live_only``: what happened with the bot running)."""
        query = (
            select(Event.sender_id, Event.item_id, Event.type, Event.created_at)
            .where(Event.item_id.is_not(None), Event.type.in_([str(t) for t in types]))
            .order_by(Event.created_at, Event.id)
        )
        if live_only:
            query = query.where(Event.imported.is_(False))
        if since is not None:
            query = query.where(Event.created_at >= since.astimezone(UTC))
        if until is not None:
            query = query.where(Event.created_at < until.astimezone(UTC))
        with self.reading() as session:
            return [(s, i, t, as_utc(at)) for s, i, t, at in session.execute(query)]

    def event_moments(self, since: datetime) -> Iterator[tuple[str, EventType, datetime]]:
        """(sender, type, time) of every event from ``since`` that happened with the bot running
        (not imported), in one query (streamed)."""
        query = select(Event.sender_id, Event.type, Event.created_at).where(
            Event.created_at >= since.astimezone(UTC), Event.imported.is_(False))
        self._ensure_schema()
        with unavailable_as_error(), self.engine.connect() as connection:
            for sender_id, kind, at in connection.execution_options(yield_per=10_000).execute(query):
                yield sender_id, EventType(kind), as_utc(at)

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
            if not granted:
                import_lock(session.connection(), exclusive=True)  # not amid a batch of imported history
            user = ensure_user(session, sender_id, lock="update")  # waits for consented writes
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
            row.created_at = as_utc(row.created_at)
        return list(rows)

    def add_export_token(self, sender_id: str, token_hash: str, expires_at: datetime) -> None:
        with self.transaction() as session:
            ensure_user(session, sender_id)
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
            ensure_user(session, sender_id)
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
        clear_deleted(self.engine, ("events", "export_tokens", "handoffs", "users", "preferences", "consents"))
        return {"events": events, "export_tokens": tokens, "handoffs": handoffs}

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about one user, as plain JSON-ready data."""
        user = self.user(sender_id)
        if user is None:
            return None
        return {
            "sender_id": sender_id,
            "created_at": as_utc(user.created_at).isoformat(),
            "onboarded_at": as_utc(user.onboarded_at).isoformat() if user.onboarded_at else None,
            "preferences": {str(k): v for k, v in self.preferences(sender_id).items()},
            "events": [
                {
                    "type": e.type,
                    "item_id": e.item_id,
                    "category": e.category,
                    "channel": e.channel,
                    "at": e.created_at.isoformat(),
                    **({"imported": True, "rating": e.rating, "quantity": e.quantity, "value": e.value}
                       if e.imported else {}),
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
                    "requested_at": as_utc(h.requested_at).isoformat(),
                    "closed_at": as_utc(h.closed_at).isoformat() if h.closed_at else None,
                }
                for h in self.handoffs(HandoffStatus, sender_id=sender_id)
            ],
        }

    def link_sender(self, alias: str, sender_id: str, kind: str) -> Linked:
        """Make ``alias`` (an anonymous visitor's id, or a Slack or Telegram account: ``kind``)
        part of ``sender_id``'s profile, in one transaction: consent rules apply. The user's own
        consent decision stands; a user who has made none takes the alias's decisions. The
        alias's events and preferences move to the user only when both the alias (they were
        stored with its consent) and the user now consent; otherwise they are deleted, as a
        withdrawal would. The alias keeps only its handoffs (an agent may be answering that
        conversation) and the link, which export and erasure follow to its conversation."""
        with self.transaction() as session:
            return _link(session, alias, sender_id, kind)

    def linked_profile(self, alias: str, kinds: Iterable[str]) -> str | None:
        """The user ``alias`` is linked to as one of ``kinds``; None if it is not."""
        query = select(SenderLink.sender_id).where(SenderLink.alias == alias, SenderLink.kind.in_(list(kinds)))
        with self.reading() as session:
            return session.scalar(query)

    def unlink(self, alias: str, kinds: Iterable[str]) -> bool:
        """Forget that ``alias`` (linked as one of ``kinds``) is part of a user's profile; what
        linking moved stays the user's. True if there was such a link."""
        with self.transaction() as session:
            return session.execute(
                delete(SenderLink).where(SenderLink.alias == alias, SenderLink.kind.in_(list(kinds)))).rowcount > 0

    def set_link_code(self, sender_id: str, code_hash: str, expires_at: datetime) -> None:
        """Keep the hash of the user's new link code, replacing theirs; expired codes go too."""
        with self.transaction() as session:
            session.execute(delete(LinkCode).where((LinkCode.sender_id == sender_id) | (LinkCode.expires_at <= utcnow())))
            session.add(LinkCode(sender_id=sender_id, code_hash=code_hash, expires_at=expires_at.astimezone(UTC)))

    def redeem_link_code(self, alias: str, code_hash: str, kind: str, now: datetime | None = None) -> AccountLink:
        """Link ``alias`` to the user whose unexpired code this is (:meth:`link_sender`), using
        the code up in the same transaction. While the alias has LINK_CODE_MISSES wrong codes
        within LINK_CODE_MISS_WINDOW, no code is checked. Each try is written down and committed
        before it is counted, so of tries made at once only those within the limit are checked;
        a wrong one stays as a miss, one that linked or was refused is taken back."""
        now = (now or utcnow()).astimezone(UTC)
        since = now - LINK_CODE_MISS_WINDOW
        with self.transaction() as session:
            session.execute(delete(LinkAttempt).where(LinkAttempt.tried_at <= since))
            attempt = LinkAttempt(alias=alias, tried_at=now)
            session.add(attempt)
            session.flush()
            attempt_id = attempt.id
        tries = select(func.count()).select_from(LinkAttempt).where(LinkAttempt.alias == alias,
                                                                    LinkAttempt.tried_at > since)
        with self.transaction() as session:
            owner = session.scalar(  # a write first: SQLite's writer lock before anything is read
                delete(LinkCode)
                .where(LinkCode.code_hash == code_hash, LinkCode.expires_at > now,
                       tries.scalar_subquery() <= LINK_CODE_MISSES)
                .returning(LinkCode.sender_id)
                .execution_options(synchronize_session=False))
            if owner is None and session.scalar(tries) <= LINK_CODE_MISSES:
                return AccountLink(LinkOutcome.WRONG_CODE)
            session.execute(delete(LinkAttempt).where(LinkAttempt.id == attempt_id))
            if owner is None:
                return AccountLink(LinkOutcome.TOO_MANY_TRIES)
            return AccountLink(LinkOutcome.LINKED, _link(session, alias, owner, kind))

    def linked_ids(self, sender_id: str) -> list[str]:
        """The ids linked to the user (:meth:`link_sender`), oldest link first."""
        query = select(SenderLink.alias).where(SenderLink.sender_id == sender_id).order_by(SenderLink.linked_at)
        with self.reading() as session:
            return list(session.scalars(query))

    def erase(self, sender_id: str) -> bool:
        """Delete every row about the user, imported ones too, the handoffs, link codes and tries
        of the ids linked to them and the links, and keep a hash of their id so that importing the
        shop's history again leaves them out; True if there was anything to delete (else nothing
        is written)."""
        with self.transaction() as session:
            import_lock(session.connection(), exclusive=True)  # not amid a batch of imported history
            aliases = list(session.scalars(select(SenderLink.alias).where(SenderLink.sender_id == sender_id)))
            for table in (Event, Preference, Consent, ExportToken, HandoffRequest, LinkCode):
                session.execute(delete(table).where(table.sender_id.in_([sender_id, *aliases])))
            session.execute(delete(LinkAttempt).where(LinkAttempt.alias.in_([sender_id, *aliases])))
            session.execute(delete(SenderLink).where((SenderLink.sender_id == sender_id) | (SenderLink.alias == sender_id)))
            session.execute(delete(User).where(User.sender_id.in_(aliases)))
            if session.execute(delete(User).where(User.sender_id == sender_id)).rowcount == 0 and not aliases:
                return False
            if session.get(ErasedSender, sender_hash(sender_id)) is None:
                session.add(ErasedSender(sender_hash=sender_hash(sender_id), erased_at=utcnow()))
        checkpoints.truncate(self.engine)  # the deleted rows' old pages leave the log too
        return True


def _user_record(user: Any, preferences: dict[PreferenceKind, list[str]], event_rows: list[Any]) -> UserRecord:
    """A user's row (onboarded_at, consent), preferences and event rows as a record, events newest first."""
    rows = sorted(event_rows, key=lambda row: (as_utc(row.created_at), row.id), reverse=True)
    events = [FeedbackEvent(EventType(row.type), row.item_id, row.category, as_utc(row.created_at)) for row in rows]
    return UserRecord(user.consent, True, user.onboarded_at is not None, preferences, events)


def _link(session: Session, alias: str, sender_id: str, kind: str) -> Linked:
    """:meth:`Store.link_sender`'s work, in the caller's transaction."""
    if alias == sender_id:
        raise ValueError("an id cannot be linked to itself")
    ensure_user(session, sender_id, lock="update")
    own = session.scalars(select(Consent).where(Consent.sender_id == sender_id).order_by(Consent.id)).all()
    theirs = session.scalars(select(Consent).where(Consent.sender_id == alias).order_by(Consent.id)).all()
    if not own:
        for decision in theirs:
            session.add(Consent(sender_id=sender_id, granted=decision.granted, channel=decision.channel,
                                created_at=decision.created_at))
    in_force = (own or theirs)[-1].granted if (own or theirs) else None
    moved_events = moved_preferences = 0
    if in_force and theirs and theirs[-1].granted:
        moved_events = session.execute(
            update(Event).where(Event.sender_id == alias).values(sender_id=sender_id)).rowcount
        held = select(Preference.kind, Preference.value).where(Preference.sender_id == sender_id)
        session.execute(delete(Preference).where(Preference.sender_id == alias,
                                                 tuple_(Preference.kind, Preference.value).in_(held)))
        moved_preferences = session.execute(
            update(Preference).where(Preference.sender_id == alias).values(sender_id=sender_id)).rowcount
        alias_row, user_row = session.get(User, alias), session.get(User, sender_id)
        if alias_row is not None and alias_row.onboarded_at and user_row.onboarded_at is None:
            user_row.onboarded_at = alias_row.onboarded_at
    for table in (Event, Preference, Consent, ExportToken):
        session.execute(delete(table).where(table.sender_id == alias))
    # The alias's handoffs stay (an agent answers that conversation), and so does its row.
    handed_off = select(HandoffRequest.id).where(HandoffRequest.sender_id == alias).exists()
    session.execute(delete(User).where(User.sender_id == alias, ~handed_off))
    session.execute(update(SenderLink).where(SenderLink.sender_id == alias).values(sender_id=sender_id))
    session.merge(SenderLink(alias=alias, sender_id=sender_id, kind=kind, linked_at=utcnow()))
    return Linked(moved_events, moved_preferences, in_force)

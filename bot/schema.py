"""The tables of the bot's own database (SQLAlchemy 2): users, stated preferences, events,
consents, export tokens, handoffs, the erased users' fingerprints, the ids linked to a user and the
one-time codes that link a Slack or Telegram chat.

No table stores raw message text: events carry ids and labels. Every change of these tables
comes with a migration in bot/migrations/versions, which carries existing databases along.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.vocabulary import HandoffStatus, utcnow


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
    """Something a user did (or the bot showed them). Events imported from a shop's past
    (``bot history import``) are marked ``imported`` and carry an ``import_key``, a hash of the
    row that makes importing the same row twice store it once."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_sender_time", "sender_id", "created_at"),
        Index("ix_events_import_key", "import_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(ForeignKey("users.sender_id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str | None] = mapped_column(String(255), index=True)
    category: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(64), default="unknown")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    import_key: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[float | None] = mapped_column(Float)
    quantity: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)


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



class ErasedSender(Base):
    """A user whose data was erased, known only by a hash of their id, so that importing the
    shop's history again does not bring their events back (unless they consent anew)."""

    __tablename__ = "erased_senders"

    sender_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SenderLink(Base):
    """Another id under which a user chatted, now one profile with theirs: the anonymous id a
    visitor had before signing in (their rows moved here), or a Slack or Telegram account linked
    with a one-time code (whose actions then read and write the user's profile). Kept so that
    export and erasure also cover that id's conversation."""

    __tablename__ = "sender_links"

    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "anonymous", "slack" or "telegram"
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkCode(Base):
    """A user's one-time code for linking a Slack or Telegram chat (bot/linking.py): one per
    user, a new one replaces it; only a slow hash of the code is stored."""

    __tablename__ = "link_codes"

    sender_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LinkAttempt(Base):
    """A code a chat sent, kept while it counts against the chat's guess limit: a wrong one for
    LINK_CODE_MISS_WINDOW (bot/vocabulary.py); one being checked until it is."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_alias_time", "alias", "tried_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alias: Mapped[str] = mapped_column(String(255))
    tried_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

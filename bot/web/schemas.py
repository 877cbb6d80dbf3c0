"""Pydantic shapes of the user-data API, so ``/docs`` shows what each endpoint answers.

They mirror the engine's own types (``ProfileSummary``, ``Recommendation``) field for
field; a test keeps :class:`ProfileOut` in step with ``ProfileSummary``. This module
imports nothing from the engine so that the chat page starts without loading it.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from bot.vocabulary import ANONYMOUS_SENDER

# No site event happened before this: an earlier 'at' is a wrong unit or sign (a number is read
# as Unix seconds, so -1e10 would be the year 1653), refused rather than stored.
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)


def _plain_text(value: str) -> str:
    """An id or label: not blank, and no control characters (NUL cannot even be stored in
    PostgreSQL; a newline or an escape sequence in an id is always a caller's bug)."""
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


class ProfileOut(BaseModel):
    """What the bot remembers about a user, in words (engine ``ProfileSummary``)."""

    known: bool
    onboarded: bool
    consent: bool | None = Field(description="The newest consent decision; null if never asked.")
    categories: list[str]
    avoid_categories: list[str]
    loved: list[str]
    liked: list[str]
    disliked: list[str]
    learned_categories: list[str] = Field(description="Learned from feedback, strongest first.")
    active_hours_utc: list[int] = Field(
        description="Hours of the day (0-23, UTC) the user is usually active, most active first, recent habits "
        "weighing more; empty with fewer than 5 events. For timing an email or a push message."
    )
    segment: str | None = Field(
        default=None, description="The users' segment nearest this user's taste (`bot segments build`), "
        "named by its top categories; null before segments are built or without a known taste."
    )
    experiment: str | None = Field(
        default=None, description="The A/B experiment on the ranking the user takes part in now (BOT_EXPERIMENTS); "
        "null if none runs or the user does not consent."
    )
    variant: str | None = Field(default=None, description="The user's group in that experiment.")


class UserExport(BaseModel):
    """Everything stored about a user (documentation only: the export is sent as stored)."""

    model_config = ConfigDict(extra="allow")

    sender_id: str
    preferences: dict[str, Any]
    events: list[dict[str, Any]]
    consent_history: list[dict[str, Any]]
    conversation: list[dict[str, Any]] = Field(description="The user's turns in Rasa's tracker store.")
    exported_at: str
    profile: ProfileOut


class ErasedOut(BaseModel):
    erased: dict[str, int] = Field(description="Rows deleted, per database.")


class ConsentIn(BaseModel):
    granted: bool = Field(strict=True, description="true: remember me; false: stop remembering me.")
    channel: str = Field("api", min_length=1, max_length=32, description="Where the decision was made.")

    _channel = field_validator("channel")(_plain_text)


class ConsentOut(BaseModel):
    consent: bool


class MergeIn(BaseModel):
    anonymous_id: str = Field(pattern=f"^{ANONYMOUS_SENDER.pattern}$",
                              description="The id the widget chatted under before the user signed in (web-<uuid>).")


class MergeOut(BaseModel):
    anonymous_id: str
    events: int = Field(description="Events moved to the user (none unless both consented).")
    preferences: int
    consent: bool | None = Field(description="The user's consent decision in force afterwards.")


class LinkCodeOut(BaseModel):
    """A one-time code the user types in Slack or Telegram to link that chat to their profile."""

    code: str = Field(description="8 characters shown as ABCD-2345; case and the dash do not matter when typed.")
    expires_at: AwareDatetime
    expires_in: int = Field(description="Seconds it stays valid (600); it works once, and a new code replaces it.")


class RecommendationOut(BaseModel):
    id: str
    title: str
    categories: list[str]
    reasons: list[str] = Field(description="Why it was picked, most important first.")


class ErrorOut(BaseModel):
    detail: str


class SiteEventIn(BaseModel):
    """Something a user did on the business's own site; it updates their profile at once."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=255, description="The same id the chat uses for this user.")
    type: Literal["view", "click", "add_to_cart", "purchase", "like", "dislike", "not_interested"]
    item_id: str = Field(min_length=1, max_length=255, description="A catalog item id.")
    at: AwareDatetime | None = Field(
        None, description="When it happened (ISO 8601 with offset, or Unix seconds), from 2000-01-01 to now; "
                          "default: now.",
    )
    consent: bool | None = Field(
        None, strict=True,
        description="The user's answer on the site's own consent banner, if any; recorded before the event.",
    )

    _user_id = field_validator("user_id")(_plain_text)

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Kept in UTC; a moment that has no UTC equivalent (year 1 at +23:59) is refused, and so
        is one before :data:`EARLIEST_EVENT`. (The future is checked by the endpoint, against now.)"""
        if value is None:
            return None
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("datetime_range", "is out of range") from None
        if value < EARLIEST_EVENT:
            raise PydanticCustomError(
                "datetime_too_early",
                "is before 2000-01-01 (a number is read as Unix seconds; send ISO 8601 with an offset)",
            )
        return value


class SiteEventOut(BaseModel):
    stored: bool
    queued: bool = Field(False, description="Kept to be stored once the database is back (202).")
    reason: str | None = Field(None, description="Why the event was not stored (yet).")


class UserTokenOut(BaseModel):
    """A user token: the logged-in user's browser sends it as ``Authorization: Bearer <token>``."""

    token: str = Field(description="Opens /api/users/{sender_id}/... for this user only.")
    token_type: Literal["Bearer"] = "Bearer"
    sender_id: str
    expires_at: AwareDatetime
    expires_in: int = Field(description="Seconds until it expires; then the site asks for a new one.")


class AgentOut(BaseModel):
    name: str = Field(description="The signed-in agent's name (from BOT_AGENT_TOKENS).")


class HandoffOut(BaseModel):
    """A conversation handed to the support agents (engine ``Handoff``)."""

    id: int
    sender_id: str
    channel: str = Field(description="Where the user writes from: socketio (the website), slack, telegram, ...")
    reason: str
    status: Literal["waiting", "active", "closed"]
    agent: str | None = Field(description="Who has it (active), or who handed it back (closed).")
    requested_at: AwareDatetime
    claimed_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    reachable: bool = Field(description="Whether a reply can be sent to the user's channel.")


class ItemEventOut(BaseModel):
    type: str
    item_id: str | None
    title: str | None
    at: str


class TurnOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    from_: Literal["user", "bot", "agent"] = Field(alias="from")
    at: str | None
    text: str | None


class HandoffBriefOut(BaseModel):
    """What an agent reads before answering (engine ``HandoffBrief``)."""

    handoff: HandoffOut
    profile: ProfileOut
    recent_recommendations: list[ItemEventOut] = Field(description="What the bot showed last, newest first.")
    recent_feedback: list[ItemEventOut] = Field(description="Likes, dislikes, clicks, purchases, newest first.")
    transcript: list[TurnOut] = Field(description="The conversation's last turns, oldest first.")


class AgentMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class RateOut(BaseModel):
    value: float = Field(description="Items acted on after being shown / items shown.")
    low: float = Field(description="95% confidence interval, the user as the unit.")
    high: float


class GroupOut(BaseModel):
    name: str = Field(description="The day (YYYY-MM-DD), segment or variant.")
    users: int
    shown: int = Field(description="Distinct (user, item) pairs shown.")
    acted: dict[str, int] = Field(description="Of those, acted on: click, like, any.")
    rates: dict[str, RateOut]


class AnalyticsOut(BaseModel):
    since: datetime
    until: datetime
    conversations: dict[str, int] = Field(description="UTC day -> users who wrote to the bot that day.")
    days: list[GroupOut] = Field(description="Every day of the period, oldest first.")
    segments: list[GroupOut] = Field(description="Biggest first; empty before `bot segments build`.")
    experiment: str | None = Field(description="The experiment running now (BOT_EXPERIMENTS), if any.")
    variants: list[GroupOut]

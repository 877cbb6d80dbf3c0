"""The words every layer shares: what can happen (event types and their weights), what a user
can state, what became of a write, the handoff states, and the one error a face must handle.

Nothing here imports another module of the bot, so the faces (Rasa actions, the web app, the
CLI), the engine and storage may all use it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventType(enum.StrEnum):
    """What a user did with an item; impressions are what the bot showed them."""

    IMPRESSION = "impression"
    VIEW = "view"  # an item page seen on the site
    CLICK = "click"
    ADD_TO_CART = "add_to_cart"
    LIKE = "like"
    DISLIKE = "dislike"
    NOT_INTERESTED = "not_interested"
    SEARCH = "search"
    PURCHASE = "purchase"
    OUTREACH = "outreach"  # the bot wrote first, at the user's usual hour (bot/outreach.py)


BOT_EVENTS = frozenset({EventType.IMPRESSION, EventType.OUTREACH})  # what the bot did, not the user

# Two different questions, so two weightings:
# how far an event moves one user's taste towards (or away from) the item ...
TASTE_WEIGHTS: dict[EventType, float] = {
    EventType.PURCHASE: 1.5,
    EventType.LIKE: 1.0,
    EventType.ADD_TO_CART: 0.8,
    EventType.CLICK: 0.3,
    EventType.VIEW: 0.15,
    EventType.NOT_INTERESTED: -0.3,
    EventType.DISLIKE: -0.7,
}
# ... and how much it counts towards the item's popularity (net positive feedback of all users).
POPULARITY_WEIGHTS: dict[EventType, float] = {
    EventType.LIKE: 1, EventType.PURCHASE: 2, EventType.ADD_TO_CART: 1, EventType.CLICK: 0.5,
    EventType.VIEW: 0.25, EventType.DISLIKE: -1, EventType.NOT_INTERESTED: -0.5,
}


class PreferenceKind(enum.StrEnum):
    CATEGORY = "category"
    AVOID_CATEGORY = "avoid_category"
    ITEM = "item"
    INTEREST = "interest"  # a stated taste that is no catalog category ("space operas")
    AVOID_INTEREST = "avoid_interest"  # something not wanted that is no catalog category ("glass")


class Recorded(enum.StrEnum):
    """What became of an event."""

    STORED = "stored"
    NO_CONSENT = "no_consent"  # the user has not agreed to be remembered: nothing kept
    QUEUED = "queued"  # the database is unavailable: kept on disk, stored when it is back


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"  # the user asked for a person; no agent has taken it yet
    ACTIVE = "active"  # an agent took it; the bot stays quiet
    CLOSED = "closed"  # handed back to the bot


class HandoffReason(enum.StrEnum):
    ASKED = "asked for a person"
    SUPPORT_REQUEST = "support request"  # an order, payment or account problem: agents' work
    NOT_UNDERSTOOD = "the bot did not understand twice"


class HandoffConflict(Exception):
    """The handoff is closed, or another agent has taken it."""


# Channels on which Rasa can send a message the user did not just ask for (an agent's
# reply minutes later). The REST channel answers only within the user's own request.
PUSH_CHANNELS = frozenset({"socketio", "slack", "telegram"})


EXPORT_LINK_TTL = timedelta(minutes=15)  # how long a one-time download link of a user's data works

# Linking a Slack or Telegram chat to the shop's profile with a one-time code (bot/linking.py).
LINKABLE_CHANNELS = frozenset({"slack", "telegram"})  # the website knows a signed-in user by their token
LINK_CODE_TTL = timedelta(minutes=10)
# Wrong codes a chat may send within the window; after that none is checked until the oldest
# ages out, so that a code (about 40 bits) cannot be guessed by trying.
LINK_CODE_MISSES = 5
LINK_CODE_MISS_WINDOW = timedelta(hours=1)


# An anonymous visitor's id as the chat widget makes it up (rasa_plugins/identity.py: the same
# pattern, where no signed-in user can be named): never a shop's user id.
ANONYMOUS_SENDER = re.compile(r"web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Linked:
    """What linking another id to a user did: rows moved to the user, and the consent in force."""

    events: int
    preferences: int
    consent: bool | None


class LinkOutcome(enum.StrEnum):
    """What became of a code typed in a Slack or Telegram chat."""

    LINKED = "linked"
    NO_CODE = "no_code"  # the message holds nothing shaped like a code
    WRONG_CODE = "wrong_code"  # no such code, expired or used: nothing changed
    TOO_MANY_TRIES = "too_many_tries"  # LINK_CODE_MISSES wrong codes lately: not checked, nothing changed


@dataclass(frozen=True)
class AccountLink:
    outcome: LinkOutcome
    linked: Linked | None = None  # what linking did, when it did


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (down, restarting, or its file locked): nothing was
    read or written. Callers degrade (non-personalized picks, queued events) or say so."""

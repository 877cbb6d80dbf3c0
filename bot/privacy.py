"""Users' rights over their data: export (also by one-time link), erasure and retention.

Everything the bot keeps about a person lives in two places: the engine database
(profile, preferences, events, consent history, export tokens) and Rasa's tracker
store (the conversation). Both are exported and erased together.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.conversations import ConversationStore
from bot.store import Store
from bot.vocabulary import EXPORT_LINK_TTL, Linked, utcnow


def token_hash(token: str) -> str:
    """Only hashes are stored, so a database leak yields no usable download links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Privacy:
    def __init__(self, store: Store, conversations: ConversationStore | None = None):
        self.store = store
        self.conversations = conversations

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """The user's complete data as JSON-ready values, with the conversations of the ids
        linked to them (an anonymous visitor's, before signing in); None if nothing is stored."""
        linked = self.store.linked_ids(sender_id)
        conversation = [turn for user in (*linked, sender_id) for turn in self._history(user)]
        data = self.store.export(sender_id)
        if data is None and not conversation:
            return None
        data = data or {  # known only to Rasa: the same shape, with nothing in the engine
            "sender_id": sender_id, "created_at": None, "onboarded_at": None,
            "preferences": {}, "events": [], "consent_history": [],
        }
        data["conversation"] = conversation
        data["linked_ids"] = linked
        data["exported_at"] = utcnow().isoformat()
        return data

    def _history(self, sender_id: str) -> list[dict[str, Any]]:
        return self.conversations.history(sender_id) if self.conversations else []

    def erase(self, sender_id: str) -> dict[str, int]:
        """Delete the user's rows in both databases, and the conversations of the ids linked to
        them; how many rows each held."""
        linked = self.store.linked_ids(sender_id)
        erased = {"engine": int(self.store.erase(sender_id)), "conversation_events": 0}
        if self.conversations:
            erased["conversation_events"] = sum(self.conversations.erase(user) for user in (*linked, sender_id))
        return erased

    def link_anonymous(self, anonymous_id: str, sender_id: str) -> Linked:
        """The visitor's anonymous profile becomes part of the signed-in user's (consent rules
        of :meth:`Store.link_sender`); their conversation stays where it is, linked."""
        return self.store.link_sender(anonymous_id, sender_id, kind="anonymous")

    def create_export_token(self, sender_id: str, now: datetime | None = None) -> str:
        """A secret for one download of the user's data within EXPORT_LINK_TTL."""
        token = secrets.token_urlsafe(32)
        self.store.add_export_token(sender_id, token_hash(token), (now or utcnow()) + EXPORT_LINK_TTL)
        return token

    def redeem_export_token(self, token: str, now: datetime | None = None) -> str | None:
        """The user behind a valid token, which this call uses up; None otherwise."""
        return self.store.redeem_export_token(token_hash(token), now)

    def purge(self, older_than: timedelta, now: datetime | None = None) -> dict[str, int]:
        """Retention: delete events and conversation turns older than ``older_than``."""
        before = (now or utcnow()) - older_than
        purged = self.store.purge(before)
        purged["conversation_events"] = self.conversations.purge(before) if self.conversations else 0
        return purged

"""The light door: what is kept about users, without the catalog, index or model.

Consent, export, erasure and retention, linking a chat to the shop's profile, the agents' handoff
queue and the proactive-message schedule need only the two databases. The web app's background
jobs and the agent console use this class without loading the engine; :class:`bot.engine.Engine`
builds on one, so both faces go through the same code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import outreach
from bot.config import Settings
from bot.conversations import ConversationStore
from bot.handoff import Handoff, HandoffDesk
from bot.linking import AccountLinks, LinkCode
from bot.privacy import Privacy
from bot.store import Store
from bot.vocabulary import AccountLink, EventType, HandoffReason, Linked, Recorded


class Records:
    def __init__(self, store: Store, conversations: ConversationStore | None = None):
        self._store = store
        self._privacy = Privacy(store, conversations)
        self._handoffs = HandoffDesk(store)
        self._links = AccountLinks(store)

    @classmethod
    def from_settings(cls, settings: Settings) -> Records:
        return cls(Store(settings.database_url), ConversationStore(settings.tracker_url))

    def close(self) -> None:
        """Release the connections to both databases (a process done with them, or a test
        about to drop them); they open again on next use."""
        self._store.engine.dispose()
        if self._privacy.conversations is not None:
            self._privacy.conversations.engine.dispose()

    # --- consent -------------------------------------------------------------------

    def consent(self, sender_id: str) -> bool | None:
        """The user's newest decision to be remembered; None if never asked."""
        decisions = self._store.consents(sender_id)
        return decisions[-1].granted if decisions else None

    def set_consent(self, sender_id: str, granted: bool, channel: str = "unknown") -> None:
        """Withdrawing deletes the user's events (the store does it in the same transaction)."""
        self._store.set_consent(sender_id, granted, channel)

    # --- users' rights ---------------------------------------------------------------

    def export(self, sender_id: str) -> dict[str, Any] | None:
        """Everything stored about the user in both databases; None if nothing is."""
        return self._privacy.export(sender_id)

    def create_export_token(self, sender_id: str, now: datetime | None = None) -> str:
        """A secret for one download of the user's data, valid for a while from ``now``."""
        return self._privacy.create_export_token(sender_id, now)

    def redeem_export_token(self, token: str, now: datetime | None = None) -> str | None:
        """The user behind a valid one-time token, which this uses up; None otherwise."""
        return self._privacy.redeem_export_token(token, now)

    def link_anonymous(self, anonymous_id: str, sender_id: str) -> Linked:
        """A visitor who chatted anonymously signed in: one profile from now on."""
        return self._privacy.link_anonymous(anonymous_id, sender_id)

    def link_code(self, sender_id: str) -> LinkCode:
        """A one-time code with which the user links a Slack or Telegram chat to their profile
        (a new one replaces the last)."""
        return self._links.issue(sender_id)

    def link_account(self, alias: str, message: str, channel: str) -> AccountLink:
        """The Slack or Telegram chat ``alias`` typed a link code (in ``message``): its profile
        becomes the code's user's, under the consent rules of a merge."""
        return self._links.link(alias, message, channel)

    def unlink_account(self, alias: str, channel: str) -> bool:
        """The linked Slack or Telegram chat ``alias`` is its own profile again (what it did while
        linked stays the shop user's); False if it was not linked."""
        return self._links.unlink(alias, channel)

    def profile_id(self, sender_id: str, channel: str) -> str:
        """The id whose profile a conversation on ``channel`` reads and writes: the shop user's
        for a linked Slack or Telegram chat, else the sender's own."""
        return self._links.profile_id(sender_id, channel)

    def erase(self, sender_id: str) -> dict[str, int]:
        """Delete the user's rows in both databases; how many rows each held."""
        return self._privacy.erase(sender_id)

    def purge(self, older_than: timedelta) -> dict[str, int]:
        """Retention: delete events and conversation turns older than ``older_than``."""
        return self._privacy.purge(older_than)

    def conversation(self, sender_id: str) -> list[dict[str, Any]]:
        """The user's conversation as Rasa keeps it, oldest turn first."""
        conversations = self._privacy.conversations
        return conversations.history(sender_id) if conversations else []

    def conversations_per_day(self, since: datetime, until: datetime) -> dict[str, int]:
        conversations = self._privacy.conversations
        return conversations.users_per_day(since, until) if conversations else {}

    # --- the agents' queue -------------------------------------------------------------

    def request_handoff(self, sender_id: str, channel: str, reason: HandoffReason) -> tuple[Handoff, bool]:
        """Put the conversation in the agents' queue (once); True if it was queued now."""
        return self._handoffs.request(sender_id, channel, reason)

    def open_handoffs(self) -> list[Handoff]:
        """Waiting and active handoffs, oldest request first."""
        return self._handoffs.open()

    def open_handoff_of(self, sender_id: str) -> Handoff | None:
        """The user's waiting or active handoff, if any."""
        return self._handoffs.open_for(sender_id)

    def handoff(self, handoff_id: int) -> Handoff | None:
        return self._handoffs.get(handoff_id)

    def take_handoff(self, handoff_id: int, agent: str) -> Handoff:
        """Raises KeyError (no such handoff) or HandoffConflict (closed, or another agent's)."""
        return self._handoffs.take(handoff_id, agent)

    def closable_handoff(self, handoff_id: int, agent: str) -> Handoff:
        """The handoff, if this agent may hand it back (raises as :meth:`take_handoff`)."""
        return self._handoffs.closable(handoff_id, agent)

    def close_handoff(self, handoff_id: int, agent: str) -> Handoff:
        """Hand the conversation back to the bot."""
        return self._handoffs.close(handoff_id, agent)

    def expire_waiting_handoffs(self, requested_before: datetime) -> list[Handoff]:
        """Close the handoffs no agent took since before ``requested_before``."""
        return self._handoffs.expire_waiting(requested_before)

    # --- proactive messages ------------------------------------------------------------

    def due_for_outreach(self, now: datetime) -> list[str]:
        """Consenting users whose most active hour is now and who had no outreach lately."""
        return outreach.due(self._store, now)

    def record_outreach(self, sender_id: str, at: datetime) -> Recorded:
        """Log a proactive message (only if the user still consents, checked as it is written)."""
        stored = self._store.add_events(sender_id, [(EventType.OUTREACH, None, None)], channel="outreach",
                                        at=at, if_consented=True)
        return Recorded.STORED if stored else Recorded.NO_CONSENT

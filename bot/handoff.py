"""Human handoff: the queue of conversations waiting for, or talking with, a support agent.

When the bot hands a conversation over it pauses itself in Rasa (``ConversationPaused``);
this module keeps the engine's side of it: who is waiting, which agent took whom, and
when the bot got the conversation back. An agent's replies and the bot's return travel
through Rasa's HTTP API (``bot/web/rasa_api.py``), so they reach the user on their own
channel and become part of the conversation Rasa keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.schema import HandoffRequest
from bot.store import Store
from bot.vocabulary import PUSH_CHANNELS, HandoffConflict, HandoffReason, HandoffStatus

OPEN = (HandoffStatus.WAITING, HandoffStatus.ACTIVE)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps no time zone


@dataclass(frozen=True)
class Handoff:
    id: int
    sender_id: str
    channel: str
    reason: str
    status: HandoffStatus
    agent: str | None
    requested_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None

    @property
    def reachable(self) -> bool:
        """Whether an agent's reply can be delivered to the user's channel."""
        return self.channel in PUSH_CHANNELS

    @classmethod
    def of(cls, row: HandoffRequest) -> Handoff:
        return cls(
            id=row.id, sender_id=row.sender_id, channel=row.channel, reason=row.reason,
            status=HandoffStatus(row.status), agent=row.agent, requested_at=_utc(row.requested_at),
            claimed_at=_utc(row.claimed_at), closed_at=_utc(row.closed_at),
        )


class HandoffDesk:
    """The agents' queue over the engine database: request, list, take, hand back."""

    def __init__(self, store: Store):
        self.store = store

    def request(self, sender_id: str, channel: str, reason: HandoffReason) -> tuple[Handoff, bool]:
        """Queue the conversation (once: an open handoff is returned as it is); True if new."""
        row, created = self.store.open_handoff(sender_id, channel, str(reason))
        return Handoff.of(row), created

    def open(self) -> list[Handoff]:
        """Waiting and active handoffs, oldest request first."""
        return [Handoff.of(row) for row in self.store.handoffs(OPEN)]

    def open_for(self, sender_id: str) -> Handoff | None:
        """The user's waiting or active handoff, if any."""
        rows = self.store.handoffs(OPEN, sender_id=sender_id)
        return Handoff.of(rows[0]) if rows else None

    def get(self, handoff_id: int) -> Handoff | None:
        row = self.store.handoff(handoff_id)
        return None if row is None else Handoff.of(row)

    def take(self, handoff_id: int, agent: str) -> Handoff:
        """The agent takes a waiting handoff; taking one's own again is harmless."""
        current = self._open(handoff_id)
        if current.status == HandoffStatus.ACTIVE:
            if current.agent != agent:
                raise HandoffConflict(f"{current.agent} is already talking with this user")
            return current
        moved = self.store.move_handoff(handoff_id, agent, [HandoffStatus.WAITING], HandoffStatus.ACTIVE)
        if moved is None:  # another agent was faster
            return self.take(handoff_id, agent)
        return Handoff.of(moved)

    def closable(self, handoff_id: int, agent: str) -> Handoff:
        """The handoff, if this agent may hand it back: their own, or one still waiting."""
        current = self._open(handoff_id)
        if current.status == HandoffStatus.ACTIVE and current.agent != agent:
            raise HandoffConflict(f"{current.agent} is talking with this user")
        return current

    def close(self, handoff_id: int, agent: str) -> Handoff:
        """Hand the conversation back to the bot."""
        current = self.closable(handoff_id, agent)
        moved = self.store.move_handoff(handoff_id, agent, [current.status], HandoffStatus.CLOSED)
        if moved is None:
            return self.close(handoff_id, agent)
        return Handoff.of(moved)

    def expire_waiting(self, requested_before: datetime) -> list[Handoff]:
        """Close the handoffs no agent took since before ``requested_before``: the ones this
        call closed (each move is atomic, so two sweepers never both return one)."""
        expired = []
        for row in self.store.handoffs([HandoffStatus.WAITING]):
            if _utc(row.requested_at) < requested_before:
                moved = self.store.move_handoff(row.id, None, [HandoffStatus.WAITING], HandoffStatus.CLOSED)
                if moved is not None:
                    expired.append(Handoff.of(moved))
        return expired

    def _open(self, handoff_id: int) -> Handoff:
        current = self.get(handoff_id)
        if current is None:
            raise KeyError(handoff_id)
        if current.status == HandoffStatus.CLOSED:
            raise HandoffConflict("this conversation is already back with the bot")
        return current

"""Writing users' events: only with consent, counted into popularity at once, and queued in
the outbox while the database is unavailable (stored when it is back).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.outbox import Outbox, QueuedEvent
from bot.popularity import LivePopularity
from bot.store import Store
from bot.vocabulary import EventType, Recorded, StoreUnavailable, utcnow

log = logging.getLogger(__name__)

NewEvent = tuple[EventType, str | None, str | None]  # (type, item id, category)


class EventRecorder:
    """``outbox`` None refuses events while the database is down (StoreUnavailable)."""

    def __init__(self, store: Store, popularity: LivePopularity, outbox: Outbox | None):
        self._store = store
        self._popularity = popularity
        self._outbox = outbox

    def record(self, sender_id: str, events: list[NewEvent], channel: str, at: datetime | None) -> Recorded:
        """Consent is checked in the transaction that stores the events, so a withdrawal
        that commits first wins and one that commits later deletes them."""
        at = at or utcnow()
        try:
            stored = self._store.add_events(sender_id, events, channel=channel, at=at, if_consented=True)
            if stored:
                self._popularity.count(events)
        except StoreUnavailable:
            if self._outbox is None:
                raise
            for kind, item_id, category in events:
                self._outbox.put(QueuedEvent(sender_id, str(kind), item_id, category, channel, at))
            log.warning("database unavailable: %d events queued in %s", len(events), self._outbox.directory)
            return Recorded.QUEUED
        return Recorded.STORED if stored else Recorded.NO_CONSENT

    def flush(self) -> int:
        """Store the events queued while the database was unavailable (each only if its user
        consents now); the number written. Raises StoreUnavailable if it still is."""
        if self._outbox is None or not self._outbox.pending():
            return 0
        stored = self._outbox.drain(self._store_queued)
        if stored:
            self._popularity.forget()  # stored behind the counts' back
        return stored

    def try_flush(self) -> None:
        """Before a request: store what was queued, if the database takes writes again
        (if not, the request itself finds out whether it can read)."""
        with suppress(StoreUnavailable):
            self.flush()

    def _store_queued(self, queued: QueuedEvent) -> None:
        """One queued event; one the database refuses (not: cannot be reached) is logged and
        dropped, so that it cannot block the queue behind it."""
        try:
            self._store.add_events(queued.sender_id, [(EventType(queued.type), queued.item_id, queued.category)],
                                   channel=queued.channel, at=queued.at, if_consented=True)
        except SQLAlchemyError as error:
            log.error("dropped a queued %s event the database refused: %s", queued.type, error)

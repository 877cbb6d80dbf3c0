"""Rasa's SQL tracker store, plus honouring "forget me" for the conversation itself.

When the user confirms erasure in chat, the action server deletes the engine's data and
the conversation's stored rows, then sets the ``data_erased`` slot. But Rasa saves the
turn *after* the action ran, and ``SQLTrackerStore.save`` writes every event of the
current session that the table lacks: it would write the conversation back. This
store deletes the sender's rows instead of saving a tracker that carries the slot, so
nothing of the conversation survives the turn that erased it.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

ERASED_SLOT = "data_erased"

log = logging.getLogger(__name__)


class ErasableSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASED_SLOT):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)

    def erase(self, sender_id: str) -> None:
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        log.info("erased a conversation (%d events) at the user's request", deleted)

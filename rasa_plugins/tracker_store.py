"""Rasa's SQL tracker store, plus honouring "forget me" for the conversation itself.

When the user confirms erasure in chat, the action server deletes the engine's data and
the conversation's stored rows, then sets the ``data_erased`` slot. But Rasa saves the
turn *after* the action ran, and ``SQLTrackerStore.save`` writes every event of the
current session that the table lacks: it would write the conversation back. This
store deletes the sender's rows instead of saving a tracker that carries the slot, so
nothing of the conversation survives the turn that erased it.

On SQLite, deleted rows are overwritten with zeros (``secure_delete``) so that an erased
conversation does not linger in the file's free space, and a file made before that is
vacuumed once (marked by SQLite's ``user_version``, which Rasa does not use).
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

ERASED_SLOT = "data_erased"

log = logging.getLogger(__name__)


class ErasableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _zero_deleted_rows)
            self.engine.dispose()  # connections opened before the listener: closed
            _vacuum_once(self.engine)

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


VACUUMED = 1  # the tracker file's user_version once it was vacuumed with secure_delete on


def _zero_deleted_rows(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _vacuum_once(engine) -> None:
    with engine.connect() as connection:
        raw = connection.connection
        if raw.execute("PRAGMA user_version").fetchone()[0] >= VACUUMED:
            return
        raw.commit()
        raw.execute("VACUUM")
        raw.execute(f"PRAGMA user_version = {VACUUMED}")
        raw.commit()
        log.info("vacuumed the tracker database once: rows deleted before are gone from the file")

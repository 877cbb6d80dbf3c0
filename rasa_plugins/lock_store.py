"""Rasa's Redis lock store, with each change of a conversation's lock made atomic.

Rasa 3.6's ``RedisLockStore`` changes a lock by reading it, changing it in Python and writing
it back. Two Rasa servers that get a message of the same conversation at the same moment can
both read the same lock, both issue themselves the same ticket and both process at once (or
one deletes the lock the other waits on): the tracker store then keeps only one of the two
turns. Seen in ``tests/e2e/test_two_rasa_servers.py``: 2 of 12 bursts of 10 simultaneous
messages lost some. Here every read-change-write runs in a Redis transaction that is retried
if another server changed the lock meanwhile (``WATCH``/``MULTI``), so tickets are unique
and a lock is deleted only when nobody holds a ticket for it.

Use it in endpoints.yml with ``type: rasa_plugins.lock_store.AtomicRedisLockStore`` and the
same keys as Rasa's ``type: redis`` (url, port, db, key_prefix, password, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# What a change returns: a value for the caller, and the lock to store (None: delete it).
Change = Callable[[TicketLock | None], tuple[T, TicketLock | None]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """Rasa builds lock stores named by module path from their endpoint config."""
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> T:
        """Apply ``change`` to the stored lock atomically (retried on a concurrent change)."""
        key = self.key_prefix + conversation_id
        outcome = {}

        def transaction(pipe) -> None:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            outcome["value"], lock = change(lock)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())

        self.red.transaction(transaction, key)
        return outcome["value"]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def remove_expired(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, remove_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back, and delete the lock in the same step if no one else waits."""

        def finish(lock: TicketLock | None) -> tuple[None, TicketLock | None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock if lock is not None and lock.is_someone_waiting() else None

        self._change(conversation_id, finish)

"""Ticket locks shared through Redis by several Rasa servers (rasa_plugins/lock_store.py), run
in the Rasa environment by tests/rasa_plugins/test_lock_store.py: ``.venv-rasa/bin/python
tests/rasa_plugins/lock_store_check.py REDIS_HOST REDIS_PORT``. Prints one line of JSON: for Rasa's
``RedisLockStore`` and for ``AtomicRedisLockStore``, how often two holders were inside the lock
at once (a ticket issued twice while both were alive) and how often a waiter found the lock gone
("Could not acquire lock": Rasa drops that message) or waited for good (its ticket was lost
while the lock lived on: the message is never answered), when 4 OS processes (4 "servers") each take
the lock of one conversation 25 times. Ticket numbers themselves are not compared: a lock that
empties is deleted, so its next holder rightly starts again at ticket 0.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import uuid
from collections import Counter

import redis
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.lock_store import AtomicRedisLockStore

HOST, PORT = sys.argv[1], int(sys.argv[2])
SERVERS, TURNS = 4, 25
STUCK_AFTER_S = 5  # a turn still waiting for the lock after this long is counted as stuck


def lock_store(kind: str, prefix: str):
    if kind == "atomic":
        return AtomicRedisLockStore(EndpointConfig(url=HOST, port=PORT, db=0, key_prefix=prefix))
    return RedisLockStore(host=HOST, port=PORT, db=0, key_prefix=prefix)


def server(kind: str, prefix: str, outcomes, start) -> None:
    """One Rasa server handling TURNS messages of conversation "c", as Rasa's processor does."""
    store = lock_store(kind, prefix)
    inside = redis.Redis(host=HOST, port=PORT, db=0)
    start.wait()

    async def turn() -> None:
        # 3 s outlives a turn stalled by a busy machine; it is also how long a ticket that
        # Rasa's store forgot to remove blocks the queue, so the check stays short.
        async with store.lock("c", lock_lifetime=3, wait_time_in_seconds=0.001):
            outcomes.append("turn")
            if inside.incr(prefix + ":inside") > 1:  # someone else holds the lock too
                outcomes.append("overlap")
            await asyncio.sleep(0.002)  # the turn's work
            inside.decr(prefix + ":inside")

    async def turns() -> None:
        for _ in range(TURNS):
            try:
                await asyncio.wait_for(turn(), STUCK_AFTER_S)
            except LockError:  # Rasa drops the message: "Could not acquire lock"
                outcomes.append("lock_error")
            except asyncio.TimeoutError:  # waits for a ticket nobody will serve: never answered
                outcomes.append("stuck")

    asyncio.run(turns())


def run(kind: str) -> dict[str, int]:
    prefix = "check" + uuid.uuid4().hex[:12]
    with multiprocessing.Manager() as manager:
        outcomes, start = manager.list(), manager.Event()
        servers = [multiprocessing.Process(target=server, args=(kind, prefix, outcomes, start))
                   for _ in range(SERVERS)]
        for process in servers:
            process.start()
        start.set()
        for process in servers:
            process.join(TURNS * STUCK_AFTER_S)
            process.kill()  # no-op for a finished one; never leave one behind
        failed = [process.exitcode for process in servers if process.exitcode != 0]
        counts = Counter(outcomes)
    client = redis.Redis(host=HOST, port=PORT, db=0)
    leftovers = [key.decode() for key in client.scan_iter(prefix + "*") if not key.endswith(b":inside")]
    client.delete(*client.keys(prefix + "*") or [prefix])
    return {"turns": counts["turn"], "overlaps": counts["overlap"], "lock_errors": counts["lock_error"],
            "stuck": counts["stuck"], "failed_servers": len(failed), "locks_left": len(leftovers)}


if __name__ == "__main__":
    print(json.dumps({kind: run(kind) for kind in ("rasa", "atomic")}))

"""Rasa's tracker file keeps no trace of an erased conversation (rasa_plugins/tracker_store.py),
run in the Rasa environment by tests/rasa_plugins/test_tracker_store.py:
``.venv-rasa/bin/python tests/rasa_plugins/tracker_store_check.py FOLDER``. Prints one line of
JSON: which files of FOLDER hold an id at each step, and the file's user_version.

1. A tracker file made before (rows deleted without ``secure_delete``, as many SQLite builds do)
   still holds a deleted id; opening the store vacuums it once.
2. Two conversations are saved; one is erased as the chat's "delete my data" does.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_plugins.tracker_store import ErasableSQLTrackerStore

FOLDER = Path(sys.argv[1])
FILE = FOLDER / "tracker.sqlite3"
OLD, LEAVER, KEEPER = "old-deleted-5c1e", "leaver-93ab7", "keeper-2d4f0"


def holding(needle: str) -> list[str]:
    return sorted(p.name for p in FOLDER.iterdir() if p.is_file() and needle.encode() in p.read_bytes())


async def main() -> dict:
    old = sqlite3.connect(FILE)
    old.execute("PRAGMA secure_delete=OFF")
    old.execute("CREATE TABLE notes (text TEXT)")
    old.execute("INSERT INTO notes VALUES (?)", (f"written by {OLD}",))
    old.commit()
    old.execute("DELETE FROM notes")
    old.commit()
    old.close()
    seen = {"old_before": holding(OLD)}

    store = ErasableSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(FILE))
    seen["old_after_opening"] = holding(OLD)
    for sender in (LEAVER, KEEPER):
        events = [ActionExecuted("action_listen"), UserUttered(f"my name is {sender}")]
        await store.save(DialogueStateTracker.from_events(sender, events))
    seen["leaver_before"] = holding(LEAVER)
    store.erase(LEAVER)
    seen["leaver_after"] = holding(LEAVER)
    seen["keeper_after"] = holding(KEEPER)
    seen["user_version"] = sqlite3.connect(FILE).execute("PRAGMA user_version").fetchone()[0]
    return seen


print(json.dumps(asyncio.run(main())))

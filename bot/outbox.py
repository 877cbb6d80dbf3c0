"""Events that arrive while the database is unavailable, kept on local disk until it is back.

Each process appends to its own JSON-lines file in one directory (fsynced, so a crash right
after the user was told "noted" keeps the event). Any process that reaches the database
drains every file of the directory, its own and those of processes that have since died.

Files are locked while written and while drained (``flock``): the drainer reads a file,
stores its events one transaction each and unlinks it, all under the lock; a writer that
waited for the lock finds the file unlinked and starts a new one, so no event is written
into a file that was already drained. If the database fails again halfway, the file is
rewritten with the events not yet stored. A crash of the drainer between an event's
commit and the unlink (or rewrite) stores that file's earlier events twice: a window of
a few system calls, documented in docs/reliability.md.

Nothing here decides consent: the drainer stores a queued event only if the user consents
*when it is written*, so a user who withdrew consent or was erased meanwhile keeps nothing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


@dataclass(frozen=True)
class QueuedEvent:
    sender_id: str
    type: str
    item_id: str | None
    category: str | None
    channel: str
    at: datetime

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "at": self.at.isoformat()}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str | bytes) -> QueuedEvent:
        data = json.loads(line)
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})


@contextmanager
def _locked(path: Path, mode: str) -> Iterator[IO[bytes] | None]:
    """The file opened and exclusively locked; None if it was unlinked (drained) meanwhile."""
    try:
        handle = path.open(mode)
    except FileNotFoundError:
        yield None
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            try:
                current = path.stat().st_ino
            except FileNotFoundError:
                current = None
            yield handle if current == os.fstat(handle.fileno()).st_ino else None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _line_start(handle: IO[bytes]) -> bytes:
    """A newline if the file ends inside a line (a write cut short by a crash)."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return b""
    handle.seek(size - 1)
    return b"" if handle.read(1) == b"\n" else b"\n"


def _parse(path: Path, lines: Iterator[bytes]) -> list[QueuedEvent]:
    """The file's events; a line cut short by a crash (its writer never returned, so no one
    was told it was noted) is logged and skipped."""
    events = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            events.append(QueuedEvent.from_json(line))
        except (ValueError, TypeError, KeyError) as error:
            log.warning("skipping unreadable queued event %s line %d: %s", path.name, number, error)
    return events


class Outbox:
    """A directory of queued events; see the module docstring for the protocol."""

    def __init__(self, directory: Path):
        self.directory = directory

    @property
    def _own_file(self) -> Path:
        return self.directory / f"{socket.gethostname()}-{os.getpid()}{SUFFIX}"

    def put(self, event: QueuedEvent) -> None:
        """Append one event durably (raises OSError if the disk refuses: then it is not queued)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            with _locked(self._own_file, "ab+") as handle:
                if handle is None:  # drained and unlinked between open and lock: start anew
                    continue
                handle.write(_line_start(handle) + event.to_json().encode("utf-8") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
                return

    def pending(self) -> bool:
        """Cheap enough for every request: one directory listing."""
        try:
            return any(entry.name.endswith(SUFFIX) for entry in os.scandir(self.directory))
        except FileNotFoundError:
            return False

    def drain(self, write: Callable[[QueuedEvent], None]) -> int:
        """Pass each queued event to ``write`` (its own transaction), oldest file first, and
        drop each file once all its events are written; the number of events written. If
        ``write`` raises, the events not yet written are kept for the next drain (their
        file is rewritten under its lock) and the error propagates."""
        written = 0
        try:
            for path in sorted(self.directory.glob(f"*{SUFFIX}")):
                with _locked(path, "rb+") as handle:
                    if handle is None:
                        continue
                    events = _parse(path, handle)
                    for done, queued in enumerate(events):
                        try:
                            write(queued)
                        except BaseException:
                            _rewrite(handle, events[done:])
                            raise
                        written += 1
                    path.unlink()
        finally:
            if written:
                log.info("stored %d events queued while the database was unavailable", written)
        return written


def _rewrite(handle: IO[bytes], events: list[QueuedEvent]) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(b"".join(event.to_json().encode("utf-8") + b"\n" for event in events))
    handle.flush()
    os.fsync(handle.fileno())

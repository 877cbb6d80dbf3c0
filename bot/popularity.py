"""Popularity: net positive feedback per item over all users, the collaborative prior that
ranks picks for a newcomer and adds to everyone's scores.

The counts come from one aggregate over every stored event (``Store.item_popularity``,
weighted by :data:`bot.vocabulary.POPULARITY_WEIGHTS`); :class:`LivePopularity` keeps the last
one read for the engine, reads it again when it is old and adds its own process's feedback to
it as it is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from bot.store import Store
from bot.vocabulary import POPULARITY_WEIGHTS, EventType, StoreUnavailable

log = logging.getLogger(__name__)

# The aggregate is a full scan of the events table: read again at most this often. This
# process's own feedback counts at once; other processes' (the web app's site events, the CLI)
# within this time.
POPULARITY_MAX_AGE_S = 30.0


class Popularity(Mapping[str, float]):
    """Net positive feedback per item over all users, the collaborative prior.

    It keeps its largest value and its ranking once computed, so a request reads them without
    going over every item; ``add`` changes it in place (thread-safe) and forgets both.
    """

    def __init__(self, counts: Mapping[str, float] | None = None):
        self._counts: dict[str, float] = dict(counts or {})
        self._lock = threading.Lock()
        self._top: float | None = None
        self._ranked: list[str] | None = None

    @classmethod
    def of(cls, counts: Mapping[str, float] | None) -> Popularity:
        return counts if isinstance(counts, Popularity) else cls(counts)

    def __getitem__(self, item_id: str) -> float:
        return self._counts[item_id]

    def get(self, item_id: str, default: float | None = None) -> float | None:
        return self._counts.get(item_id, default)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._counts))

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, changes: Mapping[str, float]) -> None:
        with self._lock:
            for item_id, weight in changes.items():
                self._counts[item_id] = self._counts.get(item_id, 0.0) + weight
            self._top = self._ranked = None

    def top(self) -> float:
        """The largest positive count (0.0 if none): what the popularity part is scaled to."""
        with self._lock:
            if self._top is None:
                self._top = max((v for v in self._counts.values() if v > 0), default=0.0)
            return self._top

    def ranked(self) -> list[str]:
        """Every item with feedback, most popular first (ties in first-counted order)."""
        with self._lock:
            if self._ranked is None:
                self._ranked = sorted(self._counts, key=lambda item_id: -self._counts[item_id])
            return self._ranked


class LivePopularity:
    """The popularity requests rank with, read from the store and kept current.

    The first read (and the one after :meth:`forget`) is made in the request that needs it;
    one that is merely old is read again in the background while requests go on with it: the
    aggregate scans every event, too long for one request.
    """

    def __init__(self, store: Store):
        self._store = store
        self._last = Popularity()  # the last one read; kept while the database is down
        self._read_at: float | None = None  # monotonic seconds; None: read it again
        self._lock = threading.Lock()
        self._rereading = False  # a background read is under way

    @property
    def last(self) -> Popularity:
        """The last counts read (empty before the first): what to rank with while the
        database is unavailable."""
        return self._last

    def current(self) -> Popularity:
        """Popularity for this request; raises StoreUnavailable if it was never read (or was
        forgotten) and cannot be read now."""
        with self._lock:
            read_at = self._read_at
            if read_at is None:
                started = time.monotonic()
                self._last = Popularity(self._store.item_popularity())
                self._read_at = started
                return self._last
            if time.monotonic() - read_at < POPULARITY_MAX_AGE_S or self._rereading:
                return self._last
            self._rereading = True
        threading.Thread(target=self._reread, name="popularity", daemon=True).start()
        return self._last

    def _reread(self) -> None:
        started = time.monotonic()
        try:
            counts = self._store.item_popularity()
        except StoreUnavailable as error:
            log.warning("%s; popularity is read again later", error)
            counts = None
        with self._lock:
            if counts is not None and self._read_at is not None:  # not forgotten meanwhile
                self._last = Popularity(counts)
                self._read_at = started
            self._rereading = False

    def forget(self) -> None:
        """Events were deleted or stored behind the cache's back: read it again on next use."""
        self._read_at = None

    def count(self, events: Iterable[tuple[EventType, str | None, str | None]]) -> None:
        """Add stored feedback to the counts: the sum the store's aggregate would give."""
        changes: Counter[str] = Counter()
        for kind, item_id, _ in events:
            if item_id is not None and kind in POPULARITY_WEIGHTS:
                changes[item_id] += POPULARITY_WEIGHTS[kind]
        if changes:  # impressions count for nothing: the cached ranking stays
            self._last.add(changes)

"""Popularity: net positive feedback per item over all users, the collaborative prior that
ranks picks for a newcomer and adds to everyone's scores.

The counts come from one aggregate over every stored event (``Store.item_popularity``,
weighted by :data:`bot.vocabulary.POPULARITY_WEIGHTS`); the engine keeps the last one read
and adds its own process's feedback to it as it is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping


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

"""The one interface every ranking model implements, and the interaction log they learn from.

Like ``implicit``'s ``RecommenderBase``: a model is fitted on a log of who did what when,
then scores every item for a batch of users at given moments. The offline evaluation and
the live bot call the same two methods, so what is measured is what users get.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InteractionLog:
    """Interactions as parallel arrays; users and items are row numbers into the id lists.

    ``times`` are Unix seconds; ``weights`` say how much each interaction counts (1 for a
    rating or a like, negative for a dislike).
    """

    user_ids: Sequence[str]
    item_ids: Sequence[str]
    users: np.ndarray  # int32, index into user_ids
    items: np.ndarray  # int32, index into item_ids
    times: np.ndarray  # int64 Unix seconds
    weights: np.ndarray  # float32

    def __post_init__(self) -> None:
        n = len(self.users)
        if not (len(self.items) == len(self.times) == len(self.weights) == n):
            raise ValueError("users, items, times and weights must have the same length")

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    def subset(self, mask: np.ndarray) -> InteractionLog:
        """The same users and items, fewer interactions."""
        return InteractionLog(
            self.user_ids, self.item_ids, self.users[mask], self.items[mask],
            self.times[mask], self.weights[mask],
        )


@dataclass(frozen=True)
class History:
    """What a model may know about one user when ranking for them at ``now``."""

    items: np.ndarray  # int32 item rows, oldest first
    times: np.ndarray  # int64 Unix seconds, same length
    weights: np.ndarray  # float32, same length
    categories: tuple[str, ...] = ()  # stated favourite categories (onboarding answers)


class Ranker(ABC):
    """Scores every item for users; higher is better. Never looks at the future."""

    name: str = "ranker"

    @abstractmethod
    def fit(self, log: InteractionLog) -> Ranker:
        """Learn from the log; returns self."""

    @abstractmethod
    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        """A (len(histories), n_items) float matrix of scores at the moments ``now``.

        Time-dependent signals (trends, recency) may use only interactions with
        time < now[u] for user u's row (no look-ahead); static statistics of the fitted
        log (counts, factors) may use all of it. Items in the user's own history are
        masked by the caller.
        """

    def settings(self) -> dict[str, object]:
        """The hyper-parameters this instance runs with, for reports."""
        return {}

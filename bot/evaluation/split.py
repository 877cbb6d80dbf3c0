"""The protocol's leave-last-out split (``/work/shared/README.md``, "offline evaluation protocol").

Test users are the users with at least 5 interactions. Each one's interactions are
ordered by timestamp (equal timestamps by item id, so the split is deterministic); the
last is the **test** interaction and the second-to-last the **validation** interaction.

Three phases, each a fitted log plus one target per test user:

* ``validation`` — fit on everything except every test user's test *and* validation
  interactions; rank for the validation item at the validation time; the history is the
  user's train interactions. Used only for tuning.
* ``test`` — fit on everything except the test interactions (the validation items are
  back in); rank for the test item at the test time; the history is the user's train
  interactions including the validation item.
* ``cold_start`` — the same fitted log, users and targets as ``test``, but the history is
  only what the onboarding questionnaire would give: the user's 2 highest-rated train
  movies (ties: latest) with weight 1, and their 3 most frequent train genres (ties:
  alphabetical) as ``History.categories``.

* ``validation_cold_start`` — the validation phase's log, users and targets with only what
  the questionnaire would give from the validation histories (as ``cold_start`` does from the
  test ones): for tuning a model that serves new users too, on validation items only.

In every phase the items excluded from ranking are exactly the history's items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.evaluation.data import ratings_of
from bot.ranking import History, InteractionLog

MIN_INTERACTIONS = 5
COLD_START_TITLES = 2
COLD_START_CATEGORIES = 3
PHASES = ("validation", "test", "cold_start", "validation_cold_start")


@dataclass(frozen=True)
class Phase:
    """One ranking task: fit on ``log``, then rank ``targets[k]`` for user ``users[k]`` at ``now[k]``."""

    name: str
    log: InteractionLog
    users: np.ndarray  # int32 user rows of the test users
    targets: np.ndarray  # int32 held-out item row per user
    now: np.ndarray  # int64 moment of ranking per user (the held-out interaction's time)
    histories: tuple[History, ...]

    def __len__(self) -> int:
        return len(self.users)

    def excluded(self, k: int) -> np.ndarray:
        """Items that are not candidates for user ``k``: the items of their history."""
        return np.unique(self.histories[k].items)


@dataclass(frozen=True)
class Split:
    """The deduplicated log, the held-out interactions, the three phases and the items' categories."""

    log: InteractionLog
    test_users: np.ndarray  # int32 user rows, ascending
    test_index: np.ndarray  # row in ``log`` of each test user's test interaction
    validation_index: np.ndarray  # row in ``log`` of each test user's validation interaction
    validation: Phase
    test: Phase
    cold_start: Phase
    item_categories: tuple[tuple[str, ...], ...]  # per item row: its genres, for the category metrics
    validation_cold_start: Phase | None = None  # the questionnaire's view of the validation histories

    @property
    def n_items(self) -> int:
        return self.log.n_items

    def phase(self, name: str) -> Phase:
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; expected one of {', '.join(PHASES)}")
        return getattr(self, name)


def chronological_order(log: InteractionLog) -> np.ndarray:
    """Row order by (user, time, item id): each user's interactions oldest first.

    Equal timestamps are ordered by the item's id text, so ties are broken the same way
    whatever the file order.
    """
    item_key = np.argsort(np.argsort(np.asarray(log.item_ids, dtype=object).astype(str), kind="stable"))
    return np.lexsort((item_key[log.items], log.times, log.users))


def _questionnaire(log: InteractionLog, rows: np.ndarray, ratings: np.ndarray, position: np.ndarray,
                   item_categories: Sequence[Sequence[str]]) -> History:
    """What onboarding gives from a user's ``rows``: the 2 highest-rated titles, weight 1,
    and the 3 most frequent categories."""
    chosen = top_rated(rows, ratings, log.times, position)
    categories = favourite_categories(log.items[rows], item_categories)
    history = _history(log, chosen, categories)
    return History(history.items, history.times, np.ones(len(chosen), dtype=np.float32), categories)


def _history(log: InteractionLog, rows: np.ndarray, categories: tuple[str, ...] = ()) -> History:
    return History(
        items=log.items[rows].astype(np.int32),
        times=log.times[rows].astype(np.int64),
        weights=log.weights[rows].astype(np.float32),
        categories=categories,
    )


def favourite_categories(
    items: np.ndarray, item_categories: Sequence[Sequence[str]], n: int = COLD_START_CATEGORIES,
) -> tuple[str, ...]:
    """The ``n`` categories most frequent among ``items`` (ties: alphabetical)."""
    counts = Counter(cat for item in items.tolist() for cat in item_categories[item])
    return tuple(sorted(counts, key=lambda cat: (-counts[cat], cat))[:n])


def top_rated(rows: np.ndarray, ratings: np.ndarray, times: np.ndarray, order_key: np.ndarray,
              n: int = COLD_START_TITLES) -> np.ndarray:
    """The ``n`` of ``rows`` with the highest rating (ties: latest, then last in order), oldest first."""
    if len(rows) == 0:
        return rows
    best = np.lexsort((order_key[rows], times[rows], ratings[rows]))[::-1][:n]
    chosen = rows[best]
    return chosen[np.lexsort((order_key[chosen], times[chosen]))]


def make_split(
    log: InteractionLog,
    item_categories: Sequence[Sequence[str]] | None = None,
    min_interactions: int = MIN_INTERACTIONS,
) -> Split:
    """Split ``log`` by the protocol; ``item_categories[i]`` are item row i's genres (for cold start)."""
    if min_interactions < 3:
        raise ValueError("min_interactions must be at least 3 (test, validation and one train item)")
    if item_categories is None:
        item_categories = [()] * log.n_items
    if len(item_categories) != log.n_items:
        raise ValueError("item_categories needs one entry per item of the log")
    order = chronological_order(log)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))  # rank of each row in the chronological order
    counts = np.bincount(log.users, minlength=log.n_users)
    ends = np.cumsum(counts)  # users are contiguous in ``order``; user u ends at ends[u]
    starts = ends - counts
    test_users = np.flatnonzero(counts >= min_interactions).astype(np.int32)
    test_index = order[ends[test_users] - 1]
    validation_index = order[ends[test_users] - 2]

    held_test = np.zeros(len(log), dtype=bool)
    held_test[test_index] = True
    held_validation = np.zeros(len(log), dtype=bool)
    held_validation[validation_index] = True
    validation_log = log.subset(~(held_test | held_validation))
    test_log = log.subset(~held_test)

    ratings = ratings_of(log)
    validation_histories = []
    test_histories = []
    cold_histories = []
    validation_cold_histories = []
    for user in test_users.tolist():
        rows = order[starts[user]:ends[user]]
        validation_histories.append(_history(log, rows[:-2]))
        validation_cold_histories.append(_questionnaire(log, rows[:-2], ratings, position, item_categories))
        test_rows = rows[:-1]
        test_histories.append(_history(log, test_rows))
        cold_histories.append(_questionnaire(log, test_rows, ratings, position, item_categories))

    users = test_users
    validation = Phase(
        "validation", validation_log, users, log.items[validation_index].astype(np.int32),
        log.times[validation_index].astype(np.int64), tuple(validation_histories),
    )
    validation_cold_start = Phase(
        "validation_cold_start", validation_log, users, validation.targets, validation.now,
        tuple(validation_cold_histories),
    )
    test_targets = log.items[test_index].astype(np.int32)
    test_now = log.times[test_index].astype(np.int64)
    test = Phase("test", test_log, users, test_targets, test_now, tuple(test_histories))
    cold_start = Phase("cold_start", test_log, users, test_targets, test_now, tuple(cold_histories))
    return Split(
        log, test_users, test_index, validation_index, validation, test, cold_start,
        tuple(tuple(categories) for categories in item_categories), validation_cold_start,
    )

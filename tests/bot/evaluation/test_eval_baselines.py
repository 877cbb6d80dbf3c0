"""Baselines on hand-computed toy logs, no look-ahead, and the implicit wrapper."""

from __future__ import annotations

import numpy as np
import pytest

from bot.evaluation.baselines import DAY, ImplicitRanker, Popularity, RecentPopularity, baseline_models
from bot.evaluation.data import RatedInteractionLog
from bot.ranking import History

EMPTY = History(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.float32))



@pytest.fixture
def toy(make_log):
    """Item 2 is the most popular overall (4), but item 1 is the most popular in the last days."""
    return make_log([
        (0, 2, 0 * DAY), (1, 2, 1 * DAY), (2, 2, 2 * DAY), (3, 2, 3 * DAY),
        (0, 0, 4 * DAY), (1, 0, 5 * DAY), (2, 0, 6 * DAY),
        (0, 1, 9 * DAY), (1, 1, 9 * DAY + 60), (2, 3, 9 * DAY + 120),
    ], n_items=5)


def ranking(scores_row: np.ndarray) -> list[int]:
    return np.lexsort((np.arange(len(scores_row)), -scores_row)).tolist()


def test_popularity_ranks_by_interaction_counts(toy):
    scores = Popularity().fit(toy).score([EMPTY, EMPTY], np.array([0, 10 * DAY]))
    assert scores.shape == (2, 5)
    assert scores[0].tolist() == [3, 2, 4, 1, 0]
    assert ranking(scores[0]) == [2, 0, 1, 3, 4]
    assert np.array_equal(scores[0], scores[1])


def test_recent_popularity_counts_the_window_before_now(toy):
    model = RecentPopularity(window_days=2).fit(toy)
    now = np.array([10 * DAY, 7 * DAY, 9 * DAY + 60])
    scores = model.score([EMPTY] * 3, now)
    # [8d, 10d): items 1, 1, 3
    assert scores[0].tolist() == [0, 2, 0, 1, 0]
    assert ranking(scores[0])[:2] == [1, 3]
    # [5d, 7d): item 0 at 5d and 6d
    assert scores[1].tolist() == [2, 0, 0, 0, 0]
    # [7d + 60s, 9d + 60s): the interaction at exactly now is not counted
    assert scores[2].tolist() == [0, 1, 0, 0, 0]
    assert RecentPopularity(window_days=14).fit(toy).score([EMPTY], np.array([10 * DAY]))[0].tolist() == [3, 2, 4, 1, 0]


def with_extra(log: RatedInteractionLog, user: int, item: int, time: int) -> RatedInteractionLog:
    return RatedInteractionLog(
        log.user_ids, log.item_ids,
        np.append(log.users, np.int32(user)), np.append(log.items, np.int32(item)),
        np.append(log.times, np.int64(time)), np.append(log.weights, np.float32(1)),
        np.append(log.ratings, np.float32(5)),
    )


def test_recent_popularity_never_looks_ahead(mt_split):
    phase = mt_split.test
    users = slice(0, 64)
    histories, now = phase.histories[users], phase.now[users]
    model = RecentPopularity(window_days=3)
    before = model.fit(phase.log).score(histories, now)
    item = int(np.argmin(before[0]))  # an item nobody watched in user 0's window
    other = int(phase.users[1])
    for planted in (now[0], now[0] + 1, now[0] + 30 * DAY):  # at and after user 0's now
        after = model.fit(with_extra(phase.log, other, item, int(planted))).score(histories, now)
        assert np.array_equal(after[0], before[0])
    window = 3 * DAY
    for planted in (now[0] - window - 1, now[0] - 40 * DAY):  # before the window
        after = model.fit(with_extra(phase.log, other, item, int(planted))).score(histories, now)
        assert np.array_equal(after[0], before[0])
    for planted in (now[0] - 1, now[0] - window):  # the window's last second and its first
        after = model.fit(with_extra(phase.log, other, item, int(planted))).score(histories, now)
        assert after[0, item] == before[0, item] + 1
        assert np.flatnonzero(after[0] != before[0]).tolist() == [item]


def test_baseline_registry_builds_every_model():
    names = [name for name, _, _ in baseline_models()]
    assert names == ["popularity", "recent_popularity", "itemknn", "als", "bpr"]
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_models(["nope"])


@pytest.fixture
def implicit_toy(make_log):
    rng = np.random.default_rng(1)
    rows = []
    for user in range(40):
        # two taste groups over 30 items
        pool = np.arange(15) if user % 2 else np.arange(15, 30)
        for t, item in enumerate(rng.choice(pool, size=6, replace=False)):
            rows.append((user, int(item), t))
    return make_log(rows, n_items=30)


@pytest.mark.parametrize("kind, params", [
    ("itemknn", {"K": 10}),
    ("als", {"factors": 8, "iterations": 5, "alpha": 10.0}),
    ("bpr", {"factors": 8, "iterations": 20, "learning_rate": 0.05}),
])
def test_implicit_ranker_fits_scores_and_is_deterministic(kind, params, implicit_toy):
    log = implicit_toy
    histories = [
        History(np.array([0, 1, 2], np.int32), np.zeros(3, np.int64), np.ones(3, np.float32)),
        History(np.array([20], np.int32), np.zeros(1, np.int64), np.ones(1, np.float32), ("Drama",)),
        EMPTY,
    ]
    now = np.zeros(3, dtype=np.int64)
    first = ImplicitRanker(kind, seed=7, **params).fit(log).score(histories, now)
    second = ImplicitRanker(kind, seed=7, **params).fit(log).score(histories, now)
    assert first.shape == (3, 30)
    assert np.all(np.isfinite(first))
    assert np.array_equal(first, second)
    # a history from the first taste group prefers that group's other items
    assert first[0, 3:15].mean() > first[0, 15:30].mean()
    assert ImplicitRanker(kind, seed=7, **params).settings()["seed"] == 7


def test_implicit_ranker_rejects_unknown_kinds_and_parameters():
    with pytest.raises(ValueError, match="unknown kind"):
        ImplicitRanker("svd")
    with pytest.raises(ValueError, match="unknown parameter"):
        ImplicitRanker("als", K=10)

"""The hybrid ranking model on toy logs where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from bot.hybrid import HybridRanker
from bot.ranking import History, InteractionLog

HOUR = 3600
NOW = 1_000_000


def toy_model(events, n_items=4, **params):
    """events: (user, item, time) triples; item vectors are the unit axes (no content overlap)."""
    users, items, times = (np.array(column) for column in zip(*events))
    log = InteractionLog(
        [f"u{u}" for u in range(users.max() + 1)], [f"i{i}" for i in range(n_items)],
        users.astype(np.int32), items.astype(np.int32), times.astype(np.int64),
        np.ones(len(users), np.float32),
    )
    vectors = np.eye(n_items, 8, dtype=np.float32)
    return HybridRanker(vectors, [("A",)] * n_items, [2000] * n_items, **params).fit(log)


def history(*items, categories=()):
    items = np.array(items, dtype=np.int32)
    return History(items, np.full(len(items), NOW - HOUR, np.int64), np.ones(len(items), np.float32), categories)


def test_trend_prefers_what_happened_recently():
    model = toy_model([(0, 0, NOW - 200 * HOUR), (1, 0, NOW - 200 * HOUR), (2, 1, NOW - HOUR)])
    trend = model.components([history()], np.array([NOW]))["trend"][0]
    assert trend[1] > trend[0] > trend[2]


def test_trend_never_looks_ahead():
    past = [(0, 1, NOW - HOUR)]
    future = [(1, 2, NOW), (2, 2, NOW + HOUR)]  # at or after `now`: must not count
    with_future = toy_model(past + future).components([history()], np.array([NOW]))["trend"]
    without = toy_model(past + [(1, 3, NOW - 900 * HOUR)]).components([history()], np.array([NOW]))["trend"]
    assert with_future[0, 2] == 0.0
    assert with_future[0, 1] == pytest.approx(without[0, 1])


def test_cooccurrence_suggests_what_others_watched_with_the_same_item():
    model = toy_model([(0, 0, 1), (0, 1, 2), (1, 0, 3), (1, 1, 4), (2, 2, 5)])
    scores = model.components([history(0)], np.array([NOW]))["cooccurrence"][0]
    assert scores[1] == pytest.approx(1.0)
    assert scores[2] == 0.0


def test_without_history_only_the_trend_counts():
    model = toy_model([(0, 0, NOW - HOUR), (1, 1, NOW - 100 * HOUR)], trend=1.0)
    empty = model.score([history()], np.array([NOW]))[0]
    trend = model.components([history()], np.array([NOW]))["trend"][0]
    np.testing.assert_allclose(empty, trend)


def test_personal_signal_is_trusted_more_as_history_grows():
    events = [(0, 0, 1), (0, 3, 2), (1, 0, 3), (1, 3, 4), (2, 1, NOW - HOUR)]
    model = toy_model(events, history_shrinkage=2.0)
    short = model.score([history(0)], np.array([NOW]))[0]
    model.params["history_shrinkage"] = 0.0
    full = model.score([history(0)], np.array([NOW]))[0]
    assert short[3] < full[3]


def test_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="unknown hybrid parameter"):
        HybridRanker(np.eye(2, dtype=np.float32), [(), ()], trend_weight=1.0)


def test_diversity_reorders_the_top_away_from_near_duplicates():
    vectors = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.98, 0.199]], dtype=np.float32)
    events = [(0, 0, NOW - HOUR), (1, 0, NOW - HOUR), (2, 0, NOW - HOUR), (0, 1, NOW - HOUR),
              (1, 1, NOW - HOUR), (2, 3, NOW - HOUR), (1, 3, NOW - HOUR), (0, 2, NOW - 9 * HOUR)]
    users, items, times = (np.array(c) for c in zip(*events))
    log = InteractionLog(["a", "b", "c"], ["i0", "i1", "i2", "i3"], users.astype(np.int32),
                         items.astype(np.int32), times.astype(np.int64), np.ones(len(users), np.float32))

    def top_two(diversity):
        model = HybridRanker(vectors, [()] * 4, diversity=diversity, content=0.0, era=0.0, category=0.0,
                             cooccurrence=0.0).fit(log)
        scores = model.score([history()], np.array([NOW]))[0]
        return list(np.argsort(-scores)[:2])

    assert top_two(0.0) == [0, 1]  # the two most trending, nearly the same item
    assert top_two(0.9) == [0, 2]  # a different item moves up to second place

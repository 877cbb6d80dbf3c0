"""Popularity bias, category exposure, user groups and the engine's novelty control on hand-made inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.evaluation import metrics
from bot.evaluation.report import sweep_lines
from bot.hybrid import HybridRanker
from bot.ranking import History, InteractionLog

GENRES = [("Drama",), ("Drama", "Comedy"), ("Horror",), (), ()]


def test_short_head_holds_the_share_of_interactions_and_keeps_ties_together():
    assert metrics.short_head(np.array([50, 30, 10, 5, 5, 0])).tolist() == [True, True] + [False] * 4
    # 40 + 30 + 10 reach 80 at the first item with 10; the other two with 10 join it
    assert metrics.short_head(np.array([10, 40, 10, 30, 10])).all()
    assert metrics.short_head(np.array([50, 30, 10, 5, 5]), share=0.5).tolist() == [True] + [False] * 4
    assert not metrics.short_head(np.zeros(3)).any()
    with pytest.raises(ValueError):
        metrics.short_head(np.array([1, 2]), share=0.0)


def test_long_tail_share_counts_slots_outside_the_head():
    head = np.array([True, True, False, False])
    top = np.array([[0, 2], [3, -1], [1, 0]])  # -1 is padding
    assert metrics.long_tail_share(top, head) == pytest.approx(2 / 5)
    assert metrics.long_tail_share(np.array([[-1, -1]]), head) == 0.0


def test_category_shares_compare_catalog_interactions_and_slots():
    assert metrics.category_shares(np.ones(5), GENRES) == pytest.approx(
        {"Drama": 2 / 5, "Comedy": 1 / 5, "Horror": 1 / 5}
    )
    shares = metrics.category_shares(np.array([0, 2, 2, 0, 0]), GENRES)
    assert list(shares) == ["Comedy", "Drama", "Horror"]  # equal shares: by name
    assert shares == pytest.approx({"Comedy": 0.5, "Drama": 0.5, "Horror": 0.5})
    assert metrics.category_shares(np.zeros(5), GENRES) == {"Comedy": 0.0, "Drama": 0.0, "Horror": 0.0}
    with pytest.raises(ValueError):
        metrics.category_shares(np.ones(4), GENRES)


def test_category_exposure_counts_every_slot():
    top = np.array([[0, 1], [1, 4], [3, -1]])  # items 3 and 4 have no genre
    exposure = metrics.category_exposure(top, GENRES)
    assert exposure == pytest.approx({"Drama": 3 / 5, "Comedy": 2 / 5, "Horror": 0.0})


def test_intra_list_diversity_is_the_mean_pairwise_jaccard_distance():
    # list 1: (0,1) 1 - 1/2, (0,2) 1, (1,2) 1; list 2 with padding: only the pair (0,1)
    top = np.array([[0, 1, 2], [0, -1, 1]])
    assert metrics.intra_list_diversity(top, GENRES) == pytest.approx(((0.5 + 1 + 1) / 3 + 0.5) / 2)
    assert metrics.intra_list_diversity(np.array([[3, 4]]), GENRES) == 0.0  # both genre-less: alike
    assert metrics.intra_list_diversity(np.array([[0, 0]]), GENRES) == 0.0
    assert metrics.intra_list_diversity(np.array([[2, -1], [0, 2]]), GENRES) == 1.0  # one-item list skipped


def test_history_groups_cut_by_inclusive_upper_bounds():
    assert metrics.group_labels((5, 20)) == ["<=5", "6-20", ">20"]
    assert metrics.group_labels((1, 2)) == ["<=1", "2", ">2"]
    assert metrics.history_groups(np.array([4, 5, 6, 20, 21]), (5, 20)).tolist() == [0, 0, 1, 1, 2]
    with pytest.raises(ValueError):
        metrics.history_groups(np.array([1]), (20, 5))


def test_quality_by_group_scores_each_group_alone():
    ranks = np.array([1.0, 3.0, 11.0, 2.0])
    quality = metrics.quality_by_group(ranks, np.array([0, 0, 1, 2]), ["light", "medium", "heavy", "none"])
    assert quality["light"] == pytest.approx({"users": 2, "hr@10": 1.0, "ndcg@10": 0.75})
    assert quality["medium"] == {"users": 1, "hr@10": 0.0, "ndcg@10": 0.0}
    assert quality["heavy"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert quality["none"] == {"users": 0, "hr@10": 0.0, "ndcg@10": 0.0}


def test_sweep_lines_follow_one_control_from_the_reference_row():
    rows = [
        {"params": {"diversity": 0.0, "novelty": 0.0}},
        {"params": {"diversity": 0.3, "novelty": 0.0}},
        {"params": {"diversity": 0.0, "novelty": 0.5}},
        {"params": {"diversity": 0.1, "novelty": 0.0}},
    ]
    lines = sweep_lines(rows)
    assert {control: [weight for weight, _ in points] for control, points in lines.items()} == {
        "diversity": [0.0, 0.1, 0.3], "novelty": [0.0, 0.5],
    }


NOW = 1_000_000
HOUR = 3600


def _novelty_scores(novelty: float, liked: tuple[int, ...] = (2,)) -> np.ndarray:
    """Only the novelty penalty on: item 0 had 3 interactions, item 1 one, item 2 one after ``now``;
    the user liked ``liked`` (by default item 2, which no one had before ``now``: all niche)."""
    events = [(0, 0, NOW - 900 * HOUR), (1, 0, NOW - 900 * HOUR), (2, 0, NOW - HOUR),
              (0, 1, NOW - 9 * HOUR), (1, 2, NOW + HOUR)]
    users, items, times = (np.array(column) for column in zip(*events))
    log = InteractionLog(["a", "b", "c"], ["i0", "i1", "i2"], users.astype(np.int32), items.astype(np.int32),
                         times.astype(np.int64), np.ones(len(users), np.float32))
    model = HybridRanker(np.eye(3, dtype=np.float32), [()] * 3, trend=0.0, cooccurrence=0.0, content=0.0,
                         era=0.0, category=0.0, novelty=novelty).fit(log)
    user = History(np.array(liked, np.int32), np.full(len(liked), NOW - HOUR, np.int64), np.ones(len(liked), np.float32))
    return model.score([user], np.array([NOW]))[0]


def test_novelty_penalises_popularity_before_now_only():
    assert _novelty_scores(0.0).tolist() == [0.0, 0.0, 0.0]  # off by default: the score is unchanged
    # log1p counts scaled to the most popular: item 0 -> 1, item 1 -> log 2 / log 4; item 2 is
    # only interacted with after now, so it has no popularity yet (no look-ahead)
    np.testing.assert_allclose(_novelty_scores(0.5), [-0.5, -0.5 * math.log(2) / math.log(4), 0.0], rtol=1e-6)


def test_novelty_is_calibrated_to_how_mainstream_the_users_own_likes_are():
    niche_item = math.log(2) / math.log(4)  # item 1's popularity, item 0's is 1
    mainstream, between = _novelty_scores(0.5, liked=(0,)), _novelty_scores(0.5, liked=(1,))
    assert mainstream.tolist() == [0.0, 0.0, 0.0]  # who likes the bestseller is not steered away from it
    np.testing.assert_allclose(between, (1 - niche_item) * _novelty_scores(0.5), rtol=1e-6)
    assert _novelty_scores(0.5, liked=()).tolist() == [0.0, 0.0, 0.0]  # no likes: nothing to calibrate to

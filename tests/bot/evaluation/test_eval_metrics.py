"""The metric functions against hand-computed values, and ranks with ties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.evaluation import metrics


def test_ndcg_of_single_ranks():
    assert metrics.ndcg(np.array([1.0]), 10) == 1.0
    assert metrics.ndcg(np.array([3.0]), 10) == pytest.approx(0.5)  # 1 / log2(4)
    assert metrics.ndcg(np.array([10.0]), 10) == pytest.approx(1 / math.log2(11))
    assert metrics.ndcg(np.array([11.0]), 10) == 0.0
    assert metrics.ndcg(np.array([1.0, 3.0, 11.0]), 10) == pytest.approx(1.5 / 3)


def test_hit_rate_counts_ranks_within_k():
    ranks = np.array([1.0, 3.0, 10.0, 10.5, 11.0])
    assert metrics.hit_rate(ranks, 10) == pytest.approx(3 / 5)
    assert metrics.hit_rate(ranks, 1) == pytest.approx(1 / 5)
    assert metrics.hit_rate(ranks, 11) == pytest.approx(5 / 5)
    assert metrics.hit_rate(np.array([]), 10) == 0.0
    with pytest.raises(ValueError):
        metrics.hit_rate(np.array([0.0]), 10)


def test_curves_match_the_point_metrics():
    ranks = np.array([1.0, 2.0, 5.0, 40.0, 60.0])
    hr = metrics.hit_rate_curve(ranks, 50)
    nd = metrics.ndcg_curve(ranks, 50)
    assert hr.shape == nd.shape == (50,)
    assert hr[0] == pytest.approx(0.2) and hr[4] == pytest.approx(0.6) and hr[49] == pytest.approx(0.8)
    assert nd[9] == pytest.approx(metrics.ndcg(ranks, 10))
    assert np.all(np.diff(hr) >= 0) and np.all(np.diff(nd) >= 0)


def test_coverage_and_mean_popularity_rank_on_a_toy_example():
    # 6 items; interaction counts give popularity ranks (1 = most interacted, ties share).
    counts = np.array([10, 7, 7, 3, 0, 1])
    pop = metrics.popularity_ranks(counts)
    assert pop.tolist() == [1, 2, 2, 4, 6, 5]
    top = np.array([[0, 1], [0, 3], [2, -1]])  # -1 is padding
    assert metrics.coverage(top, 6) == pytest.approx(4 / 6)  # items 0, 1, 2, 3
    # every appearance counts: ranks 1, 2, 1, 4, 2 -> mean 2
    assert metrics.mean_popularity_rank(top, pop) == pytest.approx(2.0)


def test_ranks_count_ties_as_half():
    scores = np.array([
        [3.0, 1.0, 3.0, 2.0, 3.0],  # target 2 ties with items 0 and 4 -> 1 + 0 + 2/2
        [0.5, 0.9, 0.1, 0.9, 0.2],  # target 2 is last of 5 -> 5
        [1.0, 1.0, 1.0, 1.0, 1.0],  # all tied -> 1 + 4/2 = 3
    ])
    ranks = metrics.ranks_from_scores(scores, np.array([2, 2, 0]))
    assert ranks.tolist() == [2.0, 5.0, 3.0]


def test_ranks_ignore_excluded_items_and_treat_nan_as_worst():
    scores = np.array([
        [3.0, 1.0, 3.0, 2.0, 3.0],
        [5.0, 4.0, np.nan, 3.0, 2.0],
        [np.nan, 1.0, 2.0, 0.0, 9.0],
    ])
    excluded = [np.array([4]), np.array([0]), np.array([4])]
    ranks = metrics.ranks_from_scores(scores, np.array([2, 1, 0]), excluded)
    # row 0: one tie left (item 0) -> 1.5; row 1: item 0 excluded, 4 is best -> 1;
    # row 2: the NaN target is worst of the 4 candidates -> 4
    assert ranks.tolist() == [1.5, 1.0, 4.0]
    with pytest.raises(ValueError, match="excluded"):
        metrics.ranks_from_scores(scores[:1], np.array([4]), [np.array([4])])


def test_ranks_do_not_depend_on_the_batch_size():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(37, 50)).astype(float)  # many ties
    targets = rng.integers(0, 50, size=37)
    excluded = [np.setdiff1d(rng.integers(0, 50, size=3), [t]) for t in targets]
    one = metrics.ranks_from_scores(scores, targets, excluded, batch_size=1)
    big = metrics.ranks_from_scores(scores, targets, excluded, batch_size=1000)
    assert np.array_equal(one, big)
    # the same as counting through a full sort with half ties
    for row in range(37):
        keep = np.setdiff1d(np.arange(50), excluded[row])
        s, t = scores[row, keep], scores[row, targets[row]]
        assert one[row] == 1 + (s > t).sum() + ((s == t).sum() - 1) / 2


def test_top_k_is_deterministic_with_ties_and_skips_excluded_items():
    scores = np.array([
        [1.0, 5.0, 5.0, 0.0, 5.0, 2.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [1.0, 2.0, 3.0, -np.inf, 4.0, 5.0],
    ])
    top = metrics.top_k(scores, 3, [np.array([2]), np.array([], dtype=int), np.array([5, 4, 2, 1, 0])])
    assert top[0].tolist() == [1, 4, 5]  # ties by lower item row, item 2 excluded
    assert top[1].tolist() == [0, 1, 2]
    assert top[2].tolist() == [3, -1, -1]  # only one candidate left (even at -inf)

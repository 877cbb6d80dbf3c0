"""Ranking metrics for one held-out item per user, as pure numpy functions.

Everything starts from the 1-based **rank** of the held-out item among the user's
candidates (all items minus the ones excluded for that user). Ties are counted as half:
``rank = 1 + (#candidates scoring strictly higher) + (#other candidates scoring equal) / 2``,
so a model cannot gain from the order in which ties happen to be stored, and ranks can
be fractional (a rank of 10.5 is not a hit at 10).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

K_MAX = 50


def _ranks(ranks: np.ndarray) -> np.ndarray:
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.ndim != 1:
        raise ValueError("ranks must be a 1-d array")
    if len(ranks) and ranks.min() < 1:
        raise ValueError("ranks are 1-based")
    return ranks


def hit_rate(ranks: np.ndarray, k: int) -> float:
    """HR@k: the share of users whose held-out item is ranked within the top ``k``.

    With one held-out item per user this is also Recall@k. ``hit_rate([1, 3, 11], 10)``
    is 2/3. An empty array gives 0.
    """
    ranks = _ranks(ranks)
    return float(np.mean(ranks <= k)) if len(ranks) else 0.0


def ndcg(ranks: np.ndarray, k: int) -> float:
    """NDCG@k with one relevant item: mean of ``1 / log2(rank + 1)`` if ``rank <= k`` else 0.

    Rank 1 gives 1, rank 3 gives ``1 / log2(4) = 0.5``, rank 11 gives 0 at k = 10.
    """
    ranks = _ranks(ranks)
    if not len(ranks):
        return 0.0
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(np.mean(gains))


def hit_rate_curve(ranks: np.ndarray, k_max: int = K_MAX) -> np.ndarray:
    """``[HR@1, ..., HR@k_max]`` as a float array of length ``k_max``."""
    return np.array([hit_rate(ranks, k) for k in range(1, k_max + 1)])


def ndcg_curve(ranks: np.ndarray, k_max: int = K_MAX) -> np.ndarray:
    """``[NDCG@1, ..., NDCG@k_max]`` as a float array of length ``k_max``."""
    return np.array([ndcg(ranks, k) for k in range(1, k_max + 1)])


def coverage(top_items: np.ndarray, n_items: int) -> float:
    """Catalog coverage: distinct items over all users' top-k lists, divided by ``n_items``.

    ``top_items`` is a (users, k) integer array of item rows; entries < 0 are padding.
    """
    top_items = np.asarray(top_items)
    if n_items <= 0:
        raise ValueError("n_items must be positive")
    distinct = np.unique(top_items[top_items >= 0])
    return float(len(distinct) / n_items)


def popularity_ranks(item_counts: np.ndarray) -> np.ndarray:
    """Each item's popularity rank: 1 + number of items with strictly more interactions.

    The most interacted item has rank 1; items with equal counts share the best rank of
    their group (competition ranking), so ties never depend on item order.
    ``popularity_ranks([5, 9, 5, 0])`` is ``[2, 1, 2, 4]``.
    """
    counts = np.asarray(item_counts)
    ordered = np.sort(counts)
    higher = len(counts) - np.searchsorted(ordered, counts, side="right")
    return (higher + 1).astype(np.int64)


def mean_popularity_rank(top_items: np.ndarray, pop_ranks: np.ndarray) -> float:
    """Mean popularity rank over every recommended item of every top-k list.

    Each appearance counts (an item recommended to 100 users counts 100 times); entries
    < 0 are padding and ignored. Higher means less popular (more long-tail) items.
    """
    top_items = np.asarray(top_items)
    chosen = top_items[top_items >= 0]
    if not len(chosen):
        return 0.0
    return float(np.mean(np.asarray(pop_ranks)[chosen]))


def _clean(scores: np.ndarray) -> np.ndarray:
    """Float64 copy of the scores with NaN treated as the worst possible score."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    scores[np.isnan(scores)] = -np.inf
    return scores


def ranks_from_scores(
    scores: np.ndarray,
    targets: np.ndarray,
    excluded: Sequence[np.ndarray] | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """1-based rank of ``targets[u]`` among row ``u``'s candidates, without sorting.

    ``scores`` is (users, items), higher is better; ``excluded[u]`` lists item rows that
    are not candidates for user u (their own history); the target itself must not be
    excluded. ``rank = 1 + #higher + #equal / 2`` counted over candidates other than the
    target, so ties are deterministic and neither favoured nor punished. NaN scores count
    as the worst. Rows are processed ``batch_size`` at a time to bound memory.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets, dtype=np.int64)
    n_users = scores.shape[0]
    if len(targets) != n_users:
        raise ValueError("one target per row of scores")
    ranks = np.empty(n_users, dtype=np.float64)
    for start in range(0, n_users, batch_size):
        block = _clean(scores[start:start + batch_size])
        rows = np.arange(len(block))
        target_scores = block[rows, targets[start:start + len(block)]]
        higher = (block > target_scores[:, None]).sum(axis=1).astype(np.float64)
        equal = (block == target_scores[:, None]).sum(axis=1).astype(np.float64) - 1.0
        if excluded is not None:
            for row in rows:
                gone = np.asarray(excluded[start + row], dtype=np.int64)
                if not len(gone):
                    continue
                if np.any(gone == targets[start + row]):
                    raise ValueError(f"row {start + row}: the target item is excluded")
                values = block[row, gone]
                higher[row] -= np.count_nonzero(values > target_scores[row])
                equal[row] -= np.count_nonzero(values == target_scores[row])
        ranks[start:start + len(block)] = 1.0 + higher + equal / 2.0
    return ranks


def top_k(scores: np.ndarray, k: int, excluded: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """The ``k`` best candidate items per row, best first; equal scores by lower item row.

    Returns a (users, k) int64 array; rows with fewer than ``k`` candidates are padded
    with -1. Excluded items never appear; NaN scores count as the worst.
    """
    block = _clean(scores)
    n_users, n_items = block.shape
    floor = np.finfo(np.float64).min
    block[np.isneginf(block)] = floor  # a candidate at -inf still beats an excluded item
    allowed = np.ones(n_users, dtype=np.int64) * n_items
    if excluded is not None:
        for row in range(n_users):
            gone = np.unique(np.asarray(excluded[row], dtype=np.int64))
            block[row, gone] = -np.inf
            allowed[row] -= len(gone)
    k_eff = min(k, n_items)
    out = np.full((n_users, k), -1, dtype=np.int64)
    if k_eff == 0:
        return out
    kth = -np.partition(-block, k_eff - 1, axis=1)[:, k_eff - 1]
    for row in range(n_users):
        pool = np.flatnonzero(block[row] >= kth[row])
        best = pool[np.lexsort((pool, -block[row, pool]))]
        best = best[np.isfinite(block[row, best])][: min(k_eff, allowed[row])]
        out[row, : len(best)] = best
    return out

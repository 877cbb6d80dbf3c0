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
HEAD_SHARE = 0.8  # the short head holds this share of all interactions; the rest is long tail


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


def short_head(item_counts: np.ndarray, share: float = HEAD_SHARE) -> np.ndarray:
    """Mask of the "short head": the most popular items that hold ``share`` of all interactions.

    Every other item is **long tail**. Items are taken by count, most first, until their
    counts reach ``share`` of the total; items tied with the last one taken join the head
    too, so the split never depends on item order. ``short_head([50, 30, 10, 5, 5, 0])`` is
    ``[True, True, False, False, False, False]`` (80 of 100 interactions). Without any
    interaction there is no head.
    """
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    counts = np.asarray(item_counts)
    total = counts.sum()
    if total <= 0:
        return np.zeros(len(counts), dtype=bool)
    ordered = np.sort(counts)[::-1]
    last = min(int(np.searchsorted(np.cumsum(ordered), share * total)), len(ordered) - 1)
    return counts >= ordered[last]


def long_tail_share(top_items: np.ndarray, head: np.ndarray) -> float:
    """Share of all recommendation slots (padding < 0 excluded) filled by items outside ``head``.

    Measures popularity bias directly: 0 means only short-head items are ever shown.
    """
    top_items = np.asarray(top_items)
    chosen = top_items[top_items >= 0]
    if not len(chosen):
        return 0.0
    return float(1.0 - np.mean(np.asarray(head)[chosen]))


def _category_matrix(item_categories: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """Sorted category names and the (items, categories) 0/1 matrix of which item has which."""
    names = sorted({category for categories in item_categories for category in categories})
    column = {name: k for k, name in enumerate(names)}
    matrix = np.zeros((len(item_categories), len(names)), dtype=np.float64)
    for row, categories in enumerate(item_categories):
        matrix[row, [column[category] for category in set(categories)]] = 1.0
    return names, matrix


def category_shares(item_counts: np.ndarray, item_categories: Sequence[Sequence[str]]) -> dict[str, float]:
    """Each category's share of the counted items: weight of the items that have it / total weight.

    The one measure for supply, demand and exposure, so they compare directly: with ones
    it is the category's share of the catalog, with interaction counts its share of the
    interactions, with counts of recommendation slots its exposure. An item with several
    categories counts for each (shares add up to more than 1); an item without any counts
    only in the total. Largest share first, ties by name.
    """
    counts = np.asarray(item_counts, dtype=np.float64)
    if len(counts) != len(item_categories):
        raise ValueError("one count per item")
    names, matrix = _category_matrix(item_categories)
    total = counts.sum()
    shares = counts @ matrix / total if total > 0 else np.zeros(len(names))
    return {names[k]: float(shares[k]) for k in sorted(range(len(names)), key=lambda k: (-shares[k], names[k]))}


def category_exposure(top_items: np.ndarray, item_categories: Sequence[Sequence[str]]) -> dict[str, float]:
    """Share of all recommendation slots (padding < 0 excluded) whose item has each category."""
    top_items = np.asarray(top_items)
    slots = np.bincount(top_items[top_items >= 0], minlength=len(item_categories))
    return category_shares(slots, item_categories)


def intra_list_diversity(top_items: np.ndarray, item_categories: Sequence[Sequence[str]]) -> float:
    """ILD: mean over lists of the mean pairwise Jaccard distance of the items' category sets.

    Categories rather than the engine's embeddings, so the measure is independent of what
    the engine's MMR optimises and the same for every model. Two items without categories
    count as alike (distance 0); lists with fewer than two items (padding < 0) are skipped.
    ``[[a, b]]`` with categories {Drama} and {Drama, Comedy} gives 1 - 1/2 = 0.5.
    """
    top_items = np.asarray(top_items)
    _, matrix = _category_matrix(item_categories)
    valid = top_items >= 0
    sets = matrix[np.where(valid, top_items, 0)] * valid[..., None]  # (lists, k, categories)
    common = np.einsum("ukc,ulc->ukl", sets, sets)
    sizes = sets.sum(axis=2)
    union = sizes[:, :, None] + sizes[:, None, :] - common
    distance = 1.0 - np.divide(common, union, out=np.ones_like(common), where=union > 0)
    pairs = valid[:, :, None] & valid[:, None, :] & ~np.eye(top_items.shape[1], dtype=bool)
    counted = pairs.sum(axis=(1, 2))
    keep = counted > 0
    if not keep.any():
        return 0.0
    per_list = (distance * pairs).sum(axis=(1, 2))[keep] / counted[keep]
    return float(per_list.mean())


def group_labels(bounds: Sequence[int]) -> list[str]:
    """Names of the groups that ``bounds`` cut: ``(5, 20)`` gives ``["<=5", "6-20", ">20"]``."""
    labels = [f"<={bounds[0]}"]
    labels += [f"{lo + 1}-{hi}" if hi > lo + 1 else str(hi) for lo, hi in zip(bounds, bounds[1:])]
    return labels + [f">{bounds[-1]}"]


def history_groups(lengths: np.ndarray, bounds: Sequence[int]) -> np.ndarray:
    """Each user's group index (into :func:`group_labels`) by history length.

    ``bounds`` are ascending inclusive upper ends: with ``(5, 20)`` lengths up to 5 are
    group 0, 6 to 20 group 1, above 20 group 2.
    """
    if list(bounds) != sorted(set(bounds)) or not len(bounds):
        raise ValueError("bounds must be ascending and distinct")
    return np.searchsorted(np.asarray(bounds), np.asarray(lengths), side="left")


def quality_by_group(
    ranks: np.ndarray, groups: np.ndarray, labels: Sequence[str], k: int = 10,
) -> dict[str, dict[str, float]]:
    """Users, HR@k and NDCG@k of every group, so a group served much worse shows up.

    ``groups[u]`` indexes ``labels``; an empty group has 0 users and metrics 0.
    """
    ranks = _ranks(ranks)
    groups = np.asarray(groups)
    out = {}
    for index, label in enumerate(labels):
        members = ranks[groups == index]
        out[label] = {"users": len(members), f"hr@{k}": hit_rate(members, k), f"ndcg@{k}": ndcg(members, k)}
    return out


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

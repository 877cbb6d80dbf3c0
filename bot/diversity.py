"""Maximal marginal relevance: the one re-ranking that keeps lists varied, online and offline."""

from __future__ import annotations

import numpy as np


def mmr_order(relevance: np.ndarray, vectors: np.ndarray, n: int, diversity: float) -> list[int]:
    """Indices of n picks, each maximising (1-d)·relevance − d·(max similarity to earlier picks).

    ``vectors`` are unit length, one row per candidate; diversity 0 keeps the score order.
    """
    chosen: list[int] = []
    max_similarity = np.full(len(relevance), -np.inf)
    while len(chosen) < min(n, len(relevance)):
        penalty = np.where(np.isfinite(max_similarity), max_similarity, 0.0)
        value = (1 - diversity) * relevance - diversity * penalty
        value[chosen] = -np.inf
        best = int(np.argmax(value))
        chosen.append(best)
        max_similarity = np.maximum(max_similarity, vectors @ vectors[best])
    return chosen

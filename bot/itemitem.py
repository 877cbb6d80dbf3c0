"""Item-item collaborative filtering that works from a few seed items: EASE.

EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019) learns an
item-item weight matrix ``B`` from the users' item sets ``X`` in closed form: with the Gram
matrix ``G = X^T X + l2 * I`` and ``P = G^-1``, ``B[i, j] = -P[i, j] / P[j, j]`` and
``B[j, j] = 0``. A user's scores are ``x @ B`` for their (weighted) items ``x``, so two
onboarding titles or a first click already pull in what is liked or bought with them.

The inverse is dense, so it is taken over the ``MAX_ITEMS`` most-interacted items (items
without interactions have no weights anyway), and each item keeps its ``NEIGHBOURS``
strongest weights: the fitted model is a sparse (items x items) matrix, cheap to save,
load and score a live request's candidates with.

:class:`ItemItem` is the component the hybrid model (``bot.hybrid``) adds to its score;
:class:`ItemItemRanker` is the same model behind the :class:`bot.ranking.Ranker` interface.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from bot.ranking import History, InteractionLog, Ranker

DEFAULT_L2 = 200.0
MAX_ITEMS = 4000  # the dense inverse: 4,000 items take 128 MB and about a second
NEIGHBOURS = 100  # the strongest weights each item keeps


class ItemItem:
    """EASE weights over ``n_items`` items, learned from a binary (users x items) matrix."""

    def __init__(self, n_items: int, l2: float = DEFAULT_L2, max_items: int = MAX_ITEMS,
                 neighbours: int = NEIGHBOURS):
        if l2 <= 0:
            raise ValueError("l2 must be positive")
        self.n_items, self.l2, self.max_items, self.neighbours = n_items, float(l2), max_items, neighbours
        self.weights = sp.csr_matrix((n_items, n_items), dtype=np.float32)

    def fit(self, users: sp.csr_matrix) -> ItemItem:
        """Learn ``B`` from who has which item (any positive value counts as 1)."""
        binary = sp.csr_matrix(users, dtype=np.float32, copy=True)
        binary.data[:] = 1.0
        binary.eliminate_zeros()
        counts = np.asarray(binary.sum(axis=0)).ravel()
        active = np.flatnonzero(counts > 0)
        if len(active) > self.max_items:
            active = np.sort(active[np.argsort(-counts[active], kind="stable")[:self.max_items]])
        if len(active) < 2:
            self.weights = sp.csr_matrix((self.n_items, self.n_items), dtype=np.float32)
            return self
        sub = binary[:, active]
        gram = np.asarray((sub.T @ sub).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights = self._sparse(weights.astype(np.float32), active)
        return self

    def _sparse(self, dense: np.ndarray, active: np.ndarray) -> sp.csr_matrix:
        """Each row's ``neighbours`` largest weights by size, in catalog rows and columns."""
        k = min(self.neighbours, dense.shape[1] - 1)
        keep = np.argpartition(-np.abs(dense), k - 1, axis=1)[:, :k] if k < dense.shape[1] else \
            np.tile(np.arange(dense.shape[1]), (dense.shape[0], 1))
        rows = np.repeat(active, keep.shape[1])
        cols = active[keep.ravel()]
        values = np.take_along_axis(dense, keep, axis=1).ravel()
        matrix = sp.csr_matrix((values, (rows, cols)), shape=(self.n_items, self.n_items), dtype=np.float32)
        matrix.eliminate_zeros()
        return matrix

    def scores(self, seeds: sp.csr_matrix, columns: np.ndarray | None = None) -> np.ndarray:
        """``seeds @ B`` (rows: weighted seed items per user), each row scaled by its largest
        absolute value over every item (so the component is comparable with the others);
        only the ``columns`` items when given."""
        every = sp.csr_matrix(seeds @ self.weights)
        peak = np.array([np.abs(every.data[lo:hi]).max(initial=0.0) for lo, hi in zip(every.indptr, every.indptr[1:])])
        dense = every.toarray() if columns is None else every[:, columns].toarray()
        return (dense / np.where(peak > 0, peak, 1.0)[:, None]).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """What to save: the sparse weights as coordinates, and the l2 they were fitted with."""
        coo = self.weights.tocoo()
        return {"itemitem_rows": coo.row.astype(np.int32), "itemitem_cols": coo.col.astype(np.int32),
                "itemitem_values": coo.data.astype(np.float32), "itemitem_l2": np.array(self.l2)}

    def restore(self, arrays) -> None:
        """Take back what :meth:`arrays` saved (an ``np.load`` result or a dict)."""
        self.weights = sp.csr_matrix(
            (arrays["itemitem_values"], (arrays["itemitem_rows"], arrays["itemitem_cols"])),
            shape=(self.n_items, self.n_items), dtype=np.float32,
        )
        self.l2 = float(arrays["itemitem_l2"])


def seed_matrix(histories: Sequence[History], n_items: int, half_life_items: float = 0.0) -> sp.csr_matrix:
    """One row per history: each item weighted by its sign (a dislike pushes away), and by
    recency when ``half_life_items`` > 0 (the newest 1, halving every that many items back)."""
    rows, cols, values = [], [], []
    for row, history in enumerate(histories):
        n = len(history.items)
        age = np.arange(n - 1, -1, -1, dtype=np.float32)
        recency = np.power(0.5, age / half_life_items) if half_life_items > 0 else np.ones(n, np.float32)
        rows.extend([row] * n)
        cols.extend(np.asarray(history.items).tolist())
        values.extend((recency * np.sign(history.weights)).tolist())
    return sp.csr_matrix((np.array(values, np.float32), (rows, cols)), shape=(len(histories), n_items))


class ItemItemRanker(Ranker):
    """EASE alone as a :class:`Ranker`: fitted on a log's positive interactions, scored from
    each history's items (so it serves users it never saw, and cold starts)."""

    name = "itemitem"

    def __init__(self, n_items: int, l2: float = DEFAULT_L2, half_life_items: float = 0.0):
        self.model = ItemItem(n_items, l2)
        self.half_life_items = half_life_items

    def fit(self, log: InteractionLog) -> ItemItemRanker:
        positive = log.weights > 0
        users = sp.csr_matrix((np.ones(int(positive.sum()), np.float32), (log.users[positive], log.items[positive])),
                              shape=(log.n_users, log.n_items))
        self.model.fit(users)
        return self

    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        return self.model.scores(seed_matrix(histories, self.model.n_items, self.half_life_items))

    def settings(self) -> dict[str, object]:
        return {"l2": self.model.l2, "half_life_items": self.half_life_items}

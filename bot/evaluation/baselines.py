"""The protocol's baselines, each a :class:`bot.ranking.Ranker`.

* :class:`Popularity` — global interaction counts in the fitted log.
* :class:`RecentPopularity` — interactions in the ``window_days`` before each user's
  own ``now`` (the interval ``[now - window, now)``; nothing at or after ``now``).
* :class:`ImplicitRanker` — the ``implicit`` library's item-kNN (cosine), ALS and BPR.
  Scores come from the user's :class:`History` (not from a fitted user id), so the same
  model serves users it was fitted on, new users and the cold-start questionnaire.

Popularity and the ``implicit`` models are static: they are fitted on the whole train
log, as the protocol defines it (its no-look-ahead rule is about time features).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from bot.ranking import History, InteractionLog, Ranker

DAY = 86_400
SEED = 42

POPULARITY_GRID: list[dict] = [{}]
RECENT_GRID: list[dict] = [{"window_days": d} for d in (1, 2, 3, 7, 14)]
ITEMKNN_GRID: list[dict] = [{"K": k} for k in (20, 50, 100)]
ALS_GRID: list[dict] = [
    {"factors": f, "regularization": r, "iterations": 15, "alpha": a}
    for f in (32, 64) for r in (0.01, 0.1) for a in (1.0, 10.0)
]
BPR_GRID: list[dict] = [
    {"factors": f, "learning_rate": lr, "iterations": 100}
    for f in (32, 64) for lr in (0.01, 0.05)
]


def _positive_matrix(log: InteractionLog) -> csr_matrix:
    """(users, items) CSR of summed positive weights (dislikes carry no implicit confidence)."""
    keep = log.weights > 0
    matrix = csr_matrix(
        (log.weights[keep].astype(np.float32), (log.users[keep], log.items[keep])),
        shape=(log.n_users, log.n_items), dtype=np.float32,
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def history_matrix(histories: Sequence[History], n_items: int) -> csr_matrix:
    """One CSR row per history with the summed positive weights of its items."""
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for history in histories:
        keep = history.weights > 0
        indices.append(np.asarray(history.items[keep], dtype=np.int32))
        data.append(np.asarray(history.weights[keep], dtype=np.float32))
        indptr.append(indptr[-1] + int(keep.sum()))
    matrix = csr_matrix(
        (np.concatenate(data) if data else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int32),
         np.asarray(indptr, dtype=np.int64)),
        shape=(len(histories), n_items), dtype=np.float32,
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


class Popularity(Ranker):
    """Every user gets the items with the most interactions in the fitted log."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None

    def fit(self, log: InteractionLog) -> Popularity:
        self.counts = np.bincount(log.items, minlength=log.n_items).astype(np.float64)
        return self

    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        if self.counts is None:
            raise RuntimeError("fit the model first")
        return np.tile(self.counts, (len(histories), 1))


class RecentPopularity(Ranker):
    """Interaction counts in ``[now - window_days, now)``, per user's own ``now``.

    Exact and look-ahead free: the fitted log is sorted by time once; each user's window
    is a contiguous slice found by binary search, counted with one ``bincount``.
    """

    name = "recent_popularity"

    def __init__(self, window_days: float = 14) -> None:
        if window_days <= 0:
            raise ValueError("window_days must be positive")
        self.window_days = window_days
        self.times: np.ndarray | None = None
        self.items: np.ndarray | None = None
        self.n_items = 0

    def fit(self, log: InteractionLog) -> RecentPopularity:
        order = np.argsort(log.times, kind="stable")
        self.times = np.asarray(log.times)[order].astype(np.int64)
        self.items = np.asarray(log.items)[order].astype(np.int64)
        self.n_items = log.n_items
        return self

    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        if self.times is None:
            raise RuntimeError("fit the model first")
        now = np.asarray(now, dtype=np.int64)
        window = int(round(self.window_days * DAY))
        hi = np.searchsorted(self.times, now, side="left")  # first interaction at or after now
        lo = np.searchsorted(self.times, now - window, side="left")  # first one inside the window
        scores = np.empty((len(now), self.n_items), dtype=np.float64)
        for row, (start, stop) in enumerate(zip(lo.tolist(), hi.tolist())):
            scores[row] = np.bincount(self.items[start:stop], minlength=self.n_items)
        return scores

    def settings(self) -> dict[str, object]:
        return {"window_days": self.window_days}


class ImplicitRanker(Ranker):
    """A model of the ``implicit`` library, scored from each user's history row.

    ``kind`` is ``"itemknn"`` (``CosineRecommender``; ``K``), ``"als"``
    (``AlternatingLeastSquares``; ``factors``, ``regularization``, ``iterations``,
    ``alpha``) or ``"bpr"`` (``BayesianPersonalizedRanking``; ``factors``,
    ``learning_rate``, ``regularization``, ``iterations``).

    Scoring: item-kNN sums the similarity rows of the history's items (what
    ``implicit`` itself does); ALS solves each history's user factors exactly against
    the fitted item factors (``recalculate_user``), so short cold-start histories work;
    BPR folds a history in as the mean of its items' factors plus the item biases.
    Seeded, and BPR trains on one thread so that its SGD is reproducible.
    """

    KINDS = ("itemknn", "als", "bpr")

    def __init__(self, kind: str, seed: int = SEED, num_threads: int | None = None, **params) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(self.KINDS)}")
        self.kind = kind
        self.name = kind
        self.seed = seed
        # BPR's multi-threaded SGD is not reproducible; ALS and kNN are.
        self.num_threads = num_threads if num_threads is not None else (1 if kind == "bpr" else 2)
        defaults = {
            "itemknn": {"K": 50},
            "als": {"factors": 64, "regularization": 0.01, "iterations": 15, "alpha": 1.0},
            "bpr": {"factors": 64, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100},
        }[kind]
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ValueError(f"{kind}: unknown parameter {unknown[0]!r}; known: {', '.join(defaults)}")
        self.params = {**defaults, **params}
        self.model = None
        self.n_items = 0

    def _make(self):
        p = self.params
        if self.kind == "itemknn":
            from implicit.nearest_neighbours import CosineRecommender

            return CosineRecommender(K=int(p["K"]), num_threads=self.num_threads)
        if self.kind == "als":
            from implicit.als import AlternatingLeastSquares

            return AlternatingLeastSquares(
                factors=int(p["factors"]), regularization=float(p["regularization"]),
                alpha=float(p["alpha"]), iterations=int(p["iterations"]), use_gpu=False,
                num_threads=self.num_threads, random_state=self.seed,
            )
        from implicit.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=int(p["factors"]), learning_rate=float(p["learning_rate"]),
            regularization=float(p["regularization"]), iterations=int(p["iterations"]),
            use_gpu=False, num_threads=self.num_threads, random_state=self.seed,
        )

    def fit(self, log: InteractionLog) -> ImplicitRanker:
        from threadpoolctl import threadpool_limits

        matrix = _positive_matrix(log)
        self.n_items = log.n_items
        # implicit wants a single-threaded BLAS (its own threads do the work), and
        # item-kNN's cosine normalisation hands itself a COO matrix, which it warns about.
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            from implicit.utils import ParameterWarning

            warnings.simplefilter("ignore", ParameterWarning)
            self.model = self._make()
            self.model.fit(matrix, show_progress=False)
        if self.kind == "itemknn":
            self.similarity = self.model.similarity.tocsr().astype(np.float32)
        else:
            self.item_factors = np.asarray(self.model.item_factors, dtype=np.float32)
        return self

    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("fit the model first")
        rows = history_matrix(histories, self.n_items)
        if self.kind == "itemknn":
            return np.asarray((rows @ self.similarity).todense(), dtype=np.float64)
        if self.kind == "als":
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):
                users = self.model.recalculate_user(np.arange(rows.shape[0]), rows)
            users = np.asarray(users, dtype=np.float32).reshape(rows.shape[0], -1)
            return (users @ self.item_factors.T).astype(np.float64)
        # BPR: item factors carry a bias in their last column (users have a 1 there).
        vectors, bias = self.item_factors[:, :-1], self.item_factors[:, -1]
        totals = np.asarray(rows.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        users = (rows @ vectors) / totals[:, None]
        return (users @ vectors.T + bias[None, :]).astype(np.float64)

    def settings(self) -> dict[str, object]:
        return {**self.params, "seed": self.seed}


def _popularity(params: dict) -> Ranker:
    return Popularity(**params)


def _recent(params: dict) -> Ranker:
    return RecentPopularity(**params)


def _implicit(kind: str):
    def factory(params: dict) -> Ranker:
        return ImplicitRanker(kind, **params)

    return factory


# name -> (factory(params) -> Ranker, grid): the protocol's baselines, in report order.
BASELINES: dict[str, tuple] = {
    "popularity": (_popularity, POPULARITY_GRID),
    "recent_popularity": (_recent, RECENT_GRID),
    "itemknn": (_implicit("itemknn"), ITEMKNN_GRID),
    "als": (_implicit("als"), ALS_GRID),
    "bpr": (_implicit("bpr"), BPR_GRID),
}


def baseline_models(names: Sequence[str] | None = None) -> list[tuple]:
    """``(name, factory, grid)`` specs for :func:`bot.evaluation.runner.run_protocol`."""
    names = list(BASELINES) if names is None else list(names)
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r}; known: {', '.join(BASELINES)}")
    return [(name, *BASELINES[name]) for name in names]

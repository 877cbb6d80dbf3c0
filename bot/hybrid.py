"""The engine's hybrid ranking model: trending now, co-occurrence, content taste, era.

Each component is a (users x items) matrix scaled per user to at most 1, and the score is
their weighted sum; the weights are chosen per data set on its validation items (coordinate
search, ``bot.evaluation.runner.ENGINE_SEARCH``: ``bot eval`` offline, ``bot tune`` on the live log).

- trend: every positive interaction of any user before ``now``, decayed with a half-life
  of hours, so what is rising right now leads (this data is dominated by new releases);
- co-occurrence: item-item cosine over users' histories, from the user's recent items
  (the last one counts most): "people who watched X also watched Y";
- sequence: what users take within a few interactions of the user's recent items, by time
  (``bot.associations``): what goes together in a visit or follows a discovery;
- category peers: what the fans of the user's stated categories took (users whose favourite
  categories they are), so a new user's categories pull in what people of that taste choose;
- item-item: EASE weights (``bot.itemitem``) from the user's items, all of them alike or
  recency-weighted: what is liked or bought with them, already from two onboarding titles
  (where taste matters more than what is new, as in X-Wines, this is the strongest part);
- content: cosine between MiniLM item vectors and the user's recency-weighted taste,
  plus the user's stated categories;
- era: items released near the years the user has been watching lately;
- segment: a prior for new users, what the users of their segment liked before ``now``
  (users clustered on their taste with bot.segments; a new user's segment is the one nearest
  their onboarding answers); off by default, swept by ``bot eval``;
- diversity: maximal marginal relevance reorders the best items so the top is varied;
- taste slots: the last ``taste_slots`` places of every ten are filled from a ranking that weighs
  the trend by ``slot_trend`` of its weight, so that what is the same for everyone does not fill
  every new user's list (where taste matters more than what is new, a cold start's lists are
  otherwise alike); off by default, searched with the coverage floors (``bot.evaluation.runner``);
- novelty: all-time popularity (interactions before ``now``, log counts scaled like the
  others) *subtracted* with its weight, in proportion to how far from the mainstream the user's
  own likes are (1 - their mean popularity; nothing without likes): a control against
  popularity bias calibrated to the user, so who picks what few others have is not pushed to
  the bestsellers; searched per data set by ``bot eval``.

The personal components (all but trend, novelty, segment and category peers) are trusted in proportion to how
much is known: their weight is multiplied by n / (n + history_shrinkage) for a history of n
items, so a user who only answered the questionnaire gets mostly what is fresh, nudged by their
taste. The segment prior takes the rest, history_shrinkage / (n + history_shrinkage): it
speaks for a new user and fades as their own history grows (``part_weights``). The category
peers keep their weight: what the user said they like stays said.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from bot.associations import category_peers, cooccurrence_similarity, sequence_similarity
from bot.diversity import mmr_order
from bot.itemitem import ItemItem, seed_matrix
from bot.ranking import History, InteractionLog, Ranker
from bot.segments import MIN_USERS_PER_SEGMENT, cluster, default_k

DAY = 86400.0

# The weights the live bot starts with, chosen on the validation split of MovieTweetings-100K
# (never on test); `bot eval` searches again per data set, `bot tune` on the live event log.
DEFAULTS: dict[str, float] = {
    "trend": 1.0,
    "cooccurrence": 0.84,
    "content": 0.97,
    "era": 0.09,
    "category": 0.1,
    "trend_half_life_hours": 24.0,
    "history_half_life_items": 3.0,
    "era_scale_years": 5.0,
    "history_shrinkage": 2.0,
    "diversity": 0.0,
    "novelty": 0.0,
    "segment": 0.0,
    "itemitem": 0.0,
    "itemitem_l2": 200.0,
    "itemitem_half_life_items": 0.0,
    "sequence": 0.0,
    "category_peers": 0.0,
    "taste_slots": 0.0,
    "slot_trend": 0.25,
}
# Parameters that change what `fit` learns; the others only weigh or read it (`with_params`).
FIT_PARAMS = ("itemitem_l2",)
LIVE_STEP_S = 60  # a live request's trend and popularity rows are recomputed at most this often
PARTS = ("trend", "novelty", "cooccurrence", "content", "era", "category", "segment", "itemitem", "sequence",
         "category_peers")
COSTLY_PARTS = ("novelty", "segment", "itemitem", "sequence", "category_peers")  # computed only when they weigh something
VECTOR_CHUNK = 50_000  # item vectors read at a time when fitting (a 1M catalog's are 1.5 GB)
DIVERSITY_POOL = 30  # MMR re-ranks this many of the best items into the first places
DIVERSITY_DEPTH = 10
SLOT_DEPTH = 10  # taste_slots are places of every ten


class VectorRows(Protocol):
    """Item vectors read by row: a float32 array, or the live index decoding only the rows
    a request needs (so the model holds no second copy of a large or compressed catalog)."""

    def __len__(self) -> int: ...

    def __getitem__(self, rows: np.ndarray) -> np.ndarray: ...


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def part_weights(params: Mapping[str, float], known: np.ndarray | float) -> dict[str, np.ndarray | float]:
    """Each part's signed weight in the score of users with ``known`` history items: the
    personal parts trusted by n / (n + history_shrinkage), the segment prior given the rest,
    the trend alike for everyone and the novelty subtracted alike. The offline score and the
    live recommender both weigh the parts with it, so what is evaluated is what is served."""
    trust = known / (known + params["history_shrinkage"])
    share = {"trend": 1.0, "novelty": -1.0, "segment": 1.0 - trust, "category_peers": 1.0}
    return {name: params[name] * share.get(name, trust) for name in PARTS}


def slot_count(params: Mapping[str, float], n: int) -> int:
    """How many of a list of ``n`` places are taste slots."""
    return round(n * params["taste_slots"] / SLOT_DEPTH)


def slot_scores(total: np.ndarray, weighted_trend: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """The ranking the taste slots are filled from: the score with the (weighted) trend part
    counted at ``slot_trend`` of its weight. Offline and live lists are built with it alike."""
    return total - (1.0 - params["slot_trend"]) * weighted_trend


def _scale_rows(matrix: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value, so components are comparable."""
    peak = np.abs(matrix).max(axis=1, keepdims=True)
    return matrix / np.where(peak > 0, peak, 1.0)


def _sparse_arrays(name: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    """A sparse matrix as ``{name}_rows``, ``_cols`` and ``_values`` arrays for ``np.savez``."""
    triples = matrix.tocoo()
    return {f"{name}_rows": triples.row, f"{name}_cols": triples.col, f"{name}_values": triples.data}


def _sparse_from(data: Mapping[str, np.ndarray], name: str, shape: tuple[int, int]) -> sp.csr_matrix:
    return sp.csr_matrix((data[f"{name}_values"], (data[f"{name}_rows"], data[f"{name}_cols"])), shape=shape)


class HybridRanker(Ranker):
    name = "engine"

    def __init__(
        self,
        item_vectors: VectorRows,
        item_categories: Sequence[Sequence[str]],
        item_years: Sequence[int | None] | None = None,
        **params: float,
    ):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown hybrid parameter(s): {', '.join(sorted(unknown))}")
        self.params = {**DEFAULTS, **params}
        self.item_vectors = (
            np.asarray(item_vectors, dtype=np.float32) if isinstance(item_vectors, (list, np.ndarray)) else item_vectors
        )
        self.n_items = len(self.item_vectors)
        categories = sorted({c for cats in item_categories for c in cats})
        self._category_index = {c: k for k, c in enumerate(categories)}
        rows = [r for r, cats in enumerate(item_categories) for _ in cats]
        cols = [self._category_index[c] for cats in item_categories for c in cats]
        self.item_category_matrix = sp.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(self.n_items, len(categories))
        )
        years = [None] * self.n_items if item_years is None else list(item_years)
        self.item_years = np.array([y or 0 for y in years], dtype=np.float32)
        self._times = np.zeros(0, np.int64)
        self._items = np.zeros(0, np.int32)
        self._similar = sp.csr_matrix((self.n_items, self.n_items), dtype=np.float32)
        self._sequence = sp.csr_matrix((self.n_items, self.n_items), dtype=np.float32)
        self._category_peers = sp.csr_matrix((len(categories), self.n_items), dtype=np.float32)
        self._itemitem = ItemItem(self.n_items, self.params["itemitem_l2"])
        self._segment_centroids = np.zeros((0, 0), np.float32)  # one unit row per segment
        self._category_centroids = np.zeros((0, 0), np.float32)  # one unit row per category
        self._event_segments = np.zeros(0, np.int32)  # the segment of each of _times' events
        self._segment_events: list[tuple[np.ndarray, np.ndarray]] = []  # (times, items) per segment
        self._segment_cache: dict[tuple[int, int], np.ndarray] = {}  # (segment, minute): live rows
        self._live_rows: dict[str, tuple[int, np.ndarray]] = {}  # part: (minute, whole-catalog row) for live requests
        self._rising: tuple[int, int, np.ndarray] | None = None  # (minute, k, the trend row's best k rows)

    def settings(self) -> dict[str, object]:
        return dict(self.params)

    def with_params(self, **params: float) -> HybridRanker:
        """A copy with other weights sharing this one's fit (no refit): for tuning the weights.
        Parameters that change the fit (``FIT_PARAMS``) must stay as they are."""
        changed = [name for name in FIT_PARAMS if name in params and params[name] != self.params[name]]
        if changed or set(params) - set(DEFAULTS):
            raise ValueError(f"cannot change {', '.join(changed or sorted(set(params) - set(DEFAULTS)))} without a fit")
        other = copy.copy(self)
        other.params = {**self.params, **params}
        other._live_rows, other._rising, other._segment_cache = {}, None, {}
        return other

    def fit(self, log: InteractionLog) -> HybridRanker:
        if log.n_items != self.n_items:
            raise ValueError(f"log has {log.n_items} items, the model {self.n_items}")
        positive = log.weights > 0
        order = np.argsort(log.times[positive], kind="stable")
        self._live_rows, self._rising = {}, None
        self._times = log.times[positive][order]
        self._items = log.items[positive][order]
        users = sp.csr_matrix(
            (np.ones(int(positive.sum()), np.float32), (log.users[positive], log.items[positive])),
            shape=(log.n_users, self.n_items),
        )
        users.data[:] = 1.0  # repeated interactions count once
        self._similar = cooccurrence_similarity(users)
        self._sequence = sequence_similarity(log.users[positive], log.items[positive], log.times[positive],
                                             self.n_items)
        self._category_peers = category_peers(users, self.item_category_matrix)
        self._itemitem = ItemItem(self.n_items, self.params["itemitem_l2"]).fit(users)
        self._fit_segments(users, log.users[positive][order])
        return self

    def _fit_segments(self, users: sp.csr_matrix, event_users: np.ndarray) -> None:
        """Cluster the users on their taste (the mean vector of what they liked) for the
        segment prior, and place each category at its items' mean vector, so stated
        categories can pick a new user's segment. Too few users: no segments."""
        seen = np.unique(users.indices)
        taste = np.zeros((users.shape[0], self._dimension()), np.float32)
        categories = np.zeros((self.item_category_matrix.shape[1], taste.shape[1]), np.float32)
        for start in range(0, len(seen), VECTOR_CHUNK):
            rows = seen[start:start + VECTOR_CHUNK]
            vectors = np.asarray(self.item_vectors[rows], dtype=np.float32)
            taste += users[:, rows] @ vectors
            categories += self.item_category_matrix[rows].T @ vectors
        self._category_centroids = _unit_rows(categories)
        known = np.flatnonzero(np.linalg.norm(taste, axis=1) > 0)
        k = default_k(len(known))
        if len(known) < MIN_USERS_PER_SEGMENT * k:
            self._set_segments(np.zeros((0, taste.shape[1]), np.float32), np.zeros(len(event_users), np.int32))
            return
        centroids, assigned = cluster(_unit_rows(taste[known]), k)
        segment_of_user = np.zeros(users.shape[0], np.int32)
        segment_of_user[known] = assigned
        self._set_segments(centroids, segment_of_user[event_users])

    def _set_segments(self, centroids: np.ndarray, event_segments: np.ndarray) -> None:
        self._segment_centroids, self._event_segments = centroids, event_segments.astype(np.int32)
        self._segment_events = [(self._times[event_segments == s], self._items[event_segments == s])
                                for s in range(len(centroids))]
        self._segment_cache = {}

    def _dimension(self) -> int:
        return int(np.asarray(self.item_vectors[np.arange(1)]).shape[1]) if self.n_items else 0

    def save(self, path: Path, item_ids: Sequence[str]) -> None:
        """Write what `fit` learned (atomically), tagged with the catalog's item ids."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        similar = self._similar.tocoo()
        np.savez(
            tmp, times=self._times, items=self._items, rows=similar.row, cols=similar.col,
            values=similar.data, item_ids=np.array(list(item_ids), dtype=str),
            **_sparse_arrays("sequence", self._sequence), **_sparse_arrays("category_peers", self._category_peers),
            segment_centroids=self._segment_centroids, category_centroids=self._category_centroids,
            event_segments=self._event_segments, **self._itemitem.arrays(),
            params=np.array(json.dumps(self.params)),
        )
        os.replace(tmp, path)

    def load_fitted(self, path: Path, item_ids: Sequence[str]) -> bool:
        """Restore a saved fit; False (and nothing changed) if it was for another catalog."""
        with np.load(path) as data:
            if data["item_ids"].tolist() != list(item_ids):
                return False
            self._times, self._items = data["times"], data["items"]
            self._live_rows, self._rising = {}, None
            self._similar = sp.csr_matrix(
                (data["values"], (data["rows"], data["cols"])), shape=(self.n_items, self.n_items)
            )
            self.params = {**self.params, **json.loads(str(data["params"]))}
            if "segment_centroids" in data.files:  # models trained before the segment prior have none
                self._category_centroids = data["category_centroids"]
                self._set_segments(data["segment_centroids"], data["event_segments"])
            if "itemitem_rows" in data.files:  # models trained before the item-item part have none
                self._itemitem.restore(data)
            else:
                self.params["itemitem"] = 0.0
            for part in ("sequence", "category_peers"):  # nor had those before these parts
                if f"{part}_rows" in data.files:
                    setattr(self, f"_{part}", _sparse_from(data, part, getattr(self, f"_{part}").shape))
                else:
                    self.params[part] = 0.0
        return True

    def components(
        self, histories: Sequence[History], now: np.ndarray, columns: np.ndarray | None = None,
        parts: Collection[str] = PARTS,
    ) -> dict[str, np.ndarray]:
        """Each component of ``parts`` as a (users x items) matrix, before weighting; only the
        ``columns`` items when given (a live request's candidates: no dense work over the whole
        catalog). Rows are still scaled by their largest value over every item."""
        recency = self._history_matrix(histories)
        compute = {
            "trend": lambda: self._trend(np.asarray(now, dtype=np.int64), columns),
            "novelty": lambda: self._novelty(histories, np.asarray(now, dtype=np.int64), columns),
            "cooccurrence": lambda: self._neighbours(recency, self._similar, columns),
            "sequence": lambda: self._neighbours(recency, self._sequence, columns),
            "category_peers": lambda: self._neighbours(self._stated(histories), self._category_peers, columns),
            "content": lambda: self._content(recency, columns),
            "era": lambda: self._era(histories, columns),
            "category": lambda: self._category(recency, histories, columns),
            "segment": lambda: self._segment(recency, histories, np.asarray(now, dtype=np.int64), columns),
            "itemitem": lambda: self._itemitem.scores(
                seed_matrix(histories, self.n_items, self.params["itemitem_half_life_items"]), columns),
        }
        return {name: compute[name]() for name in parts}

    def parts_to_compute(self, weights: Mapping[str, float]) -> list[str]:
        """The components a score with these weights is made of, in ``PARTS`` order: the
        novelty, the segment prior and the item-item part only when they weigh something (they cost)."""
        return [part for part in PARTS if part not in COSTLY_PARTS or weights.get(part, 0.0) > 0]

    def score(self, histories: Sequence[History], now: np.ndarray) -> np.ndarray:
        parts = self.components(histories, now, parts=self.parts_to_compute(self.params))
        known = np.array([len(h.items) for h in histories], dtype=np.float32)[:, None]
        weights = part_weights(self.params, known)
        total = np.zeros((len(histories), self.n_items), np.float32)
        for name, matrix in parts.items():
            total += weights[name] * matrix
        if self.params["diversity"] > 0:
            self._diversify(total, histories)
        if slots := slot_count(self.params, SLOT_DEPTH):
            self._fill_slots(total, slot_scores(total, weights["trend"] * parts["trend"], self.params),
                             histories, slots)
        return total

    @staticmethod
    def _fill_slots(total: np.ndarray, others: np.ndarray, histories: Sequence[History], slots: int) -> None:
        """Make each row's top ``SLOT_DEPTH`` its best ``SLOT_DEPTH - slots`` items followed by the
        ``slots`` best of the rest by the ``others`` ranking (in place; the rest keep their order below)."""
        for row, history in enumerate(histories):
            scores, second = total[row].copy(), others[row].copy()
            scores[history.items] = second[history.items] = -np.inf  # the caller masks them anyway
            head = np.argsort(-scores, kind="stable")[:SLOT_DEPTH - slots]
            head = head[np.isfinite(scores[head])]
            second[head] = -np.inf
            tail = np.argsort(-second, kind="stable")[:slots]
            chosen = np.concatenate([head, tail[np.isfinite(second[tail])]])
            if len(chosen):
                top = float(scores[chosen].max())
                total[row, chosen] = top + np.arange(len(chosen), 0, -1, dtype=np.float32) * 1e-3

    def _diversify(self, total: np.ndarray, histories: Sequence[History]) -> None:
        """Reorder each row's best items by MMR (in place), so the top of the list varies."""
        for row, history in enumerate(histories):
            scores = total[row].copy()
            scores[history.items] = -np.inf  # the caller masks them anyway
            pool = np.flatnonzero(np.isfinite(scores))
            if len(pool) > DIVERSITY_POOL:
                pool = pool[np.argpartition(-scores[pool], DIVERSITY_POOL)[:DIVERSITY_POOL]]
            if len(pool) == 0:
                continue
            relevance = scores[pool] - scores[pool].min()
            relevance /= max(float(relevance.max()), 1e-9)
            order = mmr_order(relevance, self.item_vectors[pool], DIVERSITY_DEPTH, self.params["diversity"])
            top = float(scores[pool].max())
            total[row, pool[order]] = top + np.arange(len(order), 0, -1, dtype=np.float32) * 1e-3

    def _history_matrix(self, histories: Sequence[History]) -> sp.csr_matrix:
        """Rows of recency weights: the newest item 1, halving every few items back."""
        half_life = self.params["history_half_life_items"]
        rows, cols, values = [], [], []
        for row, history in enumerate(histories):
            n = len(history.items)
            age = np.arange(n - 1, -1, -1, dtype=np.float32)
            rows.extend([row] * n)
            cols.extend(history.items.tolist())
            values.extend((np.power(0.5, age / half_life) * np.sign(history.weights)).tolist())
        return sp.csr_matrix(
            (np.array(values, np.float32), (rows, cols)), shape=(len(histories), self.n_items)
        )

    def _neighbours(self, weights: sp.csr_matrix, similar: sp.csr_matrix, columns: np.ndarray | None = None) -> np.ndarray:
        """``weights @ similar`` (the user's recent items, or stated categories, against what goes
        with them), rows scaled by their peak over every item. The sparse product is as wide as
        the histories' neighbours, not the catalog."""
        every = weights @ similar
        peak = np.array([np.abs(every.data[lo:hi]).max(initial=0.0) for lo, hi in zip(every.indptr, every.indptr[1:])])
        chosen = every.toarray() if columns is None else every.toarray()[:, columns]
        return (chosen / np.where(peak > 0, peak, 1.0)[:, None]).astype(np.float32)

    def _stated(self, histories: Sequence[History]) -> sp.csr_matrix:
        """(users x categories): 1 for each category a user stated that the catalog has."""
        rows, cols = [], []
        for row, history in enumerate(histories):
            for category in history.categories:
                if (column := self._category_index.get(category)) is not None:
                    rows.append(row)
                    cols.append(column)
        return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                             shape=(len(histories), len(self._category_index)))

    def _trend(self, now: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """What is rising: interactions before ``now`` decayed with the trend half-life."""
        half_life = self.params["trend_half_life_hours"] * 3600.0
        if columns is None:
            return self._counts_before(now, half_life)
        return np.stack([self._live_row("trend", int(moment), half_life)[columns] for moment in now])

    def _novelty(self, histories: Sequence[History], now: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """All-time popularity before ``now`` (no decay), times each user's distance from the
        mainstream: 1 - the mean popularity of what they liked (0 with no likes: nothing to
        calibrate to). A live request reads the popularity row cached like the trend's."""
        rows = self._counts_before(now, np.inf) if columns is None else \
            [self._live_row("novelty", int(moment), np.inf) for moment in now]
        out = np.zeros((len(histories), self.n_items if columns is None else len(columns)), np.float32)
        for k, (history, row) in enumerate(zip(histories, rows)):
            liked = history.items[history.weights > 0]
            if len(liked):
                out[k] = (1.0 - float(row[liked].mean())) * (row if columns is None else row[columns])
        return out

    def _live_row(self, part: str, moment: int, half_life: float) -> np.ndarray:
        """A live request's whole-catalog ``_counts_before`` row of the ``part`` (trend or novelty),
        computed at most once a minute (``LIVE_STEP_S``): counting at 1M items is the one
        catalog-wide step of a request, and a minute moves a trend of hours' half-life by under
        0.1% (all-time counts by less)."""
        step = moment - moment % LIVE_STEP_S
        cached = self._live_rows.get(part)
        if cached is None or cached[0] != step:
            cached = self._live_rows[part] = (step, self._counts_before(np.array([step]), half_life)[0])
        return cached[1]

    def rising(self, moment: int, k: int) -> np.ndarray:
        """Rows of the (at most) ``k`` items trending most at ``moment``, best first: what a
        user with no taste yet is shown besides the all-time popular. Kept with the trend row."""
        trend = self._live_row("trend", moment, self.params["trend_half_life_hours"] * 3600.0)
        step = moment - moment % LIVE_STEP_S
        if self._rising is None or self._rising[0] != step or self._rising[1] < k:
            top = np.flatnonzero(trend)
            if len(top) > k:
                top = top[np.argpartition(-trend[top], k - 1)[:k]]
            self._rising = (step, k, top[np.argsort(-trend[top], kind="stable")])
        return self._rising[2][:k]

    def _counts_before(self, now: np.ndarray, half_life: float) -> np.ndarray:
        """Log of decayed counts of interactions strictly before each user's ``now`` (no look-ahead).

        ``half_life`` is in seconds; ``inf`` counts every earlier interaction fully. Rows are
        scaled to at most 1 like every component.
        """
        horizon = 20 * half_life  # older events weigh less than 1e-6
        out = np.zeros((len(now), self.n_items), dtype=np.float32)
        starts = np.searchsorted(self._times, now - horizon, side="left")
        stops = np.searchsorted(self._times, now, side="left")
        for row, (moment, lo, hi) in enumerate(zip(now, starts, stops)):
            ages = (moment - self._times[lo:hi]).astype(np.float64)
            weights = None if np.isinf(half_life) else np.power(0.5, ages / half_life)
            out[row] = np.bincount(self._items[lo:hi], weights=weights, minlength=self.n_items)
        return _scale_rows(np.log1p(out))

    def _taste(self, recency: sp.csr_matrix) -> np.ndarray:
        """Each user's recency-weighted item vectors summed (not yet unit length)."""
        seen = np.unique(recency.indices)  # only the vectors of items in a history are read
        touched = sp.csr_matrix((recency.data, np.searchsorted(seen, recency.indices), recency.indptr),
                                shape=(recency.shape[0], len(seen)))
        return np.asarray(touched @ self.item_vectors[seen], dtype=np.float32)

    def _content(self, recency: sp.csr_matrix, columns: np.ndarray | None = None) -> np.ndarray:
        taste = _unit_rows(self._taste(recency))
        return taste @ self.item_vectors[np.arange(self.n_items) if columns is None else columns].T

    def _segment(
        self, recency: sp.csr_matrix, histories: Sequence[History], now: np.ndarray,
        columns: np.ndarray | None = None,
    ) -> np.ndarray:
        """What the users of the nearest segment liked before ``now`` (log counts, rows scaled
        by their peak over every item). The segment is the one nearest the user's taste plus
        the centroids of their stated categories; zero for a user with neither."""
        out = np.zeros((len(histories), self.n_items if columns is None else len(columns)), np.float32)
        if not len(self._segment_centroids):
            return out
        query = self._taste(recency)
        for row, history in enumerate(histories):
            for category in history.categories:
                column = self._category_index.get(category)
                if column is not None:
                    query[row] += self._category_centroids[column]
        nearest = np.argmax(query @ self._segment_centroids.T, axis=1)
        for row, moment in enumerate(now):
            if query[row].any():
                counts = self._segment_row(int(nearest[row]), int(moment), live=columns is not None)
                out[row] = counts if columns is None else counts[columns]
        return out

    def _segment_row(self, segment: int, moment: int, live: bool) -> np.ndarray:
        """The segment's log counts before ``moment``; a live request's at most once a minute."""
        if live:
            moment -= moment % LIVE_STEP_S
            cached = self._segment_cache.get((segment, moment))
            if cached is not None:
                return cached
        times, items = self._segment_events[segment]
        counts = np.bincount(items[:np.searchsorted(times, moment, side="left")], minlength=self.n_items)
        row = _scale_rows(np.log1p(counts.astype(np.float32))[None, :])[0]
        if live:
            self._segment_cache = {key: value for key, value in self._segment_cache.items() if key[1] == moment}
            self._segment_cache[(segment, moment)] = row
        return row

    def _category(
        self, recency: sp.csr_matrix, histories: Sequence[History], columns: np.ndarray | None = None
    ) -> np.ndarray:
        """Share of the user's categories (watched recently, or stated) that each item has."""
        unsigned = recency.copy()
        unsigned.data = np.abs(unsigned.data)
        profile = np.asarray((unsigned @ self.item_category_matrix).todense(), dtype=np.float32)
        for row, history in enumerate(histories):
            for category in history.categories:
                column = self._category_index.get(category)
                if column is not None:
                    profile[row, column] += 1.0
        totals = profile.sum(axis=1, keepdims=True)
        profile = np.divide(profile, totals, out=np.zeros_like(profile), where=totals > 0)
        items = self.item_category_matrix if columns is None else self.item_category_matrix[columns]
        return np.asarray((items @ profile.T).T, dtype=np.float32)

    def _era(self, histories: Sequence[History], columns: np.ndarray | None = None) -> np.ndarray:
        item_years = self.item_years if columns is None else self.item_years[columns]
        out = np.zeros((len(histories), len(item_years)), dtype=np.float32)
        known = item_years > 0
        for row, history in enumerate(histories):
            years = self.item_years[history.items[-5:]]
            years = years[years > 0]
            if len(years):
                distance = np.abs(item_years - years.mean())
                out[row] = np.where(known, np.exp(-distance / self.params["era_scale_years"]), 0.0)
        return out

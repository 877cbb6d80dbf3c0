"""Candidate retrieval from FAISS, scoring, filtering and diverse re-ranking, with reasons.

Scores are a sum of named components (taste similarity, popularity with other
users, a penalty for repeating what was just shown) so that every reason the
bot gives is read off the components that actually ranked the item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.catalog import Catalog, Item
from bot.constraints import Constraints
from bot.diversity import mmr_order
from bot.encoder import Encoder
from bot.hybrid import HybridRanker, part_weights, slot_count, slot_scores
from bot.index import ItemIndex
from bot.popularity import Popularity
from bot.profiles import Profile, category_centroid, normalize, taste_vector
from bot.trained_model import profile_history
from bot.vocabulary import utcnow

POOL_SIZE = 100  # nearest items re-ranked per request: what the taste search costs at any catalog size
COLD_POOL_SIZE = 200  # without a taste: the most popular and the fastest rising (then catalog order) re-ranked
WIDEN_FACTOR = 10  # strict filters leaving fewer than n: look at 10 times as many, until the catalog ends
POPULARITY_WEIGHT = 0.1
REPEAT_PENALTY = 0.15
RECENT_IMPRESSIONS = 20  # shown this recently: demoted
ANCHOR_MIN_SIMILARITY = 0.5
SEED_WEIGHT = 0.7
# The hybrid model's components as score parts; its content component is the taste part. The
# novelty part is negative (all-time popularity pushed down) and is never given as a reason.
PART_NAMES = {"trend": "trending", "novelty": "novelty", "cooccurrence": "also_liked", "era": "era",
              "category": "category", "segment": "your_segment", "itemitem": "liked_with", "sequence": "taken_with",
              "category_peers": "category_fans"}
MODEL_REASON_MIN = 0.15  # a weighted trend, collaborative or segment part this large is worth naming
INTEREST_CACHE_SIZE = 10_000  # free-text interest and topic vectors kept in memory
INTEREST_REASON_MIN = 0.35  # an item this close to a stated free-text interest matches it
CATEGORY_WEIGHT = 0.5  # a requested category against the taste, in the query vector
# How much closer an item is to "<phrase> <item noun>" than to the bare noun: every item is close
# to "... movie", so it is the lift that says an item is about the phrase (gibberish lifts < 0.1).
TOPIC_MIN_LIFT = 0.12  # an item lifted this much by the topic asked for is about it
# Something the user does not want ("glass", "stupid") leaves out the items lifted by it at least this
# share of the most lifted item's lift: what is close in meaning (a stoneware vase to "glass") stays.
AVOID_SHARE_OF_BEST = 0.6
AVOID_MIN_BEST_LIFT = 0.06  # a phrase that lifts no item this much is about nothing here: nothing left out


@dataclass(frozen=True)
class Request:
    """What the user asked for in this turn, on top of their profile."""

    n: int = 5
    categories: tuple[str, ...] = ()  # a pick is in one of them
    seed_items: tuple[str, ...] = ()  # "more like this", "anything like Memento and Heat"
    constraints: Constraints = Constraints()  # "from the 90s", "under 20 dollars"
    topic: str = ""  # free words about what is wanted: "candles", "murder mysteries"
    avoid_categories: tuple[str, ...] = ()  # for this request, on top of the profile's
    avoid_topics: tuple[str, ...] = ()  # "without glass": picks about it are left out
    exclude: frozenset[str] = frozenset()  # e.g. shown earlier in this conversation
    diversity: float | None = None  # the MMR trade-off for this request (an experiment's); None: the default
    segment_prior: float | None = None  # the segment prior's weight (an experiment's); None: the model's


@dataclass(frozen=True)
class Recommendation:
    item: Item
    score: float
    reasons: tuple[str, ...]
    components: dict[str, float] = field(default_factory=dict)
    on_topic: bool = False  # about the free-text topic the request asked for

    @property
    def reason(self) -> str:
        return self.reasons[0]


class Recommender:
    """Retrieve by taste from FAISS, then score with the trained hybrid model's parts when there is one."""

    def __init__(
        self,
        catalog: Catalog,
        index: ItemIndex,
        diversity: float = 0.3,
        model: HybridRanker | None = None,
        encoder: Encoder | None = None,
        item_noun: str = "",
    ):
        self.catalog = catalog
        self.index = index
        self.diversity = diversity
        self.model = model  # the trained hybrid model; None: content and popularity only
        self.encoder = encoder  # embeds free-text interests
        # "fantasy books" finds fantasy books; bare "fantasy" finds titles with the word.
        self.item_noun = item_noun
        self._phrase_vectors: dict[str, np.ndarray] = {}
        self._best_lifts: dict[str, float] = {}
        self._label_keys: dict[str, str] = {}  # item id -> its label as compared: "lavender candle"
        self._rows = {item.id: row for row, item in enumerate(catalog.items)}
        self.category_items: dict[str, list[str]] = {c: [] for c in catalog.categories}
        for item in catalog.items:  # one pass: per category it would cost categories x items
            if item.id in index:
                for category in item.categories:
                    self.category_items[category].append(item.id)
        # Computed once: a category's centroid reads every item in it (a million rows at scale).
        self.category_centroids = {
            c: centroid for c, ids in self.category_items.items()
            if (centroid := category_centroid(index, ids)) is not None
        }
        # Built up front, not on a category's first request: that one would wait ~0.3 s at 1M items.
        self._category_subsets = {c: index.subset(ids) for c, ids in self.category_items.items()}
        self._no_items = index.subset(())  # a category the catalog does not have

    def query_vector(
        self, profile: Profile, request: Request, now: datetime | None = None
    ) -> np.ndarray | None:
        """Where in embedding space to look: the taste, steered by what the request asks for
        (its example items and topic strongly, its categories as much as the taste)."""
        taste = taste_vector(profile, self.index, self.category_items, now, self._interests(profile),
                             centroids=self.category_centroids)
        wanted = self._wanted(request)
        if wanted is None:
            return taste
        weight = SEED_WEIGHT if request.seed_items or request.topic else CATEGORY_WEIGHT
        return wanted if taste is None else normalize(weight * wanted + (1 - weight) * taste)

    def _wanted(self, request: Request) -> np.ndarray | None:
        """The direction of what the request asks for: its seeds, topic and categories, each
        counted once however many items or categories it names."""
        directions = []
        if seeds := [self.index.vector(s) for s in request.seed_items if s in self.index]:
            directions.append(normalize(np.mean(seeds, axis=0)))
        if request.topic and (topic := self._phrase_vector(request.topic)) is not None:
            directions.append(topic)
        if centroids := [self.category_centroids[c] for c in request.categories if c in self.category_centroids]:
            directions.append(normalize(np.mean(centroids, axis=0)))
        directions = [d for d in directions if d is not None]
        return normalize(np.sum(directions, axis=0)) if directions else None

    def _phrase_vector(self, phrase: str) -> np.ndarray | None:
        """A free-text phrase's direction, phrased about this catalog's items ("dragons" ->
        "dragons books"); kept in memory only (never in the on-disk cache): phrases are user data."""
        if self.encoder is None:
            return None
        if phrase not in self._phrase_vectors:
            if len(self._phrase_vectors) >= INTEREST_CACHE_SIZE:
                self._phrase_vectors.pop(next(iter(self._phrase_vectors)))
            self._phrase_vectors[phrase] = self.encoder.encode_query(f"{phrase} {self.item_noun}".strip() or "item")
        return self._phrase_vectors[phrase]

    def _interests(self, profile: Profile) -> dict[str, np.ndarray]:
        """Directions of the user's free-text interests."""
        vectors = {phrase: self._phrase_vector(phrase) for phrase in profile.interests}
        return {phrase: vector for phrase, vector in vectors.items() if vector is not None}

    def forget_interests(self, phrases: Iterable[str]) -> None:
        """Drop erased users' interest vectors from memory."""
        for phrase in phrases:
            self._phrase_vectors.pop(phrase, None)
            self._best_lifts.pop(phrase, None)

    def recommend(
        self,
        profile: Profile,
        request: Request,
        popularity: Mapping[str, float] | None = None,
        now: datetime | None = None,
    ) -> list[Recommendation]:
        popularity = Popularity.of(popularity)
        query = self.query_vector(profile, request, now)
        excluded = (
            profile.excluded_items() | request.exclude | set(request.seed_items)
        )
        eligible = self._eligible(query, excluded, profile, request, popularity, now)
        if not eligible:
            return []
        scores = self.score_items(eligible, query, profile, popularity, now, request.segment_prior)
        eligible = self._one_per_label(eligible, scores)
        chosen = self._diverse_top(eligible, scores, request.n,
                                   self.diversity if request.diversity is None else request.diversity)
        return [
            Recommendation(
                item=self.catalog.by_id[item_id],
                score=scores[item_id]["total"],
                reasons=tuple(self.reasons(item_id, profile, request, scores[item_id])),
                components=scores[item_id],
                on_topic=self._on_topic(item_id, request),
            )
            for item_id in chosen
        ]

    def _one_per_label(self, item_ids: list[str], scores: dict[str, dict[str, float]]) -> list[str]:
        """Items named alike (the same title and year, whatever the case and punctuation: one
        product listed under two ids) are one pick, the best-scored; remakes of other years stay."""
        best: dict[str, str] = {}
        for item_id in item_ids:
            key = self._label_key(item_id)
            if key not in best or scores[item_id]["total"] > scores[best[key]]["total"]:
                best[key] = item_id
        kept = set(best.values())
        return [item_id for item_id in item_ids if item_id in kept]

    def _label_key(self, item_id: str) -> str:
        if (key := self._label_keys.get(item_id)) is None:
            key = self._label_keys[item_id] = " ".join(re.findall(r"\w+", self.catalog.by_id[item_id].label.casefold()))
        return key

    def _on_topic(self, item_id: str, request: Request) -> bool:
        return bool(request.topic) and float(self._lifts([item_id], request.topic)[0]) >= TOPIC_MIN_LIFT

    def _about(self, item_id: str, phrase: str) -> bool:
        """Whether the item is about something the user does not want: its words say so
        ("Glass Vase" for "glass"), or its meaning does, relative to the items most about it."""
        words = re.findall(r"\w+", phrase.lower())
        item = self.catalog.by_id[item_id]
        text = " ".join([item.title, item.description, *item.categories]).lower()
        if words and all(re.search(rf"\b{re.escape(word)}", text) for word in words):
            return True
        best = self._best_lift(phrase)
        return best >= AVOID_MIN_BEST_LIFT and float(self._lifts([item_id], phrase)[0]) >= AVOID_SHARE_OF_BEST * best

    def _best_lift(self, phrase: str) -> float:
        """The lift of the item most about the phrase in the whole catalog (one search, cached)."""
        if phrase not in self._best_lifts:
            vector = self._phrase_vector(phrase)
            hits = self.index.search(vector - self._phrase_vector(""), 1) if vector is not None else []
            if len(self._best_lifts) >= INTEREST_CACHE_SIZE:
                self._best_lifts.pop(next(iter(self._best_lifts)))
            self._best_lifts[phrase] = float(hits[0][1]) if hits else 0.0
        return self._best_lifts[phrase]

    def _lifts(self, item_ids: list[str], phrase: str) -> np.ndarray:
        """How much closer each item is to the phrase (said about this catalog's items) than to
        the catalog's noun alone; zeros without an encoder."""
        vector = self._phrase_vector(phrase)
        if vector is None:
            return np.zeros(len(item_ids))
        noun = self._phrase_vector("")
        return self.index.matrix(item_ids) @ (vector - noun)

    def explain(
        self,
        profile: Profile,
        item_id: str,
        popularity: Mapping[str, float] | None = None,
        now: datetime | None = None,
        request: Request = Request(),
    ) -> list[str]:
        """Reasons for one item under the user's current profile (for "why this?"); ``request``
        carries an experiment variant's ranking settings."""
        query = self.query_vector(profile, request, now)
        components = self.score_items([item_id], query, profile, Popularity.of(popularity), now,
                                      request.segment_prior)[item_id]
        return self.reasons(item_id, profile, request, components)

    def _eligible(
        self, query: np.ndarray | None, excluded: set[str], profile: Profile, request: Request,
        popularity: Popularity, now: datetime | None = None,
    ) -> list[str]:
        """Candidates that pass the filters; strict filters that leave fewer than n widen the
        pool tenfold at a time (the whole catalog at most), so one request stays bounded."""
        limit = POOL_SIZE if query is not None else COLD_POOL_SIZE
        within = request.categories[0] if len(request.categories) == 1 else None
        avoided = (*request.avoid_topics, *profile.avoid_interests)
        while True:
            candidates = self._candidates(query, excluded, limit, popularity, within, now)
            eligible = [i for i in candidates if self._allowed(i, profile, request)]
            for phrase in avoided:
                eligible = [i for i in eligible if not self._about(i, phrase)] if eligible else eligible
            if len(eligible) >= request.n or len(candidates) < limit or limit >= len(self.index):
                return eligible
            limit *= WIDEN_FACTOR

    def _candidates(
        self, query: np.ndarray | None, excluded: set[str], limit: int, popularity: Popularity,
        category: str | None = None, now: datetime | None = None,
    ) -> list[str]:
        """The ``limit`` items nearest the query (of the requested category only). Without a
        query (nothing known) half the most popular and half the fastest rising, which are what
        such a user's score is made of, filled up with more popular ones and then catalog order;
        kept in catalog order as the whole catalog used to be."""
        if query is not None:
            within = self._category_subsets.get(category, self._no_items) if category else None
            return [item_id for item_id, _ in self.index.search(query, limit, exclude=excluded, within=within)]
        chosen: dict[str, None] = {}
        for source, most in ((popularity.ranked(), limit // 2), (self._rising(limit // 2, now), limit),
                             (popularity.ranked(), limit), (self.index.item_ids, limit)):
            for item_id in source:
                if len(chosen) >= most:
                    break
                if item_id in self.index and item_id not in excluded:
                    chosen[item_id] = None
        return sorted(chosen, key=self._rows.__getitem__)

    def _rising(self, k: int, now: datetime | None) -> list[str]:
        """The items trending most at ``now`` (none without a trained model)."""
        if self.model is None:
            return []
        return [self.catalog.items[row].id for row in self.model.rising(int((now or utcnow()).timestamp()), k)]

    def _allowed(self, item_id: str, profile: Profile, request: Request) -> bool:
        item = self.catalog.by_id[item_id]
        categories = item.categories
        if not item.available or not request.constraints.allows(item.year, item.price, item.available):
            return False
        if request.categories and not set(request.categories).intersection(categories):
            return False
        avoided = (set(profile.avoid_categories) | set(request.avoid_categories)) - set(request.categories)
        return not avoided.intersection(categories)

    def score_items(
        self,
        item_ids: list[str],
        query: np.ndarray | None,
        profile: Profile,
        popularity: Mapping[str, float],
        now: datetime | None = None,
        segment_prior: float | None = None,
    ) -> dict[str, dict[str, float]]:
        """Named score parts per item; ``total`` is their sum."""
        popularity = Popularity.of(popularity)
        similarity = (
            self.index.matrix(item_ids) @ query if query is not None else np.zeros(len(item_ids))
        )
        model_parts = self._model_parts(item_ids, profile, now, segment_prior)
        top_popularity = popularity.top()
        recent = set(profile.recent_impressions(RECENT_IMPRESSIONS))
        scores = {}
        for k, (item_id, sim) in enumerate(zip(item_ids, similarity)):
            pop = max(popularity.get(item_id, 0.0), 0.0)
            parts = {
                "taste": float(sim),
                "popularity": POPULARITY_WEIGHT * math.log1p(pop) / math.log1p(top_popularity)
                if top_popularity
                else 0.0,
                "repeat": -REPEAT_PENALTY if item_id in recent else 0.0,
                **{name: float(values[k]) for name, values in model_parts.items()},
            }
            parts["total"] = sum(parts.values())
            scores[item_id] = parts
        return scores

    def _model_parts(
        self, item_ids: list[str], profile: Profile, now: datetime | None, segment_prior: float | None = None,
    ) -> dict[str, np.ndarray]:
        """The trained model's components but content, named as score parts and weighted as in
        its score (``hybrid.part_weights``; the segment prior by ``segment_prior`` if given).

        The taste part (which also folds in dislikes and stated categories) plays the
        hybrid's content component, so the others are scaled relative to its weight, trust
        included: for a short history the trend counts as much against taste as offline. With
        no history the content weight is nought and the taste part is the stated categories
        alone, which the offline score has no part for: the untrusted content weight scales then.
        """
        if self.model is None:
            return {}
        params = {**self.model.params, **({} if segment_prior is None else {"segment": segment_prior})}
        moment = now or utcnow()
        history = profile_history(profile, self._rows, moment)
        columns = np.array([self._rows[item_id] for item_id in item_ids], dtype=np.int64)
        wanted = [name for name in self.model.parts_to_compute(params) if name in PART_NAMES]
        parts = self.model.components([history], np.array([int(moment.timestamp())]), columns,
                                      parts=wanted)  # not content: the taste part plays it
        weights = part_weights(params, float(len(history.items)))
        taste = weights["content"] or params["content"]
        return {PART_NAMES[name]: weights[name] / taste * parts[name][0] for name in parts}

    def _diverse_top(
        self, item_ids: list[str], scores: dict[str, dict[str, float]], n: int, diversity: float
    ) -> list[str]:
        """The best ``n`` varied by MMR; the model's taste slots, if any, take the last places
        from the ranking that weighs the trend less (``hybrid.slot_scores``), as offline."""
        slots = slot_count(self.model.params, n) if self.model is not None else 0
        relevance = np.array([scores[i]["total"] for i in item_ids])
        head = [item_ids[i] for i in mmr_order(relevance, self.index.matrix(item_ids), n - slots, diversity)]
        if not slots:
            return head
        taken = set(head)
        rest = [item_id for item_id in item_ids if item_id not in taken]
        others = slot_scores(np.array([scores[i]["total"] for i in rest]),
                             np.array([scores[i].get(PART_NAMES["trend"], 0.0) for i in rest]), self.model.params)
        return head + [rest[i] for i in np.argsort(-others, kind="stable")[:slots]]

    def reasons(
        self,
        item_id: str,
        profile: Profile,
        request: Request,
        components: Mapping[str, float],
    ) -> list[str]:
        """Why this item ranked, strongest first; only parts that scored it."""
        item = self.catalog.by_id[item_id]
        found: list[str] = []
        if request.seed_items:
            seed = self._closest(item_id, list(request.seed_items), minimum=-1.0)
            found.append(f"similar to {self.catalog.by_id[seed or request.seed_items[0]].label}")
        if self._on_topic(item_id, request):
            found.append(f"about {request.topic}, as you asked")
        endorsed = profile.endorsed_items()
        anchor = self._closest(item_id, list(endorsed))
        if anchor is not None:
            found.append(f"because you {endorsed[anchor]} {self.catalog.by_id[anchor].label}")
        if asked := [c for c in request.categories if c in item.categories]:
            found.append(f"a {asked[0]} pick, as you asked")
        vector = self.index.vector(item_id)
        shared = [c for c in profile.categories if c in item.categories] + [
            phrase for phrase, direction in self._interests(profile).items()
            if float(vector @ direction) >= INTEREST_REASON_MIN
        ]
        if shared:
            found.append(f"matches your interest in {' and '.join(shared)}")
        if max(components.get(name, 0.0) for name in ("also_liked", "liked_with", "taken_with")) >= MODEL_REASON_MIN:
            found.append("liked by people who like what you like")
        if components.get("category_fans", 0.0) >= MODEL_REASON_MIN and profile.categories:
            found.append(f"a favourite of people who love {' and '.join(profile.categories[:2])}")
        if components.get("your_segment", 0.0) >= MODEL_REASON_MIN:
            found.append("a favourite of people with tastes like yours")
        if components.get("trending", 0.0) >= MODEL_REASON_MIN:
            found.append("trending with other users right now")
        elif components.get("popularity", 0.0) > 0:
            found.append("popular with other users")
        if not found:
            found.append(
                "close to your overall taste"
                if components.get("taste", 0.0) > 0
                else "a varied pick to help me learn your taste"
            )
        return found

    def _closest(self, item_id: str, candidates: list[str], minimum: float = ANCHOR_MIN_SIMILARITY) -> str | None:
        """The candidate most similar to the item, if similar enough to be a reason."""
        anchors = [a for a in candidates if a in self.index and a != item_id]
        if not anchors:
            return None
        similarity = self.index.matrix(anchors) @ self.index.vector(item_id)
        best = int(np.argmax(similarity))
        return anchors[best] if similarity[best] >= minimum else None

"""A user's profile: stated preferences plus feedback, folded into a taste vector.

The taste vector lives in the item embedding space: items the user loves or
likes pull it towards them, dislikes push it away, and every event's pull fades
with age (half-life), so recent taste outweighs old taste.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.activity import decay
from bot.catalog import Catalog
from bot.index import ItemIndex
from bot.store import FeedbackEvent, Store, UserRecord
from bot.vocabulary import TASTE_WEIGHTS, EventType, PreferenceKind, utcnow

STATED_ITEM_WEIGHT = 1.0
STATED_CATEGORIES_WEIGHT = 0.6

# Feedback after which an item is never recommended to that user again.
# Items not to recommend again: rated, rejected, bought, and what the user has looked at on the
# site or put in the cart (a "Recommended for you" that lists the pages just seen helps nobody).
EXCLUDING_EVENTS = {EventType.LIKE, EventType.DISLIKE, EventType.NOT_INTERESTED, EventType.PURCHASE,
                    EventType.VIEW, EventType.ADD_TO_CART}
# Feedback that endorses an item, so it may be named in a reason ("because you liked X").
ENDORSING_EVENTS = {EventType.LIKE: "liked", EventType.PURCHASE: "bought"}
RECENT_IMPRESSIONS = 50


@dataclass(frozen=True)
class Profile:
    sender_id: str
    known: bool
    onboarded: bool
    categories: tuple[str, ...] = ()
    avoid_categories: tuple[str, ...] = ()
    loved_items: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    avoid_interests: tuple[str, ...] = ()  # free-text things never to suggest ("glass", "gore")
    events: tuple[FeedbackEvent, ...] = field(default=(), repr=False)  # newest first

    @classmethod
    def load(cls, store: Store, sender_id: str) -> Profile:
        return cls.load_with_consent(store, sender_id)[1]

    @classmethod
    def load_with_consent(cls, store: Store, sender_id: str) -> tuple[bool | None, Profile]:
        """The consent in force (None: never asked) and the stored profile, in one read: all
        feedback (a like must never be forgotten), but only recent impressions."""
        record = store.user_record(sender_id, TASTE_WEIGHTS, [(EventType.IMPRESSION, RECENT_IMPRESSIONS)])
        return record.consent, cls._of_record(sender_id, record)

    @classmethod
    def load_tastes(cls, store: Store, sender_ids: Iterable[str]) -> dict[str, Profile]:
        """Many users' profiles for what shapes their taste (no impressions), read in batches;
        a user never seen gets an unknown profile."""
        senders = list(sender_ids)
        records = store.user_records(senders, TASTE_WEIGHTS)
        return {sender: cls._of_record(sender, records.get(sender)) for sender in senders}

    @classmethod
    def _of_record(cls, sender_id: str, record: UserRecord | None) -> Profile:
        if record is None or not record.exists:
            return cls(sender_id=sender_id, known=False, onboarded=False)
        prefs = record.preferences
        return cls(
            sender_id=sender_id,
            known=True,
            onboarded=record.onboarded,
            categories=tuple(prefs[PreferenceKind.CATEGORY]),
            avoid_categories=tuple(prefs[PreferenceKind.AVOID_CATEGORY]),
            loved_items=tuple(prefs[PreferenceKind.ITEM]),
            interests=tuple(prefs[PreferenceKind.INTEREST]),
            avoid_interests=tuple(prefs[PreferenceKind.AVOID_INTEREST]),
            events=tuple(record.events),
        )

    def without_taste(self) -> Profile:
        """The user as a newcomer is ranked (an experiment's unpersonalized variant): no stated
        tastes or feedback; the categories they avoid and what they were just shown still count
        (the caller excludes what they rejected)."""
        return Profile(self.sender_id, known=False, onboarded=self.onboarded, avoid_categories=self.avoid_categories,
                       avoid_interests=self.avoid_interests,
                       events=tuple(e for e in self.events if e.type == EventType.IMPRESSION))

    def latest_feedback(self) -> dict[str, FeedbackEvent]:
        """Each item's most recent explicit feedback (a later like overrides a dislike)."""
        latest: dict[str, FeedbackEvent] = {}
        for event in self.events:
            if event.item_id and event.type in TASTE_WEIGHTS:
                latest.setdefault(event.item_id, event)
        return latest

    def excluded_items(self) -> set[str]:
        """Items already rated or rejected, and the stated favourites themselves."""
        rated = {
            item for item, event in self.latest_feedback().items() if event.type in EXCLUDING_EVENTS
        }
        return rated | set(self.loved_items)

    def endorsed_items(self) -> dict[str, str]:
        """Items the user vouched for, with the verb a reason may use ("love", "liked")."""
        feedback = self.latest_feedback()
        endorsed = {
            item: "love"
            for item in self.loved_items
            if item not in feedback or TASTE_WEIGHTS[feedback[item].type] > 0
        }
        for item, event in feedback.items():
            if event.type in ENDORSING_EVENTS:
                endorsed.setdefault(item, ENDORSING_EVENTS[event.type])
        return endorsed

    def item_weights(self, now: datetime | None = None) -> dict[str, float]:
        """Signed, recency-decayed weight of every item the user gave signal about.

        A stated favourite adds to positive feedback, but a later dislike overrides it.
        """
        now = now or utcnow()
        weights = {item: STATED_ITEM_WEIGHT for item in self.loved_items}
        for item, event in self.latest_feedback().items():
            weight = TASTE_WEIGHTS[event.type] * decay(event.at, now)
            weights[item] = weight if weight < 0 else weights.get(item, 0.0) + weight
        return weights

    def recent_impressions(self, limit: int = 50) -> list[str]:
        return [e.item_id for e in self.events if e.type == EventType.IMPRESSION and e.item_id][
            :limit
        ]


CENTROID_CHUNK = 65_536  # items read at a time: a big category never needs its whole matrix at once


def learned_categories(profile: Profile, catalog: Catalog, now: datetime) -> Counter[str]:
    """Categories of the items the user's positive feedback was about, weighted and decayed
    (learned from feedback only, not from the questionnaire)."""
    learned: Counter[str] = Counter()
    for item_id, event in profile.latest_feedback().items():
        weight = TASTE_WEIGHTS[event.type] * decay(event.at, now)
        if weight > 0 and item_id in catalog:
            learned.update({c: weight for c in catalog.by_id[item_id].categories})
    return learned


def category_centroid(index: ItemIndex, item_ids: list[str]) -> np.ndarray | None:
    """The normalised mean vector of some items (a category's direction in taste space)."""
    if not item_ids:
        return None
    total = sum(
        index.matrix(item_ids[lo:lo + CENTROID_CHUNK]).sum(axis=0, dtype=np.float64)
        for lo in range(0, len(item_ids), CENTROID_CHUNK)
    )
    return normalize((total / len(item_ids)).astype(np.float32))


def normalize(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else None


def taste_vector(
    profile: Profile,
    index: ItemIndex,
    category_items: dict[str, list[str]],
    now: datetime | None = None,
    interest_vectors: dict[str, np.ndarray] | None = None,
    centroids: dict[str, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Weighted sum of stated tastes and item signals; None when nothing is known.

    Stated tastes are catalog categories (their items' centroid) and free-text interests
    (their embedding); together they weigh ``STATED_CATEGORIES_WEIGHT``. ``centroids`` are
    the categories' centroids computed once (the recommender keeps them): computing one reads
    every item of the category.
    """
    total = np.zeros(index.dimension, dtype=np.float32)
    weights = profile.item_weights(now)
    for item, weight in weights.items():
        if item in index:
            total += weight * index.vector(item)
    if centroids is None:
        centroids = {c: category_centroid(index, category_items[c]) for c in profile.categories
                     if category_items.get(c)}
    directions = [centroids[c] for c in profile.categories if centroids.get(c) is not None]
    directions += list((interest_vectors or {}).values())
    for direction in directions:
        total += (STATED_CATEGORIES_WEIGHT / len(directions)) * direction
    if not directions and not any(w > 0 for w in weights.values()):
        return None  # only negative signal: no direction to recommend towards
    return normalize(total)

"""The one door to the personalization engine.

Rasa actions, the HTTP API and the CLI all call this class and nothing below it:
recommend, record feedback, read or reset a profile, explain, export, erase.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tqdm import tqdm

from bot.catalog import Catalog, Item, load_configured_catalog
from bot.config import Settings
from bot.constraints import Constraints
from bot.encoder import Encoder
from bot.hybrid import HybridRanker
from bot.index import IndexUnavailable, ItemIndex
from bot.matching import TitleMatch, TitleMatcher
from bot.profiles import Profile
from bot.recommender import Recommendation, Recommender, Request
from bot.signals import load as load_signals
from bot.store import EventType, PreferenceKind, Store

log = logging.getLogger(__name__)


class UnknownItem(KeyError):
    """Feedback or a request named an item id that is not in the catalog."""


@dataclass(frozen=True)
class ProfileSummary:
    """What the bot can tell a user it remembers about them."""

    known: bool
    onboarded: bool
    categories: list[str]
    avoid_categories: list[str]
    loved: list[str]
    liked: list[str]
    disliked: list[str]

    @property
    def has_taste(self) -> bool:
        return bool(self.categories or self.loved or self.liked)


def build_index(catalog: Catalog, encoder: Encoder, progress: bool = False) -> ItemIndex:
    """Embed the catalog (cached items are not re-embedded) and index it."""
    texts = [item.embedding_text for item in tqdm(catalog.items, desc="items", disable=not progress)]
    vectors = encoder.encode(texts, progress=progress)
    return ItemIndex.build([item.id for item in catalog.items], vectors, catalog.fingerprint)


def load_or_build_index(settings: Settings, catalog: Catalog, encoder: Encoder, progress: bool = False) -> ItemIndex:
    """The saved index if it matches the catalog, otherwise a fresh one (then saved)."""
    try:
        index = ItemIndex.load(settings.index_dir)
        if index.fingerprint == catalog.fingerprint:
            return index
        log.info("catalog changed since the index was built; rebuilding")
    except IndexUnavailable as error:
        log.info("%s; building it now", error)
    index = build_index(catalog, encoder, progress=progress)
    index.save(settings.index_dir)
    return index


class Engine:
    def __init__(
        self,
        catalog: Catalog,
        index: ItemIndex,
        encoder: Encoder,
        store: Store,
        signals: HybridRanker | None = None,
    ):
        self.catalog = catalog
        self.index = index
        self.store = store
        self.recommender = Recommender(catalog, index, signals=signals)
        self.matcher = TitleMatcher(catalog, index, encoder)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Engine:
        settings = settings or Settings.from_env()
        catalog = load_configured_catalog(settings)
        encoder = Encoder(settings.embedding_cache_path)
        index = load_or_build_index(settings, catalog, encoder)
        signals = load_signals(catalog, index, settings.signals_path)
        if signals is None:
            log.info("no trained signals at %s (run `make train-recs`); content only", settings.signals_path)
        return cls(catalog, index, encoder, Store(settings.database_url), signals)

    # --- reading -----------------------------------------------------------------

    def profile(self, sender_id: str) -> Profile:
        return Profile.load(self.store, sender_id)

    def summary(self, sender_id: str) -> ProfileSummary:
        profile = self.profile(sender_id)
        feedback = profile.latest_feedback()

        def labels(ids: list[str]) -> list[str]:
            return [self.catalog.by_id[i].label for i in ids if i in self.catalog]

        return ProfileSummary(
            known=profile.known,
            onboarded=profile.onboarded,
            categories=list(profile.categories),
            avoid_categories=list(profile.avoid_categories),
            loved=labels(list(profile.loved_items)),
            liked=labels([i for i, e in feedback.items() if e.type in (EventType.LIKE, EventType.PURCHASE)]),
            disliked=labels([i for i, e in feedback.items() if e.type in (EventType.DISLIKE, EventType.NOT_INTERESTED)]),
        )

    def item(self, item_id: str) -> Item:
        try:
            return self.catalog.by_id[item_id]
        except KeyError:
            raise UnknownItem(item_id) from None

    def match_categories(self, text: str) -> list[str]:
        return self.catalog.find_categories(text)

    def match_titles(self, text: str, limit: int = 2) -> tuple[list[TitleMatch], list[str]]:
        return self.matcher.match_many(text, limit=limit)

    # --- recommending ------------------------------------------------------------

    def recommend(
        self,
        sender_id: str,
        n: int = 5,
        category: str | None = None,
        like_item: str | None = None,
        constraints: Constraints = Constraints(),
        channel: str = "unknown",
        now: datetime | None = None,
    ) -> list[Recommendation]:
        """Personalized picks; what is shown is logged as impressions (not repeated soon)."""
        if like_item is not None:
            self.item(like_item)
        request = Request(n=n, category=category, seed_item=like_item, constraints=constraints)
        recommendations = self.recommender.recommend(
            self.profile(sender_id), request, popularity=self.store.item_popularity(), now=now
        )
        if recommendations:
            self.store.add_events(
                sender_id,
                [(EventType.IMPRESSION, r.item.id, category) for r in recommendations],
                channel=channel,
                at=now,
            )
        return recommendations

    def explain(self, sender_id: str, item_id: str) -> list[str]:
        """Why an item fits this user now, from the same components that rank it."""
        self.item(item_id)
        return self.recommender.explain(
            self.profile(sender_id), item_id, popularity=self.store.item_popularity()
        )

    # --- writing -----------------------------------------------------------------

    def record_event(
        self,
        sender_id: str,
        type: EventType | str,
        item_id: str | None = None,
        category: str | None = None,
        channel: str = "unknown",
        at: datetime | None = None,
    ) -> None:
        """Store one interaction; it shapes the very next recommendation."""
        if item_id is not None:
            self.item(item_id)
        self.store.add_event(sender_id, EventType(type), item_id, category, channel, at)

    def save_preferences(
        self,
        sender_id: str,
        categories: list[str],
        loved_items: list[str],
        avoid_categories: list[str],
    ) -> None:
        for item_id in loved_items:
            self.item(item_id)
        self.store.set_preferences(
            sender_id,
            {
                PreferenceKind.CATEGORY: categories,
                PreferenceKind.ITEM: loved_items,
                PreferenceKind.AVOID_CATEGORY: avoid_categories,
            },
        )

    # --- privacy -----------------------------------------------------------------

    def export(self, sender_id: str) -> dict[str, Any] | None:
        return self.store.export(sender_id)

    def erase(self, sender_id: str) -> bool:
        return self.store.erase(sender_id)

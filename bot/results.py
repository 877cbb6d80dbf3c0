"""What the engine answers with: the types its faces read (picks, a profile in words, an
agent's brief, the reading of a message, and the item, handoff, wish and constraints these carry) and the error for an
unknown item id. Faces import these names from here, not from the modules that define them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.catalog import Item
from bot.constraints import Constraints
from bot.handoff import Handoff
from bot.intent_model import IntentReading
from bot.recommender import Recommendation
from bot.wish import Wish

__all__ = ["Constraints", "Handoff", "HandoffBrief", "IntentReading", "Item", "Picks", "ProfileSummary", "Recommendation",
           "UnknownItem", "Wish"]


class UnknownItem(KeyError):
    """Feedback or a request named an item id that is not in the catalog."""


class Picks(list[Recommendation]):
    """Recommendations, knowing whether the user's profile could be read: when the database
    is unavailable they are the popular picks anyone gets, and the user should be told."""

    def __init__(self, recommendations: Iterable[Recommendation] = (), profile_unavailable: bool = False):
        super().__init__(recommendations)
        self.profile_unavailable = profile_unavailable


@dataclass(frozen=True)
class ProfileSummary:
    """What the bot can tell a user it remembers about them."""

    known: bool
    onboarded: bool
    consent: bool | None  # None: never asked
    categories: list[str]
    avoid_categories: list[str]
    loved: list[str]
    liked: list[str]
    disliked: list[str]
    learned_categories: list[str]  # from feedback, strongest first
    active_hours_utc: list[int]  # hours of the day the user is usually around, most active first
    segment: str | None  # the label of the users' segment nearest this user's taste (bot/segments.py)
    experiment: str | None = None  # the running experiment the user takes part in (bot/experiments.py)
    variant: str | None = None  # and the user's group in it

    @property
    def has_taste(self) -> bool:
        """Anything to personalize with: stated tastes, or what they did (on the shop's site too)."""
        return bool(self.categories or self.loved or self.liked or self.learned_categories)


@dataclass(frozen=True)
class HandoffBrief:
    handoff: Handoff
    profile: ProfileSummary
    recent_recommendations: list[dict[str, Any]]  # newest first
    recent_feedback: list[dict[str, Any]]  # newest first
    transcript: list[dict[str, Any]]  # oldest first

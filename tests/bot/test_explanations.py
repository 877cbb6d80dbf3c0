""""Why this?" is truthful: take away the signal a reason cites and the item scores lower."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.profiles import Profile
from bot.questionnaire import Questionnaire
from bot.recommender import Recommendation, Recommender, Request
from bot.vocabulary import EventType

USER = "explained"


@pytest.fixture
def recommender(catalog, index, encoder) -> Recommender:
    """Ranks as the engine's does (free-text interests phrased about its items)."""
    return Recommender(catalog, index, encoder=encoder, item_noun=Questionnaire().items)


def without(recommender, profile: Profile, reason: str, request: Request, popularity: dict):
    """The profile, request and popularity with the signal that ``reason`` cites taken away."""
    label_to_id = {item.label: item.id for item in recommender.catalog.items}
    if match := re.fullmatch(r"because you (?:liked|bought) (.+)", reason):
        item_id = label_to_id[match[1]]
        return replace(profile, events=tuple(e for e in profile.events if e.item_id != item_id)), request, popularity
    if match := re.fullmatch(r"because you love (.+)", reason):
        item_id = label_to_id[match[1]]
        return replace(profile, loved_items=tuple(i for i in profile.loved_items if i != item_id)), request, popularity
    if match := re.fullmatch(r"matches your interest in (.+)", reason):
        named = set(match[1].split(" and "))
        return replace(
            profile,
            categories=tuple(c for c in profile.categories if c not in named),
            interests=tuple(i for i in profile.interests if i not in named),
        ), request, popularity
    if re.fullmatch(r"a .+ pick, as you asked", reason):
        return profile, replace(request, categories=()), popularity
    if reason == "popular with other users":
        return profile, request, {}
    raise AssertionError(f"no ablation for reason {reason!r}")


def score(recommender, profile: Profile, request: Request, popularity: dict, item_id: str) -> float:
    query = recommender.query_vector(profile, request)
    return recommender.score_items([item_id], query, profile, popularity)[item_id]["total"]


def check_every_reason(recommender, profile: Profile, popularity: dict, recommendations: list[Recommendation],
                       request: Request) -> set[str]:
    """Ablate each cited signal; the kinds of reasons checked (their first two words)."""
    checked = set()
    for rec in recommendations:
        assert score(recommender, profile, request, popularity, rec.item.id) == pytest.approx(rec.score, abs=1e-5)
        for reason in rec.reasons:
            if reason in ("close to your overall taste", "a varied pick to help me learn your taste"):
                continue
            ablated = without(recommender, profile, reason, request, popularity)
            assert score(recommender, *ablated, rec.item.id) < rec.score - 1e-6, (rec.item.label, reason)
            checked.add(" ".join(reason.split()[:2]))
    return checked


def test_each_cited_signal_raises_the_items_score(engine, remember, recommender, store):
    remember(USER, "crowd")
    engine.save_preferences(USER, ["Sci-Fi", "time travel"], ["alien-1979"], [])
    engine.record_event(USER, EventType.LIKE, "jaws-1975")
    engine.record_event(USER, EventType.LIKE, "the-terminator-1984")
    for item_id in ("aliens-1986", "back-to-the-future-1985", "predator-1987"):
        engine.record_event("crowd", EventType.LIKE, item_id)

    checked: set[str] = set()
    profile, popularity = engine.profile(USER), dict(store.item_popularity())
    for request in (Request(n=10), Request(n=10, categories=("Sci-Fi",)), Request(n=10, categories=("Adventure",))):
        picks = recommender.recommend(profile, request, popularity)
        checked |= check_every_reason(recommender, profile, popularity, picks, request)
    assert checked >= {"because you", "matches your", "popular with"}, checked
    assert any(kind.startswith("a ") for kind in checked), checked  # "a Sci-Fi pick, as you asked"

"""Profiles: loading from the store, recency decay, latest feedback, the taste vector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.activity import HALF_LIFE_DAYS, decay
from bot.profiles import FeedbackEvent, Profile, category_centroid, taste_vector
from bot.vocabulary import EventType, PreferenceKind

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def profile(*events: tuple[EventType, str | None, float], **fields) -> Profile:
    """A profile from (type, item id, days ago) triples, given in any order."""
    feedback = sorted(
        (FeedbackEvent(kind, item_id, None, ago(days)) for kind, item_id, days in events),
        key=lambda e: e.at,
        reverse=True,
    )
    return Profile(sender_id="u", known=True, onboarded=True, events=tuple(feedback), **fields)


@pytest.fixture
def category_items(recommender) -> dict[str, list[str]]:
    return recommender.category_items


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- decay ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "weight"),
    [(0, 1.0), (HALF_LIFE_DAYS, 0.5), (2 * HALF_LIFE_DAYS, 0.25), (-5, 1.0)],
    ids=["now", "one-half-life", "two-half-lives", "future"],
)
def test_decay_halves_every_half_life(days_ago, weight):
    assert decay(ago(days_ago), NOW) == pytest.approx(weight)


def test_half_life_is_30_days():
    assert decay(ago(30), NOW) == pytest.approx(0.5)


def test_decay_with_a_custom_half_life():
    assert decay(ago(7), NOW, half_life_days=7) == pytest.approx(0.5)


# --- loading ----------------------------------------------------------------------------


def test_unknown_user_loads_as_an_empty_unknown_profile(store):
    loaded = Profile.load(store, "stranger")

    assert (loaded.known, loaded.onboarded) == (False, False)
    assert loaded.events == () and loaded.loved_items == () and loaded.categories == ()


def test_profile_loads_preferences_and_events_newest_first(store):
    store.set_preferences(
        "u",
        {
            PreferenceKind.CATEGORY: ["Sci-Fi", "Horror"],
            PreferenceKind.AVOID_CATEGORY: ["Romance"],
            PreferenceKind.ITEM: ["alien-1979"],
        },
    )
    store.add_event("u", EventType.LIKE, "jaws-1975", at=ago(2))
    store.add_event("u", EventType.DISLIKE, "heat-1995", at=ago(1))

    loaded = Profile.load(store, "u")

    assert (loaded.known, loaded.onboarded) == (True, True)
    assert loaded.categories == ("Sci-Fi", "Horror")
    assert loaded.avoid_categories == ("Romance",)
    assert loaded.loved_items == ("alien-1979",)
    assert [(e.type, e.item_id) for e in loaded.events] == [
        (EventType.DISLIKE, "heat-1995"),
        (EventType.LIKE, "jaws-1975"),
    ]
    assert loaded.events[0].at == ago(1)


def test_user_with_events_but_no_questionnaire_is_known_but_not_onboarded(store):
    store.add_event("u", EventType.CLICK, "jaws-1975")

    loaded = Profile.load(store, "u")

    assert (loaded.known, loaded.onboarded) == (True, False)


def test_a_like_is_not_forgotten_after_many_impressions(store):
    store.add_event("u", EventType.LIKE, "jaws-1975", at=datetime.now(UTC) - timedelta(hours=1))
    store.add_events("u", [(EventType.IMPRESSION, f"shown-{n}", None) for n in range(500)])

    assert "jaws-1975" in Profile.load(store, "u").excluded_items()


# --- feedback ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then"),
    [(EventType.DISLIKE, EventType.LIKE), (EventType.LIKE, EventType.DISLIKE)],
    ids=["like-after-dislike", "dislike-after-like"],
)
def test_latest_feedback_wins(first, then):
    user = profile((first, "jaws-1975", 3), (then, "jaws-1975", 1))

    assert user.latest_feedback()["jaws-1975"].type == then
    expected_sign = 1 if then == EventType.LIKE else -1
    assert np.sign(user.item_weights(NOW)["jaws-1975"]) == expected_sign


def test_impressions_and_searches_are_not_feedback():
    user = profile(
        (EventType.LIKE, "jaws-1975", 3),
        (EventType.IMPRESSION, "jaws-1975", 1),
        (EventType.SEARCH, None, 0),
    )

    assert {item: e.type for item, e in user.latest_feedback().items()} == {"jaws-1975": EventType.LIKE}


def test_item_weights_decay_with_the_age_of_the_feedback():
    user = profile(
        (EventType.LIKE, "recent", 0),
        (EventType.LIKE, "month-old", 30),
        (EventType.DISLIKE, "disliked", 0),
        loved_items=("loved",),
    )

    assert user.item_weights(NOW) == pytest.approx(
        {"recent": 1.0, "month-old": 0.5, "disliked": -0.7, "loved": 1.0}
    )
    assert user.endorsed_items() == {"recent": "liked", "month-old": "liked", "loved": "love"}


def test_excluded_items_are_rated_rejected_bought_or_loved_but_not_clicked_or_shown():
    user = profile(
        (EventType.LIKE, "liked", 1),
        (EventType.DISLIKE, "disliked", 1),
        (EventType.NOT_INTERESTED, "skipped", 1),
        (EventType.PURCHASE, "bought", 1),
        (EventType.CLICK, "clicked", 1),
        (EventType.IMPRESSION, "shown", 1),
        loved_items=("loved",),
    )

    assert user.excluded_items() == {"liked", "disliked", "skipped", "bought", "loved"}


def test_recent_impressions_are_newest_first_and_limited():
    user = profile(*[(EventType.IMPRESSION, f"shown-{n}", n) for n in range(5)], (EventType.LIKE, "x", 0))

    assert user.recent_impressions(limit=3) == ["shown-0", "shown-1", "shown-2"]


# --- taste vector -----------------------------------------------------------------------


def test_no_taste_for_an_unknown_user(store, index, category_items):
    assert taste_vector(Profile.load(store, "stranger"), index, category_items, NOW) is None


def test_no_taste_for_a_user_with_only_dislikes(index, category_items):
    user = profile((EventType.DISLIKE, "jaws-1975", 1), (EventType.NOT_INTERESTED, "heat-1995", 1))

    assert taste_vector(user, index, category_items, NOW) is None


def test_taste_of_a_single_like_is_that_item(index, category_items):
    taste = taste_vector(profile((EventType.LIKE, "toy-story-1995", 1)), index, category_items, NOW)

    assert taste.shape == (index.vectors.shape[1],)
    assert float(np.linalg.norm(taste)) == pytest.approx(1.0, abs=1e-5)
    assert cosine(taste, index.vector("toy-story-1995")) == pytest.approx(1.0, abs=1e-5)


def test_taste_points_towards_liked_items(index, category_items):
    liked = ["toy-story-1995", "the-godfather-1972"]
    taste = taste_vector(
        profile(*[(EventType.LIKE, item, 1) for item in liked]), index, category_items, NOW
    )

    similarities = index.vectors @ taste
    median = float(np.median(similarities))
    for item in liked:
        assert float(index.vector(item) @ taste) > median + 0.3


def test_a_dislike_pushes_taste_away_from_the_disliked_item(index, category_items):
    liked_only = profile((EventType.LIKE, "alien-1979", 1))
    with_dislike = profile((EventType.LIKE, "alien-1979", 1), (EventType.DISLIKE, "aliens-1986", 1))

    disliked = index.vector("aliens-1986")
    before = taste_vector(liked_only, index, category_items, NOW) @ disliked
    after = taste_vector(with_dislike, index, category_items, NOW) @ disliked

    assert after < before - 0.1


def test_stated_categories_alone_give_the_category_direction(index, category_items):
    user = Profile("u", known=True, onboarded=True, categories=("Western",))

    taste = taste_vector(user, index, category_items, NOW)

    centroid = category_centroid(index, category_items["Western"])
    assert cosine(taste, centroid) == pytest.approx(1.0, abs=1e-5)


def test_older_likes_pull_less_than_recent_ones(index, category_items):
    user = profile((EventType.LIKE, "toy-story-1995", 0), (EventType.LIKE, "the-godfather-1972", 90))

    taste = taste_vector(user, index, category_items, NOW)

    assert taste @ index.vector("toy-story-1995") > taste @ index.vector("the-godfather-1972")

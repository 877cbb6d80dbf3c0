"""The Recommender on in-memory profiles: scoring, filtering, diversity and reasons."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.profiles import FeedbackEvent, Profile
from bot.recommender import POPULARITY_WEIGHT, REPEAT_PENALTY, Recommender, Request
from bot.vocabulary import EventType

NOW = datetime(2024, 6, 1, tzinfo=UTC)
COLD = Profile("cold", known=False, onboarded=False)
COLD_REASON = "a varied pick to help me learn your taste"


def lover_of(*item_ids: str, **fields) -> Profile:
    return Profile("u", known=True, onboarded=True, loved_items=item_ids, **fields)


def ids(recommendations) -> list[str]:
    return [r.item.id for r in recommendations]


def mean_pairwise_similarity(index, item_ids: list[str]) -> float:
    vectors = index.matrix(item_ids)
    return float(np.mean([a @ b for a, b in itertools.combinations(vectors, 2)]))


def test_diversity_spreads_the_picks(catalog, index):
    user = lover_of("star-wars-1977")
    focused = Recommender(catalog, index, diversity=0.0).recommend(user, Request(n=5), now=NOW)
    diverse = Recommender(catalog, index, diversity=0.3).recommend(user, Request(n=5), now=NOW)

    assert len(focused) == len(diverse) == 5
    assert mean_pairwise_similarity(index, ids(diverse)) < mean_pairwise_similarity(index, ids(focused))


def test_without_diversity_picks_are_the_top_scores_in_order(catalog, index):
    recommender = Recommender(catalog, index, diversity=0.0)
    user = lover_of("toy-story-1995")

    picks = recommender.recommend(user, Request(n=5), now=NOW)

    query = recommender.query_vector(user, Request(), NOW)
    best = [i for i, _ in index.search(query, 5, exclude=user.excluded_items())]
    assert ids(picks) == best
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)


def test_score_components_add_up_to_the_total(recommender):
    picks = recommender.recommend(lover_of("alien-1979"), Request(n=5), popularity={"aliens-1986": 3}, now=NOW)

    for pick in picks:
        parts = {k: v for k, v in pick.components.items() if k != "total"}
        assert set(parts) == {"taste", "popularity", "repeat"}
        assert pick.score == pytest.approx(sum(parts.values()))


def test_popularity_component_is_scaled_to_the_most_popular_item(recommender):
    scores = recommender.score_items(
        ["alien-1979", "jaws-1975", "heat-1995"],
        None,
        COLD,
        {"alien-1979": 9, "jaws-1975": 3, "heat-1995": -4},
    )

    assert scores["alien-1979"]["popularity"] == pytest.approx(POPULARITY_WEIGHT)
    assert 0 < scores["jaws-1975"]["popularity"] < POPULARITY_WEIGHT
    assert scores["heat-1995"]["popularity"] == 0.0


def test_recently_shown_items_get_the_repeat_penalty(recommender):
    user = Profile(
        "u", True, True, events=(FeedbackEvent(EventType.IMPRESSION, "jaws-1975", None, NOW),)
    )

    scores = recommender.score_items(["jaws-1975", "heat-1995"], None, user, {})

    assert scores["jaws-1975"]["repeat"] == -REPEAT_PENALTY
    assert scores["heat-1995"]["repeat"] == 0.0


@pytest.mark.parametrize("n", [1, 5, 12])
def test_cold_user_gets_n_varied_picks(recommender, n):
    picks = recommender.recommend(COLD, Request(n=n), now=NOW)

    assert len(picks) == len(set(ids(picks))) == n
    assert all(p.reasons == (COLD_REASON,) for p in picks)


def test_cold_user_gets_popular_items_first_with_that_reason(recommender):
    picks = recommender.recommend(COLD, Request(n=3), popularity={"heat-1995": 5, "jaws-1975": 1}, now=NOW)

    assert picks[0].item.id == "heat-1995"
    assert picks[0].reason == "popular with other users"


def test_requested_category_that_does_not_exist_gives_nothing(recommender):
    assert recommender.recommend(lover_of("alien-1979"), Request(categories=("Telenovela",)), now=NOW) == []


def test_avoided_category_is_allowed_only_when_requested(recommender):
    user = lover_of("alien-1979", avoid_categories=("Horror",))

    assert not recommender._allowed("the-fly-1986", user, Request())
    assert recommender._allowed("the-fly-1986", user, Request(categories=("Horror",)))
    assert not recommender._allowed("aliens-1986", user, Request(categories=("Horror",)))


def test_seed_reason_comes_first(recommender):
    picks = recommender.recommend(
        lover_of("alien-1979"), Request(n=3, seed_items=("jaws-1975",)), now=NOW
    )

    assert all(p.reasons[0] == "similar to Jaws (1975)" for p in picks)


def test_requested_category_reason(recommender):
    picks = recommender.recommend(lover_of("alien-1979"), Request(n=3, categories=("Western",)), now=NOW)

    assert all("a Western pick, as you asked" in p.reasons for p in picks)


def test_shared_stated_categories_are_joined_in_one_reason(recommender):
    user = Profile("u", True, True, categories=("Horror", "Sci-Fi"))

    reasons = recommender.reasons("alien-1979", user, Request(), {"taste": 0.5})

    assert "matches your interest in Horror and Sci-Fi" in reasons


def test_an_unrelated_favourite_is_not_given_as_the_reason(recommender):
    user = lover_of("toy-story-1995")

    reasons = recommender.reasons("the-godfather-1972", user, Request(), {"taste": 0.1})

    assert not any("Toy Story" in reason for reason in reasons)
    assert reasons == ["close to your overall taste"]


def test_explain_reads_reasons_off_the_profile(recommender):
    reasons = recommender.explain(lover_of("toy-story-1995"), "toy-story-2-1999", now=NOW)

    assert "because you love Toy Story (1995)" in reasons


def test_items_named_alike_are_one_pick_and_remakes_of_other_years_stay(encoder):
    from bot.catalog import Catalog, Item
    from bot.indexing import build_index

    items = (Item("a1", "Lavender Candle", "a candle", ("Home",)), Item("a2", "LAVENDER CANDLE!", "a candle", ("Home",)),
             Item("h1", "Halloween", "a film", ("Horror",), year=1978), Item("h2", "Halloween", "a film", ("Horror",), year=2018),
             Item("v1", "Glass Vase", "a vase", ("Home",)))
    catalog = Catalog(path=None, items=items)
    picks = Recommender(catalog, build_index(catalog, encoder)).recommend(
        Profile("u", known=False, onboarded=False), Request(n=5))

    labels = [p.item.label for p in picks]
    assert len(picks) == 4 and len({p.item.title.casefold().strip("!") for p in picks}) == 3
    assert "Halloween (1978)" in labels and "Halloween (2018)" in labels

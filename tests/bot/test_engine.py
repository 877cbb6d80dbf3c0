"""The Engine end to end on the demo catalog and an empty SQLite database."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select

from bot.engine import Engine
from bot.recommender import Request
from bot.results import UnknownItem
from bot.schema import Event
from bot.vocabulary import EventType

USER = "u1"


@pytest.fixture(autouse=True)
def consenting_users(remember):
    """The users of these tests agreed to be remembered (consent itself: test_consent.py)."""
    remember(USER, "other", "fan")


def ids(recommendations) -> list[str]:
    return [r.item.id for r in recommendations]


@pytest.fixture
def peek(engine, recommender, store):
    """peek(sender_id, **request): what the engine would recommend now, without logging
    impressions (a recommender over the same catalog, the user's profile and popularity)."""

    def recommend(sender_id: str, **request) -> list[str]:
        return ids(recommender.recommend(engine.profile(sender_id), Request(**request), store.item_popularity()))

    return recommend


def onboard_alien_fan(engine: Engine, avoid: list[str] | None = None) -> None:
    """USER answers the questionnaire: likes Sci-Fi, loves Alien (Horror, Sci-Fi)."""
    engine.save_preferences(
        USER, categories=["Sci-Fi"], loved_items=["alien-1979"], avoid_categories=avoid or []
    )


def in_category(engine: Engine, item_ids: list[str], category: str) -> int:
    return sum(category in engine.catalog.by_id[i].categories for i in item_ids)


def untruthful_reasons(engine: Engine, sender_id: str, recommendations) -> list[str]:
    """Reasons that claim a like, a love or an interest the user never expressed."""
    profile = engine.profile(sender_id)
    latest = profile.latest_feedback()
    label = {item.id: item.label for item in engine.catalog.items}
    liked = {label[i] for i, e in latest.items() if e.type in (EventType.LIKE, EventType.PURCHASE)}
    rejected = {i for i, e in latest.items() if e.type in (EventType.DISLIKE, EventType.NOT_INTERESTED)}
    loved = {label[i] for i in profile.loved_items if i not in rejected}
    wrong = []
    for rec in recommendations:
        for reason in rec.reasons:
            if match := re.fullmatch(r"because you liked (.+)", reason):
                truthful = match[1] in liked
            elif match := re.fullmatch(r"because you love (.+)", reason):
                truthful = match[1] in loved
            elif match := re.fullmatch(r"matches your interest in (.+)", reason):
                named = match[1].split(" and ")
                truthful = all(c in profile.categories and c in rec.item.categories for c in named)
            else:
                continue
            if not truthful:
                wrong.append(f"{rec.item.id}: {reason}")
    return wrong


# --- personalisation ----------------------------------------------------------------


def test_sci_fi_fan_who_loves_alien_gets_mostly_sci_fi_but_not_alien(engine):
    onboard_alien_fan(engine)

    picks = ids(engine.recommend(USER, n=5))

    assert len(picks) == 5
    assert "alien-1979" not in picks
    assert in_category(engine, picks, "Sci-Fi") >= 4


def test_a_disliked_item_disappears_from_the_next_list(engine, peek):
    onboard_alien_fan(engine)
    before = peek(USER)

    engine.record_event(USER, EventType.DISLIKE, before[0])
    after = peek(USER)

    assert before[0] not in after
    assert after != before


def test_a_liked_item_pulls_similar_items_in(engine, peek):
    before = peek(USER)

    engine.record_event(USER, EventType.LIKE, "toy-story-1995")
    after = peek(USER)

    assert "toy-story-1995" not in after
    assert in_category(engine, after, "Animation") >= 1
    assert in_category(engine, after, "Animation") > in_category(engine, before, "Animation")


def test_avoided_category_is_never_recommended(engine, peek):
    # Alien is Horror and Sci-Fi: without the avoidance, horror films are among the picks.
    onboard_alien_fan(engine)
    assert in_category(engine, peek(USER, n=20), "Horror") > 0

    onboard_alien_fan(engine, avoid=["Horror"])

    picks = ids(engine.recommend(USER, n=20))
    assert len(picks) == 20
    assert in_category(engine, picks, "Horror") == 0


def test_avoided_category_is_recommended_when_explicitly_requested(engine):
    engine.save_preferences(USER, categories=["Sci-Fi"], loved_items=[], avoid_categories=["Horror"])

    picks = ids(engine.recommend(USER, n=5, category="Horror"))

    assert len(picks) == 5
    assert in_category(engine, picks, "Horror") == 5


@pytest.mark.parametrize("category", ["Western", "Animation", "Documentary", "Romance"])
def test_a_requested_category_filters_every_pick(engine, category):
    onboard_alien_fan(engine)

    picks = ids(engine.recommend(USER, n=5, category=category))

    assert len(picks) == 5
    assert in_category(engine, picks, category) == 5


def test_recent_impressions_are_not_repeated_straight_away(engine):
    engine.save_preferences(USER, ["Comedy"], loved_items=["toy-story-1995"], avoid_categories=[])

    first = ids(engine.recommend(USER, n=5))
    second = ids(engine.recommend(USER, n=5))

    assert second != first
    assert second[0] != first[0]


def test_recommend_logs_what_was_shown_as_impressions(engine):
    picks = ids(engine.recommend(USER, n=3, category="Western", channel="web"))

    events = engine.export(USER)["events"]
    assert [(e["type"], e["item_id"], e["category"], e["channel"]) for e in events] == [
        ("impression", item_id, "Western", "web") for item_id in picks
    ]


@pytest.mark.parametrize("n", [1, 5, 10])
def test_cold_user_still_gets_n_picks_with_a_reason(engine, n):
    picks = engine.recommend("brand-new", n=n)

    assert len(picks) == n
    assert all(p.reason.strip() for p in picks)


def test_more_like_this_excludes_the_seed_and_says_so(engine):
    engine.record_event(USER, EventType.LIKE, "toy-story-1995")

    picks = engine.recommend(USER, n=5, like_item="the-matrix-1999")

    assert len(picks) == 5
    assert "the-matrix-1999" not in ids(picks)
    assert all(p.reason == "similar to The Matrix (1999)" for p in picks)
    assert in_category(engine, ids(picks), "Sci-Fi") >= 3


def nothing_learned(engine: Engine, sender_id: str) -> bool:
    data = engine.export(sender_id)
    return data is None or (not data["events"] and not any(data["preferences"].values()))


def test_more_like_an_unknown_item_raises(engine):
    with pytest.raises(UnknownItem):
        engine.recommend(USER, like_item="no-such-film")
    assert nothing_learned(engine, USER)


# --- reasons ------------------------------------------------------------------------------


def test_reasons_name_only_what_the_user_really_liked_loved_or_stated(engine):
    engine.save_preferences(
        USER, categories=["Sci-Fi", "Horror"], loved_items=["alien-1979"], avoid_categories=[]
    )
    engine.record_event(USER, EventType.LIKE, "toy-story-1995")
    engine.record_event(USER, EventType.DISLIKE, "the-godfather-1972")

    picks = (
        engine.recommend(USER, n=10)
        + engine.recommend(USER, n=5, category="Animation")
        + engine.recommend(USER, n=5, like_item="jaws-1975")
    )

    reasons = [reason for pick in picks for reason in pick.reasons]
    assert any(r.startswith("because you love ") for r in reasons)
    assert any(r.startswith("because you liked ") for r in reasons)
    assert any(r.startswith("matches your interest in ") for r in reasons)
    assert untruthful_reasons(engine, USER, picks) == []


def test_a_click_is_not_reported_as_a_like(engine):
    engine.record_event(USER, EventType.CLICK, "toy-story-1995")

    assert untruthful_reasons(engine, USER, engine.recommend(USER, n=5)) == []


def test_a_loved_item_that_was_later_disliked_is_not_a_reason(engine):
    engine.save_preferences(USER, categories=[], loved_items=["alien-1979"], avoid_categories=[])
    engine.record_event(USER, EventType.DISLIKE, "alien-1979")

    assert untruthful_reasons(engine, USER, engine.recommend(USER, n=5)) == []


def test_explain_gives_the_reasons_for_one_item(engine):
    engine.record_event(USER, EventType.LIKE, "toy-story-1995")

    assert "because you liked Toy Story (1995)" in engine.explain(USER, "toy-story-2-1999")


def test_explain_for_a_cold_user_still_says_something(engine):
    assert engine.explain("brand-new", "jaws-1975") == ["a varied pick to help me learn your taste"]


def test_explain_an_unknown_item_raises(engine):
    with pytest.raises(UnknownItem):
        engine.explain(USER, "no-such-film")


# --- recording ----------------------------------------------------------------------------


def test_record_event_with_an_unknown_item_raises_and_stores_nothing(engine, store):
    with pytest.raises(UnknownItem):
        engine.record_event(USER, EventType.LIKE, "no-such-film")

    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Event)).scalar_one() == 0


def test_record_event_accepts_the_type_as_text(engine):
    engine.record_event(USER, "not_interested", "jaws-1975", channel="rasa")

    [event] = engine.export(USER)["events"]
    assert (event["type"], event["item_id"], event["channel"]) == ("not_interested", "jaws-1975", "rasa")


def test_save_preferences_with_an_unknown_item_raises_and_stores_nothing(engine):
    with pytest.raises(UnknownItem):
        engine.save_preferences(USER, ["Drama"], loved_items=["no-such-film"], avoid_categories=[])

    assert nothing_learned(engine, USER)


def test_summary_tells_what_the_bot_remembers(engine):
    onboard_alien_fan(engine, avoid=["Romance"])
    engine.record_event(USER, EventType.DISLIKE, "toy-story-1995")
    engine.record_event(USER, EventType.LIKE, "jaws-1975")

    summary = engine.summary(USER)

    assert (summary.known, summary.onboarded, summary.has_taste) == (True, True, True)
    assert summary.categories == ["Sci-Fi"]
    assert summary.avoid_categories == ["Romance"]
    assert summary.loved == ["Alien (1979)"]
    assert summary.liked == ["Jaws (1975)"]
    assert summary.disliked == ["Toy Story (1995)"]


def test_summary_of_a_stranger(engine):
    summary = engine.summary("stranger")

    assert (summary.known, summary.onboarded, summary.has_taste) == (False, False, False)


def test_item_lookup(engine):
    assert engine.item("jaws-1975").title == "Jaws"
    with pytest.raises(UnknownItem):
        engine.item("no-such-film")


# --- privacy ------------------------------------------------------------------------------


def test_export_and_erase_through_the_engine(engine):
    onboard_alien_fan(engine)
    engine.record_event(USER, EventType.LIKE, "jaws-1975")
    engine.record_event("other", EventType.LIKE, "jaws-1975")

    exported = engine.export(USER)
    assert exported["preferences"]["item"] == ["alien-1979"]
    assert [(e["type"], e["item_id"]) for e in exported["events"]] == [("like", "jaws-1975")]

    assert engine.erase(USER) == {"engine": 1, "conversation_events": 0}
    assert engine.export(USER) is None
    assert engine.summary(USER).known is False
    assert engine.export("other")["events"]
    assert engine.erase(USER) == {"engine": 0, "conversation_events": 0}
    assert engine.export("other") is not None


def test_a_free_text_interest_steers_picks_and_is_named_as_the_reason(engine):
    assert engine.match_interest("blorp") is None
    assert engine.match_interest("time travel") == "time travel"
    engine.save_preferences("fan", ["time travel"], [], [])
    assert engine.summary("fan").categories == ["time travel"]
    picks = engine.recommend("fan", n=5)
    assert sum("Sci-Fi" in p.item.categories for p in picks) >= 3
    assert any("matches your interest in time travel" in p.reasons for p in picks)


def test_old_popularity_is_read_again_in_the_background_not_in_a_request(engine, store, monkeypatch):
    engine.recommend("visitor")  # the first read is made in the request
    store.add_events("someone", [(EventType.LIKE, "heat-1995", None)])  # as another process would
    release = threading.Event()
    read = store.item_popularity

    def slow_read(*args, **kwargs):
        release.wait(10)
        return read(*args, **kwargs)

    monkeypatch.setattr(store, "item_popularity", slow_read)
    monkeypatch.setattr("bot.popularity.POPULARITY_MAX_AGE_S", 0.0)

    engine.recommend("visitor")  # answered with the old counts while the new ones are read
    assert engine.explain("visitor", "heat-1995") == ["a varied pick to help me learn your taste"]
    release.set()
    deadline = time.monotonic() + 10
    while engine.explain("visitor", "heat-1995") != ["popular with other users"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.explain("visitor", "heat-1995") == ["popular with other users"]

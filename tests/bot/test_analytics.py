"""The analytics page's numbers (bot/analytics.py, Engine.analytics) on events where the answer is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.analytics import NO_SEGMENT, analytics
from bot.conversations import ConversationStore
from bot.engine import Engine
from bot.experiments import Experiment, Experiments, Variant
from bot.vocabulary import EventType

NOW = datetime(2027, 3, 10, 18, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def shown_and_acted(sender: str, at: datetime, acted: tuple[str, ...] = (), items=("a", "b")) -> list[tuple]:
    """``sender`` is shown ``items`` at ``at`` and then does ``acted`` on the first of them."""
    events = [(sender, item, "impression", at) for item in items]
    return events + [(sender, items[0], kind, at + timedelta(minutes=1)) for kind in acted]


def test_every_day_of_the_period_has_its_rates_and_an_item_counts_on_the_day_first_shown():
    events = sorted(
        shown_and_acted("u1", NOW - 2 * DAY, ("click", "like"))
        + shown_and_acted("u2", NOW - 2 * DAY, ("click",))
        + shown_and_acted("u1", NOW - DAY, items=("a", "c"))  # "a" again: still day -2's
        + shown_and_acted("u3", NOW - DAY),
        key=lambda event: event[3],
    )
    result = analytics(events, {}, NOW - 3 * DAY, NOW)

    by_day = {day.name: day for day in result.days}
    assert list(by_day) == ["2027-03-07", "2027-03-08", "2027-03-09", "2027-03-10"]
    two_days_ago, yesterday = by_day["2027-03-08"], by_day["2027-03-09"]
    assert (two_days_ago.users, two_days_ago.shown, two_days_ago.acted["click"], two_days_ago.acted["like"]) == (2, 4, 2, 1)
    assert two_days_ago.rates["click"].value == pytest.approx(0.5)
    assert (yesterday.users, yesterday.shown, yesterday.acted["any"]) == (2, 3, 0)
    assert by_day["2027-03-10"].users == 0 and by_day["2027-03-10"].rates["click"].value == 0.0


def test_segments_and_variants_group_the_same_items_by_user():
    events = sorted(shown_and_acted("fan", NOW - DAY, ("like",)) + shown_and_acted("new", NOW - DAY),
                    key=lambda event: event[3])
    experiment = Experiment("e", (Variant("a"), Variant("b")))

    result = analytics(events, {}, NOW - 3 * DAY, NOW, segment_of={"fan": "Drama & Crime"}.get,
                       experiment=experiment)

    assert [(s.name, s.users, s.acted["like"]) for s in result.segments] == [
        ("Drama & Crime", 1, 1), (NO_SEGMENT, 1, 0)]
    assert result.experiment == "e"
    assert [v.name for v in result.variants] == ["a", "b"]
    assert sum(v.users for v in result.variants) == 2
    variant_of_fan = experiment.variant_of("fan").name
    assert next(v for v in result.variants if v.name == variant_of_fan).acted["like"] == 1


def test_conversations_a_day_count_users_who_wrote_not_the_bot_writing_first(tmp_path, make_tracker_db):
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    tracker = make_tracker_db(url)
    day1, day2 = (NOW - 2 * DAY).timestamp(), (NOW - DAY).timestamp()
    tracker.user("ann", "hi", "greet", day1)
    tracker.user("ann", "more", "request_recommendations", day1 + 60)
    tracker.user("bob", "hi", "greet", day1 + 120)
    tracker.user("ann", "hello again", "greet", day2)
    tracker.user("cy", "EXTERNAL: request_recommendations", "request_recommendations", day2)  # outreach
    tracker.bot("cy", "Here are some picks", day2 + 1)

    per_day = ConversationStore(url).users_per_day(NOW - 3 * DAY, NOW)

    assert per_day == {"2027-03-08": 2, "2027-03-09": 1}


def test_the_engine_reads_its_own_events_for_the_page(catalog, index, encoder, store):
    engine = Engine(catalog, index, encoder, store, experiments=Experiments((Experiment("e", (Variant("a"), Variant("b"))),)))
    for user in ("ann", "bob"):
        engine.set_consent(user, True)
    for user in ("ann", "bob"):
        picks = engine.recommend(user, n=3, now=NOW - DAY)
        if user == "ann":
            engine.record_event(user, EventType.LIKE, picks[0].item.id, at=NOW - DAY + timedelta(minutes=2))

    result = engine.analytics(days=7, now=NOW)

    yesterday = next(day for day in result.days if day.name == "2027-03-09")
    assert (yesterday.users, yesterday.shown, yesterday.acted["like"]) == (2, 6, 1)
    assert result.segments == ()  # no segments built
    assert result.experiment == "e" and sum(v.shown for v in result.variants) == 6


def test_the_engine_groups_its_users_by_their_segment_as_their_profile_names_it(engine, remember):
    fans = {"ann": "Horror", "bob": "Horror", "cy": "Comedy", "dee": "Comedy"}
    remember(*fans)
    for user, category in fans.items():
        engine.save_preferences(user, categories=[category], loved_items=[], avoid_categories=[])
    engine.build_segments(k=2)
    for user in fans:
        engine.recommend(user, n=2, now=NOW - DAY)

    result = engine.analytics(days=7, now=NOW)

    labels = {user: engine.summary(user).segment for user in fans}
    assert labels["ann"] == labels["bob"] != labels["cy"] == labels["dee"]
    assert sorted((s.name, s.users, s.shown) for s in result.segments) == sorted(
        (labels[user], 2, 4) for user in ("ann", "cy"))

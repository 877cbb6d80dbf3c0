"""The hybrid model trained on the live event log and used by the recommender."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import Engine
from bot.experiments import Experiment, Experiments, Variant
from bot.trained_model import interaction_log, load, train
from bot.vocabulary import EventType, utcnow


@pytest.fixture(autouse=True)
def consenting_users(remember):
    remember("a", "b", "me", "fan-1", "fan-2", "fan-3")


def test_interaction_log_holds_weighted_feedback_on_catalog_items_only(engine, store, catalog):
    engine.record_event("a", EventType.LIKE, "alien-1979")
    engine.record_event("b", EventType.DISLIKE, "alien-1979")
    engine.record_event("b", EventType.IMPRESSION, "aliens-1986")  # shown, not feedback
    log = interaction_log(store, catalog)
    assert list(log.user_ids) == ["a", "b"]
    assert [log.item_ids[i] for i in log.items] == ["alien-1979", "alien-1979"]
    assert log.weights.tolist() == pytest.approx([1.0, -0.7])


def test_a_trained_model_round_trips_and_refuses_another_catalog(engine, store, catalog, index, tmp_path):
    engine.record_event("a", EventType.LIKE, "alien-1979")
    path = tmp_path / "model.npz"
    trained, events = train(store, catalog, index, path)
    assert events == 1
    loaded = load(catalog, index, path)
    assert loaded is not None and loaded.params == trained.params
    assert (loaded._similar != trained._similar).nnz == 0
    assert load(catalog, index, tmp_path / "missing.npz") is None


def test_what_similar_users_liked_rises_and_is_named_as_the_reason(engine, store, catalog, index, encoder,
                                                                      tmp_path):
    seed = "toy-story-1995"
    # An item the content alone ranks far down the list, but that other fans of the seed liked.
    neighbour = index.search(index.vector(seed), 60, exclude=[seed])[-1][0]
    before = [r.item.id for r in engine.recommend("me", n=5, like_item=None)]
    for fan in ("fan-1", "fan-2", "fan-3"):
        engine.record_event(fan, EventType.LIKE, seed, at=utcnow() - timedelta(days=40))
        engine.record_event(fan, EventType.LIKE, neighbour, at=utcnow() - timedelta(days=40))
    engine.record_event("me", EventType.LIKE, seed)
    content_only = [r.item.id for r in engine.recommend("me", n=5)]
    assert neighbour not in content_only and neighbour not in before

    model, _ = train(store, catalog, index, tmp_path / "model.npz")
    with_model = Engine(catalog, index, encoder, store, model)
    picks = {r.item.id: r for r in with_model.recommend("me", n=5)}
    assert neighbour in picks
    assert "liked by people who like what you like" in picks[neighbour].reasons


def test_a_visitor_without_a_taste_is_shown_what_is_rising_not_only_the_all_time_popular(
    engine, store, catalog, index, encoder, tmp_path, monkeypatch, remember,
):
    monkeypatch.setattr("bot.recommender.COLD_POOL_SIZE", 4)  # two popular and two rising candidates
    fans = [f"old-fan-{n}" for n in range(3)] + ["new-fan-1", "new-fan-2"]
    remember(*fans)
    long_ago = utcnow() - timedelta(days=200)
    classics = ["alien-1979", "jaws-1975", "heat-1995", "toy-story-1995"]
    for fan in fans[:3]:
        for classic in classics:
            engine.record_event(fan, EventType.LIKE, classic, at=long_ago)
    rising = "aliens-1986"  # liked by fewer people than every classic, but in the last hour
    for fan in fans[3:]:
        engine.record_event(fan, EventType.LIKE, rising, at=utcnow() - timedelta(minutes=30))
    model, _ = train(store, catalog, index, tmp_path / "model.npz")

    picks = Engine(catalog, index, encoder, store, model).recommend("visitor", n=3)

    assert rising in [pick.item.id for pick in picks]
    assert "trending with other users right now" in next(p for p in picks if p.item.id == rising).reasons


def test_a_segment_prior_variant_lifts_what_a_new_users_segment_liked_and_says_why(
    engine, store, catalog, index, encoder, tmp_path, remember,
):
    horror = [i.id for i in catalog.items if "Horror" in i.categories and "Comedy" not in i.categories]
    comedy = [i.id for i in catalog.items if "Comedy" in i.categories and "Horror" not in i.categories]
    fans = {f"horror-fan-{n}": horror[:2] for n in range(4)} | {f"comedy-fan-{n}": comedy[:2] for n in range(4)}
    remember(*fans)
    for fan, liked in fans.items():
        for item in liked:
            engine.record_event(fan, EventType.LIKE, item, at=utcnow() - timedelta(days=60))
    model, _ = train(store, catalog, index, tmp_path / "model.npz")
    experiment = Experiment("prior", (Variant("control"), Variant("prior", segment_prior=1.0)))
    with_model = Engine(catalog, index, encoder, store, model, experiments=Experiments((experiment,)))
    newcomers = {}
    for n in range(200):
        newcomers.setdefault(experiment.variant_of(f"newcomer-{n}").name, f"newcomer-{n}")
    for newcomer in newcomers.values():
        remember(newcomer)
        with_model.save_preferences(newcomer, categories=["Horror"], loved_items=[], avoid_categories=[])

    control = {p.item.id: p for p in with_model.recommend(newcomers["control"], n=10)}
    prior = {p.item.id: p for p in with_model.recommend(newcomers["prior"], n=10)}

    reason = "a favourite of people with tastes like yours"
    assert len(model._segment_centroids) == 2
    assert set(horror[:2]) <= set(prior) and all(reason in prior[item].reasons for item in horror[:2])
    assert not any("your_segment" in pick.components for pick in control.values())
    assert reason in with_model.explain(newcomers["prior"], horror[0])
    assert reason not in with_model.explain(newcomers["control"], horror[0])


def test_weights_chosen_by_tune_are_used_by_the_next_training_and_saved_in_the_model(
        engine, store, catalog, index, tmp_path):
    from bot.trained_model import save_tuned, tuned_params

    engine.record_event("a", EventType.LIKE, "alien-1979")
    path = tmp_path / "model.npz"
    assert tuned_params(path) == {}
    save_tuned(path, {"itemitem": 2.5, "trend": 0.25, "from_a_newer_version": 1.0})
    assert tuned_params(path) == {"itemitem": 2.5, "trend": 0.25}

    trained, _ = train(store, catalog, index, path)
    assert trained.params["itemitem"] == 2.5 and trained.params["trend"] == 0.25
    assert load(catalog, index, path).params["itemitem"] == 2.5


def test_the_item_item_part_pulls_in_what_is_liked_with_a_new_users_first_title(
        engine, store, catalog, index, encoder, tmp_path):
    """A shop whose `bot tune` chose the item-item part (and no co-occurrence): one liked title
    is enough for what its fans also liked to come up, named as the reason."""
    from bot.trained_model import save_tuned

    seed = "toy-story-1995"
    neighbour = index.search(index.vector(seed), 60, exclude=[seed])[-1][0]
    for fan in ("fan-1", "fan-2", "fan-3"):
        for item in (seed, neighbour):
            engine.record_event(fan, EventType.LIKE, item, at=utcnow() - timedelta(days=40))
    engine.record_event("me", EventType.LIKE, seed)
    assert neighbour not in [r.item.id for r in engine.recommend("me", n=5)]
    path = tmp_path / "model.npz"
    save_tuned(path, {"itemitem": 2.0, "cooccurrence": 0.0, "history_shrinkage": 1.0})

    model, _ = train(store, catalog, index, path)
    picks = {r.item.id: r for r in Engine(catalog, index, encoder, store, model).recommend("me", n=5)}

    assert neighbour in picks
    assert "liked by people who like what you like" in picks[neighbour].reasons


def test_what_the_fans_of_a_new_users_category_take_comes_up_named_as_the_reason(
        engine, store, catalog, index, encoder, tmp_path):
    """A shop whose `bot tune` chose the category peers: a user who only stated a category gets
    what the fans of that category took, and is told so."""
    from bot.trained_model import save_tuned

    engine.save_preferences("me", categories=["Western"], loved_items=[], avoid_categories=[])
    before = [r.item.id for r in engine.recommend("me", n=5)]
    chosen = [item.id for item in catalog.items if "Western" in item.categories and item.id not in before][-3:]
    for fan in ("fan-1", "fan-2", "fan-3"):
        for item in chosen:
            engine.record_event(fan, EventType.LIKE, item, at=utcnow() - timedelta(days=40))
    path = tmp_path / "model.npz"
    save_tuned(path, {"category_peers": 3.0, "cooccurrence": 0.0})

    model, _ = train(store, catalog, index, path)
    picks = {r.item.id: r for r in Engine(catalog, index, encoder, store, model).recommend("me", n=5)}

    risen = [item for item in chosen if item in picks]
    assert risen
    assert all("a favourite of people who love Western" in picks[item].reasons for item in risen)

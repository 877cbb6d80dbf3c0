"""The hybrid model trained on the live event log and used by the recommender."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import Engine
from bot.signals import interaction_log, load, train
from bot.store import EventType, utcnow


@pytest.fixture(autouse=True)
def consenting_users(remember):
    remember("a", "b", "me", "fan-1", "fan-2", "fan-3")


def test_interaction_log_holds_weighted_feedback_on_catalog_items_only(engine):
    engine.record_event("a", EventType.LIKE, "alien-1979")
    engine.record_event("b", EventType.DISLIKE, "alien-1979")
    engine.record_event("b", EventType.IMPRESSION, "aliens-1986")  # shown, not feedback
    log = interaction_log(engine.store, engine.catalog)
    assert list(log.user_ids) == ["a", "b"]
    assert [log.item_ids[i] for i in log.items] == ["alien-1979", "alien-1979"]
    assert log.weights.tolist() == pytest.approx([1.0, -0.7])


def test_trained_signals_round_trip_and_refuse_another_catalog(engine, tmp_path):
    engine.record_event("a", EventType.LIKE, "alien-1979")
    path = tmp_path / "signals.npz"
    trained, events = train(engine.store, engine.catalog, engine.index, path)
    assert events == 1
    loaded = load(engine.catalog, engine.index, path)
    assert loaded is not None and loaded.params == trained.params
    assert (loaded._similar != trained._similar).nnz == 0
    assert load(engine.catalog, engine.index, tmp_path / "missing.npz") is None


def test_what_similar_users_liked_rises_and_is_named_as_the_reason(engine, tmp_path):
    seed = "toy-story-1995"
    # An item the content alone ranks far down the list, but that other fans of the seed liked.
    neighbour = engine.index.search(engine.index.vector(seed), 60, exclude=[seed])[-1][0]
    before = [r.item.id for r in engine.recommend("me", n=5, like_item=None)]
    for fan in ("fan-1", "fan-2", "fan-3"):
        engine.record_event(fan, EventType.LIKE, seed, at=utcnow() - timedelta(days=40))
        engine.record_event(fan, EventType.LIKE, neighbour, at=utcnow() - timedelta(days=40))
    engine.record_event("me", EventType.LIKE, seed)
    content_only = [r.item.id for r in engine.recommend("me", n=5)]
    assert neighbour not in content_only and neighbour not in before

    signals, _ = train(engine.store, engine.catalog, engine.index, tmp_path / "signals.npz")
    with_signals = Engine(engine.catalog, engine.index, engine.encoder, engine.store, signals)
    picks = {r.item.id: r for r in with_signals.recommend("me", n=5)}
    assert neighbour in picks
    assert "liked by people who like what you like" in picks[neighbour].reasons

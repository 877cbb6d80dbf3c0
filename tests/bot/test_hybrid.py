"""The hybrid ranking model on toy logs where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from bot.hybrid import HybridRanker
from bot.ranking import History, InteractionLog

HOUR = 3600
NOW = 1_000_000


def toy_model(events, n_items=4, **params):
    """events: (user, item, time) triples; item vectors are the unit axes (no content overlap)."""
    users, items, times = (np.array(column) for column in zip(*events))
    log = InteractionLog(
        [f"u{u}" for u in range(users.max() + 1)], [f"i{i}" for i in range(n_items)],
        users.astype(np.int32), items.astype(np.int32), times.astype(np.int64),
        np.ones(len(users), np.float32),
    )
    vectors = np.eye(n_items, 8, dtype=np.float32)
    return HybridRanker(vectors, [("A",)] * n_items, [2000] * n_items, **params).fit(log)


def history(*items, categories=()):
    items = np.array(items, dtype=np.int32)
    return History(items, np.full(len(items), NOW - HOUR, np.int64), np.ones(len(items), np.float32), categories)


def test_trend_prefers_what_happened_recently():
    model = toy_model([(0, 0, NOW - 200 * HOUR), (1, 0, NOW - 200 * HOUR), (2, 1, NOW - HOUR)])
    trend = model.components([history()], np.array([NOW]))["trend"][0]
    assert trend[1] > trend[0] > trend[2]


def test_trend_never_looks_ahead():
    past = [(0, 1, NOW - HOUR)]
    future = [(1, 2, NOW), (2, 2, NOW + HOUR)]  # at or after `now`: must not count
    with_future = toy_model(past + future).components([history()], np.array([NOW]))["trend"]
    without = toy_model(past + [(1, 3, NOW - 900 * HOUR)]).components([history()], np.array([NOW]))["trend"]
    assert with_future[0, 2] == 0.0
    assert with_future[0, 1] == pytest.approx(without[0, 1])


def test_cooccurrence_suggests_what_others_watched_with_the_same_item():
    model = toy_model([(0, 0, 1), (0, 1, 2), (1, 0, 3), (1, 1, 4), (2, 2, 5)])
    scores = model.components([history(0)], np.array([NOW]))["cooccurrence"][0]
    assert scores[1] == pytest.approx(1.0)
    assert scores[2] == 0.0


def test_without_history_only_the_trend_counts():
    model = toy_model([(0, 0, NOW - HOUR), (1, 1, NOW - 100 * HOUR)], trend=1.0)
    empty = model.score([history()], np.array([NOW]))[0]
    trend = model.components([history()], np.array([NOW]))["trend"][0]
    np.testing.assert_allclose(empty, trend)


def test_personal_signal_is_trusted_more_as_history_grows():
    events = [(0, 0, 1), (0, 3, 2), (1, 0, 3), (1, 3, 4), (2, 1, NOW - HOUR)]
    model = toy_model(events, history_shrinkage=2.0)
    short = model.score([history(0)], np.array([NOW]))[0]
    model.params["history_shrinkage"] = 0.0
    full = model.score([history(0)], np.array([NOW]))[0]
    assert short[3] < full[3]


def test_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="unknown hybrid parameter"):
        HybridRanker(np.eye(2, dtype=np.float32), [(), ()], trend_weight=1.0)


def test_diversity_reorders_the_top_away_from_near_duplicates():
    vectors = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.98, 0.199]], dtype=np.float32)
    events = [(0, 0, NOW - HOUR), (1, 0, NOW - HOUR), (2, 0, NOW - HOUR), (0, 1, NOW - HOUR),
              (1, 1, NOW - HOUR), (2, 3, NOW - HOUR), (1, 3, NOW - HOUR), (0, 2, NOW - 9 * HOUR)]
    users, items, times = (np.array(c) for c in zip(*events))
    log = InteractionLog(["a", "b", "c"], ["i0", "i1", "i2", "i3"], users.astype(np.int32),
                         items.astype(np.int32), times.astype(np.int64), np.ones(len(users), np.float32))

    def top_two(diversity):
        model = HybridRanker(vectors, [()] * 4, diversity=diversity, content=0.0, era=0.0, category=0.0,
                             cooccurrence=0.0).fit(log)
        scores = model.score([history()], np.array([NOW]))[0]
        return list(np.argsort(-scores)[:2])

    assert top_two(0.0) == [0, 1]  # the two most trending, nearly the same item
    assert top_two(0.9) == [0, 2]  # a different item moves up to second place


class CountingRows:
    """Item vectors read by row, remembering which rows were read (the index's `rows` view)."""

    def __init__(self, vectors: np.ndarray):
        self.vectors = vectors
        self.read: set[int] = set()

    def __len__(self) -> int:
        return len(self.vectors)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        self.read.update(int(r) for r in np.atleast_1d(rows))
        return self.vectors[rows]


def rich_model(vectors) -> HybridRanker:
    """Twelve items with categories, years and co-occurrence; events up to an hour before NOW."""
    rng = np.random.default_rng(3)
    n_items = 12
    events = [(int(u), int(i), NOW - int(t)) for u, i, t in
              zip(rng.integers(0, 6, 60), rng.integers(0, n_items, 60), rng.integers(HOUR, 300 * HOUR, 60))]
    users, items, times = (np.array(column) for column in zip(*events))
    log = InteractionLog([f"u{u}" for u in range(6)], [f"i{i}" for i in range(n_items)],
                         users.astype(np.int32), items.astype(np.int32), times.astype(np.int64),
                         np.ones(len(users), np.float32))
    categories = [("A",), ("B",), ("A", "C")] * 4
    years = [1990 + 3 * k for k in range(n_items)]
    return HybridRanker(vectors, categories, years).fit(log)


def test_components_of_some_columns_equal_those_columns_of_every_item():
    vectors = np.random.default_rng(4).normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    minute = np.array([NOW - NOW % 60])  # the live trend is computed on the minute
    user = History(np.array([2, 5, 7], np.int32), np.array([NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR]),
                   np.array([1.0, -1.0, 1.0], np.float32), ("B",))
    columns = np.array([9, 0, 5, 11])

    every = rich_model(vectors).components([user], minute)
    some = rich_model(vectors).components([user], minute, columns)

    assert set(some) == set(every)
    for name in every:
        np.testing.assert_allclose(some[name], every[name][:, columns], rtol=1e-5, atol=1e-6, err_msg=name)


def test_a_live_request_reads_only_the_vectors_of_its_history_and_candidates():
    vectors = CountingRows(np.eye(12, 8, dtype=np.float32))
    user = History(np.array([2, 5], np.int32), np.array([NOW - 2 * HOUR, NOW - HOUR]),
                   np.ones(2, np.float32), ())

    model = rich_model(vectors)
    vectors.read.clear()  # fitting reads the liked items' vectors once, to place users in segments

    model.components([user], np.array([NOW]), np.array([9, 0]))

    assert vectors.read == {2, 5, 9, 0}


def test_the_live_trend_is_computed_once_a_minute_and_forgotten_on_refit():
    model = toy_model([(0, 1, NOW - HOUR), (1, 2, NOW - 2 * HOUR)])
    minute_start = NOW - NOW % 60
    columns = np.arange(4)
    first = model.components([history()], np.array([minute_start]), columns)["trend"]
    model._items = model._items[:0]  # were the row recomputed within the minute, it would be empty
    model._times = model._times[:0]
    later = model.components([history()], np.array([minute_start + 59]), columns)["trend"]
    np.testing.assert_array_equal(later, first)
    assert first[0, 1] > 0

    refit = model.fit(InteractionLog(["u0"], [f"i{i}" for i in range(4)], np.zeros(1, np.int32),
                                     np.array([3], np.int32), np.array([NOW - HOUR]), np.ones(1, np.float32)))
    after = refit.components([history()], np.array([minute_start + 59]), columns)["trend"][0]
    assert after[3] > 0 and after[1] == 0


def test_rising_lists_the_most_trending_items_best_first_and_only_those_with_a_trend():
    model = toy_model([(0, 2, NOW - HOUR), (1, 2, NOW - HOUR), (2, 0, NOW - 3 * HOUR)], n_items=5)
    assert model.rising(NOW, 1).tolist() == [2]
    assert model.rising(NOW, 4).tolist() == [2, 0]  # items 1, 3 and 4 have no interactions


def test_only_the_parts_asked_for_are_computed():
    vectors = CountingRows(np.eye(12, 8, dtype=np.float32))
    user = History(np.array([2, 5], np.int32), np.array([NOW - 2 * HOUR, NOW - HOUR]),
                   np.ones(2, np.float32), ())

    model = rich_model(vectors)
    vectors.read.clear()

    parts = model.components([user], np.array([NOW]), np.array([9, 0]), parts=("trend", "era"))

    assert set(parts) == {"trend", "era"}
    assert vectors.read == set()  # content and segment, the parts that read vectors, were not computed


def two_taste_model(**params):
    """Items 0-2 are category A and point one way, items 3-5 category B and the other way;
    users 0-3 like A items, users 4-7 B items (item 2 and 5 only after NOW)."""
    vectors = np.array([[1, 0.1 * k, 0] for k in range(3)] + [[0, 0.1 * k, 1] for k in range(3)], np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    events = [(u, i, NOW - 500 * HOUR) for u in range(4) for i in (0, 1)]
    events += [(u, i, NOW - 500 * HOUR) for u in range(4, 8) for i in (3, 4)]
    events += [(0, 2, NOW + HOUR), (4, 5, NOW + HOUR)]  # after the user's moment: must not count
    users, items, times = (np.array(column) for column in zip(*events))
    log = InteractionLog([f"u{u}" for u in range(8)], [f"i{i}" for i in range(6)], users.astype(np.int32),
                         items.astype(np.int32), times.astype(np.int64), np.ones(len(users), np.float32))
    return HybridRanker(vectors, [("A",)] * 3 + [("B",)] * 3, **params).fit(log)


def test_stated_categories_pick_a_segment_and_its_users_favourites_come_first():
    model = two_taste_model()
    prior = model.components([history(categories=("B",)), history(categories=("A",)), history()],
                             np.array([NOW] * 3), parts=["segment"])["segment"]

    assert prior[0, 3] == prior[0, 4] == pytest.approx(1.0) and not prior[0, [0, 1, 2, 5]].any()
    assert prior[1, 0] == prior[1, 1] == pytest.approx(1.0) and not prior[1, [2, 3, 4, 5]].any()
    assert not prior[2].any()  # nothing stated, nothing watched: no segment


def test_the_segment_prior_is_off_by_default_and_fades_as_the_history_grows():
    newcomer, regular = history(categories=("B",)), history(3, 3, 3, 3, 3, 3, categories=("B",))
    off = two_taste_model().score([newcomer], np.array([NOW]))[0]
    on = two_taste_model(segment=1.0, trend=0.0, cooccurrence=0.0, content=0.0, era=0.0, category=0.0)
    scores = on.score([newcomer, regular], np.array([NOW, NOW]))

    assert off[4] == off[0]  # without the prior, nothing tells B's favourite from A's
    assert scores[0, 4] == pytest.approx(1.0)  # all prior for a newcomer (no history)
    assert scores[1, 4] == pytest.approx(2.0 / (2.0 + 6))  # history_shrinkage / (shrinkage + 6 items)


def test_the_segments_survive_a_save_and_load(tmp_path):
    model = two_taste_model(segment=1.0)
    model.save(tmp_path / "model.npz", [f"i{i}" for i in range(6)])
    loaded = HybridRanker(model.item_vectors, [("A",)] * 3 + [("B",)] * 3)
    assert loaded.load_fitted(tmp_path / "model.npz", [f"i{i}" for i in range(6)])

    user, moment = [history(categories=("A",))], np.array([NOW])
    np.testing.assert_array_equal(loaded.components(user, moment, parts=["segment"])["segment"],
                                  model.components(user, moment, parts=["segment"])["segment"])


@pytest.mark.parametrize("shrinkage", [0.0, 2.0])
def test_the_live_recommender_ranks_its_candidates_as_the_offline_score_novelty_included(catalog, index, shrinkage):
    """The served engine is the evaluated one: the recommender's taste part plus the model's
    named parts equal ``HybridRanker.score`` over the candidates (divided by the content weight
    as trusted for one title: fully with ``history_shrinkage`` 0, a third with 2), whose taste
    part is the content component. The novelty weight reorders them, so leaving it out live
    would fail."""
    from datetime import UTC, datetime

    from bot.profiles import Profile
    from bot.recommender import Recommender, Request
    from bot.trained_model import new_ranker, profile_history

    ids = [item.id for item in catalog.items]
    moment = datetime(2024, 6, 1, tzinfo=UTC)  # on the minute, as the live rows are computed
    rng = np.random.default_rng(7)
    users, items = rng.integers(0, 40, 400), np.minimum(rng.zipf(1.6, 400) - 1, len(ids) - 1)
    hours = rng.integers(1, 2000, 400)
    log = InteractionLog([f"u{u}" for u in range(40)], ids, users.astype(np.int32), items.astype(np.int32),
                         int(moment.timestamp()) - HOUR * hours.astype(np.int64), np.ones(400, np.float32))
    params = dict(trend=0.5, novelty=1.5, cooccurrence=0.8, content=0.9, itemitem=1.0, history_shrinkage=shrinkage)
    model = new_ranker(catalog, index, **params).fit(log)
    counts = np.bincount(items, minlength=len(ids))
    seed = int(np.flatnonzero(counts == counts[counts > 0].min())[0])  # a niche like: novelty applies
    profile = Profile("u", known=True, onboarded=True, loved_items=(ids[seed],))
    columns = np.delete(np.arange(len(ids)), seed)
    candidates = [ids[column] for column in columns]
    recommender = Recommender(catalog, index, model=model)

    scores = recommender.score_items(candidates, recommender.query_vector(profile, Request(), moment), profile, {},
                                     moment)
    live = np.array([scores[item]["total"] for item in candidates])
    history, now = [profile_history(profile, recommender._rows, moment)], np.array([int(moment.timestamp())])
    offline = model.score(history, now)[0, columns] / (params["content"] / (1.0 + shrinkage))
    without_novelty = model.with_params(novelty=0.0).score(history, now)[0, columns]

    np.testing.assert_allclose(live, offline, rtol=1e-4, atol=1e-5)
    assert all(scores[item]["novelty"] <= 0 for item in candidates)
    assert list(np.argsort(-offline)[:10]) != list(np.argsort(-without_novelty)[:10])


def test_taste_slots_fill_the_last_places_of_ten_from_the_ranking_that_weighs_the_trend_less():
    """The first 8 places are the score's best; the last 2 the best of the rest once the trend
    counts a quarter; below them the score's order goes on."""
    rng = np.random.default_rng(5)
    n_items = 30
    events = [(int(u), int(i), NOW - int(t)) for u, i, t in
              zip(rng.integers(0, 12, 300), np.minimum(rng.zipf(1.4, 300) - 1, n_items - 1),
                  rng.integers(HOUR, 900 * HOUR, 300))]
    model = toy_model(events, n_items=n_items, trend=1.0, cooccurrence=1.0)
    users = [history(0, 3), history(5)]
    now = np.array([NOW, NOW])
    plain = model.score(users, now)
    others = model.with_params(trend=0.25).score(users, now)
    slotted = model.with_params(taste_slots=2.0, slot_trend=0.25).score(users, now)

    changed = 0
    for row, user in enumerate(users):
        def ranking(scores, row=row, user=user):
            scores = scores[row].copy()
            scores[user.items] = -np.inf
            return list(np.argsort(-scores, kind="stable"))

        head = ranking(plain)[:8]
        tail = [item for item in ranking(others) if item not in head][:2]
        assert ranking(slotted)[:10] == head + tail
        assert ranking(slotted)[10:] == [item for item in ranking(plain) if item not in head + tail]
        changed += bool(set(tail) - set(ranking(plain)[:10]))
    assert changed  # the slots changed a list


def test_no_taste_slots_by_default_and_a_saved_model_keeps_them(tmp_path):
    model = toy_model([(0, 0, 1), (1, 1, 2)], taste_slots=2.0, slot_trend=0.0)
    model.save(tmp_path / "model.npz", ["i0", "i1", "i2", "i3"])
    loaded = HybridRanker(np.eye(4, 8, dtype=np.float32), [("A",)] * 4)
    assert loaded.params["taste_slots"] == 0.0
    assert loaded.load_fitted(tmp_path / "model.npz", ["i0", "i1", "i2", "i3"])
    assert (loaded.params["taste_slots"], loaded.params["slot_trend"]) == (2.0, 0.0)


def test_the_live_recommender_fills_its_last_places_from_the_taste_slot_ranking(catalog, index):
    """A list of ten from a model with two taste slots: the eight best as without them, then the two
    best of the other candidates once their trending part counts a quarter (as offline)."""
    from datetime import UTC, datetime

    from bot.profiles import Profile
    from bot.recommender import Recommender, Request
    from bot.trained_model import new_ranker

    ids = [item.id for item in catalog.items]
    moment = datetime(2024, 6, 1, tzinfo=UTC)
    rng = np.random.default_rng(11)
    users, items = rng.integers(0, 40, 400), np.minimum(rng.zipf(1.3, 400) - 1, len(ids) - 1)
    log = InteractionLog([f"u{u}" for u in range(40)], ids, users.astype(np.int32), items.astype(np.int32),
                         int(moment.timestamp()) - HOUR * rng.integers(1, 200, 400), np.ones(400, np.float32))
    model = new_ranker(catalog, index, trend=2.0, trend_half_life_hours=72.0).fit(log)
    profile = Profile("u", known=True, onboarded=True, loved_items=(ids[3],))

    def recommend(ranker, n):
        return Recommender(catalog, index, diversity=0.0, model=ranker).recommend(profile, Request(n=n), now=moment)

    everything = recommend(model, 100)  # every candidate (the pool is 100), each with its parts
    slotted = [pick.item.id for pick in recommend(model.with_params(taste_slots=2.0, slot_trend=0.25), 10)]
    head = [pick.item.id for pick in everything[:8]]
    rest = sorted(everything[8:], key=lambda pick: -(pick.score - 0.75 * pick.components["trending"]))
    assert slotted == head + [pick.item.id for pick in rest[:2]]
    assert slotted[8:] != [pick.item.id for pick in everything[8:10]]  # the slots changed the list

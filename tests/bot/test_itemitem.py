"""The item-item component (EASE) alone and inside the hybrid model, on toy logs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from bot.hybrid import HybridRanker
from bot.itemitem import ItemItem, ItemItemRanker, seed_matrix
from bot.ranking import History, InteractionLog

NOW = 1_000_000


def user_items(rows, n_items):
    """A binary (users x items) matrix from one item list per user."""
    pairs = [(u, i) for u, items in enumerate(rows) for i in items]
    users, items = zip(*pairs)
    return sp.csr_matrix((np.ones(len(pairs), np.float32), (users, items)), shape=(len(rows), n_items))


def log_of(rows, n_items):
    pairs = [(u, i) for u, items in enumerate(rows) for i in items]
    users, items = (np.array(column, np.int32) for column in zip(*pairs))
    return InteractionLog([f"u{u}" for u in range(len(rows))], [f"i{i}" for i in range(n_items)], users, items,
                          np.arange(len(users), dtype=np.int64), np.ones(len(users), np.float32))


# Wine 0 is bought with wine 1 (a taste), wine 2 is bought by everyone else (merely popular),
# wine 3 with wine 4.
BASKETS = [[0, 1]] * 4 + [[2]] * 6 + [[2, 3, 4]] * 2 + [[0, 1, 2]]


def history(*items, weights=None):
    items = np.array(items, np.int32)
    weights = np.ones(len(items), np.float32) if weights is None else np.array(weights, np.float32)
    return History(items, np.full(len(items), NOW - 60, np.int64), weights)


def test_the_weights_are_the_ease_closed_form():
    matrix = user_items(BASKETS, 5)
    model = ItemItem(5, l2=2.0, neighbours=10).fit(matrix)

    gram = (matrix.T @ matrix).toarray().astype(np.float64) + 2.0 * np.eye(5)
    inverse = np.linalg.inv(gram)
    expected = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights.toarray(), expected, rtol=1e-4, atol=1e-6)


def test_one_seed_pulls_in_what_is_liked_with_it_not_what_is_popular():
    model = ItemItem(5, l2=1.0).fit(user_items(BASKETS, 5))
    scores = model.scores(seed_matrix([history(0)], 5))[0]

    assert np.argmax(scores) == 1 and scores[1] == pytest.approx(1.0)  # scaled to a peak of 1
    assert scores[1] > scores[2] and scores[1] > scores[3]
    other = model.scores(seed_matrix([history(3)], 5))[0]
    assert np.argmax(other) == 4


def test_a_dislike_pushes_its_companions_down():
    model = ItemItem(5, l2=1.0).fit(user_items(BASKETS, 5))
    scores = model.scores(seed_matrix([history(3, 0, weights=[1.0, -1.0])], 5))[0]
    assert scores[1] < 0 < scores[4]


def test_only_the_most_interacted_items_get_weights_and_each_keeps_its_strongest():
    matrix = user_items(BASKETS, 6)  # item 5 has no interactions
    capped = ItemItem(6, l2=1.0, max_items=3, neighbours=1).fit(matrix)
    weights = capped.weights.toarray()

    active = {0, 1, 2}  # the three most bought: 2 (9 times), 0 and 1 (5 times each)
    assert set(np.flatnonzero(np.abs(weights).sum(axis=1))) <= active
    assert set(np.flatnonzero(np.abs(weights).sum(axis=0))) <= active
    assert (np.count_nonzero(weights, axis=1) <= 1).all()


def test_the_ranker_interface_serves_histories_it_never_saw():
    ranker = ItemItemRanker(5, l2=1.0).fit(log_of(BASKETS, 5))
    scores = ranker.score([history(0), history(3)], np.array([NOW, NOW]))
    assert scores.shape == (2, 5)
    assert np.argmax(scores[0]) == 1 and np.argmax(scores[1]) == 4


def hybrid(**params):
    vectors = np.eye(5, 8, dtype=np.float32)  # no content overlap between any two wines
    return HybridRanker(vectors, [("Red",)] * 5, **params).fit(log_of(BASKETS, 5))


def test_the_hybrid_leaves_the_item_item_part_out_unless_it_weighs_something():
    assert "itemitem" not in hybrid().parts_to_compute(hybrid().params)
    assert "itemitem" in hybrid(itemitem=1.0).parts_to_compute(hybrid(itemitem=1.0).params)


def test_from_two_seeds_the_hybrid_ranks_what_is_liked_with_them_first():
    only_taste = dict(trend=0.0, cooccurrence=0.0, content=0.0, era=0.0, category=0.0)
    without = hybrid(**only_taste).score([history(3)], np.array([NOW]))[0]
    with_part = hybrid(**only_taste, itemitem=1.0, itemitem_l2=1.0).score([history(3, 0)], np.array([NOW]))[0]

    assert not without.any()  # nothing else speaks with these weights
    assert with_part[2] < min(with_part[1], with_part[4])  # the seeds (0, 3) themselves are masked by callers


def test_the_item_item_part_survives_a_save_and_load(tmp_path):
    model = hybrid(itemitem=1.0, itemitem_l2=3.0)
    ids = [f"i{i}" for i in range(5)]
    model.save(tmp_path / "model.npz", ids)
    loaded = HybridRanker(model.item_vectors, [("Red",)] * 5)
    assert loaded.load_fitted(tmp_path / "model.npz", ids)

    assert loaded.params["itemitem"] == 1.0 and loaded.params["itemitem_l2"] == 3.0
    users, moment = [history(0), history(3, 0)], np.array([NOW, NOW])
    np.testing.assert_allclose(loaded.components(users, moment, parts=["itemitem"])["itemitem"],
                               model.components(users, moment, parts=["itemitem"])["itemitem"])
    np.testing.assert_allclose(loaded.score(users, moment), model.score(users, moment))


def test_with_params_reweighs_without_a_refit_and_refuses_what_needs_one():
    model = hybrid(itemitem=1.0)
    heavier = model.with_params(itemitem=3.0)
    assert heavier._itemitem is model._itemitem and model.params["itemitem"] == 1.0
    users, moment = [history(0)], np.array([NOW])
    np.testing.assert_allclose(heavier.score(users, moment), hybrid(itemitem=3.0).score(users, moment), rtol=1e-6)
    with pytest.raises(ValueError, match="itemitem_l2"):
        model.with_params(itemitem_l2=50.0)

"""What is taken next, and what the fans of a category take: alone and inside the hybrid."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from bot.associations import category_peers, favourite_categories, sequence_similarity
from bot.hybrid import HybridRanker
from bot.ranking import History, InteractionLog

NOW = 1_000_000


def binary(rows, n_columns):
    pairs = [(r, c) for r, columns in enumerate(rows) for c in columns]
    return sp.csr_matrix((np.ones(len(pairs), np.float32), tuple(zip(*pairs))), shape=(len(rows), n_columns))


def test_items_taken_one_after_the_other_are_neighbours_and_nearer_steps_count_more():
    # One user took 0, 1, 2, 3 in that order (listed out of order: time decides); another 1 then 0.
    users = np.array([0, 0, 0, 0, 1, 1])
    items = np.array([2, 0, 3, 1, 0, 1])
    times = np.array([30, 10, 40, 20, 60, 50])
    similar = sequence_similarity(users, items, times, n_items=5, window=2).toarray()

    counts = np.zeros((5, 5))
    for a, b, weight in [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (0, 2, 0.5), (1, 3, 0.5), (1, 0, 1.0)]:
        counts[a, b] += weight
        counts[b, a] += weight
    norms = np.sqrt(counts.sum(axis=1))
    expected = counts / np.outer(np.where(norms > 0, norms, 1), np.where(norms > 0, norms, 1))
    np.testing.assert_allclose(similar, expected, rtol=1e-6)
    assert similar[0, 3] == 0  # three steps apart: outside the window
    assert not similar[4].any()  # never taken


def test_a_users_favourite_categories_are_their_most_frequent_with_ties_in_column_order():
    users = binary([[0, 1, 2], [3]], 4)
    item_categories = binary([[0, 2], [2], [1, 2], [1]], 3)
    favourites = favourite_categories(users, item_categories, n=2).toarray()
    assert favourites.tolist() == [[1, 0, 1], [0, 1, 0]]  # 2 (three items), then 0 before 1 (one each)


def test_the_fans_of_a_category_pull_in_what_they_take_more_than_a_bestseller():
    # Items 0 and 1 are Malbecs (category 0), 2 and 3 Rieslings (category 1); item 4 is
    # taken by nearly everyone. Malbec fans also take item 3 (a Riesling), not a Malbec itself.
    item_categories = binary([[0], [0], [1], [1], []], 2)
    users = binary([[0, 1, 3, 4]] * 3 + [[2, 4]] * 3 + [[4]] * 4, 5)
    peers = category_peers(users, item_categories).toarray()
    assert peers[0, 3] > 0 and peers[0, 2] == 0  # a Riesling that Malbec fans choose; not the other
    assert peers[0, 3] > peers[0, 4]  # the bestseller is everyone's, not the fans'
    assert peers[0, 0] == pytest.approx(peers[0, 3])


def log_of(histories):
    rows = [(u, item, t) for u, items in enumerate(histories) for t, item in enumerate(items)]
    users, items, times = (np.array(column) for column in zip(*rows))
    return InteractionLog([f"u{u}" for u in range(len(histories))], [f"i{i}" for i in range(6)],
                          users.astype(np.int32), items.astype(np.int32), times.astype(np.int64) + 100,
                          np.ones(len(rows), np.float32))


# Items 0-2 are red, 3-5 white; those who take 0 take 1 next. Only a red-only drinker takes 2.
LOG = [[0, 1, 3]] * 3 + [[3, 5, 4]] * 3 + [[2, 0]] + [[4, 5]] * 2
CATEGORIES = [("Red",)] * 3 + [("White",)] * 3
ONLY = dict(trend=0.0, cooccurrence=0.0, content=0.0, era=0.0, category=0.0)


def hybrid(**params):
    return HybridRanker(np.eye(6, 8, dtype=np.float32), CATEGORIES, **{**ONLY, **params}).fit(log_of(LOG))


def test_the_hybrid_computes_the_new_parts_only_when_they_weigh_something():
    assert not {"sequence", "category_peers"} & set(hybrid().parts_to_compute(hybrid().params))
    weighted = hybrid(sequence=1.0, category_peers=1.0)
    assert {"sequence", "category_peers"} <= set(weighted.parts_to_compute(weighted.params))


def test_a_stated_category_alone_pulls_in_what_its_fans_take_and_keeps_its_weight():
    newcomer = History(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.float32), ("White",))
    scores = hybrid(category_peers=1.0).score([newcomer], np.array([NOW]))[0]
    assert np.argmax(scores) == 3 and scores[3] == pytest.approx(1.0)  # no history: still at full weight
    assert scores[2] == 0  # no White fan took it


def test_the_sequence_part_ranks_what_followed_the_users_item():
    scores = hybrid(sequence=1.0, history_shrinkage=1.0).score(
        [History(np.array([0], np.int32), np.array([NOW - 60]), np.ones(1, np.float32))], np.array([NOW]))[0]
    assert np.argmax(scores) == 1 and scores[1] == pytest.approx(0.5)  # trusted 1 / (1 + 1)


def test_the_new_parts_survive_a_save_and_a_model_saved_without_them_loads_with_them_off(tmp_path):
    model = hybrid(sequence=1.0, category_peers=2.0)
    ids = [f"i{i}" for i in range(6)]
    model.save(tmp_path / "model.npz", ids)
    loaded = HybridRanker(model.item_vectors, CATEGORIES)
    assert loaded.load_fitted(tmp_path / "model.npz", ids)
    users = [History(np.array([0, 3], np.int32), np.array([NOW - 90, NOW - 60]), np.ones(2, np.float32), ("Red",))]
    np.testing.assert_allclose(loaded.score(users, np.array([NOW])), model.score(users, np.array([NOW])))

    with np.load(tmp_path / "model.npz") as data:
        older = {key: data[key] for key in data.files if not key.startswith(("sequence_", "category_peers_"))}
    np.savez(tmp_path / "older.npz", **older)
    assert loaded.load_fitted(tmp_path / "older.npz", ids)
    assert loaded.params["sequence"] == 0.0 and loaded.params["category_peers"] == 0.0

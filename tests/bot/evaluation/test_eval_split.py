"""The protocol's split on the real data, and its tie and cold-start rules on toy logs."""

from __future__ import annotations

import numpy as np

from bot.evaluation.split import make_split


def pairs(log, rows=None):
    users, items = (log.users, log.items) if rows is None else (log.users[rows], log.items[rows])
    return set(zip(users.tolist(), items.tolist()))


def test_real_split_reproduces_the_protocol_counts(mt_split):
    split = mt_split
    assert len(split.test_users) == 4_692
    counts = np.bincount(split.log.users, minlength=split.log.n_users)
    assert np.all(counts[split.test_users] >= 5)
    assert np.count_nonzero(counts >= 5) == 4_692
    assert len(split.test.log) == 100_000 - 4_692
    assert len(split.validation.log) == 100_000 - 2 * 4_692
    for phase in (split.validation, split.test, split.cold_start):
        assert len(phase) == 4_692


def test_real_split_holds_out_the_last_two_by_time(mt_split):
    split = mt_split
    assert np.all(split.test.now > split.validation.now)
    log = split.log
    for k, user in enumerate(split.test_users[:500].tolist()):
        times = log.times[log.users == user]
        assert split.test.now[k] == times.max()
        history = split.test.histories[k]
        assert len(history.items) == len(times) - 1
        assert np.all(history.times <= split.test.now[k])
        assert np.all(np.diff(history.times) >= 0)  # oldest first
        assert split.test.targets[k] not in history.items
        assert split.validation.targets[k] in history.items
        assert split.validation.targets[k] not in split.validation.histories[k].items


def test_no_held_out_interaction_is_in_a_fitted_log(mt_split):
    split = mt_split
    test_pairs = pairs(split.log, split.test_index)
    validation_pairs = pairs(split.log, split.validation_index)
    assert len(test_pairs) == len(validation_pairs) == 4_692
    assert not test_pairs & pairs(split.test.log)
    assert validation_pairs <= pairs(split.test.log)  # validation items are back in for the test phase
    assert not (test_pairs | validation_pairs) & pairs(split.validation.log)
    assert split.cold_start.log is split.test.log


def test_cold_start_histories_are_the_questionnaire(mt_split):
    split = mt_split
    for history in split.cold_start.histories:
        assert 1 <= len(history.items) <= 2
        assert len(history.categories) <= 3
        assert np.all(history.weights == 1)
    assert sum(len(h.items) == 2 for h in split.cold_start.histories) == 4_692
    assert np.array_equal(split.cold_start.targets, split.test.targets)
    assert np.array_equal(split.cold_start.now, split.test.now)
    assert split.cold_start.excluded(0).tolist() == sorted(split.cold_start.histories[0].items.tolist())


def test_cold_start_picks_top_rated_latest_and_frequent_genres(make_log):
    # user 0: ratings 9 (t=1), 7 (t=2), 9 (t=3), 9 (t=4), then validation and test
    rows = [(0, 0, 1, 9), (0, 1, 2, 7), (0, 2, 3, 9), (0, 3, 4, 9), (0, 4, 5, 10), (0, 5, 6, 10)]
    genres = [("Drama", "War"), ("Comedy", "Action"), ("Comedy", "Drama"), ("Action", "Comedy"), ("War",), ("Drama",)]
    split = make_split(make_log(rows), genres)
    history = split.cold_start.histories[0]
    # train of the test phase = items 0-4; top rated: item 4 (10), then the latest 9 (item 3)
    assert history.items.tolist() == [3, 4]  # oldest first
    assert history.times.tolist() == [4, 5]
    # genre counts in train: Comedy 3, then Action, Drama and War 2 each -> ties alphabetical
    assert history.categories == ("Comedy", "Action", "Drama")
    assert split.test.targets.tolist() == [5] and split.validation.targets.tolist() == [4]


def test_equal_timestamps_are_split_by_item_id(make_log):
    # items are stored out of id order; the last two share a timestamp
    ids = ["m5", "m1", "m4", "m2", "m3"]
    rows = [(0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 3, 9), (0, 4, 9), (1, 0, 1)]
    split = make_split(make_log(rows, item_ids=ids))
    assert split.test_users.tolist() == [0]
    assert ids[split.test.targets[0]] == "m3"  # "m2" < "m3": m3 is the last
    assert ids[split.validation.targets[0]] == "m2"
    shuffled = make_split(make_log(rows[::-1], item_ids=ids))
    assert shuffled.test.targets.tolist() == split.test.targets.tolist()

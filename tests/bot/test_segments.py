"""User segments: k-means on taste vectors, described by their members' categories."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from bot.segments import Segments, SegmentsUnavailable, build, default_k
from bot.vocabulary import EventType


def clustered_users(sizes=(6, 4, 2), dimension=16, seed=0):
    """Users around three orthogonal directions, each group leaning to its own category."""
    rng = np.random.default_rng(seed)
    tastes, categories = {}, {}
    for group, size in enumerate(sizes):
        for n in range(size):
            vector = np.eye(dimension)[group] + 0.1 * rng.normal(size=dimension)
            tastes[f"g{group}-u{n}"] = (vector / np.linalg.norm(vector)).astype(np.float32)
            categories[f"g{group}-u{n}"] = Counter({f"Cat{group}": 2.0, "Shared": 1.0})
    return tastes, categories


def test_users_of_three_tastes_make_three_segments_largest_first():
    tastes, categories = clustered_users()

    segments = build(tastes, categories, k=3)

    assert [s.size for s in segments.segments] == [6, 4, 2]
    assert [s.top_categories[0] for s in segments.segments] == ["Cat0", "Cat1", "Cat2"]
    assert segments.segments[0].label == "Cat0 & Shared"


def test_a_user_belongs_to_the_segment_nearest_their_taste():
    tastes, categories = clustered_users()
    segments = build(tastes, categories, k=3)

    assert segments.nearest(tastes["g1-u0"]).top_categories[0] == "Cat1"
    assert segments.nearest(tastes["g2-u1"]).top_categories[0] == "Cat2"


def test_too_few_users_is_a_clear_error():
    tastes, categories = clustered_users(sizes=(2, 1))
    with pytest.raises(SegmentsUnavailable, match="3 users with a known taste: 2 segments need at least 4"):
        build(tastes, categories, k=2)


@pytest.mark.parametrize(("users", "k"), [(3, 2), (50, 5), (200, 10), (10_000, 12)])
def test_the_default_number_of_segments_grows_with_the_users(users, k):
    assert default_k(users) == k


def test_segments_survive_a_save_and_load(tmp_path):
    tastes, categories = clustered_users()
    built = build(tastes, categories, k=3)
    path = tmp_path / "segments.json"

    built.save(path)
    loaded = Segments.load(path, dimension=16)

    assert loaded.segments == built.segments
    np.testing.assert_allclose(loaded.centroids, built.centroids, atol=1e-6)
    assert Segments.load(path, dimension=384) is None  # built for other vectors
    assert Segments.load(tmp_path / "missing.json", dimension=16) is None


def test_the_engine_builds_segments_from_consenting_users_and_names_each_users(engine, remember):
    sci_fi = ["alien-1979", "the-matrix-1999"]
    family = ["toy-story-1995"]
    for n in range(4):
        for sender_id, liked in ((f"fan-{n}", sci_fi), (f"parent-{n}", family)):
            remember(sender_id)
            for item_id in liked:
                engine.record_event(sender_id, EventType.LIKE, item_id)
    engine.set_consent("declined", False)

    segments = engine.build_segments(k=2)

    assert sorted(s.size for s in segments.segments) == [4, 4]
    assert engine.summary("fan-0").segment == "Sci-Fi & Action"
    assert engine.summary("parent-0").segment == "Animation & Comedy"
    assert engine.summary("declined").segment is None

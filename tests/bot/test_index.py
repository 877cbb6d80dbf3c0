"""The FAISS item index: cosine search, exclusions, persistence and stable ids."""

from __future__ import annotations

import numpy as np
import pytest

from bot.index import INDEX_FILE, META_FILE, IndexUnavailable, ItemIndex, stable_id


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def small_index() -> ItemIndex:
    """Five items on a circle in 2-D, at 0, 30, 60, 90 and 180 degrees."""
    angles = {"east": 0, "e30": 30, "e60": 60, "north": 90, "west": 180}
    vectors = np.stack([unit(np.cos(np.radians(a)), np.sin(np.radians(a))) for a in angles.values()])
    return ItemIndex.build(list(angles), vectors, fingerprint="fp-small")


def test_search_returns_nearest_items_by_cosine(small_index):
    hits = small_index.search(unit(1, 0), 3)

    assert [item_id for item_id, _ in hits] == ["east", "e30", "e60"]
    np.testing.assert_allclose(
        [score for _, score in hits], np.cos(np.radians([0, 30, 60])), atol=1e-6
    )


def test_search_scores_are_cosines_not_distances(small_index):
    hits = dict(small_index.search(unit(1, 0), 5))

    assert hits["west"] == pytest.approx(-1.0, abs=1e-6)
    assert hits["north"] == pytest.approx(0.0, abs=1e-6)


def test_excluded_items_are_never_returned_even_when_nearest(small_index):
    hits = small_index.search(unit(1, 0), 3, exclude={"east", "e30"})

    assert [item_id for item_id, _ in hits] == ["e60", "north", "west"]


@pytest.mark.parametrize("k", [5, 6, 1000])
def test_k_larger_than_the_catalog_returns_every_item_once(small_index, k):
    hits = small_index.search(unit(0, 1), k)

    assert sorted(item_id for item_id, _ in hits) == sorted(small_index.item_ids)


def test_k_larger_than_what_is_left_after_exclusions(small_index):
    hits = small_index.search(unit(0, 1), 10, exclude=["north", "west"])

    assert sorted(item_id for item_id, _ in hits) == ["e30", "e60", "east"]


def test_excluding_everything_returns_nothing(small_index):
    assert small_index.search(unit(1, 0), 3, exclude=small_index.item_ids) == []


def test_unknown_exclusions_are_ignored(small_index):
    hits = small_index.search(unit(1, 0), 5, exclude=["not-an-item"])

    assert len(hits) == 5


def test_repeated_exclusions_do_not_shrink_the_result(small_index):
    hits = small_index.search(unit(1, 0), 5, exclude=["east", "east"])

    assert len(hits) == 4


def test_exclusions_on_the_demo_index_remove_the_top_hits(index):
    query = index.vector("alien-1979")
    top = [item_id for item_id, _ in index.search(query, 4)]
    assert top[0] == "alien-1979"

    hits = index.search(query, 10, exclude=top)

    assert len(hits) == 10
    assert not set(top) & {item_id for item_id, _ in hits}


def test_build_rejects_mismatched_ids_and_vectors():
    with pytest.raises(ValueError, match="2 ids for 1 vectors"):
        ItemIndex.build(["a", "b"], np.ones((1, 4), dtype=np.float32), "fp")


def test_vector_and_matrix_look_up_by_item_id(small_index):
    np.testing.assert_allclose(small_index.vector("north"), unit(0, 1), atol=1e-6)
    np.testing.assert_allclose(
        small_index.matrix(["west", "east"]), np.stack([unit(-1, 0), unit(1, 0)]), atol=1e-6
    )
    assert "north" in small_index and "south" not in small_index
    assert len(small_index) == 5


def test_save_and_load_round_trip(small_index, tmp_path):
    small_index.save(tmp_path / "index")

    loaded = ItemIndex.load(tmp_path / "index")

    assert loaded.fingerprint == "fp-small"
    assert loaded.item_ids == small_index.item_ids
    np.testing.assert_array_equal(loaded.vectors, small_index.vectors)
    for query in (unit(1, 0), unit(-1, 1)):
        assert loaded.search(query, 5, exclude=["e30"]) == small_index.search(query, 5, exclude=["e30"])
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == sorted([INDEX_FILE, META_FILE])


def test_demo_index_round_trip_gives_identical_results(index, tmp_path):
    index.save(tmp_path)

    loaded = ItemIndex.load(tmp_path)

    assert loaded.fingerprint == index.fingerprint
    query = index.vector("toy-story-1995")
    assert loaded.search(query, 20, exclude=["toy-story-1995"]) == index.search(
        query, 20, exclude=["toy-story-1995"]
    )


def test_stable_id_is_pinned_so_saved_indexes_stay_valid():
    # A changed hash would silently mismatch every index saved by an older build.
    assert stable_id("alien-1979") == 3843554720829079991


def test_stable_id_is_deterministic_non_negative_and_63_bit(catalog):
    ids = [stable_id(item.id) for item in catalog.items]

    assert ids == [stable_id(item.id) for item in catalog.items]
    assert all(0 <= value < 2**63 for value in ids)
    assert len(set(ids)) == len(ids)
    assert stable_id("a") != stable_id("b")


@pytest.mark.parametrize("missing", [INDEX_FILE, META_FILE])
def test_missing_index_file_raises_naming_the_file_and_make_index(small_index, tmp_path, missing):
    small_index.save(tmp_path)
    (tmp_path / missing).unlink()

    with pytest.raises(IndexUnavailable) as info:
        ItemIndex.load(tmp_path)

    assert str(tmp_path / missing) in str(info.value)
    assert "make index" in str(info.value)


def test_empty_directory_is_unavailable(tmp_path):
    with pytest.raises(IndexUnavailable, match="make index"):
        ItemIndex.load(tmp_path / "never-built")


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        pytest.param(INDEX_FILE, b"not a faiss index", id="faiss-garbage"),
        pytest.param(INDEX_FILE, b"", id="faiss-empty"),
        pytest.param(META_FILE, b"{not json", id="meta-not-json"),
        pytest.param(META_FILE, b'{"fingerprint": "fp", "item_ids": ["east"]}', id="meta-disagrees"),
        pytest.param(META_FILE, b"{}", id="meta-without-keys"),
        pytest.param(META_FILE, b"[]", id="meta-not-an-object"),
    ],
)
def test_corrupt_index_raises_index_unavailable(small_index, tmp_path, file_name, content):
    small_index.save(tmp_path)
    (tmp_path / file_name).write_bytes(content)

    with pytest.raises(IndexUnavailable) as info:
        ItemIndex.load(tmp_path)

    assert str(tmp_path) in str(info.value)
    assert "make index" in str(info.value)


@pytest.mark.parametrize("file_name", [INDEX_FILE, META_FILE])
def test_corrupt_index_message_names_the_bad_file(small_index, tmp_path, file_name):
    small_index.save(tmp_path)
    (tmp_path / file_name).write_bytes(b"garbage")

    with pytest.raises(IndexUnavailable) as info:
        ItemIndex.load(tmp_path)

    assert str(tmp_path / file_name) in str(info.value)

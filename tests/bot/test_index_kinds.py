"""Index kinds at scale, on small synthetic catalogs: exact below the threshold, IVF or HNSW
above, compression, exclusions, persistence of the kind and the settings that choose it."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from bot.config import ConfigError, IndexSettings, Settings
from bot.index import INDEX_FILE, META_FILE, ItemIndex, plan, stable_id
from bot.indexing import load_or_build_index

DIMENSION = 64
CLUSTERS = 40


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight clusters around random centres, like embeddings of a catalog."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIMENSION)).astype(np.float32)
    vectors = centres[rng.integers(0, CLUSTERS, n)] + 0.35 * rng.standard_normal((n, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def tastes(vectors: np.ndarray, count: int = 100, seed: int = 1) -> np.ndarray:
    """Query vectors like users' taste: two liked items (often of different clusters) plus a
    stated category's direction, so they fall between clusters."""
    rng = np.random.default_rng(seed)
    liked = vectors[rng.integers(0, len(vectors), (count, 2))].sum(axis=1)
    category = vectors[rng.integers(0, len(vectors), (count, 30))].mean(axis=1)
    queries = liked / 2 + 0.6 * category / np.linalg.norm(category, axis=1, keepdims=True)
    return queries / np.linalg.norm(queries, axis=1, keepdims=True)


def ids(n: int) -> list[str]:
    return [f"item-{row}" for row in range(n)]


def top(index: ItemIndex, query: np.ndarray, k: int = 10, exclude=(), within=None) -> list[str]:
    return [item_id for item_id, _ in index.search(query, k, exclude=exclude, within=within)]


def recall_at_10(index: ItemIndex, exact: ItemIndex, queries: np.ndarray) -> float:
    return float(np.mean([len(set(top(index, q)) & set(top(exact, q))) / 10 for q in queries]))


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered(20_000)


@pytest.fixture(scope="module")
def exact(vectors) -> ItemIndex:
    return ItemIndex.build(ids(len(vectors)), vectors, "fp", IndexSettings(kind="exact"))


@pytest.fixture(scope="module")
def built(vectors):
    """build(kind, compression) -> the index over the 20,000 clustered vectors, built once."""
    cache: dict[tuple[str, str], ItemIndex] = {}

    def build(kind: str, compression: str = "none") -> ItemIndex:
        if (kind, compression) not in cache:
            cache[kind, compression] = ItemIndex.build(
                ids(len(vectors)), vectors, "fp", IndexSettings(kind=kind, compression=compression))
        return cache[kind, compression]

    return build


# --- which kind ------------------------------------------------------------------------


def test_auto_is_exact_up_to_the_threshold_and_ivf_above():
    settings = IndexSettings(exact_max=3_000)
    below, above = clustered(3_000), clustered(3_001)

    assert ItemIndex.build(ids(3_000), below, "fp", settings).layout.kind == "exact"
    approximate = ItemIndex.build(ids(3_001), above, "fp", settings)
    assert approximate.layout.kind == "ivf"
    assert 1 < approximate.layout.nlist <= 3_001 // 40  # enough items to train every list


def test_the_default_threshold_keeps_the_demo_sized_catalogs_exact_and_a_million_approximate():
    assert plan(IndexSettings(), 10_000, 384).kind == "exact"
    assert plan(IndexSettings(), 1_000_000, 384).kind == "ivf"
    assert plan(IndexSettings(), 1_000_000, 384).nlist == 2048


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_search_finds_most_of_the_exact_top_10(built, exact, vectors, kind):
    index = built(kind)

    assert index.layout.kind == kind
    assert recall_at_10(index, exact, tastes(vectors)) >= 0.9


def test_a_wider_ivf_search_is_exact_and_a_narrow_one_is_not(built, exact, vectors, tmp_path):
    built("ivf").save(tmp_path)
    queries = tastes(vectors)
    nlist = built("ivf").layout.nlist

    narrow = ItemIndex.load(tmp_path, IndexSettings(nprobe=1))
    everything = ItemIndex.load(tmp_path, IndexSettings(nprobe=nlist))

    assert recall_at_10(everything, exact, queries) == 1.0
    assert recall_at_10(narrow, exact, queries) < 0.9


# --- compression -----------------------------------------------------------------------


def file_size(index: ItemIndex, directory) -> int:
    index.save(directory)
    return (directory / INDEX_FILE).stat().st_size


@pytest.mark.parametrize(("compression", "at_most", "min_recall"), [("sq8", 0.3, 0.9), ("pq", 0.25, 0.5)])
def test_compression_shrinks_the_index_and_still_finds_the_nearest_items(
    built, exact, vectors, tmp_path, compression, at_most, min_recall
):
    compressed = built("exact", compression)

    assert compressed.layout.compression == compression
    assert file_size(compressed, tmp_path / "small") <= at_most * file_size(exact, tmp_path / "full")
    assert recall_at_10(compressed, exact, tastes(vectors)) >= min_recall
    own = [top(compressed, vectors[row], 1)[0] == f"item-{row}" for row in range(0, len(vectors), 200)]
    assert np.mean(own) >= 0.9  # an item's own vector finds the item


@pytest.mark.parametrize("compression", ["sq8", "pq"])
def test_compressed_vectors_are_decoded_from_the_codes_not_kept_as_floats(built, vectors, compression):
    index = built("ivf", compression)

    decoded = index.matrix(["item-0", "item-1", "item-2"])

    assert decoded.dtype == np.float32 and decoded.shape == (3, DIMENSION)
    assert not np.array_equal(decoded, vectors[:3])  # lossy codes: no float copy was kept
    cosines = np.sum(decoded * vectors[:3], axis=1) / np.linalg.norm(decoded, axis=1)
    assert np.all(cosines > (0.99 if compression == "sq8" else 0.8))


# --- exclusions and k ------------------------------------------------------------------

KINDS = [("exact", "none"), ("ivf", "none"), ("hnsw", "none"), ("ivf", "sq8"), ("exact", "pq"), ("hnsw", "sq8")]


@pytest.mark.parametrize(("kind", "compression"), KINDS)
def test_excluding_the_nearest_items_still_returns_k_others(built, exact, vectors, kind, compression):
    index = built(kind, compression)
    query = tastes(vectors, count=1)[0]
    nearest = top(exact, query, 300)

    hits = top(index, query, 20, exclude=nearest)

    assert len(hits) == 20
    assert not set(hits) & set(nearest)


@pytest.mark.parametrize(("kind", "compression"), KINDS)
def test_excluding_all_but_a_few_returns_exactly_those(built, vectors, kind, compression):
    index = built(kind, compression)
    kept = {f"item-{row}" for row in range(0, len(vectors), 1_500)}

    hits = top(index, tastes(vectors, count=1)[0], 50, exclude=[i for i in index.item_ids if i not in kept])

    assert sorted(hits) == sorted(kept)


@pytest.mark.parametrize(("kind", "compression"), KINDS)
def test_a_search_within_a_subset_returns_its_nearest_members_only(built, exact, vectors, kind, compression):
    index = built(kind, compression)
    members = [f"item-{row}" for row in range(3, len(vectors), 97)]  # ~1% of the catalog, spread out
    query = tastes(vectors, count=1)[0]
    ranked_members = [i for i in top(exact, query, len(vectors)) if i in set(members)]

    hits = top(index, query, 10, exclude=ranked_members[:5], within=index.subset(members))

    assert len(hits) == 10 and set(hits) <= set(members)
    assert len(set(hits) & set(ranked_members[5:15])) >= (10 if compression == "none" and kind == "exact" else 7)


@pytest.mark.parametrize(("kind", "compression"), KINDS)
def test_a_subset_smaller_than_k_returns_all_its_allowed_members(built, vectors, kind, compression):
    index = built(kind, compression)
    members = ["item-10", "item-5000", "item-19999", "not-an-item"]

    hits = top(index, tastes(vectors, count=1)[0], 10, exclude=["item-5000"], within=index.subset(members))

    assert sorted(hits) == ["item-10", "item-19999"]


# --- persistence -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "compression"), KINDS)
def test_save_and_load_keep_the_kind_and_the_answers(built, vectors, tmp_path, kind, compression):
    index = built(kind, compression)
    index.save(tmp_path)

    loaded = ItemIndex.load(tmp_path)

    assert loaded.layout == index.layout
    query = tastes(vectors, count=1)[0]
    assert loaded.search(query, 10, exclude=["item-5"]) == index.search(query, 10, exclude=["item-5"])
    np.testing.assert_array_equal(loaded.matrix(["item-7", "item-9"]), index.matrix(["item-7", "item-9"]))


def test_an_index_saved_before_kinds_existed_loads_as_exact(tmp_path):
    vectors = clustered(500)
    old = faiss.IndexIDMap2(faiss.IndexFlatIP(DIMENSION))
    old.add_with_ids(vectors, np.array([stable_id(i) for i in ids(500)], dtype=np.int64))
    faiss.write_index(old, str(tmp_path / INDEX_FILE))
    (tmp_path / META_FILE).write_text(json.dumps({"fingerprint": "fp", "item_ids": ids(500)}))

    loaded = ItemIndex.load(tmp_path)

    assert loaded.layout.kind == "exact" and loaded.layout.compression == "none"
    assert top(loaded, vectors[42], 1) == ["item-42"]


def test_changed_index_settings_rebuild_the_saved_index(catalog, encoder, tmp_path):
    exact_settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path), "BOT_INDEX_KIND": "exact"})
    first = load_or_build_index(exact_settings, catalog, encoder)
    ivf_settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path), "BOT_INDEX_KIND": "ivf",
                                      "BOT_INDEX_COMPRESSION": "sq8"})

    second = load_or_build_index(ivf_settings, catalog, encoder)

    assert first.layout.kind == "exact"
    assert (second.layout.kind, second.layout.compression) == ("ivf", "sq8")
    assert ItemIndex.load(tmp_path / "index").layout == second.layout
    assert load_or_build_index(ivf_settings, catalog, encoder).layout == second.layout


# --- settings --------------------------------------------------------------------------


def test_index_settings_come_from_the_environment():
    settings = Settings.from_env({"BOT_INDEX_KIND": "HNSW", "BOT_INDEX_EXACT_MAX": "5000",
                                  "BOT_INDEX_COMPRESSION": "pq", "BOT_INDEX_NPROBE": "8",
                                  "BOT_INDEX_EF_SEARCH": "256"})

    assert settings.index == IndexSettings(kind="hnsw", exact_max=5000, compression="pq", nprobe=8, ef_search=256)
    assert Settings.from_env({}).index == IndexSettings()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("BOT_INDEX_KIND", "fast"),
        ("BOT_INDEX_COMPRESSION", "zip"),
        ("BOT_INDEX_EXACT_MAX", "-1"),
        ("BOT_INDEX_EXACT_MAX", "lots"),
        ("BOT_INDEX_NPROBE", "0"),
        ("BOT_INDEX_EF_SEARCH", "1.5"),
    ],
)
def test_an_invalid_index_setting_stops_start_up_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=key) as info:
        Settings.from_env({key: value})

    assert repr(value) in str(info.value)

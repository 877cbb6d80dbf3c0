"""The sentence encoder (real bundled MiniLM) and its on-disk embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from bot import encoder as encoder_module
from bot.encoder import DIMENSION, EmbeddingCache, Encoder


@pytest.fixture
def fresh_encoder(tmp_path, encoder) -> Encoder:
    """An Encoder with an empty cache in tmp_path, sharing the already-loaded session model."""
    fresh = Encoder(tmp_path / "cache" / "embeddings.npz")
    fresh._model = encoder._load()
    return fresh


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_vectors_are_384_dimensional_and_unit_length(fresh_encoder):
    vectors = fresh_encoder.encode(["A shark terrorises a beach town.", "Two detectives hunt a killer."])

    assert vectors.shape == (2, DIMENSION) == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_query_vector_is_384_dimensional_and_unit_length(encoder):
    vector = encoder.encode_query("a film about space travel")

    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    anchor = encoder.encode_query("A great white shark attacks swimmers at a beach resort.")
    paraphrase = encoder.encode_query("Swimmers at a seaside town are hunted by a huge shark.")
    unrelated = encoder.encode_query("A young wizard goes to a school of magic.")

    assert cosine(anchor, paraphrase) > cosine(anchor, unrelated) + 0.2


def test_rows_follow_input_order_and_repeats_get_the_same_vector(fresh_encoder):
    texts = ["zebra crossing", "apple pie", "zebra crossing"]

    vectors = fresh_encoder.encode(texts)

    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert cosine(vectors[0], vectors[1]) < 0.99
    np.testing.assert_array_equal(vectors[1], fresh_encoder.encode(["apple pie"])[0])
    assert len(fresh_encoder.cache) == 2


def test_no_texts_give_an_empty_matrix(tmp_path):
    encoder = Encoder(tmp_path / "embeddings.npz")

    assert encoder.encode([]).shape == (0, DIMENSION)
    assert encoder._model is None


def test_a_second_encoder_reads_known_vectors_from_the_cache_without_the_model(
    catalog, index, state_dir
):
    items = catalog.items[:5]

    second = Encoder(state_dir / "embeddings.npz")
    vectors = second.encode([item.embedding_text for item in items])

    assert second._model is None
    np.testing.assert_array_equal(vectors, index.matrix([item.id for item in items]))


def test_cache_round_trips_through_a_new_encoder(fresh_encoder):
    texts = ["first text", "second text"]
    original = fresh_encoder.encode(texts)

    reopened = Encoder(fresh_encoder.cache.path)

    np.testing.assert_array_equal(reopened.encode(texts), original)
    assert reopened._model is None


def test_cache_file_is_written_without_leaving_temporary_files(fresh_encoder):
    fresh_encoder.encode(["only text"])

    directory = fresh_encoder.cache.path.parent
    assert [p.name for p in directory.iterdir()] == ["embeddings.npz"]


def test_a_failed_save_leaves_the_previous_cache_intact(fresh_encoder, monkeypatch):
    fresh_encoder.encode(["kept text"])
    path = fresh_encoder.cache.path
    before = path.read_bytes()

    def crash_mid_write(file, **arrays):
        with open(file, "wb") as handle:
            handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(encoder_module.np, "savez", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        fresh_encoder.encode(["new text"])

    assert path.read_bytes() == before
    assert len(EmbeddingCache(path)) == 1


def test_query_texts_are_not_cached(fresh_encoder):
    fresh_encoder.encode_query("something the user typed")

    assert len(fresh_encoder.cache) == 0
    assert not fresh_encoder.cache.path.exists()


def test_cache_key_depends_on_the_text_only_and_is_deterministic():
    assert Encoder.cache_key("Alien") == Encoder.cache_key("Alien")
    assert Encoder.cache_key("Alien") != Encoder.cache_key("Aliens")


def test_a_query_is_embedded_as_sentence_transformers_embeds_it(fresh_encoder):
    texts = ["hi", "I like crime movies, any suggestions?", "Ünïcode ✨ and a long message " * 30]
    direct = fresh_encoder._load().encode(texts, normalize_embeddings=True, convert_to_numpy=True)

    for text, expected in zip(texts, direct):
        np.testing.assert_allclose(fresh_encoder.encode_query(text), expected, atol=1e-6)


def test_a_recent_query_is_not_embedded_again_and_its_vector_cannot_be_changed(fresh_encoder, monkeypatch):
    first = fresh_encoder.encode_query("a message read for its intent, then for its request")
    monkeypatch.setattr(fresh_encoder._model, "forward", lambda *_: pytest.fail("embedded again"))

    again = fresh_encoder.encode_query("a message read for its intent, then for its request")

    assert again is first
    with pytest.raises(ValueError):
        again[0] = 1.0

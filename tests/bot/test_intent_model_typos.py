"""The intent model's misspelled copies of its training phrases (`Choice.typo_copies`): how a
phrase is misspelled, and that a copy is trained on only where its phrase is, so the thresholds
chosen out of fold stay honest."""

from __future__ import annotations

import numpy as np

from bot import intent_model
from bot.intent_model import Choice, Copies, Phrase, data_fingerprint, fit, folds, misspell, out_of_fold

TEXTS = ["recommend me a good thriller", "suggest a movie", "something short, i only have an hour",
         "hi", "ok 👍", "what wine goes with salmon tonight please"]


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, with a swap of two neighbours as one edit."""
    d = [[max(i, j) if not i or not j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_a_misspelling_changes_one_or_two_long_words_by_one_letter_keeping_their_first():
    for text in TEXTS:
        for copy in range(5):
            typo = misspell(text, copy)
            assert typo == misspell(text, copy)  # the same every time
            words, typo_words = text.split(), typo.split()
            assert len(typo_words) == len(words)
            changed = [(w, t) for w, t in zip(words, typo_words, strict=True) if w != t]
            assert len(changed) <= (2 if len(words) >= 4 else 1)
            for word, typed in changed:
                assert len(word.strip(",")) >= 4 and typed[0] == word[0] and _edits(word, typed) == 1
    assert misspell("hi", 0) == "hi" and misspell("ok 👍", 3) == "ok 👍"  # no word of four letters
    assert len({misspell("recommend me a good thriller", copy) for copy in range(6)}) > 1  # copies differ


def test_copies_know_their_phrase_and_take_its_vector_without_an_encoder():
    vectors = np.arange(len(TEXTS) * 3, dtype=np.float32).reshape(len(TEXTS), 3)
    copies = Copies.of(TEXTS, vectors, 2)
    assert set(copies.origin.tolist()) == {0, 1, 2, 5}  # "hi" and "ok 👍" have none
    for text, origin, vector in zip(copies.texts, copies.origin, copies.vectors, strict=True):
        assert text != TEXTS[origin] and _edits(text.replace(" ", ""), TEXTS[origin].replace(" ", "")) <= 2
        assert (vector == vectors[origin]).all()
    assert set(copies.origin[copies.of_phrases(np.array([0, 5]))].tolist()) == {0, 5}
    encoded = Copies.of(TEXTS, vectors, 1, encode=lambda texts: np.ones((len(texts), 3), dtype=np.float32))
    assert (encoded.vectors == 1).all() and len(encoded.texts) == len(encoded.origin)


def test_out_of_fold_a_phrase_is_read_by_a_model_trained_on_no_copy_of_it(monkeypatch):
    phrases = [Phrase(f"{word} recommendation please", "request_recommendations") for word in
               ("movie", "book", "film", "novel", "wine", "thriller", "comedy", "drama")]
    phrases += [Phrase(f"where is my {word} parcel", "support_request") for word in
                ("missing", "delayed", "broken", "lost", "stolen", "late", "damaged", "wrong")]
    texts = [p.text for p in phrases]
    labels = np.array([0] * 8 + [1] * 8)
    vectors = np.random.default_rng(0).normal(size=(len(texts), 4)).astype(np.float32)
    copies = Copies.of(texts, vectors, 2)
    seen = []
    fit_features = intent_model.WordFeatures.fit

    def spy_features(fold_texts, scale=0.5):
        seen.append(list(fold_texts))
        return fit_features(fold_texts, scale)

    monkeypatch.setattr(intent_model.WordFeatures, "fit", staticmethod(spy_features))
    splits = folds(labels, 4)
    out_of_fold(texts, vectors, labels, 2, Choice(typo_copies=2), splits, copies)
    for (train, test), fold_texts in zip(splits, seen, strict=True):
        own = {copies.texts[i] for i in np.flatnonzero(np.isin(copies.origin, test))}
        others = {copies.texts[i] for i in np.flatnonzero(np.isin(copies.origin, train))}
        assert not own & set(fold_texts)  # no copy of a phrase read in this fold
        assert others <= set(fold_texts)  # every copy of the other folds' phrases
        assert not {texts[i] for i in test} & set(fold_texts)


def test_a_model_with_copies_reads_misspelled_requests_and_its_choice_is_in_the_fingerprint(encoder):
    from tests.bot.test_intent_model import phrases

    training = phrases()
    vectors = encoder.encode([p.text for p in training])
    choice = Choice(typo_copies=2)
    model = fit(training, vectors, choice, encode=encoder.encode)
    assert len(model.examples) > len(training)  # the copies are examples of their intents too
    assert data_fingerprint(training, choice) != data_fingerprint(training)
    assert "2 misspelled copies" in choice.describe() and "misspelled" not in Choice().describe()
    texts = ["recomend me somthing", "sugest somethng plese", "exprot my data"]
    assert [r.intent for r in model.read_many(texts, encoder.encode(texts))] == \
        ["request_recommendations", "request_recommendations", "export_data"]


def test_copies_weigh_in_the_classifier_as_the_choice_says():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(12, 3))
    labels = np.array([0, 1] * 6)
    plain = intent_model._classifier(features[:8], labels[:8], Choice())
    # four copies that weigh nothing leave the classifier as it was; weighing as much as a phrase, they change it
    unweighed = intent_model._classifier(features, labels, Choice(typo_copies=1, typo_weight=0.0), copies=4)
    weighed = intent_model._classifier(features, labels, Choice(typo_copies=1), copies=4)
    assert np.allclose(unweighed.coef_, plain.coef_, atol=1e-3)
    assert not np.allclose(weighed.coef_, plain.coef_, atol=1e-3)
    assert "1 misspelled copy weighing 0.3" in Choice(typo_copies=1, typo_weight=0.3).describe()

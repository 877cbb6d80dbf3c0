"""The intent model: training phrases from Rasa's YAML, the honest thresholds, saving, reading."""

from __future__ import annotations

import numpy as np
import pytest

from bot.intent_model import FALLBACK, OUT_OF_SCOPE, IntentModel, WordFeatures, data_fingerprint, fit, training_phrases

TRAINING = {
    "request_recommendations": [
        "recommend me something", "any suggestions for tonight?", "what should i watch", "give me some picks",
        "find me something good", "i need ideas for a film night", "show me a few titles", "got any recs",
        "suggest something please", "what would you recommend", "anything good to read?", "pick something for me",
    ],
    "export_data": [
        "send me my data", "i want a copy of my data", "export everything you have on me", "download my data",
        "give me a copy of what you stored", "can i get my data as a file", "export my profile",
        "i'd like my data exported", "email me my data", "what you store about me, as a download",
    ],
    "greet": ["hi", "hello there", "hey", "good morning", "hiya", "howdy", "hello bot", "hey there", "yo", "hi again"],
    OUT_OF_SCOPE: [
        "how long do i boil an egg", "what's the weather in paris", "book me a flight to rome",
        "is the pharmacy open on sunday", "how do i fix a flat tyre", "what is 15% of 80",
        "translate thank you into german", "who won the football last night", "how tall is mount everest",
        "set an alarm for 7", "my cat keeps sneezing", "how do i unblock a sink", "what's a good mortgage rate",
        "call my mum", "how many ounces in a pound", "when does the bank close",
    ],
}


def phrases():
    from bot.intent_model import Phrase

    return [Phrase(text, intent) for intent, texts in TRAINING.items() for text in texts]


@pytest.fixture(scope="module")
def trained(encoder):
    training = phrases()
    return fit(training, encoder.encode([p.text for p in training]))


def test_training_phrases_strip_entities_and_skip_system_intents(tmp_path):
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n    - i like [sci fi](category)\n'
        '    - [Heat]{"entity": "title"} and more\n    - I like sci fi\n'
        "- intent: handed_back\n  examples: |\n    - /handed_back\n"
        "- synonym: sci-fi\n  examples: |\n    - scifi\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")
    found = training_phrases(tmp_path.glob("*.yml"))
    assert [(p.text, p.intent) for p in found] == [("i like sci fi", "inform"), ("Heat and more", "inform")]


def test_fingerprint_changes_with_the_data():
    training = phrases()
    assert data_fingerprint(training) == data_fingerprint(list(training))
    assert data_fingerprint(training) != data_fingerprint(training[1:])


def test_unseen_wordings_get_their_intent(trained, encoder):
    texts = ["could you suggest a couple of things for me?", "please export a copy of my stored data",
             "hello!"]
    readings = trained.read_many(texts, encoder.encode(texts))
    assert [r.intent for r in readings] == ["request_recommendations", "export_data", "greet"]
    assert all(r.ranking[0][0] == r.intent and r.confidence == r.ranking[0][1] for r in readings)


def test_a_question_about_something_else_is_no_task(trained, encoder):
    texts = ["how do i get red wine out of a carpet", "what time is the train to leeds", "is it going to snow"]
    assert {r.intent for r in trained.read_many(texts, encoder.encode(texts))} <= {OUT_OF_SCOPE, FALLBACK}


def test_a_message_far_from_every_example_of_its_intent_is_out_of_scope(encoder):
    """Even where the classifier's best guess is a task, a wording unlike all of its examples is
    not taken for it."""
    training = phrases()
    model = fit(training, encoder.encode([p.text for p in training]))
    strict = IntentModel(model.intents, model.features, model.weights, model.bias, model.examples,
                         model.example_intents, min_confidence=0.0, min_similarity=0.99, fingerprint=model.fingerprint)
    text = "could you suggest a couple of things for me?"
    reading = strict.read(text, encoder.encode([text])[0])
    assert reading.intent == OUT_OF_SCOPE


def test_saved_and_loaded_it_reads_the_same(trained, encoder, tmp_path):
    path = tmp_path / "intents.npz"
    trained.save(path)
    loaded = IntentModel.load(path)
    texts = ["any picks for me", "where is the nearest petrol station"]
    vectors = encoder.encode(texts)
    assert loaded.read_many(texts, vectors) == trained.read_many(texts, vectors)
    assert (loaded.min_confidence, loaded.min_similarity, loaded.fingerprint) == \
        (trained.min_confidence, trained.min_similarity, trained.fingerprint)


def test_as_rasa_is_what_rasa_parses_hold(trained, encoder):
    reading = trained.read("hi there", encoder.encode(["hi there"])[0])
    rasa = reading.as_rasa()
    assert rasa["intent"] == {"name": reading.intent, "confidence": reading.confidence}
    assert [r["name"] for r in rasa["intent_ranking"]] == [name for name, _ in reading.ranking]
    assert np.isclose(sum(p for _, p in reading.ranking), 1.0, atol=0.01)


def test_the_choice_of_training_is_saved_and_part_of_the_fingerprint(encoder, tmp_path):
    from bot.intent_model import CHOSEN, Choice

    training = phrases()
    vectors = encoder.encode([p.text for p in training])
    plain = fit(training, vectors, Choice(ngram_scale=0.0, thresholds=False))
    assert plain.features.of(["hi"], vectors[:1]).shape[1] == vectors.shape[1]  # the sentence vector alone
    assert (plain.min_confidence, plain.min_similarity) == (0.0, -1.0)
    assert plain.fingerprint != data_fingerprint(training, CHOSEN) == data_fingerprint(training)
    plain.save(tmp_path / "plain.npz")
    loaded = IntentModel.load(tmp_path / "plain.npz")
    assert loaded.features.scale == 0.0
    texts = ["how do i descale a kettle", "any picks for me"]
    assert loaded.read_many(texts, encoder.encode(texts)) == plain.read_many(texts, encoder.encode(texts))


def test_without_thresholds_every_message_gets_the_best_guess(encoder):
    from bot.intent_model import Choice

    training = phrases()
    model = fit(training, encoder.encode([p.text for p in training]), Choice(thresholds=False))
    texts = ["zxqv", "could you suggest a couple of things for me?"]
    readings = model.read_many(texts, encoder.encode(texts))
    assert all(r.intent == r.ranking[0][0] for r in readings)
    assert FALLBACK not in {r.intent for r in readings}


def test_word_features_weigh_n_grams_as_scikit_learns_tfidf_does():
    from sklearn.feature_extraction.text import TfidfVectorizer

    training = ["recommend me a movie", "any good films?", "I want a refund for my order", "refund please",
                "how do i boil eggs", "what's the weather like", "more like this one", "movie night ideas"]
    features = WordFeatures.fit(training, scale=1.0)
    texts = ["a refund for my movie, please!", "zzz qqq", "", "Movie movie MOVIE night", "ünïcode refund"]
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2).fit(training)
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(training)
    expected = np.hstack([char.transform(texts).toarray(), word.transform(texts).toarray()])

    got = features.of(texts, np.zeros((len(texts), 0), dtype=np.float32)).toarray()

    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_nearest_example_of_each_intent_is_found_and_an_intent_without_examples_is_minus_one():
    from bot.intent_model import _nearest_by_intent

    examples = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]], dtype=np.float32)
    labels = np.array([2, 0, 2, 0])
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)

    nearest = _nearest_by_intent(vectors, examples, labels, n_intents=3)

    np.testing.assert_allclose(nearest, [[0.8, -1.0, 1.0], [1.0, -1.0, 0.8]])

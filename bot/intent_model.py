"""Which intent a typed message has, read by its meaning rather than by its words.

Rasa's DIET, trained on a few hundred phrases with word and character counts, took "how long
should i boil eggs" for a recommendation request and "delete my account" (with a shop) for a
data erasure: it knows the words it was shown and nothing else. This model embeds the message
with the same MiniLM as the catalog and classifies the vector, with the message's n-grams, by a
logistic regression trained on Rasa's training data and the engine's own (``data/rasa/``,
``data/intents/``: a large, varied ``out_of_scope`` set and support messages besides more ways
of saying each task). A message is
``nlu_fallback`` (Rasa's honest "I didn't get that") when the classifier is unsure, and out of
scope when it is far from every training phrase of the intent it would get.

The thresholds are chosen by cross-validation on the training data alone (:func:`fit`), never
on the held-out sets of ``tests/data/nlu``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import yaml

log = logging.getLogger(__name__)

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
SUPPORT = "support_request"
SYSTEM_INTENTS = frozenset({"handed_back", "handoff_timed_out"})  # never said by users
NOT_A_TASK = frozenset({OUT_OF_SCOPE, SUPPORT, "request_human", "greet", "goodbye", "help", "bot_challenge",
                        "affirm", "deny"})  # intents whose reply starts nothing the user did not ask for
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
FOLDS = 5


@dataclass(frozen=True)
class Choice:
    """How the model is trained: what `bot nlu cv` compares by cross-validation on the
    training data (data/intents/README.md has its table); :data:`CHOSEN` is what `bot nlu train` uses."""

    regularization: float = 16.0  # logistic regression's C (4 and 32 were no better in `bot nlu cv`)
    ngram_scale: float = 0.5  # the tf-idf n-grams' weight against the unit sentence vector (0: none)
    max_task_misread: float = 0.03  # of the non-task phrases read (out of fold) as a task, at most
    # (0.035-0.05 read more dev in-domain messages right but act on more that are no task: data/intents/README.md)
    thresholds: bool = True  # False: every message gets the classifier's best intent
    balanced: bool = False  # weigh each intent's phrases inversely to how many it has
    typo_copies: int = 0  # misspelled copies of each training phrase trained on beside it (0: none)
    typo_weight: float = 1.0  # a copy's weight in the classifier's loss, against its phrase's 1

    def describe(self) -> str:
        grams = f"+ n-grams x {self.ngram_scale}" if self.ngram_scale else "vector only"
        limit = f"thresholds at {self.max_task_misread:.0%} misread" if self.thresholds else "no thresholds"
        typos = f", {self.typo_copies} misspelled cop{'y' if self.typo_copies == 1 else 'ies'}" if self.typo_copies else ""
        typos += f" weighing {self.typo_weight:g}" if self.typo_copies and self.typo_weight != 1.0 else ""
        return f"MiniLM {grams}, C = {self.regularization:g}{', balanced' if self.balanced else ''}{typos}, {limit}"


CHOSEN = Choice(typo_copies=1, typo_weight=0.3)  # data/intents/README.md: fewer off-topic accepts on the dev sets


@dataclass(frozen=True)
class Phrase:
    text: str
    intent: str


@dataclass(frozen=True)
class IntentReading:
    """The intent a message got, how sure the model is, and every intent's probability."""

    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]

    def as_rasa(self) -> dict[str, object]:
        """Rasa's ``intent`` and ``intent_ranking`` fields of a parsed message."""
        return {"intent": {"name": self.intent, "confidence": self.confidence},
                "intent_ranking": [{"name": name, "confidence": p} for name, p in self.ranking]}


def training_phrases(paths: Iterable[Path]) -> list[Phrase]:
    """The intent examples of Rasa NLU YAML files, entity annotations removed, without the
    intents only the system triggers; each text once (the first intent it is given wins)."""
    phrases: dict[str, Phrase] = {}
    for path in sorted(paths):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            intent = block.get("intent")
            if not intent or intent in SYSTEM_INTENTS:
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text and text.lower() not in phrases:
                    phrases[text.lower()] = Phrase(text, intent)
    return list(phrases.values())


def data_fingerprint(phrases: Sequence[Phrase], choice: Choice = CHOSEN) -> str:
    """Changes when the training data or the way of training does: a saved model of other data
    or settings is trained again."""
    digest = hashlib.sha256(f"{choice} {FOLDS}\n".encode())
    for phrase in phrases:
        digest.update(f"{phrase.intent}\t{phrase.text}\n".encode())
    return digest.hexdigest()[:16]


_WORD = re.compile(r"[^\W\d_]{4,}")
_VOWELS = "aeiou"


def misspell(text: str, copy: int = 0) -> str:
    """``text`` as it might be typed in a hurry: one or two of its words of four letters or more
    (two only in phrases of four words or more) with a letter dropped, two swapped, one doubled or
    a vowel for another ("recomend", "thriler", "movei"; the first letter is kept, as people rarely
    miss it). The same text and ``copy`` give the same misspelling; a text with no such word is
    returned as it is."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    rng = random.Random(hashlib.sha256(f"{copy}\t{text}".encode()).digest())
    many = 2 if len(text.split()) >= 4 and len(words) >= 2 and rng.random() < 0.5 else 1
    chars = list(text)
    for match in sorted(rng.sample(words, many), key=lambda m: m.start(), reverse=True):
        start, end = match.start(), match.end()
        at = rng.randrange(start + 1, end)  # never the first letter
        kind = rng.randrange(4)
        if kind == 0:
            del chars[at]
        elif kind == 1 and at + 1 < end and chars[at] != chars[at + 1]:
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        elif kind == 2 or chars[at].lower() not in _VOWELS:
            chars.insert(at, chars[at])
        else:
            chars[at] = rng.choice([v for v in _VOWELS if v != chars[at].lower()])
    return "".join(chars)


@dataclass(frozen=True)
class Copies:
    """Misspelled copies of training phrases: their texts, vectors and the phrase each copies
    (an index into the phrases), so that a copy is trained on only where its phrase is."""

    texts: list[str]
    vectors: np.ndarray
    origin: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str], vectors: np.ndarray, n: int,
           encode: Callable[[list[str]], np.ndarray] | None = None) -> Copies:
        """``n`` misspelled copies of each text that changes when misspelled, embedded by
        ``encode`` (without it, a copy takes its phrase's vector: only its n-grams differ)."""
        pairs = {(k, typo) for copy in range(n) for k, text in enumerate(texts)
                 if (typo := misspell(text, copy)).lower() != text.lower()}
        pairs = sorted(pairs)
        origin = np.array([k for k, _ in pairs], dtype=np.int64)
        typos = [typo for _, typo in pairs]
        if not typos:
            copy_vectors = np.zeros((0, vectors.shape[1]), dtype=vectors.dtype)
        elif encode is not None:
            copy_vectors = np.asarray(encode(typos))
        else:
            copy_vectors = vectors[origin]
        return cls(typos, copy_vectors, origin)

    def of_phrases(self, rows: np.ndarray) -> np.ndarray:
        """The copies (indices into them) of the phrases ``rows``."""
        return np.flatnonzero(np.isin(self.origin, rows))


class _Tfidf:
    """tf-idf weights of a fitted vocabulary (sublinear tf, l2 norm), as scikit-learn's
    ``TfidfVectorizer.transform`` computes them, without its per-call checks: they cost 5 ms of
    the 20 it takes to read one message's intent."""

    def __init__(self, vectorizer: Any, vocabulary: Sequence[str], idf: np.ndarray):
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float64)
        self._index = {gram: k for k, gram in enumerate(self.vocabulary)}
        self._analyze = vectorizer.build_analyzer()

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr, indices, data = [0], [], []
        for text in texts:
            counts = Counter(k for gram in self._analyze(text) if (k := self._index.get(gram)) is not None)
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
            if len(weights):
                weights /= np.linalg.norm(weights)
            indices.append(columns)
            data.append(weights)
            indptr.append(indptr[-1] + len(columns))
        return sp.csr_matrix((np.concatenate(data or [np.zeros(0)]), np.concatenate(indices or [np.zeros(0, np.int64)]),
                              np.array(indptr)), shape=(len(texts), len(self.vocabulary)))


class WordFeatures:
    """Character 2-4-grams and word 1-2-grams (tf-idf) beside the sentence vector: typos and
    telling words ("refund", "bye") that a sentence vector blurs. In cross-validation on the
    training data (`bot nlu cv`) they lift the bot's intents read right from 85% to 90%."""

    def __init__(self, char_vocabulary: Sequence[str], char_idf: np.ndarray, word_vocabulary: Sequence[str],
                 word_idf: np.ndarray, scale: float = CHOSEN.ngram_scale):
        self.scale = scale  # their weight against the unit sentence vector
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._char = _Tfidf(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), char_vocabulary, char_idf)
        self._word = _Tfidf(TfidfVectorizer(ngram_range=(1, 2)), word_vocabulary, word_idf)

    @classmethod
    def fit(cls, texts: Sequence[str], scale: float = CHOSEN.ngram_scale) -> WordFeatures:
        from sklearn.feature_extraction.text import TfidfVectorizer

        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2).fit(texts)
        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
        return cls(char.get_feature_names_out().tolist(), char.idf_, word.get_feature_names_out().tolist(), word.idf_,
                   scale)

    def state(self) -> dict[str, np.ndarray]:
        return {"char_vocabulary": np.array(self._char.vocabulary, dtype=str), "char_idf": self._char.idf,
                "word_vocabulary": np.array(self._word.vocabulary, dtype=str), "word_idf": self._word.idf,
                "ngram_scale": np.array(self.scale)}

    def of(self, texts: Sequence[str], vectors: np.ndarray) -> sp.csr_matrix:
        """The classifier's input: sentence vectors, then the scaled n-gram weights (none at scale 0)."""
        if not self.scale:
            return sp.csr_matrix(vectors)
        return sp.hstack([sp.csr_matrix(vectors), self.scale * self._char.transform(texts),
                          self.scale * self._word.transform(texts)]).tocsr()


class IntentModel:
    """A linear classifier over sentence vectors and n-grams, with the thresholds that make it honest."""

    def __init__(self, intents: Sequence[str], features: WordFeatures, weights: np.ndarray, bias: np.ndarray,
                 examples: np.ndarray, example_intents: np.ndarray, min_confidence: float, min_similarity: float,
                 fingerprint: str):
        self.intents = list(intents)
        self.features = features
        self.weights = weights.astype(np.float32)  # (intents, features)
        self._by_feature = np.ascontiguousarray(self.weights.T)  # a sparse row times it copies nothing
        self.bias = bias.astype(np.float32)
        self.examples = examples.astype(np.float32)  # the training vectors, for the distance to each intent
        self.example_intents = example_intents.astype(np.int32)
        self._by_intent = _ExamplesByIntent.of(self.examples, self.example_intents, len(self.intents))
        self.min_confidence = min_confidence
        self.min_similarity = min_similarity
        self.fingerprint = fingerprint

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        logits = np.asarray(self.features.of(texts, vectors) @ self._by_feature) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def read(self, text: str, vector: np.ndarray) -> IntentReading:
        return self.read_many([text], vector[None, :])[0]

    def read_many(self, texts: Sequence[str], vectors: np.ndarray) -> list[IntentReading]:
        probabilities = self.probabilities(texts, vectors)
        nearest = self._by_intent.nearest(vectors)
        readings = []
        for row, p in enumerate(probabilities):
            order = np.argsort(-p)
            best = int(order[0])
            ranking = tuple((self.intents[i], round(float(p[i]), 4)) for i in order[:10])
            intent = decide(self.intents[best], float(p[best]), float(nearest[row, best]),
                            self.min_confidence, self.min_similarity)
            readings.append(IntentReading(intent, round(float(p[best]), 4), ranking))
        return readings

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        meta = {"intents": self.intents, "min_confidence": self.min_confidence,
                "min_similarity": self.min_similarity, "fingerprint": self.fingerprint}
        np.savez(tmp, weights=self.weights, bias=self.bias, examples=self.examples,
                 example_intents=self.example_intents, meta=np.array(json.dumps(meta)), **self.features.state())
        tmp.replace(path)

    @staticmethod
    def saved_fingerprint(path: Path) -> str | None:
        """The fingerprint of the model saved at ``path``; None if there is none (or it cannot be read)."""
        try:
            with np.load(path) as data:
                return json.loads(str(data["meta"]))["fingerprint"]
        except (OSError, KeyError, ValueError):
            return None

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            scale = float(data["ngram_scale"]) if "ngram_scale" in data else 0.5  # saved before it was a choice
            features = WordFeatures(data["char_vocabulary"].tolist(), data["char_idf"],
                                    data["word_vocabulary"].tolist(), data["word_idf"], scale)
            return cls(meta["intents"], features, data["weights"], data["bias"], data["examples"],
                       data["example_intents"], meta["min_confidence"], meta["min_similarity"], meta["fingerprint"])


def decide(intent: str, confidence: float, similarity: float, min_confidence: float, min_similarity: float) -> str:
    if intent in NOT_A_TASK:
        return intent if confidence >= min_confidence or intent == OUT_OF_SCOPE else FALLBACK
    if similarity < min_similarity:
        return OUT_OF_SCOPE  # worded like no example of the task: a question about something else
    return intent if confidence >= min_confidence else FALLBACK


@dataclass(frozen=True)
class _ExamplesByIntent:
    """Training vectors grouped by intent, so that each intent's closest one is found in one pass."""

    vectors: np.ndarray  # sorted by intent
    intents: np.ndarray  # the intents that have examples, ascending
    starts: np.ndarray  # where each of them starts in ``vectors``
    n_intents: int

    @classmethod
    def of(cls, examples: np.ndarray, labels: np.ndarray, n_intents: int) -> _ExamplesByIntent:
        order = np.argsort(labels, kind="stable")
        intents, starts = np.unique(labels[order], return_index=True)
        return cls(np.ascontiguousarray(examples[order]), intents, starts, n_intents)

    def nearest(self, vectors: np.ndarray) -> np.ndarray:
        """Per message and intent, the similarity of its closest example (-1 for an intent with none)."""
        nearest = np.full((len(vectors), self.n_intents), -1.0, dtype=np.float32)
        if len(self.intents):
            nearest[:, self.intents] = np.maximum.reduceat(vectors @ self.vectors.T, self.starts, axis=1)
        return nearest


def _nearest_by_intent(vectors: np.ndarray, examples: np.ndarray, labels: np.ndarray, n_intents: int) -> np.ndarray:
    """Per message and intent, the similarity of its closest training example (-1 for an intent with none)."""
    return _ExamplesByIntent.of(examples, labels, n_intents).nearest(vectors)


def load_intent_model(path: Path) -> IntentModel | None:
    """The trained model, or None when there is none yet (then Rasa's own reading stands)."""
    if not path.exists():
        log.warning("no intent model at %s (run `make train`): Rasa's NLU reads messages alone", path)
        return None
    return IntentModel.load(path)


def _classifier(features: sp.csr_matrix, labels: np.ndarray, choice: Choice, copies: int = 0):
    """The logistic regression, fitted on phrases followed by ``copies`` misspelled copies (which
    weigh ``choice.typo_weight`` each)."""
    from sklearn.linear_model import LogisticRegression  # only when training

    weights = None
    if copies and choice.typo_weight != 1.0:
        weights = np.ones(len(labels))
        weights[len(labels) - copies:] = choice.typo_weight
    return LogisticRegression(C=choice.regularization, max_iter=3000,
                              class_weight="balanced" if choice.balanced else None).fit(features, labels,
                                                                                        sample_weight=weights)


def fit(phrases: Sequence[Phrase], vectors: np.ndarray, choice: Choice = CHOSEN,
        encode: Callable[[list[str]], np.ndarray] | None = None) -> IntentModel:
    """Train on every phrase (and its misspelled copies, embedded by ``encode``, if the choice
    has them); choose the thresholds on out-of-fold readings of the same phrases, each fold's
    copies left out with it."""
    intents = sorted({phrase.intent for phrase in phrases})
    labels = np.array([intents.index(phrase.intent) for phrase in phrases])
    texts = [phrase.text for phrase in phrases]
    copies = Copies.of(texts, vectors, choice.typo_copies, encode) if choice.typo_copies else None
    min_confidence, min_similarity = 0.0, -1.0
    if choice.thresholds:
        probabilities, nearest = out_of_fold(texts, vectors, labels, len(intents), choice, copies=copies)
        min_confidence, min_similarity = thresholds(intents, labels, probabilities, nearest, choice.max_task_misread)
    if copies is not None:  # (the copies are examples of their intents too, for the distance to each)
        texts = texts + copies.texts
        vectors = np.vstack([vectors, copies.vectors])
        labels = np.concatenate([labels, labels[copies.origin]])
    features = WordFeatures.fit(texts, choice.ngram_scale)
    final = _classifier(features.of(texts, vectors), labels, choice, len(copies.texts) if copies is not None else 0)
    width = features.of(texts[:1], vectors[:1]).shape[1]
    weights = np.zeros((len(intents), width))
    bias = np.zeros(len(intents))
    if len(final.classes_) == 2:  # one row of coefficients, for the second class (softmax of [0, z] = sigmoid(z))
        weights[final.classes_[1]], bias[final.classes_[1]] = final.coef_[0], final.intercept_[0]
    else:
        weights[final.classes_] = final.coef_
        bias[final.classes_] = final.intercept_
    return IntentModel(intents, features, weights, bias, vectors, labels, min_confidence, min_similarity,
                       data_fingerprint(phrases, choice))


def folds(labels: np.ndarray, n: int = FOLDS, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (train, test) index splits: at most ``n``, and no more than the rarest intent has phrases."""
    from sklearn.model_selection import StratifiedKFold

    n = min(n, int(np.bincount(labels).min()))
    return list(StratifiedKFold(n, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))


def out_of_fold(texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, n_intents: int,
                choice: Choice = CHOSEN, splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
                copies: Copies | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each phrase's probabilities and nearest-example similarities from a model not trained on it
    nor on its misspelled copies (those of the other folds' phrases are trained on)."""
    probabilities = np.zeros((len(labels), n_intents))
    nearest = np.full((len(labels), n_intents), -1.0)
    for train, test in splits if splits is not None else folds(labels):
        train_texts, train_vectors, train_labels = [texts[i] for i in train], vectors[train], labels[train]
        if copies is not None:
            kept = copies.of_phrases(train)
            train_texts = train_texts + [copies.texts[i] for i in kept]
            train_vectors = np.vstack([train_vectors, copies.vectors[kept]])
            train_labels = np.concatenate([train_labels, labels[copies.origin[kept]]])
        features = WordFeatures.fit(train_texts, choice.ngram_scale)
        model = _classifier(features.of(train_texts, train_vectors), train_labels, choice, len(train_labels) - len(train))
        probabilities[np.ix_(test, model.classes_)] = model.predict_proba(
            features.of([texts[i] for i in test], vectors[test]))
        nearest[test] = _nearest_by_intent(vectors[test], train_vectors, train_labels, n_intents)
    return probabilities, nearest


def thresholds(intents: list[str], labels: np.ndarray, probabilities: np.ndarray,
                nearest: np.ndarray, max_task_misread: float) -> tuple[float, float]:
    """The lowest thresholds at which, out of fold, at most ``max_task_misread`` of the
    non-task phrases (out of scope, support, ...) are read as a task; the lower they are, the
    more task phrases keep their intent."""
    is_task = np.array([intent not in NOT_A_TASK for intent in intents])
    best = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    similarity = nearest[np.arange(len(best)), best]
    non_task = ~is_task[labels]
    chosen = (0.9, 0.9)
    best_kept = -1.0
    for min_confidence in np.arange(0.2, 0.91, 0.05):
        for min_similarity in np.arange(0.3, 0.91, 0.025):
            read_as_task = is_task[best] & (confidence >= min_confidence) & (similarity >= min_similarity)
            misread = (read_as_task & non_task).sum() / max(non_task.sum(), 1)
            kept = (read_as_task & (best == labels) & ~non_task).sum() / max((~non_task).sum(), 1)
            if misread <= max_task_misread and kept > best_kept:
                chosen, best_kept = (round(float(min_confidence), 3), round(float(min_similarity), 3)), kept
    return chosen

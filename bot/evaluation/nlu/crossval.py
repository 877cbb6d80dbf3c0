"""Cross-validation of the intent model on its training data alone: `bot nlu cv`.

The training phrases (``data/rasa/`` and ``data/intents/``, as `bot nlu train` reads them) are
split into folds; each fold is read by a classifier trained on the other folds, and its thresholds
are those :func:`bot.intent_model.fit` would choose from the other folds' out-of-fold readings (the
fold itself never takes part in choosing them; one classifier per fold rather than six keeps a row
to a few minutes). Each :class:`~bot.intent_model.Choice` (regularization, n-grams, thresholds) gets one
row: how many of the bot's own phrases keep their intent, how many off-topic phrases are read as a
task, how many support phrases are handed to a person or read as a task. This is the table of
data/intents/README.md; the held-out sets of ``tests/data/nlu`` are never read here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.encoder import Encoder
from bot.evaluation.nlu.intents import HANDOVER_INTENTS, TASK_INTENTS
from bot.intent_model import (
    CHOSEN,
    OUT_OF_SCOPE,
    SUPPORT,
    Choice,
    Copies,
    Phrase,
    decide,
    folds,
    out_of_fold,
    thresholds,
    training_phrases,
)
from bot.maintenance import INTENT_TRAINING_DATA

OUTER_FOLDS = 5
SEED = 1  # of the folds

# What `bot nlu cv` compares by default: the chosen model and its nearest alternatives.
CANDIDATES: tuple[Choice, ...] = (
    CHOSEN,
    Choice(),  # without misspelled copies (chosen until the sixth blind round)
    Choice(typo_copies=1),  # the copies weighing as much as their phrases
    Choice(regularization=16.0, ngram_scale=0.0),
    Choice(regularization=4.0, ngram_scale=0.5),
    Choice(regularization=32.0, ngram_scale=0.5),
    Choice(regularization=32.0, ngram_scale=1.0),
    Choice(regularization=16.0, ngram_scale=0.5, balanced=True),
)


@dataclass(frozen=True)
class CvRow:
    """One choice's out-of-fold readings, as shares of each kind of training phrase."""

    choice: Choice
    in_domain: float  # the bot's own phrases (every intent but out_of_scope and support) read right
    off_topic_as_task: float  # out_of_scope phrases read as a task intent
    support_handed_over: float  # support phrases read as support_request or request_human
    support_as_task: float  # support phrases read as a task intent
    counts: tuple[int, int, int]  # in-domain, off-topic and support phrases


def load_phrases(folders: Sequence[Path]) -> list[Phrase]:
    return training_phrases(path for folder in folders for path in folder.glob("*.yml"))


def out_of_fold_intents(phrases: Sequence[Phrase], vectors: np.ndarray, choice: Choice,
                        n_folds: int = OUTER_FOLDS, encode: Callable[[list[str]], np.ndarray] | None = None,
                        ) -> list[str]:
    """Each phrase's intent as read by a classifier trained without its fold (nor the misspelled
    copies of its phrases, if the choice has them), with the thresholds chosen (as
    :func:`~bot.intent_model.fit` chooses them) on the other folds' readings alone."""
    intents = sorted({phrase.intent for phrase in phrases})
    labels = np.array([intents.index(phrase.intent) for phrase in phrases])
    texts = [phrase.text for phrase in phrases]
    splits = folds(labels, n_folds, SEED)
    copies = Copies.of(texts, vectors, choice.typo_copies, encode) if choice.typo_copies else None
    probabilities, nearest = out_of_fold(texts, vectors, labels, len(intents), choice, splits, copies)
    read = [""] * len(phrases)
    for train, test in splits:
        min_confidence, min_similarity = 0.0, -1.0
        if choice.thresholds:
            min_confidence, min_similarity = thresholds(intents, labels[train], probabilities[train], nearest[train],
                                                        choice.max_task_misread)
        for i in test:
            best = int(probabilities[i].argmax())
            read[i] = decide(intents[best], float(probabilities[i, best]), float(nearest[i, best]),
                             min_confidence, min_similarity)
    return read


def score(phrases: Sequence[Phrase], read: Sequence[str], choice: Choice) -> CvRow:
    def share(kept: Callable[[Phrase, str], bool], which: Callable[[Phrase], bool]) -> float:
        pairs = [(p, r) for p, r in zip(phrases, read, strict=True) if which(p)]
        return sum(kept(p, r) for p, r in pairs) / max(len(pairs), 1)

    def in_domain(p: Phrase) -> bool:
        return p.intent not in (OUT_OF_SCOPE, SUPPORT)

    def off_topic(p: Phrase) -> bool:
        return p.intent == OUT_OF_SCOPE

    def support(p: Phrase) -> bool:
        return p.intent == SUPPORT

    return CvRow(
        choice,
        share(lambda p, r: r == p.intent, in_domain),
        share(lambda p, r: r in TASK_INTENTS, off_topic),
        share(lambda p, r: r in HANDOVER_INTENTS, support),
        share(lambda p, r: r in TASK_INTENTS, support),
        (sum(map(in_domain, phrases)), sum(map(off_topic, phrases)), sum(map(support, phrases))),
    )


def cross_validate(phrases: Sequence[Phrase], vectors: np.ndarray, choices: Sequence[Choice] = CANDIDATES,
                   n_folds: int = OUTER_FOLDS, say: Callable[[str], object] = print,
                   encode: Callable[[list[str]], np.ndarray] | None = None) -> list[CvRow]:
    rows = []
    for choice in dict.fromkeys(choices):  # each once
        say(f"cross-validating: {choice.describe()}")
        rows.append(score(phrases, out_of_fold_intents(phrases, vectors, choice, n_folds, encode), choice))
        say(table(rows[-1:]).splitlines()[2])
    return rows


def table(rows: Sequence[CvRow], n_folds: int = OUTER_FOLDS) -> str:
    """The Markdown table of data/intents/README.md."""
    lines = ["| model | bot's intents read right | off-topic read as a task | support handed over "
             "| support read as a task |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        mark = " (chosen)" if row.choice == CHOSEN else ""
        lines.append(f"| {row.choice.describe()}{mark} | {row.in_domain:.1%} | {row.off_topic_as_task:.1%} "
                     f"| {row.support_handed_over:.1%} | {row.support_as_task:.1%} |")
    if rows:
        n_in, n_off, n_support = rows[0].counts
        lines.append(f"\n{n_in} in-domain, {n_off} off-topic and {n_support} support phrases, "
                     f"{n_folds}-fold cross-validation, thresholds chosen without the fold read (`bot nlu cv`)")
    return "\n".join(lines)


def run(settings: Settings, choices: Sequence[Choice] = CANDIDATES, n_folds: int = OUTER_FOLDS,
        say: Callable[[str], object] = print, data: Sequence[Path] = INTENT_TRAINING_DATA) -> list[CvRow]:
    """Every choice cross-validated on the training data `bot nlu train` reads (embedded through
    the project's embedding cache)."""
    phrases = load_phrases(data)
    encoder = Encoder(settings.embedding_cache_path)
    vectors = encoder.encode([phrase.text for phrase in phrases])
    return cross_validate(phrases, vectors, choices, n_folds, say, encoder.encode)

"""What Rasa's parses say about the in-domain, off-topic and support sets: intent accuracy and
confusion, off-topic messages the bot would act on (false accepts), support messages handed to a
person or misread as a task. Measured on intents after the FallbackClassifier, because that is
what the bot's stories act on."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz

from bot.evaluation.nlu.rates import rate
from bot.evaluation.nlu.sets import Example

TASK_INTENTS = frozenset({
    "request_recommendations", "more_like_this", "like", "dislike", "not_interested", "change_preferences",
    "why_this", "show_profile", "give_consent", "withdraw_consent", "export_data", "erase_data", "skip", "inform",
    "link_account", "unlink_account",
})
HANDOVER_INTENTS = frozenset({"support_request", "request_human"})
FALLBACK_INTENT = "nlu_fallback"  # the pipeline's FallbackClassifier: below its confidence threshold
DECLINED_INTENTS = frozenset({"out_of_scope", FALLBACK_INTENT})  # what an off-topic message should get
ENTITY_MIN_SIMILARITY = 85.0  # an entity value "holds" a named title or category at this fuzzy ratio


def _intents(parses: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(parse.get("intent") or FALLBACK_INTENT) for parse in parses]


def _distribution(intents: Iterable[str]) -> dict[str, int]:
    return dict(Counter(intents).most_common())


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _entity_holds(named: str, values: Sequence[str]) -> bool:
    """Whether one of Rasa's entity values is the named title or category (loosely)."""
    named = _normal(named)
    return any(value and (value == named or fuzz.ratio(value, named) >= ENTITY_MIN_SIMILARITY)
               for value in map(_normal, values))


def in_domain_metrics(examples: Sequence[Example], parses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Intent accuracy, each intent's recall and precision, the confusion matrix (rows: expected,
    columns: predicted), and the named titles and categories found among Rasa's entities."""
    predicted = _intents(parses)
    confusion: dict[str, Counter] = defaultdict(Counter)
    for example, intent in zip(examples, predicted):
        confusion[example.label][intent] += 1
    labels = sorted(confusion, key=lambda label: (-sum(confusion[label].values()), label))
    extra = sorted({intent for intent in predicted} - set(labels), key=lambda i: (i == FALLBACK_INTENT, i))
    columns = labels + extra
    per_intent = {}
    for label in labels:
        said = sum(confusion[label].values())
        got = sum(row[label] for row in confusion.values())
        per_intent[label] = {"n": said, "correct": confusion[label][label],
                             "recall": round(confusion[label][label] / said, 4),
                             "precision": round(confusion[label][label] / got, 4) if got else None,
                             "confused_with": dict(Counter({k: v for k, v in confusion[label].items()
                                                            if k != label}).most_common(3))}
    correct = sum(example.label == intent for example, intent in zip(examples, predicted))
    entities = {}
    for kind, wanted in (("title", lambda e: e.titles), ("category", lambda e: e.categories)):
        named = found = 0
        for example, parse in zip(examples, parses):
            values = [str(e.get("value") or "") for e in parse.get("entities") or [] if e.get("entity") == kind]
            named += len(wanted(example))
            found += sum(_entity_holds(name, values) for name in wanted(example))
        entities[kind] = rate(found, named)
    return {
        "n": len(examples), "accuracy": rate(correct, len(examples)),
        "fallback": rate(predicted.count(FALLBACK_INTENT), len(examples)),
        "per_intent": per_intent,
        "confusion": {"rows": labels, "columns": columns,
                      "counts": [[confusion[label][column] for column in columns] for label in labels]},
        "entities": entities,
        "errors": [{"text": e.text, "expected": e.label, "predicted": i, "confidence": p.get("confidence")}
                   for e, i, p in zip(examples, predicted, parses) if e.label != i],
    }


def _grouped(examples: Sequence[Example], predicted: Sequence[str],
             measures: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    """For all examples, per label and for the tricky ones: the rate of each measure's intents."""
    def measured(pairs: list[tuple[Example, str]]) -> dict[str, Any]:
        return {"n": len(pairs)} | {name: rate(sum(intent in intents for _, intent in pairs), len(pairs))
                                    for name, intents in measures.items()}

    pairs = list(zip(examples, predicted))
    labels = sorted({example.label for example in examples})
    return {
        "all": measured(pairs),
        "per_label": {label: measured([p for p in pairs if p[0].label == label]) for label in labels},
        "tricky": measured([p for p in pairs if p[0].tricky]),
        "not_tricky": measured([p for p in pairs if not p[0].tricky]),
        "predicted": _distribution(predicted),
    }


def off_topic_metrics(examples: Sequence[Example], parses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """False accepts (a task intent), and declines (out_of_scope or nlu_fallback), per domain."""
    predicted = _intents(parses)
    grouped = _grouped(examples, predicted, {"false_accept": TASK_INTENTS, "declined": DECLINED_INTENTS})
    grouped["accepted"] = [{"text": e.text, "domain": e.label, "intent": i, "confidence": p.get("confidence")}
                           for e, i, p in zip(examples, predicted, parses) if i in TASK_INTENTS]
    return grouped


def support_metrics(examples: Sequence[Example], parses: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Handed over (support_request or request_human) and misread as a task, per topic."""
    predicted = _intents(parses)
    grouped = _grouped(examples, predicted, {"handed_over": HANDOVER_INTENTS, "misread": TASK_INTENTS})
    grouped["misreads"] = [{"text": e.text, "topic": e.label, "intent": i, "confidence": p.get("confidence")}
                           for e, i, p in zip(examples, predicted, parses) if i in TASK_INTENTS]
    return grouped

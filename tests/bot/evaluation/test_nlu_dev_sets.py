"""The intent model's development sets of data/nlu-dev (the fifth to eighth, blind rounds): they are read as
`bot nlu-eval` reads a set, name only intents users say, and none of their messages is training
data (data/rasa, data/intents), which would make them no measure of how the model generalizes."""

from __future__ import annotations

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation.nlu.sets import load_examples
from bot.intent_model import SYSTEM_INTENTS, training_phrases
from bot.maintenance import INTENT_TRAINING_DATA

DEV = PROJECT_ROOT / "data/nlu-dev"
BLIND5 = {"in_domain_blind5.yml": ("intent", 250), "off_topic_blind5.yml": ("domain", 80),
          "support_blind5.yml": ("topic", 50)}
BLIND6 = {"in_domain_blind6.yml": ("intent", 250), "off_topic_blind6.yml": ("domain", 80),
          "support_blind6.yml": ("topic", 40)}
BLIND7 = {"in_domain_blind7.yml": ("intent", 200), "off_topic_blind7.yml": ("domain", 80),
          "support_blind7.yml": ("topic", 40)}
BLIND8 = {"in_domain_blind8.yml": ("intent", 150), "off_topic_blind8.yml": ("domain", 80),
          "support_blind8.yml": ("topic", 45)}
BLIND = BLIND5 | BLIND6 | BLIND7 | BLIND8


def _training_texts() -> set[str]:
    paths = [path for folder in INTENT_TRAINING_DATA for path in folder.glob("*.yml")]
    return {phrase.text.lower() for phrase in training_phrases(paths)}


@pytest.mark.parametrize(("name", "label", "least"), [(name, *spec) for name, spec in BLIND.items()])
def test_a_blind_set_is_read_as_nlu_eval_reads_it_and_holds_as_many_messages_as_written(name, label, least):
    examples = load_examples(DEV / name, label)
    assert len(examples) >= least
    assert len({example.text.lower() for example in examples}) == len(examples)  # no message twice


@pytest.mark.parametrize("name", ["in_domain_blind5.yml", "in_domain_blind6.yml", "in_domain_blind7.yml",
                                  "in_domain_blind8.yml"])
def test_the_blind_in_domain_sets_name_only_intents_users_say(name):
    intents = set(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    said = {example.label for example in load_examples(DEV / name, "intent")}
    assert said <= intents - SYSTEM_INTENTS - {"out_of_scope", "support_request"}
    assert {"request_recommendations", "inform", "like", "dislike", "more_like_this", "not_interested"} <= said


def test_no_message_of_the_blind_sets_is_training_data():
    training = _training_texts()
    for name, (label, _) in BLIND.items():
        trained_on = [example.text for example in load_examples(DEV / name, label) if example.text.lower() in training]
        assert trained_on == [], f"{name}: {trained_on}"

"""``POST /intent`` (actions/intents.py): the engine's reading of a message's intent, asked by
Rasa's pipeline; a clear 400 for a bad body, 503 without a trained intent model."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from actions.intents import MAX_TEXT, read_intent
from bot.intent_model import Phrase, fit

PHRASES = [Phrase(text, "request_recommendations") for text in (
    "recommend me something", "any suggestions?", "what should i watch tonight", "give me some picks",
    "find me something good", "show me a few titles", "got any recs", "suggest something please")] + [
    Phrase(text, "out_of_scope") for text in (
        "how do i boil an egg", "what's the weather like", "book me a flight", "is the bank open",
        "fix my bike", "what is 2 plus 2", "translate hello to french", "who won the match")]


def ask(body: object, content_type: str = "application/json") -> tuple[int, dict]:
    request = SimpleNamespace(json=body, content_type=content_type)
    response = asyncio.run(read_intent(request))
    return response.status, json.loads(response.body)


@pytest.fixture
def with_intents(engine_with, encoder):
    return engine_with(intents=fit(PHRASES, encoder.encode([p.text for p in PHRASES])))


def test_a_message_gets_the_engines_reading_in_rasas_shape(with_intents):
    status, body = ask({"text": "recommend me something please"})
    assert status == 200
    assert body["intent"]["name"] == "request_recommendations"
    assert body["intent_ranking"][0] == body["intent"]


@pytest.mark.parametrize("body", [None, {}, {"text": ""}, {"text": "   "}, {"text": 42}, ["hi"],
                                  {"text": "a" * (MAX_TEXT + 1)}])
def test_a_bad_body_is_a_clear_400(with_intents, body):
    status, answer = ask(body)
    assert status == 400 and "text" in answer["error"]


def test_a_body_that_is_not_json_is_a_400(with_intents):
    assert ask({"text": "hi"}, content_type="text/plain")[0] == 400


def test_without_an_intent_model_rasas_reading_stands(action_engine):
    status, body = ask({"text": "recommend me something"})
    assert status == 503 and "make train" in body["error"]

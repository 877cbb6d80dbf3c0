"""The action server's answers checked on a validator built once (rasa_plugins/fast_actions.py),
run in the Rasa environment by tests/rasa_plugins/test_fast_actions.py: ``.venv-rasa/bin/python
tests/rasa_plugins/fast_actions_check.py``. Prints ``ok <check>`` for each check that passed; fails on
the first that does not.

Rasa's own method is kept before ``rasa_plugins`` is imported (which replaces it), so every
answer below goes through both and their outcomes are compared.
"""

from __future__ import annotations

import asyncio
import copy
import logging

import rasa
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

RASA_VALIDATE = RemoteAction._validate_action_result  # before rasa_plugins replaces it

from named_checks import check  # noqa: E402  (this script's directory)
from rasa.core.channels.channel import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from rasa_plugins import fast_actions  # noqa: E402

DOMAIN = Domain.load("domain.yml")


def card(item_id: str) -> dict:
    """A pick as action_recommend sends it (rasa_sdk's dispatcher fills every key)."""
    return {"text": f"**{item_id}** · Sci-Fi\nA film.\nWhy: matches your interest in Sci-Fi",
            "buttons": [{"title": "👍 Like", "payload": f'/like{{"item_id": "{item_id}"}}'},
                        {"title": "🔁 More like this", "payload": f'/more_like_this{{"item_id": "{item_id}"}}'}],
            "elements": [], "custom": {}, "template": None, "response": None, "image": None, "attachment": None}


VALID = {
    "recommendations": {
        "events": [{"event": "slot", "timestamp": None, "name": "last_recommendations", "value": ["a", "b"]}],
        "responses": [{**card("a"), "text": "Here are some picks for you:", "buttons": []}, card("a"), card("b")],
    },
    "a domain response by name": {"events": [], "responses": [{"response": "utter_help"}]},
    "session start": {"events": [
        {"event": "session_started"}, {"event": "slot", "name": "catalog_items", "value": "movies"},
        {"event": "pause"}, {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
    ]},
    "a form's events": {"events": [
        {"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None},
        {"event": "followup", "name": "action_listen"}, {"event": "reset_slots"},
    ], "responses": []},
    "a user message and a bot message": {"events": [
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                                                       "entities": [{"entity": "title", "value": "Up"}]}},
        {"event": "bot", "text": "hello", "data": {}, "metadata": {}},
    ]},
    "nothing": {},
}

MALFORMED = {
    "no JSON object": None,
    "a list": [],
    "events not a list": {"events": "slot"},
    "a slot without a name": {"events": [{"event": "slot", "value": ["x"]}], "responses": [{"text": "no"}]},
    "an unknown event": {"events": [{"event": "no_such_event"}]},
    "an event without its type": {"events": [{"name": "action_listen"}]},
    "a wrong type deep inside": {"events": [{"event": "user", "parse_data": {"intent": {"name": 5}}}]},
    "a confidence that is text": {"events": [{"event": "action", "name": "x", "confidence": "high"}]},
    "a response that is text": {"responses": ["hello"]},
}


def validate(method, answer):
    """What the check does with an answer: True, or the ValidationError's details."""
    try:
        return method(RemoteAction("action_x", None), copy.deepcopy(answer))
    except ValidationError as error:
        return (str(error), error.message, list(error.path), list(error.schema_path), error.validator,
                error.instance)


def events_from(method, answer) -> list[dict]:
    """The events RemoteAction.run returns for an answer from the action server (no timestamps:
    they are the time of the run)."""

    async def answer_with(**_):
        return copy.deepcopy(answer)

    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
    endpoint.request = answer_with
    RemoteAction._validate_action_result = method
    try:
        tracker = DialogueStateTracker("check", DOMAIN.slots)
        nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
        events = asyncio.run(RemoteAction("action_x", endpoint).run(CollectingOutputChannel(), nlg, tracker, DOMAIN))
    finally:
        RemoteAction._validate_action_result = fast_actions.validate_action_result
    return [{k: v for k, v in event.as_dict().items() if k != "timestamp"} for event in events]


@check("importing rasa_plugins (as Rasa does for endpoints.yml) puts in the replacement")
def _():
    assert RASA_VALIDATE is not fast_actions.validate_action_result
    assert RemoteAction._validate_action_result is fast_actions.validate_action_result


@check("valid answers: accepted, and the same events as with Rasa's own check")
def _():
    for name, answer in VALID.items():
        assert validate(fast_actions.validate_action_result, answer) is True, name
        assert validate(RASA_VALIDATE, answer) is True, name
        events = events_from(fast_actions.validate_action_result, answer)
        assert events == events_from(RASA_VALIDATE, answer), name
        assert bool(events) == bool(answer), name
    bot_messages = [e for e in events_from(fast_actions.validate_action_result, VALID["recommendations"])
                    if e["event"] == "bot"]
    assert [e["data"]["buttons"][0]["payload"] for e in bot_messages[1:]] == ['/like{"item_id": "a"}',
                                                                             '/like{"item_id": "b"}']


@check("malformed answers: rejected with the same ValidationError and Rasa's message")
def _():
    for name, answer in MALFORMED.items():
        ours, rasas = validate(fast_actions.validate_action_result, answer), validate(RASA_VALIDATE, answer)
        assert ours is not True, name
        assert ours == rasas, (name, ours[1], rasas[1])
        assert "Failed to validate Action server response from API" in ours[1], ours
        for method in (fast_actions.validate_action_result, RASA_VALIDATE):
            try:
                events_from(method, answer)
            except ValidationError as error:
                assert str(error) == ours[0], name
            else:
                raise AssertionError(f"{name}: RemoteAction.run accepted it")


@check("the guard: another Rasa release, or a method that is not Rasa's, stays as it is, with a warning")
def _():
    warnings = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    fast_actions.logger.addHandler(handler)

    RemoteAction._validate_action_result = RASA_VALIDATE
    version, rasa.__version__ = rasa.__version__, "3.7.0"
    try:
        assert fast_actions.install() is False
    finally:
        rasa.__version__ = version
    assert RemoteAction._validate_action_result is RASA_VALIDATE
    assert len(warnings) == 1 and "rasa 3.7.0 is not 3.6.21" in warnings[0], warnings

    def changed_signature(self, result, schema=None):
        return RASA_VALIDATE(self, result)

    def someone_elses(self, result):
        return RASA_VALIDATE(self, result)

    for method in (changed_signature, someone_elses):
        RemoteAction._validate_action_result = method
        assert fast_actions.install() is False, method.__name__
        assert RemoteAction._validate_action_result is method
    assert len(warnings) == 3 and all("not the method fast_actions replaces" in w for w in warnings[1:]), warnings

    RemoteAction._validate_action_result = RASA_VALIDATE
    assert fast_actions.install() is True
    assert fast_actions.install() is True  # a second install changes nothing
    assert RemoteAction._validate_action_result is fast_actions.validate_action_result
    assert len(warnings) == 3

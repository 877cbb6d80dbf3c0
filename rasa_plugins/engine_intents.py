"""Rasa NLU component: the intent is read by the engine's model of meanings, not by DIET alone.

DIET, trained on word and character counts, accepts questions about boiling eggs as requests
for recommendations and reads "delete my account" with a shop as a data erasure. The engine
reads a message's intent with MiniLM (bot/intent_model.py), which lives in the action server's
environment only (Python 3.11); this component, last in the pipeline, asks the action server
(``POST /intent``, beside the ``/webhook`` of ``ACTION_ENDPOINT_URL``) and takes its intent and
ranking. Should that fail (the action server restarting, no intent model trained), DIET's and
the FallbackClassifier's reading stands and the failure is logged once a minute. Button
payloads (``/intent{...}``) are Rasa's own and are not sent.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import requests
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://127.0.0.1:5055/webhook"
TIMEOUT_S = (0.5, 3.0)  # connect, read: a turn never waits long for a second opinion
WARN_EVERY_S = 60


def intent_url(env: dict[str, str] | os._Environ[str]) -> str:
    """The action server's intent endpoint, beside its webhook."""
    webhook = env.get("ACTION_ENDPOINT_URL") or DEFAULT_ENDPOINT
    return webhook.rstrip("/").removesuffix("/webhook") + "/intent"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EngineIntentClassifier(GraphComponent, IntentClassifier):
    """Replaces the message's intent and ranking with the engine's reading when it answers."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, url: str) -> None:
        self.url = url
        self._session = requests.Session()
        self._last_warning = 0.0

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> EngineIntentClassifier:
        return cls(intent_url(os.environ))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            reading = self._read(text)
            if reading is not None:
                message.set(INTENT, reading["intent"], add_to_output=True)
                message.set(INTENT_RANKING_KEY, reading["intent_ranking"], add_to_output=True)
        return messages

    def _read(self, text: str) -> dict[str, Any] | None:
        try:
            response = self._session.post(self.url, json={"text": text}, timeout=TIMEOUT_S)
            response.raise_for_status()
            reading = response.json()
            if isinstance(reading.get("intent"), dict) and isinstance(reading.get("intent_ranking"), list):
                return reading
            raise ValueError(f"unexpected answer {str(reading)[:200]}")
        except (requests.RequestException, ValueError) as error:
            if time.monotonic() - self._last_warning > WARN_EVERY_S:
                self._last_warning = time.monotonic()
                logger.warning("the engine's intent reading failed (%s); DIET's reading stands", error)
            return None

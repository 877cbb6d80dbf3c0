"""Rasa takes a typed message's intent from the engine, and runs its own NLU only when that fails.

DIET, trained on word and character counts, accepts questions about boiling eggs as requests
for recommendations and reads "delete my account" with a shop as a data erasure. The engine
reads a message's intent with MiniLM (bot/intent_model.py), which lives in the action server's
environment only (Python 3.11), so Rasa asks the action server: ``POST /intent``, beside the
``/webhook`` of ``ACTION_ENDPOINT_URL``.

Rasa 3.6 runs its NLU pipeline synchronously on the server's event loop: asked from a pipeline
component, the action server's answer would hold every conversation of the process while it
is awaited, and DIET would still run for nothing. Installed from this package's ``__init__``,
this wraps ``MessageProcessor.parse_message`` instead: a typed message is first read by the
engine (awaited with aiohttp, so other conversations go on meanwhile), and that reading (intent
and ranking) is the parse. Rasa's own pipeline (DIET, the FallbackClassifier) runs only when the
engine does not answer (the action server restarting, no intent model trained); the failure is
logged once a minute. Button payloads (``/intent{...}``) are Rasa's own and are not sent. The
engine names no entities: the actions read titles and categories from the text through the
engine, and a button's entities come from its payload. Whatever read it, a message in a
conversation claims its intent only as rasa_plugins/payloads.py allows (offered buttons, never
a system intent). The action server answers only with the shared secret ``BOT_ACTION_TOKEN``
(actions/guard.py), sent as with the actions (endpoints.yml).

The wrapper is installed only on the Rasa release it was written for; on another, a warning says
so and every message goes through Rasa's pipeline alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import rasa
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT

from rasa_plugins import payloads

logger = logging.getLogger(__name__)

WRAPPED_VERSION = "3.6.21"  # the wrapped method's signature and duties are those of this release
DEFAULT_ENDPOINT = "http://127.0.0.1:5055/webhook"
TIMEOUT = aiohttp.ClientTimeout(total=3.0, sock_connect=0.5)  # a turn never waits long for it
WARN_EVERY_S = 60


def intent_url(env: Mapping[str, str]) -> str:
    """The action server's intent endpoint, beside its webhook."""
    webhook = env.get("ACTION_ENDPOINT_URL") or DEFAULT_ENDPOINT
    return webhook.rstrip("/").removesuffix("/webhook") + "/intent"


class EngineReader:
    """Asks the action server for the engine's reading of a text; None when it gives none."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._last_warning = 0.0

    async def read(self, text: str) -> dict[str, Any] | None:
        # A session per reading, closed when it is done, as Rasa calls the action server for an
        # action (rasa.utils.endpoints): a plugin gets no hook at the server's shutdown to close a
        # kept one, and a session kept per event loop outlived its loop (a new one per
        # asyncio.run). A connection to the action server on the same network costs far less than
        # the reading itself.
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT, headers=self.headers) as session, \
                    session.post(self.url, json={"text": text}) as response:
                response.raise_for_status()
                reading = await response.json()
            if isinstance(reading, dict) and isinstance(reading.get("intent"), dict) \
                    and isinstance(reading.get("intent_ranking"), list):
                return reading
            raise ValueError(f"unexpected answer {str(reading)[:200]}")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            if time.monotonic() - self._last_warning > WARN_EVERY_S:
                self._last_warning = time.monotonic()
                logger.warning("the engine's intent reading failed (%s); Rasa's own NLU reads the message",
                               error or type(error).__name__)
            return None


_reader: EngineReader | None = None
_rasa_parse_message = MessageProcessor.parse_message


async def parse_message(self: MessageProcessor, message: UserMessage, tracker: Any = None,
                        only_output_properties: bool = True) -> dict[str, Any]:
    """Rasa's ``parse_message``, with the engine's reading of a typed message when it answers,
    and only the intents the message may claim in its conversation."""
    text = message.text
    if _reader is not None and self.http_interpreter is None and text and not payloads.is_payload(text):
        reading = await _reader.read(text)
        if reading is not None:
            parse_data = {TEXT: text, INTENT: reading["intent"], INTENT_RANKING_KEY: reading["intent_ranking"],
                          ENTITIES: []}
            self._check_for_unseen_features(parse_data)
            return payloads.checked(parse_data, tracker)
    return payloads.checked(await _rasa_parse_message(self, message, tracker, only_output_properties), tracker)


def install(env: Mapping[str, str] | None = None) -> bool:
    """Wrap ``parse_message`` once (True), on the Rasa release it was written for."""
    global _reader
    env = os.environ if env is None else env
    _reader = EngineReader(intent_url(env), env.get("BOT_ACTION_TOKEN") or None)
    if MessageProcessor.parse_message is parse_message:
        return True
    if rasa.__version__ != WRAPPED_VERSION:
        logger.warning("rasa %s is not %s: DIET alone reads messages", rasa.__version__, WRAPPED_VERSION)
        return False
    MessageProcessor.parse_message = parse_message
    return True

"""Which intents a message may claim: typed ``/intent{...}`` payloads only for offered buttons.

Rasa takes a message that starts with ``/`` as an intent with entities, from anyone: a user
could type ``/give_consent{"consent": true}``, ``/like{"item_id": ...}`` for an item never shown,
or ``/handed_back``, which only the agent console may trigger (Rasa's ``trigger_intent``, which
does not pass through here). In a conversation, a payload is taken only when it is one the bot
offered as a button in it (the bot's own buttons, on every channel, send exactly that text) or
one a client may send unasked (the chat page opens with ``/greet``). Intents that only the
system triggers are never taken from a message, whatever read it. A refused message is read as
out of scope: an honest "I can't help with that", no state changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from rasa.shared.core.events import BotUttered, Event
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY

logger = logging.getLogger(__name__)

# Triggered by the agent console and the web app through Rasa's API (bot/web/rasa_api.py);
# bot/intent_model.py never predicts them (tests/architecture checks both lists agree).
SYSTEM_INTENTS = frozenset({"handed_back", "handoff_timed_out"})
OPEN_PAYLOADS = frozenset({"/greet"})  # what a client may send before the bot offered anything
REFUSED_INTENT = "out_of_scope"


def is_payload(text: str | None) -> bool:
    return bool(text) and text.startswith("/")


def offered_payloads(events: Iterable[Event]) -> set[str]:
    """The payloads of every button the bot showed in these events."""
    offered: set[str] = set()
    for event in events:
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or ():
                if isinstance(button, Mapping) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
    return offered


def refusal(parse_data: Mapping[str, Any]) -> dict[str, Any]:
    """The parse of a message whose claimed intent is refused: out of scope, no entities."""
    intent = {INTENT_NAME_KEY: REFUSED_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
    return {**parse_data, INTENT: intent, INTENT_RANKING_KEY: [intent], "entities": []}


def checked(parse_data: dict[str, Any], tracker: Any) -> dict[str, Any]:
    """``parse_data`` if its message may claim its intent in this conversation, else a refusal.

    Without a conversation (``rasa test``, Rasa's ``/model/parse``) payloads are taken as they are.
    """
    if tracker is None:
        return parse_data
    text = (parse_data.get("text") or "").strip()
    intent = (parse_data.get(INTENT) or {}).get(INTENT_NAME_KEY)
    if intent in SYSTEM_INTENTS:
        logger.warning("refused a message read as the system intent %s", intent)
        return refusal(parse_data)
    if not is_payload(text) or text in OPEN_PAYLOADS:
        return parse_data
    if text not in offered_payloads(tracker.events):
        logger.warning("refused a typed payload for the intent %s: no such button was offered", intent)
        return refusal(parse_data)
    return parse_data

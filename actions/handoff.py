"""Handing a conversation to a human agent, and the fallback that does so when the bot
keeps failing to understand.

The action queues the conversation in the engine (the agents' console reads the queue)
and pauses the bot with ``ConversationPaused``: Rasa then keeps logging what the user
says but predicts nothing until an agent hands the conversation back (bot/web/agents.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import EngineAction, channel, engine
from bot.vocabulary import PUSH_CHANNELS, HandoffReason

FALLBACK_INTENT = "nlu_fallback"
REASONS = {"request_human": HandoffReason.ASKED, "support_request": HandoffReason.SUPPORT_REQUEST,
           FALLBACK_INTENT: HandoffReason.NOT_UNDERSTOOD}
ALREADY_QUEUED = "You're already in line for a person from our team; they'll answer right here."


def misunderstood_twice(tracker: Tracker) -> bool:
    """The user's last two messages were both beyond the NLU's confidence."""
    intents = [e.get("parse_data", {}).get("intent", {}).get("name")
               for e in tracker.events if e.get("event") == "user"][-2:]
    return intents == [FALLBACK_INTENT, FALLBACK_INTENT]


def why_no_person(tracker: Tracker) -> str | None:
    """The response that explains why no agent can take this conversation; None if one can."""
    if not engine().handoff_available:
        return "utter_handoff_unavailable"
    if channel(tracker) not in PUSH_CHANNELS:
        return "utter_handoff_unreachable"  # e.g. the REST channel: an agent's reply could not arrive
    return None


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: HandoffReason) -> list[dict[str, Any]]:
    """Queue the conversation and pause the bot, or say why no person can take it here."""
    refusal = why_no_person(tracker)
    if refusal:
        dispatcher.utter_message(response=refusal)
        if contact := engine().support_contact:
            dispatcher.utter_message(text=f"You can reach our team at {contact}.")
        return []
    _, queued = engine().request_handoff(tracker.sender_id, channel(tracker), reason)
    if queued:
        dispatcher.utter_message(response="utter_handoff")
    else:
        dispatcher.utter_message(text=ALREADY_QUEUED)
    events = [ConversationPaused()]
    if tracker.active_loop.get("name"):  # asked mid-questionnaire: the person takes over from here
        events = [ActiveLoop(None), SlotSet("requested_slot", None), *events]
    return events


class ActionHandoff(EngineAction):
    """"Talk to a human", or a request only a person can handle (an order, a refund)."""

    def name(self) -> str:
        return "action_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        return hand_over(dispatcher, tracker, REASONS.get(intent, HandoffReason.ASKED))


class ActionFallback(EngineAction):
    """Not understood: say so and show what works; the second time in a row, find a person."""

    def name(self) -> str:
        return "action_fallback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if misunderstood_twice(tracker) and why_no_person(tracker) is None:
            dispatcher.utter_message(text="Sorry, I still don't understand. Let me find a person to help you.")
            return hand_over(dispatcher, tracker, HandoffReason.NOT_UNDERSTOOD)
        dispatcher.utter_message(response="utter_default")
        return []

"""Session start: Rasa's default behaviour plus the catalog's words for fixed replies."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import engine

log = logging.getLogger(__name__)

# Used only if the engine cannot load; the next session tries again.
FALLBACK_WORDS = {"catalog_items": "items", "example_category": "something", "example_title": "a title"}


class ActionSessionStart(Action):
    """Start a session as Rasa does (carrying slots over if the domain says so), then set
    the slots that ``utter_help`` and friends interpolate, so they speak of this catalog."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            events += [
                SlotSet(name, value)
                for name, value in tracker.current_slot_values().items()
                if value is not None and name != "session_started_metadata"
            ]
        try:
            eng = engine()
            words = eng.questionnaire.words(eng.catalog)
        except Exception:
            log.exception("could not load the engine at session start; generic wording used")
            words = FALLBACK_WORDS
        events += [SlotSet(name, value) for name, value in words.items()]
        if _with_an_agent(tracker.sender_id):
            events.append(ConversationPaused())  # a new session must not end a handoff
        events.append(ActionExecuted("action_listen"))
        return events


def _with_an_agent(sender_id: str) -> bool:
    try:
        return engine().open_handoff_of(sender_id) is not None
    except Exception:
        log.exception("could not read the handoff queue at session start")
        return False

"""The onboarding questionnaire: favourite categories, loved titles, what to avoid.

Answers arrive as raw text (``from_text`` slot mappings) and are interpreted
here against the catalog, so any wording, typo or button press works, and a bad
answer gets a helpful re-ask instead of a dead end.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import EngineAction, channel, engine, entity_values, join, profile_id, remembered
from bot.results import Wish

FORM_SLOTS = ("consent", "fav_categories", "fav_titles", "title_confirmation", "avoid_categories", "pending_title")
SKIP_INTENTS = {"skip", "deny"}
YES_INTENTS = {"affirm", "give_consent"}
NO_INTENTS = {"deny", "withdraw_consent", "skip"}
MAX_TITLES = 5  # loved titles taken from one answer
SKIP_WORDS = {"skip", "none", "nothing", "no", "nope", "pass", "n/a", "nothing really", "no idea", "not sure",
              "dunno", "idk", "i don't know", "i dont know", "no preference", "whatever"}
QUESTIONS = ("fav_categories", "fav_titles", "avoid_categories")  # what the questionnaire asks after consent
SKIPPED_TO_PICKS = "Sure, no more questions: here are some picks. Tell me what you like any time."


def is_skip(tracker: Tracker) -> bool:
    message = tracker.latest_message
    text = (message.get("text") or "").strip().lower().rstrip(".!")
    return message.get("intent", {}).get("name") in SKIP_INTENTS or text in SKIP_WORDS


def picks_now(tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any] | None:
    """"Just recommend me something" instead of an answer: the user wants picks, not more
    questions. Every question not yet answered is skipped, so the form ends and the picks come;
    None for any other message (the caller checked it names nothing to answer with)."""
    if tracker.latest_message.get("intent", {}).get("name") != "request_recommendations":
        return None
    dispatcher.utter_message(text=SKIPPED_TO_PICKS)
    unanswered = [name for name in QUESTIONS if tracker.get_slot(name) is None]
    return {**{name: [] for name in unanswered}, "pending_title": None}


def answer_wish(tracker: Tracker) -> Wish:
    """An answer read as any request is (titles, categories, topic, what not to suggest), with
    the categories of a button's payload."""
    eng = engine()
    text = tracker.latest_message.get("text") or ""
    wish = Wish() if text.startswith("/") else eng.read_wish(text)
    from_entities = eng.match_categories(" ; ".join(entity_values(tracker, "category")))
    return replace(wish, categories=tuple(dict.fromkeys([*from_entities, *wish.categories])))


def avoided(wish: Wish) -> list[str]:
    return [*wish.avoid_categories, *wish.avoid_topics]


class ActionAskConsent(EngineAction):
    """The questionnaire's first question: may the bot remember this user at all?"""

    def name(self) -> str:
        return "action_ask_consent"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="May I remember your tastes and feedback to personalize my picks? "
            "You can change your mind, see what I know, or delete it any time.",
            buttons=[{"title": "Yes, remember me", "payload": "/affirm"},
                     {"title": "No, thanks", "payload": "/deny"}],
        )
        return []


class ActionAskFavCategories(EngineAction):
    """Ask for favourite categories, offering the catalog's biggest ones as buttons."""

    def name(self) -> str:
        return "action_ask_fav_categories"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        eng = engine()
        questionnaire = eng.questionnaire
        buttons = [
            {"title": c, "payload": f"/inform{json.dumps({'category': c})}"}
            for c in questionnaire.category_buttons(eng.catalog)
        ]
        dispatcher.utter_message(
            text=questionnaire.text(questionnaire.ask_categories),
            buttons=buttons + [{"title": "Skip", "payload": "/skip"}],
        )
        return []


class ActionAskFavTitles(EngineAction):
    def name(self) -> str:
        return "action_ask_fav_titles"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        questionnaire = engine().questionnaire
        dispatcher.utter_message(text=questionnaire.text(questionnaire.ask_titles))
        return []


class ActionAskAvoidCategories(EngineAction):
    def name(self) -> str:
        return "action_ask_avoid_categories"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        questionnaire = engine().questionnaire
        dispatcher.utter_message(
            text=questionnaire.text(questionnaire.ask_avoid),
            buttons=[{"title": "Nothing to avoid", "payload": "/skip"}],
        )
        return []


class ActionAskTitleConfirmation(EngineAction):
    def name(self) -> str:
        return "action_ask_title_confirmation"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        item = engine().catalog.by_id.get(tracker.get_slot("pending_title") or "")
        label = item.label if item else "that title"
        dispatcher.utter_message(
            text=f"Did you mean {label}?",
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


class ValidateOnboardingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_onboarding_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """A "hi" mid-questionnaire (say, after a page reload) is no answer: ask again, kindly."""
        requested = tracker.get_slot("requested_slot")
        if requested and tracker.latest_message.get("intent", {}).get("name") == "greet":
            dispatcher.utter_message(text="Welcome back! Let's pick up where we left off.")
            return [SlotSet(requested, None)]
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        """Consent first, and nothing more without it; "did you mean ...?" only when a title
        match was unsure."""
        if tracker.get_slot("consent") is False:
            return ["consent"]
        slots = list(domain_slots)
        if tracker.get_slot("consent") is None and engine().personalizes(profile_id(tracker)):
            slots.remove("consent")  # said yes before (e.g. "change my preferences")
        if not tracker.get_slot("pending_title"):
            slots.remove("title_confirmation")
        return slots

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        if intent not in YES_INTENTS | NO_INTENTS:
            dispatcher.utter_message(text="Please answer yes or no: may I remember your tastes?")
            return {"consent": None}
        granted = intent in YES_INTENTS
        engine().set_consent(profile_id(tracker), granted, channel=channel(tracker))
        return {"consent": granted}

    def validate_fav_categories(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):  # filled from an opening request (actions.onboarding_after)
            return {"fav_categories": value}
        if is_skip(tracker):
            return {"fav_categories": []}
        wish = answer_wish(tracker)
        categories = list(wish.categories)
        interest = engine().match_interest(wish.topic) if wish.topic else None
        if interest:  # no category of this catalog, but items match it ("space operas", "murder")
            categories.append(interest)
        if not categories and (skipped := picks_now(tracker, dispatcher)) is not None:
            return skipped
        if not categories:
            known = join(engine().catalog.categories[:12])
            dispatcher.utter_message(
                text=f"Sorry, I don't know that kind of {engine().questionnaire.item}. "
                f"I know {known}, and a few more. Name one or two, or say \"skip\"."
            )
            return {"fav_categories": None}
        dispatcher.utter_message(text=f"Noted: {join(categories)}.")
        if not avoided(wish):
            return {"fav_categories": categories}
        return {"fav_categories": categories, "avoid_categories": avoided(wish)}  # "comedy but no horror"

    def validate_fav_titles(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):  # filled from an opening request (actions.onboarding_after)
            return {"fav_titles": value}
        if is_skip(tracker):
            return {"fav_titles": [], "pending_title": None}
        matches, _ = engine().match_titles(tracker.latest_message.get("text") or "", limit=MAX_TITLES)
        if not matches and (skipped := picks_now(tracker, dispatcher)) is not None:
            return skipped
        if not matches:
            dispatcher.utter_message(
                text="I couldn't find that in my catalog. Try another title, or say \"skip\"."
            )
            return {"fav_titles": None}
        sure = [m.item for m in matches if m.sure]
        unsure = next((m.item for m in matches if not m.sure), None)
        if sure:
            dispatcher.utter_message(text=f"Got it: {join([i.label for i in sure])}.")
        return {"fav_titles": [i.id for i in sure], "pending_title": unsure.id if unsure else None}

    def validate_title_confirmation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        pending = tracker.get_slot("pending_title")
        intent = tracker.latest_message.get("intent", {}).get("name")
        if intent == "affirm":
            titles = list(tracker.get_slot("fav_titles") or []) + [pending]
            return {"title_confirmation": True, "pending_title": None, "fav_titles": titles}
        if intent == "deny" or is_skip(tracker):
            dispatcher.utter_message(text="OK, I'll leave that one out.")
            return {"title_confirmation": False, "pending_title": None}
        dispatcher.utter_message(text="Please answer yes or no.")
        return {"title_confirmation": None}

    def validate_avoid_categories(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):  # filled from an opening request (actions.onboarding_after)
            return {"avoid_categories": value}
        if is_skip(tracker):
            return {"avoid_categories": []}
        wish = answer_wish(tracker)  # all it names is to avoid: "horror", "no gore", "glass"
        named = list(dict.fromkeys([*wish.categories, *avoided(wish), *([wish.topic] if wish.topic else [])]))
        if not named and (skipped := picks_now(tracker, dispatcher)) is not None:
            return skipped
        if not named:
            dispatcher.utter_message(
                text="I didn't catch what to avoid there. Name it (for example \"horror\"), or say \"nothing\"."
            )
            return {"avoid_categories": None}
        return {"avoid_categories": named}


class ActionResetPreferences(EngineAction):
    """Clear the questionnaire slots so the form asks everything again."""

    def name(self) -> str:
        return "action_reset_preferences"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="Sure, let's update your taste profile.")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionSaveOnboarding(EngineAction):
    """Store the questionnaire's answers in the engine and say what was remembered."""

    def name(self) -> str:
        return "action_save_onboarding"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        eng = engine()
        user = profile_id(tracker)
        if not eng.personalizes(user):
            dispatcher.utter_message(
                text="No problem: I won't remember anything about you. I'll show you popular picks, "
                f"and you can ask for any kind of {eng.questionnaire.items} any time."
            )
            return [SlotSet("onboarded", True)]
        avoid = list(tracker.get_slot("avoid_categories") or [])
        eng.save_preferences(
            user,
            categories=[c for c in tracker.get_slot("fav_categories") or [] if c not in avoid],
            loved_items=list(tracker.get_slot("fav_titles") or []),
            avoid_categories=avoid,
        )
        memory = remembered(eng.summary(user))
        dispatcher.utter_message(
            text=f"Thanks! I'll remember that {memory}."
            if memory
            else "Thanks! I'll learn your taste from your feedback as we go."
        )
        return [SlotSet("onboarded", True)]

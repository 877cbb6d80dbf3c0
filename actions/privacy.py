"""The user's rights in chat: see what is known, consent, export and erasure."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import EngineAction, channel, engine, join, profile_id, remembered
from bot.vocabulary import EXPORT_LINK_TTL

PRIVACY_BUTTONS = [
    {"title": "Download my data", "payload": "/export_data"},
    {"title": "Delete my data", "payload": "/erase_data"},
]
ERASED_SLOT = "data_erased"  # rasa_plugins.tracker_store then drops the conversation


class ActionShowProfile(EngineAction):
    """What do you know about me? Everything stored that shapes the picks, in words."""

    def name(self) -> str:
        return "action_show_profile"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        summary = engine().summary(profile_id(tracker))
        lines = []
        if summary.consent is True:
            lines.append("You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).")
        elif summary.consent is False:
            lines.append("You asked me not to remember you, so I keep no tastes or feedback of yours.")
        else:
            lines.append("You haven't told me yet whether I may remember your tastes.")
        memory = remembered(summary)
        if memory:
            lines.append(f"What you told me or showed me: {memory}.")
        if summary.learned_categories:
            lines.append(f"From your feedback I've learned you lean towards {join(summary.learned_categories)}.")
        if summary.disliked:
            lines.append(f"I won't suggest again: {join(summary.disliked[:5])}.")
        if summary.segment:
            lines.append(f"Among our users, your tastes are closest to the {summary.segment} group.")
        if summary.experiment:
            lines.append(f"You're taking part in our experiment \"{summary.experiment}\" on how picks are ranked "
                         f"(your group: {summary.variant}).")
        if summary.active_hours_utc:
            hours = [f"{hour:02d}:00" for hour in summary.active_hours_utc]
            lines.append(f"You're usually here around {join(hours)} UTC.")
        if not (memory or summary.learned_categories or summary.disliked):
            lines.append("I don't know anything about your tastes yet.")
        lines.append("I also keep our conversation. You can download or delete all of it.")
        buttons = list(PRIVACY_BUTTONS)
        if summary.consent is True:
            buttons.append({"title": "Stop personalizing", "payload": "/withdraw_consent"})
        else:
            buttons.append({"title": "You can remember me", "payload": "/give_consent"})
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []


class ActionGiveConsent(EngineAction):
    def name(self) -> str:
        return "action_give_consent"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        engine().set_consent(profile_id(tracker), True, channel=channel(tracker))
        dispatcher.utter_message(
            text="Thanks! From now on I'll remember your tastes and feedback to personalize my picks. "
            "Say \"stop personalizing\" any time.",
            buttons=[{"title": "Tell you my tastes", "payload": "/change_preferences"},
                     {"title": "Recommend me something", "payload": "/request_recommendations"}],
        )
        return []


class ActionWithdrawConsent(EngineAction):
    def name(self) -> str:
        return "action_withdraw_consent"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        engine().set_consent(profile_id(tracker), False, channel=channel(tracker))
        dispatcher.utter_message(
            text="Done: I've stopped personalizing and deleted what I had learned about your tastes. "
            "I'll still recommend popular picks. Say \"you can remember me\" if you change your mind."
        )
        return [SlotSet("onboarded", True)]  # no questionnaire for someone who said no


class ActionExportData(EngineAction):
    """A one-time, expiring download link; the data never travels through the chat itself."""

    def name(self) -> str:
        return "action_export_data"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        link = engine().export_link(profile_id(tracker))
        if link is None:
            dispatcher.utter_message(text="I don't keep any data about you, so there is nothing to download.")
            return []
        minutes = int(EXPORT_LINK_TTL.total_seconds() // 60)
        dispatcher.utter_message(
            text=f"Here is everything I keep about you, as a JSON file: {link}\n"
            f"The link works once, for {minutes} minutes."
        )
        return []


class ActionAskErasure(EngineAction):
    def name(self) -> str:
        return "action_ask_erasure"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="This deletes everything I know about you, including this conversation, "
            "and can't be undone. Delete it all?",
            buttons=[{"title": "Yes, delete everything", "payload": "/affirm"},
                     {"title": "No, keep it", "payload": "/deny"}],
        )
        return []


class ActionEraseData(EngineAction):
    """Runs only right after the user confirmed (rules.yml); erases both databases."""

    def name(self) -> str:
        return "action_erase_data"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        engine().erase(profile_id(tracker))
        dispatcher.utter_message(
            text="Done. I've deleted everything I knew about you, including this conversation. "
            "If you say hi again, we start from scratch."
        )
        if channel(tracker) == "socketio":  # the web widget keeps a transcript in the browser
            dispatcher.utter_message(json_message={"data": {"forget_conversation": True}})
        return [SlotSet(ERASED_SLOT, True)]


class ActionKeepData(EngineAction):
    def name(self) -> str:
        return "action_keep_data"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="OK, I've deleted nothing.")
        return []

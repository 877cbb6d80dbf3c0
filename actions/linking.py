"""Linking a Slack or Telegram chat to the user's shop profile with the one-time code the shop's
"link my account" page shows (bot/linking.py): from then on what they do in that chat and on the
website is one profile (actions.runtime.profile_id), until they unlink it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import EngineAction, channel, engine
from bot.vocabulary import LINK_CODE_MISSES, LINK_CODE_TTL, LINKABLE_CHANNELS, LinkOutcome

CHANNEL_NAMES = {"slack": "Slack", "telegram": "Telegram"}
WHERE_TO_GET_ONE = (f"Sign in on our website and open \"Link my account\": it shows a code like ABCD-2345 "
                    f"that works once, for {int(LINK_CODE_TTL.total_seconds() // 60)} minutes.")
NO_CODE = "To link your shop account, send me your code, like \"link my account ABCD-2345\". " + WHERE_TO_GET_ONE
WRONG_CODE = ("That code doesn't work: it's wrong, expired or already used, so nothing has changed. "
              "Please check it, or get a new one: " + WHERE_TO_GET_ONE)
TOO_MANY_TRIES = (f"That's {LINK_CODE_MISSES} wrong codes within an hour, so I'm not checking codes from this chat "
                  "for now. Nothing has changed; please try again in an hour with a new code from our website.")
NOT_HERE = ("Linking with a code is for our Slack and Telegram chats. Here on the website I already know you "
            "when you're signed in to your account.")
LINKED = "Done: your {channel} chat now shares your shop profile, so what you tell me here and do on our website count together."
UNLINKED = ("Done: your {channel} chat no longer shares your shop profile. What you did here while it was linked "
            "stays with your shop profile; from now on this chat starts afresh, and I won't remember it unless you "
            "say \"you can remember me\".")
NOT_LINKED = "This chat isn't linked to a shop account, so there's nothing to unlink."
CONSENT_IN_FORCE = {
    True: "I remember your tastes, as you agreed.",
    False: "As you asked, I don't remember your tastes; say \"you can remember me\" to change that.",
    None: "Say \"you can remember me\" if you'd like me to remember your tastes.",
}


class _ChatLinkAction(EngineAction, ABC):
    """An action on the link between a Slack or Telegram chat and the shop account; on the
    website it only explains (a signed-in customer's chat is their profile already)."""

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        where = channel(tracker)
        if where not in LINKABLE_CHANNELS:
            dispatcher.utter_message(text=NOT_HERE)
        else:
            self.in_chat(dispatcher, tracker, where)
        return []

    @abstractmethod
    def in_chat(self, dispatcher: CollectingDispatcher, tracker: Tracker, where: str) -> None:
        """The action in a Slack or Telegram chat (``where``)."""


class ActionLinkAccount(_ChatLinkAction):
    """"link my account ABCD-2345": the code redeemed, and the chat linked, or why not."""

    def name(self) -> str:
        return "action_link_account"

    def in_chat(self, dispatcher: CollectingDispatcher, tracker: Tracker, where: str) -> None:
        link = engine().link_account(tracker.sender_id, tracker.latest_message.get("text") or "", where)
        if link.outcome is LinkOutcome.LINKED:
            said = f"{LINKED.format(channel=CHANNEL_NAMES[where])} {CONSENT_IN_FORCE[link.linked.consent]}"
            dispatcher.utter_message(text=said, buttons=[{"title": "What do you know about me?",
                                                          "payload": "/show_profile"}])
        else:
            dispatcher.utter_message(text={LinkOutcome.NO_CODE: NO_CODE, LinkOutcome.WRONG_CODE: WRONG_CODE,
                                           LinkOutcome.TOO_MANY_TRIES: TOO_MANY_TRIES}[link.outcome])


class ActionUnlinkAccount(_ChatLinkAction):
    """"unlink my account": the chat is its own profile again."""

    def name(self) -> str:
        return "action_unlink_account"

    def in_chat(self, dispatcher: CollectingDispatcher, tracker: Tracker, where: str) -> None:
        if engine().unlink_account(tracker.sender_id, where):
            dispatcher.utter_message(text=UNLINKED.format(channel=CHANNEL_NAMES[where]))
        else:
            dispatcher.utter_message(text=NOT_LINKED)

"""The action server's single engine instance, and what every action shares: reading the
tracker, the wording of what is remembered, and turning failures into polite replies.

The engine (catalog, FAISS index, embedding model, database pool) is loaded once per process,
by the launcher (actions/server.py) before it listens, else on first use; tests put their own
engine in with :func:`use_engine`. Action modules import their shared helpers from here only,
never from one another.
"""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.engine import Engine
from bot.results import ProfileSummary
from bot.vocabulary import StoreUnavailable

if TYPE_CHECKING:
    from bot.results import Item

log = logging.getLogger(__name__)

_engine: Engine | None = None
_lock = threading.Lock()

ERROR_REPLY = (
    "Sorry, something went wrong on my side and I couldn't do that. "
    "Please try again in a moment, or say \"help\"."
)
MEMORY_UNAVAILABLE = (
    "Sorry, I can't reach my memory right now, so I can't do that at the moment. "
    "Please try again in a minute; recommendations still work."
)


def engine() -> Engine:
    """The engine, on the newest catalog version (a changed catalog is picked up here)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine.from_settings()
        _engine.reload_if_changed()
        return _engine


def use_engine(instance: Engine | None) -> None:
    global _engine
    with _lock:
        _engine = instance


def channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "unknown"


def profile_id(tracker: Tracker) -> str:
    """Whose data the conversation reads and writes: the shop user's once this Slack or Telegram
    chat was linked with a code (actions/linking.py), else the sender's own. Handoffs keep the
    conversation's sender id instead: the agent answers that conversation."""
    return engine().profile_id(tracker.sender_id, channel(tracker))


def entity_values(tracker: Tracker, name: str) -> list[str]:
    return [str(v) for v in tracker.get_latest_entity_values(name) if v is not None]


def answered_form(tracker: Tracker) -> bool:
    """True when the latest user message was an answer to a form question."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop":
            return True
    return False


def payload(intent: str, item_id: str) -> str:
    """A button payload that sets the item_id entity without going through NLU."""
    return f"/{intent}{json.dumps({'item_id': item_id})}"


def join(values: list[str]) -> str:
    """Names as a sentence lists them: "A", "A and B", "A, B and C"."""
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def remembered(summary: ProfileSummary) -> str:
    """One sentence of what the bot knows, for greetings, confirmations and "what do you know"."""
    parts = []
    if summary.categories:
        parts.append(f"you like {join(summary.categories)}")
    if summary.loved:
        parts.append(f"you love {join(summary.loved)}")
    if summary.liked:
        parts.append(f"you liked {join(summary.liked[:3])}")
    if summary.avoid_categories:
        parts.append(f"you'd rather avoid {join(summary.avoid_categories)}")
    if not parts and summary.learned_categories:  # only what they did, e.g. pages seen on the shop's site
        parts.append(f"you've been looking at {join(summary.learned_categories)}")
    return "; ".join(parts)


def button_item(tracker: Tracker) -> Item | None:
    """The item of a pick's button (its payload's item_id), if the message is one."""
    eng = engine()
    for item_id in entity_values(tracker, "item_id"):
        if item_id in eng.catalog:
            return eng.catalog.by_id[item_id]
    return None


def resolve_item(tracker: Tracker) -> Item | None:
    """The item a message is about: a button's item_id, else the first title the engine surely
    reads in the typed text (the engine reads messages; Rasa passes on no entities of typed text)."""
    if (item := button_item(tracker)) is not None:
        return item
    text = tracker.latest_message.get("text") or ""
    if not text.strip() or text.startswith("/"):
        return None
    eng = engine()
    named = eng.read_wish(text).items
    return eng.catalog.by_id[named[0]] if named else None


class EngineAction(Action, ABC):
    """An action whose failures become a polite reply, never silence or a stack trace."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        try:
            return self.act(dispatcher, tracker, domain)
        except StoreUnavailable as error:
            log.warning("action %s: %s", self.name(), error)
            dispatcher.utter_message(text=MEMORY_UNAVAILABLE)
            return []
        except Exception:
            log.exception("action %s failed for a conversation", self.name())
            dispatcher.utter_message(text=ERROR_REPLY)
            return []

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """The action's work; may raise."""

"""Conversation actions: greeting, recommendations, feedback and explanations."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import (
    EngineAction,
    answered_form,
    button_item,
    channel,
    engine,
    join,
    payload,
    profile_id,
    remembered,
    resolve_item,
)
from bot.results import Picks, Wish
from bot.vocabulary import EventType, Recorded, StoreUnavailable

if TYPE_CHECKING:
    from bot.results import Constraints

PICKS = 5
MORE_BUTTON = {"title": "Show me more", "payload": "/request_recommendations"}
FEEDBACK_EVENTS = {
    "like": EventType.LIKE,
    "dislike": EventType.DISLIKE,
    "not_interested": EventType.NOT_INTERESTED,
}
WHICH_ITEM = (
    "Which {item} do you mean? Use the buttons under a pick, or name it "
    "(for example \"I liked {title}\")."
)


def which_item() -> str:
    eng = engine()
    return WHICH_ITEM.format(item=eng.questionnaire.item, title=eng.catalog.items[0].title)


PROFILE_UNAVAILABLE = (
    "I can't reach your profile right now, so these are popular picks rather than ones "
    "chosen for you. Ask again in a minute for personal ones."
)


def show_recommendations(
    dispatcher: CollectingDispatcher, heading: str, recommendations: Picks
) -> list[dict[str, Any]]:
    """One message per pick (title, genres, blurb unless it only repeats the title, price and
    attributes, reason) with feedback buttons."""
    if recommendations.profile_unavailable:
        dispatcher.utter_message(text=PROFILE_UNAVAILABLE)
    dispatcher.utter_message(text=heading)
    questionnaire = engine().questionnaire
    for rec in recommendations:
        item = rec.item
        blurb = item.description if item.description.strip().casefold() != item.title.strip().casefold() else ""
        lines = [f"**{item.label}** · {', '.join(item.categories)}", blurb,
                 questionnaire.card_details(item), f"Why: {rec.reason}"]
        dispatcher.utter_message(
            text="\n".join(line for line in lines if line),
            image=item.image,
            buttons=[
                {"title": "👍 Like", "payload": payload("like", item.id)},
                {"title": "👎 Not for me", "payload": payload("dislike", item.id)},
                {"title": "🔁 More like this", "payload": payload("more_like_this", item.id)},
            ],
        )
    return [SlotSet("last_recommendations", [r.item.id for r in recommendations])]


class ActionGreet(EngineAction):
    """Welcome back a returning user with what is remembered, or start onboarding."""

    def name(self) -> str:
        return "action_greet"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if (wish := typed_wish(tracker)).steers:  # "Hi, I like crime movies": picks at once
            events = recommend_for(dispatcher, tracker, wish)
            return [*events, SlotSet("onboarded", not any(e.get("event") == "followup" for e in events))]
        try:
            summary = engine().summary(profile_id(tracker))
        except StoreUnavailable:
            dispatcher.utter_message(
                text="Hi! My memory is offline for a moment, so I can't tell whether we've met. "
                "I can still show you popular picks.",
                buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
            )
            return []
        if summary.consent is False:
            dispatcher.utter_message(
                text="Welcome back! As you asked, I don't remember you, so my picks aren't "
                "personalized. Say \"you can remember me\" to change that.",
                buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
            )
            return [SlotSet("onboarded", True)]
        if summary.onboarded or summary.has_taste:
            memory = remembered(summary)
            dispatcher.utter_message(
                text=f"Welcome back! I remember {memory}." if memory else "Welcome back!",
                buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
            )
            return [SlotSet("onboarded", True)]
        questionnaire = engine().questionnaire
        dispatcher.utter_message(text=questionnaire.text(questionnaire.greeting))
        return [SlotSet("onboarded", False)]


class ActionRecommend(EngineAction):
    """Personalized picks, optionally within a category and constraints the user named."""

    def name(self) -> str:
        return "action_recommend"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return recommend_for(dispatcher, tracker, typed_wish(tracker))


def recommend_for(dispatcher: CollectingDispatcher, tracker: Tracker, wish: Wish) -> list[dict[str, Any]]:
    """Picks for what the message wished for, said as such; a newcomer is onboarded after them."""
    eng = engine()
    user = profile_id(tracker)
    wish = replace(wish, constraints=supported_constraints(dispatcher, wish.constraints))
    if wish.lasting and eng.avoid(user, wish):
        avoided = join([*wish.avoid_categories, *wish.avoid_topics])
        dispatcher.utter_message(text=f"Noted: I won't suggest {avoided} again.")
    recommendations = eng.recommend(
        user, n=PICKS, wish=wish, channel=channel(tracker),
        exclude=tracker.get_slot("last_recommendations") or [],
    )
    if wish.topic and recommendations and not any(pick.on_topic for pick in recommendations):
        dispatcher.utter_message(text=f"I have nothing about \"{wish.topic}\", so these are picks for you anyway.")
        wish = replace(wish, topic="")
    like = f"like {join([eng.catalog.by_id[i].label for i in wish.items])}" if wish.items else ""
    scope = " ".join(filter(None, [wish.describe(), like, wish.constraints.describe()]))
    if not recommendations:
        dispatcher.utter_message(
            text=f"I've run out of new {scope} for you. Try another genre or period, "
            "or say \"change my preferences\"."
        )
        return [SlotSet("last_recommendations", [])]
    shown = show_recommendations(dispatcher, f"Here are some {scope} for you:", recommendations)
    return shown + ([] if recommendations.profile_unavailable else onboarding_after(tracker, user, wish))


def onboarding_after(tracker: Tracker, user: str, wish: Wish) -> list[dict[str, Any]]:
    """A newcomer whose first message already asked for something gets the picks at once, then
    onboarding (consent first), which keeps what the message said and asks only the rest."""
    if tracker.active_loop.get("name") or not wish.steers:
        return []
    if engine().consent(user) is not None:  # asked before (onboarding asks it first)
        return []
    told = {"fav_categories": [*wish.categories, *([wish.topic] if wish.topic else [])],
            "fav_titles": list(wish.items),
            "avoid_categories": [*wish.avoid_categories, *wish.avoid_topics]}
    return [*(SlotSet(slot, value) for slot, value in told.items() if value), FollowupAction("onboarding_form")]


def typed_wish(tracker: Tracker) -> Wish:
    """What the user's latest typed message asks for; nothing for a button or the answer that
    ended the questionnaire (its words were the answer)."""
    text = tracker.latest_message.get("text") or ""
    if answered_form(tracker) or not text.strip() or text.startswith("/"):
        return Wish()
    return engine().read_wish(text)


CANNOT_FILTER = {"price": "This catalog has no prices, so I can't filter by price.",
                 "period": "This catalog has no release years, so I can't filter by period."}


def supported_constraints(dispatcher: CollectingDispatcher, constraints: Constraints) -> Constraints:
    """Drop (and say so) the constraints this catalog has no data for, e.g. prices of movies."""
    catalog = engine().catalog
    kept, dropped = constraints.applicable(catalog.has_prices, catalog.has_years)
    for what in dropped:
        dispatcher.utter_message(text=CANNOT_FILTER[what])
    return kept


class ActionMoreLikeThis(EngineAction):
    """Picks like an item: a button's, or the titles a message names ("like Memento and Heat")."""

    def name(self) -> str:
        return "action_more_like_this"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        eng = engine()
        button = button_item(tracker)
        wish = Wish(items=(button.id,)) if button else typed_wish(tracker)
        if not wish.items and wish.steers:  # "like Avengers: Infinity War", a film the catalog lacks
            return recommend_for(dispatcher, tracker, wish)
        if not wish.items:
            dispatcher.utter_message(text=which_item())
            return []
        user = profile_id(tracker)
        for item_id in wish.items:
            eng.record_event(user, EventType.CLICK, item_id, channel=channel(tracker))
        wish = replace(wish, constraints=supported_constraints(dispatcher, wish.constraints))
        recommendations = eng.recommend(user, n=PICKS, wish=wish, channel=channel(tracker))
        labels = join([eng.catalog.by_id[item_id].label for item_id in wish.items])
        if not recommendations:
            dispatcher.utter_message(text=f"I have nothing new that is like {labels}.")
            return []
        return show_recommendations(dispatcher, f"More like {labels}:", recommendations)


class ActionFeedback(EngineAction):
    """Like, dislike or not interested: stored at once, so the next list reflects it."""

    def name(self) -> str:
        return "action_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        item = button_item(tracker)
        wish = Wish() if item is not None else typed_wish(tracker)  # the message read once
        if item is None and wish.items:
            item = engine().catalog.by_id[wish.items[0]]
        if item is None and wish.steers:
            return self.taste_said(dispatcher, tracker, intent, wish)
        if item is None or intent not in FEEDBACK_EVENTS:
            dispatcher.utter_message(text=which_item())
            return []
        recorded = engine().record_event(
            profile_id(tracker), FEEDBACK_EVENTS[intent], item.id, channel=channel(tracker)
        )
        if recorded is Recorded.NO_CONSENT:
            dispatcher.utter_message(
                text="I'm not remembering anything for you, so I can't learn from that. "
                "Say \"you can remember me\" if you'd like me to.",
                buttons=[{"title": "You can remember me", "payload": "/give_consent"}],
            )
            return []
        text = (
            f"Noted: you liked {item.label}. I'll find more like it."
            if intent == "like"
            else f"Got it, I won't suggest {item.label} again."
        )
        if recorded is Recorded.QUEUED:
            text += " (My memory is offline for a moment; I'll take it into account as soon as it's back.)"
        dispatcher.utter_message(text=text, buttons=[MORE_BUTTON])
        return []


    @staticmethod
    def taste_said(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str | None,
                   wish: Wish) -> list[dict[str, Any]]:
        """"I like crime movies" names no item but a taste: picks for it. "I don't like horror"
        or "horror is awful" names what to avoid from now on."""
        if intent == "like":
            return recommend_for(dispatcher, tracker, wish)
        avoid = Wish(avoid_categories=tuple(dict.fromkeys(wish.avoid_categories + wish.categories)),
                     avoid_topics=wish.avoid_topics + ((wish.topic,) if wish.topic else ()), lasting=True)
        said = join([*avoid.avoid_categories, *avoid.avoid_topics])
        if engine().avoid(profile_id(tracker), avoid):
            dispatcher.utter_message(text=f"Noted: I won't suggest {said} again.", buttons=[MORE_BUTTON])
        else:
            dispatcher.utter_message(
                text=f"I'm not remembering anything for you, so I can't keep \"no {said}\" for next time. "
                "Say \"you can remember me\" if you'd like me to.",
                buttons=[{"title": "You can remember me", "payload": "/give_consent"}],
            )
        return []


class ActionExplain(EngineAction):
    """Why a pick (or each of the last picks) fits, from the signals that ranked it."""

    def name(self) -> str:
        return "action_explain"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        eng = engine()
        item = resolve_item(tracker)
        item_ids = [item.id] if item else list(tracker.get_slot("last_recommendations") or [])
        item_ids = [i for i in item_ids if i in eng.catalog]
        if not item_ids:
            dispatcher.utter_message(
                text="I haven't recommended anything yet. Ask me for some picks first!"
            )
            return []
        user = profile_id(tracker)
        lines = [f"• {eng.catalog.by_id[i].label}: {'; '.join(eng.explain(user, i))}" for i in item_ids]
        dispatcher.utter_message(text="Here's why:\n" + "\n".join(lines))
        return []

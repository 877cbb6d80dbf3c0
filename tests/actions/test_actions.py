"""Each action on a saved tracker: the exact events it returns and messages it sends."""

from __future__ import annotations

import json

from dispatched import message, slot

from actions.actions import (
    MORE_BUTTON,
    ActionExplain,
    ActionFeedback,
    ActionGreet,
    ActionMoreLikeThis,
    ActionRecommend,
)
from actions.custom_forms import (
    SKIPPED_TO_PICKS,
    ActionAskFavCategories,
    ActionAskFavTitles,
    ActionResetPreferences,
    ActionSaveOnboarding,
    ValidateOnboardingForm,
)
from actions.runtime import ERROR_REPLY
from bot.questionnaire import Questionnaire
from bot.vocabulary import EventType


def feedback_buttons(item_id):
    return [
        {"title": "👍 Like", "payload": f'/like{{"item_id": "{item_id}"}}'},
        {"title": "👎 Not for me", "payload": f'/dislike{{"item_id": "{item_id}"}}'},
        {"title": "🔁 More like this", "payload": f'/more_like_this{{"item_id": "{item_id}"}}'},
    ]


def test_greet_new_user_starts_onboarding(run, tracker):
    events, messages = run(ActionGreet(), tracker("greet"))
    assert events == [slot("onboarded", False)]
    assert messages == [
        message(
            "Hi! I'm your movie guide. A few quick questions so I can learn your taste; "
            "you can skip any of them."
        )
    ]


def test_greet_returning_user_says_what_is_remembered(run, tracker, engine):
    engine.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], ["Horror"])
    events, messages = run(ActionGreet(), tracker("greet"))
    assert events == [slot("onboarded", True)]
    assert messages == [
        message(
            "Welcome back! I remember you like Sci-Fi; you love Alien (1979); "
            "you'd rather avoid Horror.",
            buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
        )
    ]


def test_greet_a_shop_customer_known_from_their_site_views(run, tracker, engine):
    """Signed in on the shop, they looked at pages there (with consent): no questionnaire first."""
    engine.set_consent("alice", True, channel="site")
    for item_id in ("toy-story-1995", "finding-nemo-2003"):
        engine.record_event("alice", EventType.VIEW, item_id, channel="site")
    events, messages = run(ActionGreet(), tracker("greet"))
    assert events == [slot("onboarded", True)]
    assert messages == [
        message(
            "Welcome back! I remember you've been looking at Animation, Comedy and Adventure.",
            buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
        )
    ]


def test_recommend_in_requested_category(run, tracker, engine, store):
    events, messages = run(ActionRecommend(), tracker("recommend_scifi"))
    assert messages[0] == message("Here are some Sci-Fi picks for you:")
    picks = messages[1:]
    assert len(picks) == 5
    shown = []
    for pick in picks:
        item_id = json.loads(pick["buttons"][0]["payload"][len("/like"):])["item_id"]
        item = engine.catalog.by_id[item_id]
        assert "Sci-Fi" in item.categories
        assert pick["text"].startswith(f"**{item.label}** · {', '.join(item.categories)}\n{item.description}\nWhy: ")
        assert pick["buttons"] == feedback_buttons(item_id)
        shown.append(item_id)
    assert events == [slot("last_recommendations", shown)]
    impressions = [e.item_id for e in store.events("alice") if e.type == EventType.IMPRESSION]
    assert sorted(impressions) == sorted(shown)


def test_recommend_words_that_are_no_category_steer_the_picks(run, tracker, catalog):
    """"telenovelas" is no category of the demo catalog; its meaning still finds the picks."""
    events, messages = run(ActionRecommend(), tracker("recommend_unknown_category"))
    assert messages[0] == message("Here are some picks about telenovelas for you:")
    assert len(messages) == 6
    assert events[0]["name"] == "last_recommendations" and len(events[0]["value"]) == 5
    assert sum("Drama" in catalog.by_id[i].categories or "Romance" in catalog.by_id[i].categories
               for i in events[0]["value"]) >= 4


def test_recommend_words_about_nothing_in_the_catalog_say_so(run, tracker):
    events, messages = run(ActionRecommend(), tracker("recommend_unknown_topic"))
    assert messages[0] == message('I have nothing about "qwzx vbnk", so these are picks for you anyway.')
    assert messages[1] == message("Here are some picks for you:")
    assert len(messages) == 7 and len(events[0]["value"]) == 5


def test_dislike_button_is_stored_and_item_never_shown_again(run, tracker, store):
    events, messages = run(ActionFeedback(), tracker("dislike_button"))
    assert events == []
    assert messages == [message("Got it, I won't suggest Alien (1979) again.", buttons=[MORE_BUTTON])]
    assert [(e.type, e.item_id, e.channel) for e in store.events("alice")] == [
        (EventType.DISLIKE, "alien-1979", "rest")
    ]
    _, messages = run(ActionRecommend(), tracker("recommend_scifi"))
    assert all("alien-1979" not in json.dumps(m["buttons"]) for m in messages)


def test_like_with_typed_title_is_matched_to_the_catalog(run, tracker, engine):
    events, messages = run(ActionFeedback(), tracker("like_typed_title"))
    assert events == []
    assert messages == [
        message("Noted: you liked Jurassic Park (1993). I'll find more like it.", buttons=[MORE_BUTTON])
    ]
    assert engine.summary("alice").liked == ["Jurassic Park (1993)"]


def test_feedback_without_an_item_asks_which_and_stores_nothing(run, tracker, store):
    events, messages = run(ActionFeedback(), tracker("like_without_item"))
    assert (events, messages) == ([], [message(
        'Which movie do you mean? Use the buttons under a pick, or name it (for example "I liked Star Wars").'
    )])
    assert store.events("alice") == []


def test_more_like_this_shows_similar_items_and_records_a_click(run, tracker, store):
    events, messages = run(ActionMoreLikeThis(), tracker("more_like_button"))
    assert messages[0] == message("More like The Matrix (1999):")
    assert all(m["text"].endswith("Why: similar to The Matrix (1999)") for m in messages[1:])
    assert "the-matrix-1999" not in events[0]["value"]
    assert (EventType.CLICK, "the-matrix-1999") in [(e.type, e.item_id) for e in store.events("alice")]


def test_why_this_explains_each_of_the_last_picks(run, tracker, engine):
    engine.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], [])
    events, messages = run(ActionExplain(), tracker("why_this"))
    assert events == []
    assert messages == [
        message(
            "Here's why:\n"
            "• Aliens (1986): because you love Alien (1979); matches your interest in Sci-Fi\n"
            "• Toy Story (1995): close to your overall taste"
        )
    ]


def test_ask_categories_offers_the_catalogs_biggest_categories(run, tracker, engine):
    _, messages = run(ActionAskFavCategories(), tracker("greet"))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == engine.catalog.categories[:6] + ["Skip"]
    assert messages[0]["buttons"][0]["payload"] == f'/inform{{"category": "{titles[0]}"}}'


def test_form_accepts_categories_in_everyday_words(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_categories"))
    assert events == [slot("fav_categories", ["Sci-Fi", "Comedy"]), slot("requested_slot", "fav_titles")]
    assert messages == [message("Noted: Sci-Fi and Comedy.")]


def test_form_reasks_for_an_unknown_category(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_categories_unknown"))
    assert events == [slot("fav_categories", None), slot("requested_slot", "fav_categories")]
    assert messages[0]["text"].startswith("Sorry, I don't know that kind of movie. I know Drama, ")


def test_just_recommend_instead_of_categories_skips_to_the_picks(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_categories_just_recommend"))
    assert events == [
        slot("fav_categories", []), slot("fav_titles", []), slot("avoid_categories", []),
        slot("pending_title", None), slot("requested_slot", None),
    ]
    assert messages == [message(SKIPPED_TO_PICKS)]


def test_just_recommend_instead_of_titles_keeps_the_categories_already_given(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_titles_just_recommend"))
    assert events == [
        slot("fav_titles", []), slot("avoid_categories", []), slot("pending_title", None),
        slot("requested_slot", None),
    ]  # fav_categories (Fantasy) stays as answered
    assert messages == [message(SKIPPED_TO_PICKS)]


def test_form_confirms_an_unsure_title_before_keeping_it(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_titles_unsure"))
    assert events == [
        slot("fav_titles", []),
        slot("pending_title", "harry-potter-and-the-goblet-of-fire-2005"),
        slot("requested_slot", "title_confirmation"),
    ]  # alice consented earlier, so the form's own slot list differs and names the next question
    assert messages == []


def test_form_keeps_a_confirmed_title_and_moves_on(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_title_confirmed"))
    assert events == [
        slot("title_confirmation", True),
        slot("pending_title", None),
        slot("fav_titles", ["harry-potter-and-the-goblet-of-fire-2005"]),
        slot("requested_slot", "avoid_categories"),
    ]
    assert messages == []


def test_form_skip_leaves_titles_empty(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_titles_skip"))
    assert events == [slot("fav_titles", []), slot("pending_title", None), slot("requested_slot", "avoid_categories")]
    assert messages == []


def test_save_onboarding_stores_answers_without_avoided_categories(run, tracker, engine):
    events, messages = run(ActionSaveOnboarding(), tracker("save_onboarding"))
    assert events == [slot("onboarded", True)]
    assert messages == [
        message(
            "Thanks! I'll remember that you like Sci-Fi; you love Alien (1979); "
            "you'd rather avoid Horror."
        )
    ]
    summary = engine.summary("alice")
    assert (summary.onboarded, summary.categories, summary.avoid_categories) == (True, ["Sci-Fi"], ["Horror"])


def test_reset_preferences_clears_every_questionnaire_slot(run, tracker):
    events, messages = run(ActionResetPreferences(), tracker("greet"))
    assert events == [
        slot(name, None)
        for name in ("consent", "fav_categories", "fav_titles", "title_confirmation", "avoid_categories",
                     "pending_title")
    ]
    assert messages == [message("Sure, let's update your taste profile.")]


def test_an_engine_failure_becomes_a_polite_reply(run, tracker, engine, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(engine, "recommend", broken)
    events, messages = run(ActionRecommend(), tracker("recommend_scifi"))
    assert (events, messages) == ([], [message(ERROR_REPLY)])


def test_a_greeting_midway_repeats_the_question_without_complaint(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_greet_midway"))
    assert events == [slot("fav_categories", None)]
    assert messages == [message("Welcome back! Let's pick up where we left off.")]


def test_recommend_within_a_period_the_user_named(run, tracker, engine):
    events, messages = run(ActionRecommend(), tracker("recommend_scifi_80s"))
    assert messages[0] == message("Here are some Sci-Fi picks from the 1980s for you:")
    for item_id in events[0]["value"]:
        item = engine.catalog.by_id[item_id]
        assert "Sci-Fi" in item.categories and 1980 <= item.year <= 1989
    assert len(events[0]["value"]) == 5


def test_a_price_limit_on_a_catalog_without_prices_is_explained_and_dropped(run, tracker):
    events, messages = run(ActionRecommend(), tracker("recommend_under_price"))
    assert messages[:2] == [
        message("This catalog has no prices, so I can't filter by price."),
        message("Here are some Comedy picks for you:"),
    ]
    assert len(events[0]["value"]) == 5


def test_the_questions_speak_about_the_catalogs_items(run, tracker, engine_with, tmp_path):
    wording = tmp_path / "questionnaire.yml"
    wording.write_text("item: book\nitems: books\ntitle_examples: Dune and Emma\ncategories: [Drama, Nope]\n")
    engine_with(questionnaire=Questionnaire.from_yaml(wording))
    _, greeting = run(ActionGreet(), tracker("greet"))
    _, categories = run(ActionAskFavCategories(), tracker("greet"))
    _, titles = run(ActionAskFavTitles(), tracker("greet"))
    assert greeting[0]["text"].startswith("Hi! I'm your book guide.")
    assert categories[0]["text"].startswith("Which kinds of books do you enjoy?")
    assert [b["title"] for b in categories[0]["buttons"]] == ["Drama", "Skip"]  # unknown ones dropped
    assert titles == [message('Name one or two books you love (for example "Dune and Emma"), or say "skip".')]


def test_form_accepts_a_taste_that_is_no_category_but_matches_items(run, tracker):
    events, messages = run(ValidateOnboardingForm(), tracker("form_interest"))
    assert events == [slot("fav_categories", ["time travel"]), slot("requested_slot", "fav_titles")]
    assert messages == [message("Noted: time travel.")]


def test_session_start_carries_slots_over_and_sets_the_catalogs_words(tracker, run, action_engine):
    from actions.session import ActionSessionStart

    events, messages = run(ActionSessionStart(), tracker("save_onboarding"))
    assert messages == []
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried["fav_categories"] == tracker("save_onboarding").get_slot("fav_categories")
    assert carried["catalog_items"] == "movies"
    assert carried["example_title"] == action_engine.catalog.items[0].title


def typed(tracker, name: str, text: str, sender: str = "alice"):
    """The saved tracker ``name`` with another sender and latest typed message."""
    from rasa_sdk import Tracker

    state = tracker(name).current_state()
    state["sender_id"] = sender
    state["latest_message"] = {"text": text, "intent": {"name": "request_recommendations", "confidence": 1.0},
                               "entities": []}
    for event in state["events"]:
        if event["event"] == "user":
            event["text"], event["parse_data"] = text, state["latest_message"]
    return Tracker.from_dict(state)


def test_an_opening_request_gets_picks_then_onboarding_keeps_what_it_said(run, tracker, catalog):
    events, messages = run(ActionRecommend(), typed(tracker, "recommend_scifi", "Hi, I like crime movies but no musicals",
                                                    sender="newcomer"))
    assert messages[0] == message("Here are some Crime picks for you:")
    shown = events[0]["value"]
    assert len(shown) == 5 and all("Crime" in catalog.by_id[i].categories for i in shown)
    assert events[1:] == [slot("fav_categories", ["Crime"]), slot("avoid_categories", ["Musical"]),
                          {"event": "followup", "timestamp": None, "name": "onboarding_form"}]


def test_a_known_user_is_not_onboarded_again(run, tracker):
    events, _ = run(ActionRecommend(), typed(tracker, "recommend_scifi", "I like crime movies"))
    assert [e["event"] for e in events] == ["slot"]  # alice consented: only her picks


def test_a_plain_ask_from_a_newcomer_starts_no_questionnaire(run, tracker):
    events, _ = run(ActionRecommend(), typed(tracker, "recommend_scifi", "recommend me something", sender="plain"))
    assert [e["event"] for e in events] == ["slot"]


def test_a_lasting_dislike_in_a_request_is_remembered(run, tracker, engine):
    _, messages = run(ActionRecommend(), typed(tracker, "recommend_scifi", "comedies please, i hate musicals"))
    assert messages[0] == message("Noted: I won't suggest Musical again.")
    assert "Musical" in engine.summary("alice").avoid_categories


def test_more_like_several_typed_titles(run, tracker, catalog):
    events, messages = run(ActionMoreLikeThis(), typed(tracker, "recommend_scifi", "anything like Heat and Alien?"))
    assert messages[0] == message("More like Heat (1995) and Alien (1979):")
    assert not {"heat-1995", "alien-1979"} & set(events[0]["value"])


def test_i_like_a_kind_of_item_is_a_request(run, tracker, catalog):
    state = typed(tracker, "recommend_scifi", "I like crime movies")
    state.latest_message["intent"] = {"name": "like", "confidence": 0.9}
    events, messages = run(ActionFeedback(), state)
    assert messages[0] == message("Here are some Crime picks for you:")
    assert all("Crime" in catalog.by_id[i].categories for i in events[0]["value"])


def test_i_dont_like_a_kind_of_item_is_remembered_as_avoided(run, tracker, engine):
    state = typed(tracker, "recommend_scifi", "I don't like horror")
    state.latest_message["intent"] = {"name": "dislike", "confidence": 0.9}
    events, messages = run(ActionFeedback(), state)
    assert events == []
    assert messages == [message("Noted: I won't suggest Horror again.", buttons=[MORE_BUTTON])]
    assert "Horror" in engine.summary("alice").avoid_categories


def test_a_shop_card_shows_the_price_and_never_repeats_the_title_as_its_blurb(catalog):
    """A product catalog with only id, title and price: its description is the title again."""
    from dataclasses import replace

    from rasa_sdk.executor import CollectingDispatcher

    from actions.actions import show_recommendations
    from bot.results import Picks, Recommendation

    item = replace(catalog.items[0], title="SCENTED CANDLE SET", description="Scented candle set", price=4.5,
                   categories=("Home",), year=None, attributes={})
    dispatcher = CollectingDispatcher()

    show_recommendations(dispatcher, "Here you are:", Picks([Recommendation(item, 1.0, ("popular right now",))]))

    assert dispatcher.messages[1]["text"] == "**Scented Candle Set** · Home\n4.50\nWhy: popular right now"

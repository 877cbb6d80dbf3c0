"""Privacy in chat: consent, what is known, export link and erasure; and the conversation
actions for users who said no. Exact events and messages, as returned to Rasa."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from dispatched import message, slot

from actions.actions import ActionFeedback, ActionGreet, ActionRecommend
from actions.custom_forms import ActionAskConsent, ActionSaveOnboarding, ValidateOnboardingForm
from actions.privacy import (
    ActionAskErasure,
    ActionEraseData,
    ActionExportData,
    ActionGiveConsent,
    ActionKeepData,
    ActionShowProfile,
    ActionWithdrawConsent,
)
from bot.experiments import Experiment, Experiments, Variant
from bot.vocabulary import EventType, PreferenceKind, Recorded

PRIVACY_BUTTONS = [
    {"title": "Download my data", "payload": "/export_data"},
    {"title": "Delete my data", "payload": "/erase_data"},
]
CONVERSATION_LINE = "I also keep our conversation. You can download or delete all of it."


def as_sender(tracker, sender_id):
    tracker.sender_id = sender_id
    return tracker


def answer(tracker, text, intent):
    """The form tracker with another reply to the consent question."""
    tracker.latest_message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    tracker.events[-2]["text"] = text
    tracker.events[-2]["parse_data"] = dict(tracker.latest_message)
    tracker.events[-1]["value"] = text
    tracker.slots["consent"] = text
    return tracker


# --- what do you know about me? --------------------------------------------------------------


def test_show_profile_with_consent_and_a_like(run, tracker, action_engine):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionShowProfile(), tracker("greet"))

    assert events == []
    assert messages == [message(
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).\n"
        "What you told me or showed me: you liked Jaws (1975).\n"
        "From your feedback I've learned you lean towards Adventure and Thriller.\n"
        + CONVERSATION_LINE,
        buttons=PRIVACY_BUTTONS + [{"title": "Stop personalizing", "payload": "/withdraw_consent"}],
    )]


def test_show_profile_says_when_the_user_is_usually_here(run, tracker, action_engine):
    evenings = [datetime(2026, 11, day, 19, 5, tzinfo=UTC) for day in range(20, 26)]
    for moment in evenings:
        action_engine.record_event("alice", EventType.LIKE, "jaws-1975", at=moment)

    _, messages = run(ActionShowProfile(), tracker("greet"))

    assert messages[0]["text"] == (
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).\n"
        "What you told me or showed me: you liked Jaws (1975).\n"
        "From your feedback I've learned you lean towards Adventure and Thriller.\n"
        "You're usually here around 19:00 UTC.\n" + CONVERSATION_LINE
    )


def test_show_profile_names_the_users_segment_once_segments_are_built(run, tracker, action_engine):
    for sender_id, item_id in (("alice", "alien-1979"), ("bob", "the-matrix-1999"),
                               ("carol", "toy-story-1995"), ("dave", "toy-story-1995")):
        action_engine.set_consent(sender_id, True)
        action_engine.record_event(sender_id, EventType.LIKE, item_id)
    action_engine.build_segments(k=2)

    _, messages = run(ActionShowProfile(), tracker("greet"))

    assert messages[0]["text"] == (
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).\n"
        "What you told me or showed me: you liked Alien (1979).\n"
        "From your feedback I've learned you lean towards Horror and Sci-Fi.\n"
        "Among our users, your tastes are closest to the Sci-Fi & Action group.\n" + CONVERSATION_LINE
    )


def test_show_profile_tells_a_user_in_an_experiment_which_group_they_are_in(run, tracker, engine_with):
    experiment = Experiment("more-diverse", (Variant("control"), Variant("diverse", diversity=0.6)))
    engine_with(experiments=Experiments((experiment,)))

    _, messages = run(ActionShowProfile(), tracker("greet"))

    assert messages[0]["text"] == (
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).\n"
        "You're taking part in our experiment \"more-diverse\" on how picks are ranked "
        f"(your group: {experiment.variant_of('alice').name}).\n"
        "I don't know anything about your tastes yet.\n" + CONVERSATION_LINE
    )


def test_show_profile_names_what_will_not_be_suggested_again(run, tracker, action_engine):
    action_engine.record_event("alice", EventType.DISLIKE, "alien-1979")

    _, messages = run(ActionShowProfile(), tracker("greet"))

    assert messages[0]["text"] == (
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).\n"
        "I won't suggest again: Alien (1979).\n" + CONVERSATION_LINE
    )


def test_show_profile_after_withdrawal_knows_nothing_and_offers_consent(run, tracker, action_engine):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")
    action_engine.set_consent("alice", False)

    events, messages = run(ActionShowProfile(), tracker("greet"))

    assert events == []
    assert messages == [message(
        "You asked me not to remember you, so I keep no tastes or feedback of yours.\n"
        "I don't know anything about your tastes yet.\n" + CONVERSATION_LINE,
        buttons=PRIVACY_BUTTONS + [{"title": "You can remember me", "payload": "/give_consent"}],
    )]


def test_show_profile_of_a_user_never_asked(run, tracker, store):
    events, messages = run(ActionShowProfile(), as_sender(tracker("greet"), "dave"))

    assert events == []
    assert messages == [message(
        "You haven't told me yet whether I may remember your tastes.\n"
        "I don't know anything about your tastes yet.\n" + CONVERSATION_LINE,
        buttons=PRIVACY_BUTTONS + [{"title": "You can remember me", "payload": "/give_consent"}],
    )]
    assert store.user("dave") is None  # looking stores nothing


# --- consent -----------------------------------------------------------------------------------


def test_withdraw_consent_deletes_what_was_learned(run, tracker, action_engine, store):
    action_engine.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], ["Horror"])
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionWithdrawConsent(), tracker("greet"))

    assert events == [slot("onboarded", True)]
    assert messages == [message(
        "Done: I've stopped personalizing and deleted what I had learned about your tastes. "
        "I'll still recommend popular picks. Say \"you can remember me\" if you change your mind."
    )]
    assert action_engine.consent("alice") is False
    assert store.events("alice") == []
    assert store.preferences("alice") == {kind: [] for kind in PreferenceKind}
    assert [(c.granted, c.channel) for c in store.consents("alice")] == [
        (True, "unknown"), (False, "rest")
    ]


def test_give_consent_after_a_withdrawal(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    events, messages = run(ActionGiveConsent(), tracker("greet"))

    assert events == []
    assert messages == [message(
        "Thanks! From now on I'll remember your tastes and feedback to personalize my picks. "
        "Say \"stop personalizing\" any time.",
        buttons=[{"title": "Tell you my tastes", "payload": "/change_preferences"},
                 {"title": "Recommend me something", "payload": "/request_recommendations"}],
    )]
    assert action_engine.consent("alice") is True
    assert [c.granted for c in store.consents("alice")] == [True, False, True]
    assert action_engine.record_event("alice", EventType.LIKE, "jaws-1975") is Recorded.STORED


def test_give_consent_of_a_new_user_records_the_channel(run, tracker, action_engine, store):
    run(ActionGiveConsent(), as_sender(tracker("greet"), "dave"))

    assert [(c.granted, c.channel) for c in store.consents("dave")] == [(True, "rest")]
    assert action_engine.personalizes("dave") is True


# --- export and erasure ------------------------------------------------------------------------


def test_export_data_sends_a_one_time_link(run, tracker, action_engine):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionExportData(), tracker("greet"))

    assert events == []
    assert len(messages) == 1
    found = re.fullmatch(
        r"Here is everything I keep about you, as a JSON file: http://localhost:8000/export/([A-Za-z0-9_-]+)\n"
        r"The link works once, for 15 minutes\.",
        messages[0]["text"],
    )
    assert found, messages[0]["text"]
    assert messages[0]["buttons"] == []
    token = found.group(1)
    data = action_engine.redeem_export_token(token)
    assert data["sender_id"] == "alice"
    assert [(e["type"], e["item_id"]) for e in data["events"]] == [("like", "jaws-1975")]
    assert action_engine.redeem_export_token(token) is None


def test_ask_erasure_asks_for_confirmation(run, tracker, action_engine):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionAskErasure(), tracker("greet"))

    assert events == []
    assert messages == [message(
        "This deletes everything I know about you, including this conversation, "
        "and can't be undone. Delete it all?",
        buttons=[{"title": "Yes, delete everything", "payload": "/affirm"},
                 {"title": "No, keep it", "payload": "/deny"}],
    )]
    assert action_engine.export("alice") is not None


def test_erase_data_forgets_the_user(run, tracker, action_engine, remember, store):
    action_engine.save_preferences("alice", ["Sci-Fi"], [], [])
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")
    remember("bob")
    action_engine.record_event("bob", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionEraseData(), tracker("greet"))

    assert events == [slot("data_erased", True)]
    assert messages == [message(
        "Done. I've deleted everything I knew about you, including this conversation. "
        "If you say hi again, we start from scratch."
    )]
    assert action_engine.export("alice") is None
    assert action_engine.consent("alice") is None
    assert [e.item_id for e in store.events("bob")] == ["jaws-1975"]


def test_keep_data_deletes_nothing(run, tracker, action_engine, store):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")

    events, messages = run(ActionKeepData(), tracker("greet"))

    assert (events, messages) == ([], [message("OK, I've deleted nothing.")])
    assert [e.item_id for e in store.events("alice")] == ["jaws-1975"]
    assert action_engine.consent("alice") is True


# --- the consent question of the onboarding form ------------------------------------------------


def test_ask_consent_offers_yes_and_no(run, tracker):
    events, messages = run(ActionAskConsent(), tracker("form_consent"))

    assert events == []
    assert messages == [message(
        "May I remember your tastes and feedback to personalize my picks? "
        "You can change your mind, see what I know, or delete it any time.",
        buttons=[{"title": "Yes, remember me", "payload": "/affirm"},
                 {"title": "No, thanks", "payload": "/deny"}],
    )]


@pytest.mark.parametrize(("text", "intent"), [("yes please", "affirm"), ("you can remember me", "give_consent")])
def test_form_yes_grants_consent_and_moves_on(run, tracker, text, intent, store):
    events, messages = run(ValidateOnboardingForm(), answer(tracker("form_consent"), text, intent))

    assert events == [slot("consent", True), slot("requested_slot", "fav_categories")]
    assert messages == []
    assert [(c.granted, c.channel) for c in store.consents("carol")] == [(True, "rest")]


@pytest.mark.parametrize(("text", "intent"), [("no thanks", "deny"), ("don't remember me", "withdraw_consent"),
                                              ("skip", "skip")])
def test_form_no_refuses_consent_and_ends_the_form(run, tracker, action_engine, text, intent):
    events, messages = run(ValidateOnboardingForm(), answer(tracker("form_consent"), text, intent))

    assert events == [slot("consent", False), slot("requested_slot", None)]
    assert messages == []
    assert action_engine.consent("carol") is False
    assert action_engine.personalizes("carol") is False


def test_form_reasks_consent_after_another_answer(run, tracker, action_engine, store):
    events, messages = run(ValidateOnboardingForm(), answer(tracker("form_consent"), "sci-fi", "inform"))

    assert events == [slot("consent", None), slot("requested_slot", "consent")]
    assert messages == [message("Please answer yes or no: may I remember your tastes?")]
    assert action_engine.consent("carol") is None
    assert store.user("carol") is None


def test_form_greeting_at_the_consent_question_asks_again(run, tracker, action_engine):
    events, messages = run(ValidateOnboardingForm(), answer(tracker("form_consent"), "hi", "greet"))

    assert events == [slot("consent", None)]
    assert messages == [message("Welcome back! Let's pick up where we left off.")]
    assert action_engine.consent("carol") is None


def test_form_skips_the_consent_question_for_a_user_who_said_yes_before(run, tracker, store):
    tracker_ = tracker("form_categories")
    assert tracker_.get_slot("consent") is None

    events, _ = run(ValidateOnboardingForm(), tracker_)

    assert events == [slot("fav_categories", ["Sci-Fi", "Comedy"]), slot("requested_slot", "fav_titles")]
    assert [c.granted for c in store.consents("alice")] == [True]


def test_form_asks_for_consent_next_when_the_user_withdrew_midway(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    events, messages = run(ValidateOnboardingForm(), tracker("form_categories"))

    # the answer is taken, but the next question is consent again, not titles
    assert events == [slot("fav_categories", ["Sci-Fi", "Comedy"]), slot("requested_slot", "consent")]
    assert messages == [message("Noted: Sci-Fi and Comedy.")]
    assert store.preferences("alice") == {kind: [] for kind in PreferenceKind}


# --- conversation actions for users who said no ------------------------------------------------


def test_feedback_without_consent_stores_nothing_and_says_so(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    events, messages = run(ActionFeedback(), tracker("like_typed_title"))

    assert events == []
    assert messages == [message(
        "I'm not remembering anything for you, so I can't learn from that. "
        "Say \"you can remember me\" if you'd like me to.",
        buttons=[{"title": "You can remember me", "payload": "/give_consent"}],
    )]
    assert store.events("alice") == []


def test_feedback_button_without_consent_stores_nothing(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    _, messages = run(ActionFeedback(), tracker("dislike_button"))

    assert messages[0]["text"].startswith("I'm not remembering anything for you")
    assert store.events("alice") == []
    assert action_engine.summary("alice").disliked == []


def test_save_onboarding_without_consent_stores_nothing(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    events, messages = run(ActionSaveOnboarding(), tracker("save_onboarding"))

    assert events == [slot("onboarded", True)]
    assert messages == [message(
        "No problem: I won't remember anything about you. I'll show you popular picks, "
        "and you can ask for any kind of movies any time."
    )]
    assert store.preferences("alice") == {kind: [] for kind in PreferenceKind}
    summary = action_engine.summary("alice")
    assert (summary.onboarded, summary.categories, summary.loved) == (False, [], [])


def test_save_onboarding_of_a_user_never_asked_stores_nothing(run, tracker, store):
    events, messages = run(ActionSaveOnboarding(), as_sender(tracker("save_onboarding"), "dave"))

    assert events == [slot("onboarded", True)]
    assert messages[0]["text"].startswith("No problem: I won't remember anything about you.")
    assert store.user("dave") is None


def test_greet_after_withdrawal_says_picks_are_not_personalized(run, tracker, action_engine):
    action_engine.save_preferences("alice", ["Sci-Fi"], ["alien-1979"], [])
    action_engine.set_consent("alice", False)

    events, messages = run(ActionGreet(), tracker("greet"))

    assert events == [slot("onboarded", True)]
    assert messages == [message(
        "Welcome back! As you asked, I don't remember you, so my picks aren't "
        "personalized. Say \"you can remember me\" to change that.",
        buttons=[{"title": "Recommend me something", "payload": "/request_recommendations"}],
    )]


def test_recommend_without_consent_logs_no_impressions(run, tracker, action_engine, store):
    action_engine.set_consent("alice", False)

    events, messages = run(ActionRecommend(), tracker("recommend_scifi"))

    assert messages[0] == message("Here are some Sci-Fi picks for you:")
    assert len(events[0]["value"]) == 5
    assert store.events("alice") == []


def test_erase_data_in_the_web_widget_also_clears_the_browsers_transcript(run, tracker, action_engine):
    web = tracker("greet")
    next(e for e in reversed(web.events) if e["event"] == "user")["input_channel"] = "socketio"

    events, messages = run(ActionEraseData(), web)

    assert events == [slot("data_erased", True)]
    assert messages[1]["custom"] == {"data": {"forget_conversation": True}}

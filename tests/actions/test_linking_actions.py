"""Linking a Slack or Telegram chat to the shop's profile with a one-time code, the actions of a
linked chat reading and writing that profile (handoffs excepted), and unlinking it. Exact events and messages,
as returned to Rasa."""

from __future__ import annotations

import dataclasses

import pytest
from dispatched import message, slot

from actions.actions import MORE_BUTTON, ActionFeedback
from actions.handoff import ActionHandoff
from actions.linking import ActionLinkAccount, ActionUnlinkAccount
from actions.privacy import ActionEraseData, ActionShowProfile
from bot import linking
from bot.records import Records
from bot.vocabulary import LINK_CODE_MISSES, EventType

SLACK_USER = "U024BE7LH"  # the sender of the saved tracker link_account.json
SHOW_PROFILE = [{"title": "What do you know about me?", "payload": "/show_profile"}]
WHERE_TO_GET_ONE = ("Sign in on our website and open \"Link my account\": it shows a code like ABCD-2345 "
                    "that works once, for 10 minutes.")
WRONG_CODE = message("That code doesn't work: it's wrong, expired or already used, so nothing has changed. "
                     "Please check it, or get a new one: " + WHERE_TO_GET_ONE)


@pytest.fixture
def shop(store, monkeypatch) -> Records:
    """The shop's side (the web app's records on the same database); alice's next code is ABCD-2345."""
    monkeypatch.setattr(linking, "new_code", lambda: "ABCD-2345")
    return Records(store)


def on_channel(tracker, name, sender=SLACK_USER):
    """The tracker as if the conversation were ``sender``'s on the channel ``name``."""
    tracker.sender_id = sender
    for event in tracker.events:
        if event.get("event") == "user":
            event["input_channel"] = name
    return tracker


def saying(tracker, text):
    tracker.latest_message = {**tracker.latest_message, "text": text}
    tracker.events[-1]["text"] = text
    return tracker


def test_a_slack_user_links_their_shop_account_with_the_code(run, tracker, shop, action_engine):
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975")
    shop.link_code("alice")

    events, messages = run(ActionLinkAccount(), tracker("link_account"))

    assert events == []
    assert messages == [message(
        "Done: your Slack chat now shares your shop profile, so what you tell me here and do on our website "
        "count together. I remember your tastes, as you agreed.", buttons=SHOW_PROFILE)]
    assert action_engine.profile_id(SLACK_USER, "slack") == "alice"
    assert action_engine.export("alice")["linked_ids"] == [SLACK_USER]


def test_a_telegram_user_of_a_shop_user_who_said_no_is_told_so(run, tracker, shop, action_engine):
    action_engine.set_consent("alice", False)
    shop.link_code("alice")

    _, messages = run(ActionLinkAccount(), on_channel(tracker("link_account"), "telegram", "931245876"))

    assert messages == [message(
        "Done: your Telegram chat now shares your shop profile, so what you tell me here and do on our website "
        "count together. As you asked, I don't remember your tastes; say \"you can remember me\" to change that.",
        buttons=SHOW_PROFILE)]
    assert action_engine.profile_id("931245876", "telegram") == "alice"


def test_a_wrong_code_changes_nothing(run, tracker, action_engine, store):
    assert run(ActionLinkAccount(), tracker("link_account")) == ([], [WRONG_CODE])
    assert action_engine.profile_id(SLACK_USER, "slack") == SLACK_USER
    assert store.linked_ids("alice") == []


def test_a_used_code_does_not_work_again(run, tracker, shop, action_engine):
    shop.link_code("alice")
    run(ActionLinkAccount(), tracker("link_account"))

    again = run(ActionLinkAccount(), on_channel(tracker("link_account"), "telegram", "931245876"))

    assert again == ([], [WRONG_CODE])
    assert action_engine.profile_id("931245876", "telegram") == "931245876"


def test_without_a_code_the_user_is_told_where_to_get_one(run, tracker, action_engine):
    events, messages = run(ActionLinkAccount(), saying(tracker("link_account"), "link my account"))

    assert events == []
    assert messages == [message(
        "To link your shop account, send me your code, like \"link my account ABCD-2345\". " + WHERE_TO_GET_ONE)]


def test_after_five_wrong_codes_even_the_right_one_waits(run, tracker, shop, action_engine):
    for number in range(LINK_CODE_MISSES):
        assert run(ActionLinkAccount(), saying(tracker("link_account"), f"my code is ZZZZ-{2000 + number}")) == (
            [], [WRONG_CODE])
    shop.link_code("alice")

    events, messages = run(ActionLinkAccount(), tracker("link_account"))

    assert events == []
    assert messages == [message(
        "That's 5 wrong codes within an hour, so I'm not checking codes from this chat for now. Nothing has "
        "changed; please try again in an hour with a new code from our website.")]
    assert action_engine.profile_id(SLACK_USER, "slack") == SLACK_USER


@pytest.mark.parametrize("channel", ["socketio", "rest"])
def test_on_the_website_linking_is_explained_and_nothing_is_checked(run, tracker, shop, store, action_engine, channel):
    shop.link_code("alice")

    events, messages = run(ActionLinkAccount(), on_channel(tracker("link_account"), channel, "alice"))

    assert events == []
    assert messages == [message(
        "Linking with a code is for our Slack and Telegram chats. Here on the website I already know you "
        "when you're signed in to your account.")]
    assert run(ActionLinkAccount(), tracker("link_account"))[1][0]["text"].startswith("Done:")  # still unused


# --- a linked chat is the shop's profile ----------------------------------------------------------


@pytest.fixture
def linked(run, tracker, shop, action_engine):
    """SLACK_USER linked to alice, who liked Jaws on the website."""
    action_engine.record_event("alice", EventType.LIKE, "jaws-1975", channel="site")
    shop.link_code("alice")
    run(ActionLinkAccount(), tracker("link_account"))
    return action_engine


def test_the_linked_chat_shows_the_shop_profile(run, tracker, linked):
    _, messages = run(ActionShowProfile(), on_channel(tracker("greet"), "slack"))

    assert messages[0]["text"].split("\n")[:2] == [
        "You agreed that I remember your tastes (say \"stop personalizing\" to withdraw).",
        "What you told me or showed me: you liked Jaws (1975)."]


def test_feedback_in_the_linked_chat_goes_to_the_shop_profile(run, tracker, linked, store):
    events, messages = run(ActionFeedback(), on_channel(tracker("dislike_button"), "slack"))

    assert events == []
    assert messages == [message("Got it, I won't suggest Alien (1979) again.", buttons=[MORE_BUTTON])]
    assert [(e.type, e.item_id, e.channel) for e in store.events("alice", types=[EventType.DISLIKE])] == [
        (EventType.DISLIKE, "alien-1979", "slack")]
    assert store.events(SLACK_USER) == []


def test_erasing_in_the_linked_chat_erases_the_shop_profile(run, tracker, linked, store):
    events, _ = run(ActionEraseData(), on_channel(tracker("greet"), "slack"))

    assert events == [slot("data_erased", True)]
    assert linked.export("alice") is None and linked.consent("alice") is None
    assert linked.profile_id(SLACK_USER, "slack") == SLACK_USER  # the link went with the profile


def test_a_handoff_from_the_linked_chat_stays_that_conversations(run, tracker, linked, engine_with, settings, store):
    engine_with(settings=dataclasses.replace(settings, agent_tokens={"anna": "a" * 16}))

    run(ActionHandoff(), on_channel(tracker("handoff_request"), "slack"))

    [queued] = Records(store).open_handoffs()
    assert (queued.sender_id, queued.channel) == (SLACK_USER, "slack")  # the agent answers the Slack chat


def test_unlinking_makes_the_chat_its_own_profile_again(run, tracker, linked, store):
    events, messages = run(ActionUnlinkAccount(), saying(tracker("link_account"), "unlink my account"))

    assert events == []
    assert messages == [message(
        "Done: your Slack chat no longer shares your shop profile. What you did here while it was linked stays "
        "with your shop profile; from now on this chat starts afresh, and I won't remember it unless you say "
        "\"you can remember me\".")]
    assert linked.profile_id(SLACK_USER, "slack") == SLACK_USER
    assert [e.item_id for e in store.events("alice")] == ["jaws-1975"]
    assert run(ActionUnlinkAccount(), tracker("link_account")) == (
        [], [message("This chat isn't linked to a shop account, so there's nothing to unlink.")])


def test_unlinking_on_the_website_explains_and_changes_nothing(run, tracker, linked):
    _, messages = run(ActionUnlinkAccount(), on_channel(tracker("link_account"), "socketio", "alice"))

    assert messages[0]["text"].startswith("Linking with a code is for our Slack and Telegram chats.")
    assert linked.profile_id(SLACK_USER, "slack") == "alice"

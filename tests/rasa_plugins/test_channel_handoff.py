"""Human handoff on Slack and Telegram: an agent's reply, sent through Rasa's HTTP API as the
agent console sends it, reaches the user in their own chat; the bot is quiet until it is
handed back, then answers again."""

from __future__ import annotations

import pytest
from channel_fakes import SLACK_CHANNEL, slack_message_event, telegram_message_update

from bot.web.rasa_api import RasaApi

pytestmark = pytest.mark.rasa

HANDED_OVER = "I'm passing you to a person from our team."
BACK = "You're back with me, the bot."


@pytest.fixture
def rasa_api(channel_bot) -> RasaApi:
    return RasaApi(channel_bot.services.rasa_url, channel_bot.services.rasa_token)


def test_telegram_user_gets_the_agents_reply_in_their_chat_and_then_the_bot_again(channel_bot, rasa_api):
    chat_id = 4242

    def say(text: str) -> list[str]:
        before = len(channel_bot.telegram_sent(chat_id))
        assert channel_bot.telegram_update(telegram_message_update(chat_id, text)).status_code == 200
        return [m["text"] for m in channel_bot.telegram_sent(chat_id)[before:]]

    assert any(HANDED_OVER in t for t in say("I want to talk to a human"))
    assert say("hello? anyone there?") == []  # the bot is quiet while a person has the conversation

    sent = len(channel_bot.telegram_sent(chat_id))
    rasa_api.send_agent_message(str(chat_id), "anna", "Hi, Anna here. How can I help?")
    assert [m["text"] for m in channel_bot.telegram_sent(chat_id)[sent:]] == [
        "anna (support): Hi, Anna here. How can I help?"]
    assert say("thanks, all good now") == []

    rasa_api.hand_back(str(chat_id))
    assert BACK in channel_bot.telegram_sent(chat_id)[-1]["text"]
    assert any("Which kinds of movies" in t or "Hi!" in t for t in say("hi"))  # the bot answers again


def test_slack_agent_replies_go_to_the_users_direct_messages_never_the_shared_channel(channel_bot, rasa_api):
    user, dm = "U0HANDOFF", "D0HANDOFF"
    channel_bot.slack_event(slack_message_event(user, "can I talk to a human please", "Ev0HANDOFF1", channel=dm))
    channel_bot.api.wait_for(lambda: any(HANDED_OVER in p.get("text", "") for p in channel_bot.slack_posts(dm)))
    shared_before = len(channel_bot.slack_posts(SLACK_CHANNEL))

    rasa_api.send_agent_message(user, "anna", "Hi, Anna here.")

    posts = channel_bot.api.wait_for(lambda: channel_bot.slack_posts(user))  # Slack opens the DM by user id
    assert [p["text"] for p in posts] == ["anna (support): Hi, Anna here."]
    assert len(channel_bot.slack_posts(SLACK_CHANNEL)) == shared_before

"""Slack: Events API deliveries and button presses in, chat.postMessage calls out."""

from __future__ import annotations

import json
import time

import pytest
from channel_fakes import (
    SLACK_CHANNEL,
    SLACK_SIGNING_SECRET,
    slack_block_actions,
    slack_message_event,
    slack_signed,
)

from bot.records import Records
from bot.store import Store
from bot.vocabulary import EventType

pytestmark = pytest.mark.rasa

CONSENT = "May I remember your tastes and feedback"


def payload(intent: str, item_id: str) -> str:
    """A card button's payload, as actions/runtime.py writes it."""
    return f"/{intent}{json.dumps({'item_id': item_id})}"


def texts(posts: list[dict]) -> list[str]:
    return [p.get("text", "") for p in posts]


def buttons(post: dict) -> list[tuple[str, str]]:
    """(title, value) of every button in a message's actions blocks."""
    return [
        (element["text"]["text"], element["value"])
        for block in post.get("blocks", []) if block["type"] == "actions"
        for element in block["elements"]
    ]


def consent_questions(posts: list[dict]) -> list[dict]:
    return [p for p in posts if p.get("text", "").startswith(CONSENT)]


def test_hi_gets_a_greeting_and_the_consent_question_with_buttons(channel_bot):
    channel = "D0ALICE"
    response = channel_bot.slack_event(slack_message_event("U0ALICE", "hi", "Ev0ALICE1", channel=channel))
    assert response.status_code == 200

    posts = channel_bot.api.wait_for(lambda: consent_questions(channel_bot.slack_posts(channel))
                                      and channel_bot.slack_posts(channel))
    assert texts(posts)[0].startswith("Hi! I'm your movie guide.")
    assert len(consent_questions(posts)) == 1
    question = consent_questions(posts)[0]
    assert question["blocks"][0] == {
        "type": "section", "text": {"type": "mrkdwn", "text": question["text"]},
    }
    assert question["blocks"][1]["type"] == "actions"
    assert buttons(question) == [("Yes, remember me", "/affirm"), ("No, thanks", "/deny")]
    assert all(c.ok for c in channel_bot.api.of("slack")), channel_bot.api.describe()  # Slack accepted every call
    assert all("as_user" not in p for p in posts)


def test_retries_never_produce_a_second_reply(channel_bot):
    channel = "D0BOB"
    event = slack_message_event("U0BOB", "hi", "Ev0BOB1", channel=channel)
    first = channel_bot.slack_event(event)
    # Slack retries when it thinks a delivery failed: at once, after a minute, after five.
    retries = [channel_bot.slack_event(event, retry=(number, reason))
               for number, reason in [(1, "http_error"), (2, "http_timeout"), (3, "unknown_error")]]
    assert first.status_code == 200
    assert [r.status_code for r in retries] == [200, 200, 200]
    assert all(r.headers.get("X-Slack-No-Retry") == "1" for r in retries)  # stop retrying

    posts = channel_bot.api.wait_for(lambda: consent_questions(channel_bot.slack_posts(channel))
                                      and channel_bot.slack_posts(channel), quiet=4)
    assert len(consent_questions(posts)) == 1
    assert sum(t.startswith("Hi! I'm your movie guide.") for t in texts(posts)) == 1

    # A retry that comes in after the bot has replied is dropped too.
    late = channel_bot.slack_event(event, retry=(1, "connection_failed"))
    assert late.status_code == 200 and late.headers.get("X-Slack-No-Retry") == "1"
    # A second message with the same words is a new message: it is answered.
    again = channel_bot.slack_event(slack_message_event("U0BOB", "hi", "Ev0BOB2", channel=channel))
    assert again.status_code == 200
    answered = channel_bot.api.wait_for(lambda: len(channel_bot.slack_posts(channel)) > len(posts)
                                        and channel_bot.slack_posts(channel), quiet=4)
    assert len(answered) > len(posts)
    assert channel_bot.slack_posts(channel)[:len(posts)] == posts


def test_a_retry_of_a_delivery_never_received_is_answered(channel_bot):
    channel = "D0CAROL"
    event = slack_message_event("U0CAROL", "hello", "Ev0CAROL1", channel=channel)
    response = channel_bot.slack_event(event, retry=(1, "connection_failed"))  # the first one was lost
    assert response.status_code == 200
    posts = channel_bot.api.wait_for(lambda: consent_questions(channel_bot.slack_posts(channel))
                                      and channel_bot.slack_posts(channel))
    assert len(consent_questions(posts)) == 1


def test_a_mention_delivered_as_two_events_is_answered_once(channel_bot):
    # In the bot's channel, a message that mentions the bot comes as a message event and
    # an app_mention event: two event ids, one message (same channel and ts).
    ts = f"{time.time():.6f}"
    as_message = slack_message_event("U0DAVE", "<@U0BOT> hi", "Ev0DAVE1", channel=SLACK_CHANNEL,
                                     channel_type="channel", ts=ts)
    as_mention = slack_message_event("U0DAVE", "<@U0BOT> hi", "Ev0DAVE2", channel=SLACK_CHANNEL,
                                     event_type="app_mention", ts=ts)
    assert channel_bot.slack_event(as_message).status_code == 200
    assert channel_bot.slack_event(as_mention).status_code == 200
    posts = channel_bot.api.wait_for(lambda: consent_questions(channel_bot.slack_posts(SLACK_CHANNEL))
                                      and channel_bot.slack_posts(SLACK_CHANNEL), quiet=4)
    assert len(consent_questions(posts)) == 1
    assert sum(t.startswith("Hi! I'm your movie guide.") for t in texts(posts)) == 1


def test_onboarding_by_button_presses_ends_with_recommendation_cards(channel_bot, catalog):
    channel, user = "D0ERIN", "U0ERIN"
    bot = channel_bot

    def after(count: int, condition=lambda posts: posts) -> list[dict]:
        """The posts after the first ``count`` once ``condition`` holds for them."""
        return bot.api.wait_for(lambda: condition(bot.slack_posts(channel)[count:]) and bot.slack_posts(channel)[count:])

    bot.slack_event(slack_message_event(user, "hi", "Ev0ERIN1", channel=channel))
    after(0, consent_questions)

    count = len(bot.slack_posts(channel))
    assert bot.slack_interaction(slack_block_actions(user, "/affirm", channel=channel)).status_code == 200
    question = after(count)[-1]
    assert question["text"].startswith("Which kinds of movies do you enjoy?")
    # Six categories and Skip in one actions block (Rasa's own Slack channel dropped every
    # button of a message with more than five).
    offered = buttons(question)
    categories = catalog.categories[:6]  # the catalog's biggest
    assert offered == [(c, f"/inform{json.dumps({'category': c})}") for c in categories] + [("Skip", "/skip")]
    assert [b["type"] for b in question["blocks"]] == ["section", "actions"]

    count = len(bot.slack_posts(channel))
    category, value = offered[0]
    bot.slack_interaction(slack_block_actions(user, value, channel=channel, text=category))
    assert texts(after(count))[0] == f"Noted: {category}."

    count = len(bot.slack_posts(channel))
    bot.slack_event(slack_message_event(user, "skip", "Ev0ERIN2", channel=channel))
    question = after(count)[-1]
    assert question["text"].startswith("Anything you'd rather I never suggest?")
    assert buttons(question) == [("Nothing to avoid", "/skip")]

    count = len(bot.slack_posts(channel))
    bot.slack_interaction(slack_block_actions(user, "/skip", channel=channel, text="Nothing to avoid"))
    posts = after(count, lambda posts: len([p for p in posts if len(buttons(p)) == 3]) >= 5)
    assert texts(posts)[:2] == [f"Thanks! I'll remember that you like {category}.", "Here are some picks for you:"]
    cards = [p for p in posts if len(buttons(p)) == 3]
    assert len(cards) == 5
    for card in cards:
        (_, like), (_, dislike), (_, more) = buttons(card)
        item_id = json.loads(like[len("/like"):])["item_id"]
        assert [dislike, more] == [payload("dislike", item_id), payload("more_like_this", item_id)]
        label = catalog.by_id[item_id].label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert card["blocks"][0]["text"]["text"].startswith(f"*{label}*")  # Slack's bold, not **
    assert sum(category in catalog.by_id[json.loads(buttons(c)[0][1][5:])["item_id"]].categories
               for c in cards) >= 4

    # 👍 on the first card: the press carries the card's payload.
    count = len(bot.slack_posts(channel))
    first = json.loads(buttons(cards[0])[0][1][len("/like"):])["item_id"]
    bot.slack_interaction(slack_block_actions(user, payload("like", first), channel=channel, text="👍 Like"))
    assert any(catalog.by_id[first].label in t for t in texts(after(count)))
    assert all(c.ok for c in bot.api.of("slack")), bot.api.describe()  # Slack would have taken every call


def test_a_slack_user_links_their_shop_account_with_a_code(channel_bot):
    """The code the shop's "link my account" page shows, typed in Slack: that chat is the shop
    customer's profile from then on (the real intent reading, rule, action and Slack channel)."""
    channel, user, customer = "D0FRAN", "U0FRAN", "fran-at-the-shop"
    bot = channel_bot
    store = Store(f"sqlite:///{bot.services.workdir / 'bot.sqlite3'}")  # the servers' engine database
    store.set_consent(customer, True, channel="site")
    store.add_event(customer, EventType.PURCHASE, "alien-1979", channel="site")
    code = Records(store).link_code(customer).code

    bot.slack_event(slack_message_event(user, f"link my account {code.lower()}", "Ev0FRAN1", channel=channel))
    posts = bot.api.wait_for(lambda: bot.slack_posts(channel))
    assert texts(posts)[0].startswith("Done: your Slack chat now shares your shop profile")
    assert Records(store).profile_id(user, "slack") == customer

    count = len(bot.slack_posts(channel))
    bot.slack_event(slack_message_event(user, "what do you know about me?", "Ev0FRAN2", channel=channel))
    posts = bot.api.wait_for(lambda: bot.slack_posts(channel)[count:])
    assert "you liked Alien (1979)" in texts(posts)[0]
    store.engine.dispose()


def test_unsigned_or_stale_requests_are_refused(channel_bot):
    channel = "D0MALLORY"
    envelope = slack_message_event("U0MALLORY", "hi", "Ev0MALLORY1", channel=channel)
    body = json.dumps(envelope).encode()
    forged = channel_bot.slack_event(envelope, signature=slack_signed(b'{"other": "bytes"}'))
    wrong_secret = channel_bot.slack_event(envelope, signature=slack_signed(body, "not-the-secret"))
    stale = channel_bot.slack_event(envelope, signature=slack_signed(body, SLACK_SIGNING_SECRET, int(time.time()) - 600))
    assert [forged.status_code, wrong_secret.status_code, stale.status_code] == [400, 400, 400]
    time.sleep(3)
    assert channel_bot.slack_posts(channel) == []


def test_url_verification_is_answered_with_the_challenge(channel_bot):
    response = channel_bot.slack_event({"token": "unused", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7",
                                        "type": "url_verification"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7"}

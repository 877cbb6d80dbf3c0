"""Telegram: webhook updates in, Bot API calls (setWebhook, sendMessage, ...) out."""

from __future__ import annotations

import html
import json
import re

import pytest
from channel_fakes import TELEGRAM_SECRET, TELEGRAM_WEBHOOK_URL, telegram_callback_update, telegram_message_update
from server_processes import offer_buttons

pytestmark = pytest.mark.rasa

CONSENT = "May I remember your tastes and feedback"


def keyboard(message: dict) -> list[list[tuple[str, str]]]:
    """(text, callback_data) of an inline keyboard, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [[(b["text"], b["callback_data"]) for b in row] for row in rows]


def flat(message: dict) -> list[tuple[str, str]]:
    return [button for row in keyboard(message) for button in row]


def payload(intent: str, item_id: str) -> str:
    """A card button's payload, as actions/runtime.py writes it."""
    return f"/{intent}{json.dumps({'item_id': item_id})}"


def card_item(card: dict, catalog) -> str:
    """The id of the item a recommendation card shows (its bold label; payloads may be tokens)."""
    label = html.unescape(re.match(r"<b>(.+?)</b>", card["text"]).group(1))
    return next(item.id for item in catalog.items if item.label == label)


class Chat:
    """One Telegram user's private chat with the bot."""

    def __init__(self, bot, chat_id: int) -> None:
        self.bot, self.chat_id = bot, chat_id

    @property
    def sent(self) -> list[dict]:
        return self.bot.telegram_sent(self.chat_id)

    def _post(self, update: dict) -> list[dict]:
        before = len(self.sent)
        response = self.bot.telegram_update(update)
        assert response.status_code == 200 and response.text == "success", response.text
        # Rasa's Telegram webhook answers once the bot's turn is over: the replies were sent.
        return self.sent[before:]

    def say(self, text: str) -> list[dict]:
        return self._post(telegram_message_update(self.chat_id, text))

    def press(self, message: dict, title: str) -> list[dict]:
        """Press the button titled ``title`` on one of the bot's messages."""
        data = dict(flat(message))[title]
        original = {"message_id": 1, "date": 0, "chat": {"id": self.chat_id, "type": "private"},
                    "text": message["text"], "reply_markup": message["reply_markup"]}
        return self._post(telegram_callback_update(self.chat_id, data, original))


def test_the_webhook_is_set_at_start_with_the_secret_token(channel_bot):
    calls = channel_bot.api.of("telegram", "setWebhook")
    assert [c.body for c in calls] == [{
        "url": TELEGRAM_WEBHOOK_URL,
        "secret_token": TELEGRAM_SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }]
    assert calls[0].ok


def test_hi_gets_a_greeting_and_the_consent_question_as_an_inline_keyboard(channel_bot):
    replies = Chat(channel_bot, 1001).say("hi")
    assert replies[0]["text"].startswith("Hi! I'm your movie guide.")
    question = replies[-1]
    assert question["text"].startswith(CONSENT)
    assert keyboard(question) == [[("Yes, remember me", "/affirm"), ("No, thanks", "/deny")]]
    assert all(c.ok for c in channel_bot.api.of("telegram")), channel_bot.api.describe()


def test_onboarding_by_button_presses_ends_with_recommendation_cards(channel_bot, catalog):
    chat = Chat(channel_bot, 1002)
    question = chat.say("hi")[-1]
    answered = len(channel_bot.api.of("telegram", "answerCallbackQuery"))

    question = chat.press(question, "Yes, remember me")[-1]
    assert question["text"].startswith("Which kinds of movies do you enjoy?")
    categories = catalog.categories[:6]  # the catalog's biggest
    assert flat(question) == [(c, f"/inform{json.dumps({'category': c})}") for c in categories] + [("Skip", "/skip")]
    assert [len(row) for row in keyboard(question)] == [3, 3, 1]
    # Every press is answered, so the user's client stops showing a spinner.
    assert len(channel_bot.api.of("telegram", "answerCallbackQuery")) == answered + 1

    category = categories[0]
    assert chat.press(question, category)[0]["text"] == f"Noted: {category}."
    question = chat.say("skip")[-1]
    assert question["text"].startswith("Anything you'd rather I never suggest?")
    assert keyboard(question) == [[("Nothing to avoid", "/skip")]]

    replies = chat.press(question, "Nothing to avoid")
    assert [m["text"] for m in replies[:2]] == [f"Thanks! I'll remember that you like {category}.",
                                               "Here are some picks for you:"]
    cards = [m for m in replies if m.get("reply_markup")]
    assert len(cards) == 5
    for card in cards:
        assert card["text"].startswith("<b>") and card["parse_mode"] == "HTML"  # **bold** as HTML
        item_id = card_item(card, catalog)
        assert [title for title, _ in flat(card)] == ["👍 Like", "👎 Not for me", "🔁 More like this"]
        for (_, data), intent in zip(flat(card), ["like", "dislike", "more_like_this"]):
            whole = payload(intent, item_id)
            assert data == whole if len(whole.encode()) <= 64 else data.startswith("~p:")
    assert sum(category in catalog.by_id[card_item(c, catalog)].categories for c in cards) >= 4

    liked = card_item(cards[0], catalog)
    assert any(catalog.by_id[liked].label in m["text"] for m in chat.press(cards[0], "👍 Like"))
    assert all(c.ok for c in channel_bot.api.of("telegram")), channel_bot.api.describe()


def test_payloads_over_64_bytes_travel_as_tokens_and_come_back_whole(channel_bot, catalog):
    # "More like this" on a long title is more than Telegram's 64 bytes of callback_data.
    chat = Chat(channel_bot, 1003)
    long_cards = []
    for seed in ["star-trek-ii-the-wrath-of-khan-1982", "close-encounters-of-the-third-kind-1977",
                 "invasion-of-the-body-snatchers-1956"]:
        # As if the bot had shown the seed's card (a typed payload is taken only for a button offered).
        services = channel_bot.services
        offer_buttons(services.rasa_url, services.rasa_token, str(chat.chat_id), [payload("more_like_this", seed)])
        replies = chat.say(payload("more_like_this", seed))
        cards = [m for m in replies if m.get("reply_markup")]
        assert cards, [m["text"] for m in replies]
        long_cards += [c for c in cards if len(payload("more_like_this", card_item(c, catalog)).encode()) > 64]
        if long_cards:
            break
    assert long_cards, "no recommended item has a long id: pick other seeds"
    card = long_cards[0]
    item_id = card_item(card, catalog)
    token = dict(flat(card))["🔁 More like this"]
    assert len(token.encode()) <= 64 and token != payload("more_like_this", item_id)
    assert all(c.ok for c in channel_bot.api.of("telegram", "sendMessage")), channel_bot.api.describe()

    replies = chat.press(card, "🔁 More like this")
    assert replies[0]["text"] == f"More like {catalog.by_id[item_id].label}:"


def test_a_redelivered_update_is_answered_once(channel_bot):
    chat = Chat(channel_bot, 1004)
    update = telegram_message_update(chat.chat_id, "hi")
    assert channel_bot.telegram_update(update).text == "success"
    sent = len(chat.sent)
    assert sent >= 2
    assert channel_bot.telegram_update(update).text == "success"
    assert len(chat.sent) == sent
    assert chat.say("hi"), "a new update with the same text is answered"


def test_updates_without_the_secret_token_are_refused(channel_bot):
    chat_id = 1005
    for secret in [None, "wrong"]:
        response = channel_bot.telegram_update(telegram_message_update(chat_id, "hi"), secret=secret)
        assert response.status_code == 403
    assert channel_bot.telegram_sent(chat_id) == []


def test_a_press_on_a_token_from_before_a_restart_is_answered_not_forwarded(channel_bot):
    chat_id = 1006
    answered = len(channel_bot.api.of("telegram", "answerCallbackQuery"))
    response = channel_bot.telegram_update(telegram_callback_update(chat_id, "~p:unknown-token-0000000000"))
    assert response.text == "success"
    answers = channel_bot.api.of("telegram", "answerCallbackQuery")[answered:]
    assert [a.body.get("text") for a in answers] == ["That button is too old for me, sorry. Please ask again."]
    assert channel_bot.telegram_sent(chat_id) == []


def test_other_update_types_are_acknowledged_and_ignored(channel_bot):
    # e.g. the user blocks the bot: Rasa's handler failed on it (500), so Telegram redelivered it.
    update = {"update_id": 990001, "my_chat_member": {
        "chat": {"id": 1007, "type": "private"}, "from": {"id": 1007, "is_bot": False, "first_name": "A"},
        "date": 0, "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "b"}},
        "new_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": 1, "is_bot": True, "first_name": "b"}}}}
    response = channel_bot.telegram_update(update)
    assert response.status_code == 200
    assert channel_bot.telegram_sent(1007) == []

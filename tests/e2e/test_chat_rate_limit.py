"""The chat rate limit per sender (rasa_plugins/ratelimit.py) through the real servers: with
BOT_RATE_LIMIT_PER_SENDER=5, a sender's sixth message in a minute gets one clear reply and is
neither processed nor stored; another sender is not affected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from live_servers import own_servers

TOO_FAST = "You're sending messages faster than I can read them. Give me "


RATE_LIMITED = own_servers("rate_limited", "limited",
                           lambda request: {"BOT_RATE_LIMIT_PER_SENDER": "5", "BOT_REDIS_URL": ""})


@pytest.fixture(scope="module")
def limited(own_set) -> Iterator:
    yield from own_set(RATE_LIMITED)


def stored_user_texts(services, sender: str) -> list[str]:
    """The user messages of the conversation as the tracker store has them (Rasa's HTTP API)."""
    response = requests.get(
        f"{services.rasa_url}/conversations/{sender}/tracker",
        params={"token": services.rasa_token, "include_events": "ALL"}, timeout=60,
    )
    response.raise_for_status()
    return [event.get("text") for event in response.json()["events"] if event["event"] == "user"]


def test_the_sixth_message_in_a_minute_gets_a_clear_reply_and_is_not_stored(limited):
    fast, calm = f"fast-{uuid.uuid4().hex[:8]}", f"calm-{uuid.uuid4().hex[:8]}"

    answered = [limited.say(fast, text) for text in ("/help", "/bot_challenge") * 2 + ("/help",)]
    assert all(reply.texts and not reply.texts[0].startswith(TOO_FAST) for reply in answered)

    refused = limited.say(fast, "recommend me something")
    assert len(refused) == 1 and refused.texts[0].startswith(TOO_FAST), refused
    assert refused.texts[0].endswith(" and try again.")
    assert refused[0]["recipient_id"] == fast

    assert stored_user_texts(limited, fast) == ["/help", "/bot_challenge"] * 2 + ["/help"]

    other = limited.say(calm, "/bot_challenge")
    assert other.texts and not other.texts[0].startswith(TOO_FAST)
    assert stored_user_texts(limited, calm) == ["/bot_challenge"]

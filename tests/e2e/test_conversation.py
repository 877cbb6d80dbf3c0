"""A whole conversation over Rasa's REST channel with the real servers and engine."""

from __future__ import annotations

import json


def texts(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def picks(messages: list[dict]) -> list[str]:
    """Item ids of the recommendation cards, in order (from their Like buttons)."""
    return [
        json.loads(m["buttons"][0]["payload"][len("/like"):])["item_id"]
        for m in messages
        if m.get("buttons") and m["buttons"][0]["payload"].startswith("/like")
    ]


def test_onboarding_recommendations_feedback_and_restart(services, catalog):
    user = "e2e-user"

    greeting = texts(services.say(user, "hello"))
    assert greeting[0].startswith("Hi! I'm your movie guide.")
    assert greeting[-1].startswith("Which kinds of movies do you enjoy?")

    assert texts(services.say(user, "sci-fi")) == [
        "Noted: Sci-Fi.",
        'Name one or two movies you love (for example "The Matrix and Amélie"), or say "skip".',
    ]
    assert texts(services.say(user, "skip"))[-1].startswith("Anything you'd rather I never suggest?")

    first_reply = services.say(user, "nothing")
    assert texts(first_reply)[:2] == [
        "Thanks! I'll remember that you like Sci-Fi.",
        "Here are some picks for you:",
    ]
    first = picks(first_reply)
    assert len(first) == 5
    assert sum("Sci-Fi" in catalog.by_id[i].categories for i in first) >= 4

    asked = services.say(user, "any good sci-fi?")
    assert texts(asked)[0] == "Here are some Sci-Fi picks for you:"
    assert all("Sci-Fi" in catalog.by_id[i].categories for i in picks(asked))

    disliked = first[0]
    assert texts(services.say(user, f'/dislike{{"item_id": "{disliked}"}}')) == [
        f"Got it, I won't suggest {catalog.by_id[disliked].label} again."
    ]
    after = picks(services.say(user, "recommend me something"))
    assert len(after) == 5 and disliked not in after and after != first

    # A restart of both servers keeps the profile: the user is welcomed back.
    services.stop()
    services.start()
    welcome = texts(services.say(user, "hi"))
    assert welcome == ["Welcome back! I remember you like Sci-Fi."]


def test_strange_messages_get_a_helpful_reply(services):
    for text in ["🙂🙂🙂", "<script>alert(1)</script>", "' OR 1=1; --", "a" * 5000]:
        reply = services.say("e2e-strange", text)
        assert reply, f"no reply to {text[:20]!r}"
        assert all("Traceback" not in m.get("text", "") for m in reply)

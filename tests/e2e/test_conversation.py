"""A whole conversation over Rasa's REST channel with the real servers and engine."""

from __future__ import annotations


def test_onboarding_recommendations_feedback_and_restart(services, catalog):
    user = "e2e-user"

    greeting = services.say(user, "hello").texts
    assert greeting[0].startswith("Hi! I'm your movie guide.")
    assert greeting[-1].startswith("May I remember your tastes and feedback")
    assert services.say(user, "yes").texts[-1].startswith("Which kinds of movies do you enjoy?")

    assert services.say(user, "sci-fi").texts == [
        "Noted: Sci-Fi.",
        'Name one or two movies you love (for example "The Matrix and Amélie"), or say "skip".',
    ]
    assert services.say(user, "skip").texts[-1].startswith("Anything you'd rather I never suggest?")

    first_reply = services.say(user, "nothing")
    assert first_reply.texts[:2] == [
        "Thanks! I'll remember that you like Sci-Fi.",
        "Here are some picks for you:",
    ]
    first = first_reply.picks
    assert len(first) == 5
    assert sum("Sci-Fi" in catalog.by_id[i].categories for i in first) >= 4

    asked = services.say(user, "any good sci-fi?")
    assert asked.texts[0] == "Here are some Sci-Fi picks for you:"
    assert all("Sci-Fi" in catalog.by_id[i].categories for i in asked.picks)

    disliked = first[0]
    assert services.say(user, f'/dislike{{"item_id": "{disliked}"}}').texts == [
        f"Got it, I won't suggest {catalog.by_id[disliked].label} again."
    ]
    after = services.say(user, "recommend me something").picks
    assert len(after) == 5 and disliked not in after and after != first

    # A restart of both servers keeps the profile: the user is welcomed back.
    services.stop()
    services.start()
    welcome = services.say(user, "hi").texts
    assert welcome == ["Welcome back! I remember you like Sci-Fi."]


def test_strange_messages_get_a_helpful_reply(services):
    # 2000 characters: the most the REST channel takes (tests/e2e/test_fuzz_rest_channel.py)
    for text in ["🙂🙂🙂", "<script>alert(1)</script>", "' OR 1=1; --", "a" * 2000]:
        reply = services.say("e2e-strange", text)
        assert reply, f"no reply to {text[:20]!r}"
        assert all("Traceback" not in m.get("text", "") for m in reply)


def test_fixed_replies_speak_of_the_catalog(services):
    help_text = services.say("e2e-help", "what can you do?").texts[0]
    assert help_text.startswith("I recommend movies and learn what you like")
    assert "{" not in help_text and "any good Drama?" in help_text

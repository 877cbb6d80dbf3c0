"""Driving the chat widget as a person would; shared by the browser tests
(``from chat_page import onboard, say``)."""

from __future__ import annotations

REPLY_TIMEOUT_MS = 120_000  # the first reply waits for Rasa and the engine to warm up
INPUT_LABEL = "Message to the movie assistant"


def say(page, text: str) -> None:
    """Type a message in the chat box and press Enter."""
    box = page.get_by_label(INPUT_LABEL)
    box.click()
    box.fill(text)
    box.press("Enter")


def onboard(page, chat) -> None:
    """Consent, one category, nothing to avoid: the first picks appear."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Yes, remember me").click()
    expect(chat).to_contain_text("Which kinds of movies do you enjoy?")
    say(page, "sci-fi")
    expect(chat).to_contain_text("Name one or two movies you love")
    say(page, "skip")
    page.get_by_role("button", name="Nothing to avoid").click()
    expect(chat.locator("article.card")).to_have_count(5)

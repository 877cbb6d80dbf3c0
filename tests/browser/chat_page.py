"""Driving the chat widget as a person would; shared by the browser tests
(``from chat_page import say``)."""

from __future__ import annotations

REPLY_TIMEOUT_MS = 120_000  # the first reply waits for Rasa and the engine to warm up
INPUT_LABEL = "Message to the movie assistant"


def say(page, text: str) -> None:
    """Type a message in the chat box and press Enter."""
    box = page.get_by_label(INPUT_LABEL)
    box.click()
    box.fill(text)
    box.press("Enter")

"""What an action hands back to Rasa, as plain dicts: the events it returns and the messages
it sends. Shared by the action tests (``from dispatched import message, slot``)."""

from __future__ import annotations


def slot(name, value):
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def message(text, buttons=None, image=None):
    """A message as rasa_sdk's CollectingDispatcher records it."""
    return {
        "text": text,
        "buttons": buttons or [],
        "elements": [],
        "custom": {},
        "template": None,
        "response": None,
        "image": image,
        "attachment": None,
    }

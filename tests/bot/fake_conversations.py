"""Rasa's tracker store as the records use it (a conversation per sender), in memory: for the
tests of linking ids (``from fake_conversations import Conversations``)."""

from __future__ import annotations


class Conversations:
    def __init__(self, **turns: list[dict]) -> None:
        self.turns = dict(turns)

    def history(self, sender_id: str) -> list[dict]:
        return self.turns.get(sender_id, [])

    def erase(self, sender_id: str) -> int:
        return len(self.turns.pop(sender_id, []))

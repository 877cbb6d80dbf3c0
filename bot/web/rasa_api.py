"""Rasa's HTTP API, as the agent console uses it during a human handoff (and the outreach
to start a conversation at a user's usual hour, bot/web/outreach.py).

Rasa runs with ``--enable-api --auth-token $BOT_RASA_TOKEN`` (scripts/run). An agent's
reply is appended to the conversation as a bot message with ``execute_side_effects``
and ``output_channel=latest``: Rasa then sends it on the channel the user last wrote
from (the widget's socket.io room, Slack, Telegram) and keeps it in the tracker, so it
is part of the transcript, the export and the erasure like every other message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

HANDED_BACK_INTENT = "handed_back"  # domain.yml; a rule answers it with utter_back_to_bot
TIMED_OUT_INTENT = "handoff_timed_out"  # no agent answered in time: utter_handoff_timed_out
_SEND = {"output_channel": "latest", "execute_side_effects": "true"}


class RasaUnavailable(Exception):
    """Rasa could not be reached or refused the request; the message says which."""


class RasaApi:
    def __init__(self, base_url: str, token: str, timeout_s: float = 15.0,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, params={"token": token},
                                    timeout=timeout_s, transport=transport)

    def send_agent_message(self, sender_id: str, agent: str, text: str) -> None:
        """Deliver the agent's words to the user, signed with the agent's name."""
        message = {"event": "bot", "text": f"{agent} (support): {text}", "metadata": {"agent": agent}}
        self._post(f"{self._conversation(sender_id)}/tracker/events", [message], _SEND)

    def hand_back(self, sender_id: str, intent: str = HANDED_BACK_INTENT) -> None:
        """Un-pause the bot for this conversation and let it tell the user it is back (an
        external intent, Rasa's way for a system rather than the user to start a turn).

        While paused, Rasa logs the user's messages without the ``action_listen`` that
        normally precedes each; one is added here so that the rules see the usual
        "listened, then heard" state and ``handed_back`` is answered by its rule.
        """
        self._post(f"{self._conversation(sender_id)}/tracker/events",
                   [{"event": "resume"}, {"event": "action", "name": "action_listen"}], _SEND)
        self.trigger(sender_id, intent)

    def trigger(self, sender_id: str, intent: str) -> None:
        """Start a turn as if the user had expressed ``intent``; the replies go out on the
        channel the user last wrote from (socket.io only while the page is open)."""
        self._post(f"{self._conversation(sender_id)}/trigger_intent", {"name": intent},
                   {"output_channel": "latest"})

    @staticmethod
    def _conversation(sender_id: str) -> str:
        return f"/conversations/{quote(sender_id, safe='')}"

    def _post(self, path: str, body: Any, params: dict[str, str]) -> None:
        try:
            response = self._client.post(path, json=body, params=params)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"could not reach Rasa at {self.base_url}: {error}") from None
        if response.status_code in (401, 403):
            raise RasaUnavailable("Rasa refused the request: BOT_RASA_TOKEN differs from Rasa's --auth-token")
        if response.is_error:
            raise RasaUnavailable(f"Rasa answered {response.status_code}: {response.text[:200]}")

"""What the Slack and Telegram channels share: settings from the environment, a stand-in for
a channel that is switched off, and a memory of deliveries already handled.

credentials.yml writes the secrets as quoted ``"${VAR}"``: Rasa leaves quoted strings alone
(it expands only unquoted ones, and an unset variable would stop start-up), so the channels
expand them here. A channel whose token is unset is *disabled*: its webhook answers 503,
nothing is called. ``make run`` and the tests need no Slack or Telegram secrets.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

API_TIMEOUT_S = 30

_ENV_VAR = re.compile(r"\$\{(\w+)\}")


def expand_credentials(credentials: dict[str, Any] | None) -> dict[str, Any]:
    """Credentials with ``${VAR}`` replaced from the environment; empty values dropped."""
    expanded = {}
    for key, value in (credentials or {}).items():
        if isinstance(value, str):
            value = _ENV_VAR.sub(lambda match: os.environ.get(match.group(1), ""), value).strip()
        if value not in ("", None):
            expanded[key] = value
    return expanded


def credential_source(credentials: dict[str, Any] | None, key: str) -> str:
    """How credentials.yml sets a key, for messages ("slack_token (${SLACK_BOT_TOKEN})")."""
    raw = (credentials or {}).get(key)
    return f"{key} ({raw})" if isinstance(raw, str) and "${" in raw else key


class RecentKeys:
    """Keys seen in the last ``ttl_s`` seconds (at most ``size``): deliveries already handled."""

    def __init__(self, size: int = 10_000, ttl_s: float = 3600) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen(self, keys: Iterable[str]) -> bool:
        """Whether any key was seen; records them all. No await inside: atomic in the loop."""
        now = time.monotonic()
        while self._seen and (len(self._seen) > self.size or next(iter(self._seen.values())) < now - self.ttl_s):
            self._seen.popitem(last=False)
        keys = [k for k in keys if k]
        duplicate = any(k in self._seen for k in keys)
        for key in keys:
            self._seen[key] = now
            self._seen.move_to_end(key)
        return duplicate


class DisabledChannel(InputChannel):
    """Stands in for a channel whose token is not set: its webhook says so and does nothing."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel, self.reason = channel, reason
        logger.info("The %s channel is disabled: %s.", channel, reason)

    def url_prefix(self) -> str:
        return self.channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        disabled = Blueprint(f"{self.channel}_disabled", __name__)

        @disabled.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "disabled", "reason": self.reason})

        @disabled.route("/webhook", methods=["GET", "POST"])
        async def webhook(_: Request) -> HTTPResponse:
            return response.text(f"The {self.channel} channel is disabled: {self.reason}.", status=503)

        return disabled

"""Rasa 3.6's Slack channel with this project's fixes (credentials.yml:
``rasa_plugins.slack_channel.SlackInput``, webhook ``/webhooks/slack/webhook``).

- Secrets from the environment, off when unset (rasa_plugins/channel_common.py); a token
  without the signing secret stops start-up naming the missing variable.
- ``SLACK_API_URL`` (default the real API), so the tests answer for Slack on a local server.
- No duplicate replies to retried deliveries (``X-Slack-Retry-Num``, any reason) or to one
  message delivered as two events (``message`` and ``app_mention``); no ``as_user`` (new
  Slack apps get ``invalid_arguments`` for it); more than five buttons are sent (Rasa dropped
  them all; Block Kit allows 25 per actions block); ``**bold**`` and ``<``, ``&`` as Slack
  mrkdwn; the URL verification answered as Slack documents it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import slack
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from rasa_plugins.channel_common import API_TIMEOUT_S, DisabledChannel, RecentKeys, credential_source, expand_credentials

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"


def slack_mrkdwn(text: str) -> str:
    """The bot's text as Slack mrkdwn: ``&``, ``<``, ``>`` escaped, ``**bold**`` as ``*bold*``."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", escaped)


class SlackBot(slack.SlackBot):
    """Rasa's Slack output on a configurable API URL, fit for today's Slack apps."""

    MAX_BUTTONS_PER_BLOCK = 25  # Block Kit: an actions block holds up to 25 elements

    def __init__(
        self,
        token: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
        api_url: str = SLACK_API_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_url.rstrip("/") + "/", proxy=proxy, timeout=API_TIMEOUT_S)

    async def _post_message(self, channel: str, **kwargs: Any) -> None:
        # Rasa sends as_user=True, which apps with granular bot tokens (any app created
        # today) may not send: chat.postMessage fails with invalid_arguments. "type" is no
        # argument of chat.postMessage either.
        kwargs.pop("as_user", None)
        kwargs.pop("type", None)
        if isinstance(kwargs.get("text"), str):
            kwargs["text"] = slack_mrkdwn(kwargs["text"])
        await super()._post_message(channel, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """A section with the text, then the buttons (value = payload) in actions blocks."""
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": button["title"][:75], "emoji": True},
                "value": button["payload"],
                "action_id": f"button_{number}",
            }
            for number, button in enumerate(buttons)
        ]
        step = self.MAX_BUTTONS_PER_BLOCK
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": slack_mrkdwn(text)}}] + [
            {"type": "actions", "elements": elements[start:start + step]}
            for start in range(0, len(elements), step)
        ]
        await self._post_message(channel=self.slack_channel or recipient_id, text=text, blocks=blocks)


class SlackInput(slack.SlackInput):
    """Rasa's Slack input: secrets from the environment, API URL, one reply per message."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = expand_credentials(credentials)
        if not settings.get("slack_token"):
            return DisabledChannel("slack", f"{credential_source(credentials, 'slack_token')} is not set")
        if not settings.get("slack_signing_secret"):
            raise InvalidConfigException(
                f"The Slack channel has a token but no signing secret: set "
                f"{credential_source(credentials, 'slack_signing_secret')} (the app's Basic Information page)."
            )
        channel = super().from_credentials(settings)
        channel.api_url = settings.get("api_url", SLACK_API_URL)
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = SLACK_API_URL
        self._deliveries = RecentKeys()

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> SlackBot:
        """Replies go where the user wrote (``channel``). Without one, the message is pushed
        outside the user's turn (a support agent's reply through Rasa's HTTP API): it goes to
        the user's direct messages with the app, never to ``slack_channel``, where Rasa would
        send it and other people would read it."""
        return SlackBot(self.slack_token, channel, thread_id, self.proxy, self.api_url)

    @staticmethod
    def _delivery_keys(request: Request) -> list[str]:
        """What identifies an Events API delivery: its event_id, and the message itself
        (channel and ts), which Slack sends twice when the app has both ``message.*`` and
        ``app_mention`` events and the message mentions the bot. Interactive payloads
        (button presses) are never retried by Slack: no keys."""
        if request.headers.get("content-type") != "application/json":
            return []
        envelope = request.json or {}
        event = envelope.get("event") or {}
        keys = [f"event:{envelope['event_id']}"] if envelope.get("event_id") else []
        if event.get("channel") and event.get("ts"):
            keys.append(f"message:{event['channel']}:{event['ts']}")
        return keys

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: str | None,
        metadata: dict | None,
    ) -> Any:
        # Slack retries a delivery it thinks failed (X-Slack-Retry-Num: 1..3). Rasa ignores only
        # retries for reason http_timeout; any other reason would reply a second time.
        keys = self._delivery_keys(request)
        if self._deliveries.seen(keys):
            logger.info(
                "Slack sent %s again (retry %s, reason %s); not replying again.", " / ".join(keys),
                request.headers.get(self.retry_num_header, "-"), request.headers.get(self.retry_reason_header, "-"),
            )
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        return await super().process_message(request, on_new_message, text, sender_id, metadata)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def url_verification(request: Request) -> HTTPResponse | None:
            # Slack documents {"challenge": ...} (or the bare value) as the answer; Rasa
            # answers a JSON string.
            if request.method != "POST" or request.headers.get("content-type") != "application/json":
                return None
            body = request.json
            if isinstance(body, dict) and body.get("type") == "url_verification":
                if not self.is_request_from_slack_authentic(request):
                    return response.text("Message is not properly signed", status=400)
                return response.json({"challenge": body.get("challenge")})
            return None

        return webhook

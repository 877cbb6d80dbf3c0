"""Slack, Telegram and REST channels: Rasa's own, configured from the environment, with fixes.

credentials.yml names these classes by module path (``rasa_plugins.channels.SlackInput``);
they keep Rasa's names and webhook paths (``/webhooks/slack/webhook``,
``/webhooks/telegram/webhook``). What they add to Rasa 3.6's channels:

- **Secrets from the environment, and off when unset.** credentials.yml writes the values as
  quoted ``"${VAR}"``: Rasa leaves quoted strings alone (it expands only unquoted ones, and an
  unset variable would stop start-up), so these classes expand them. A channel whose token
  is unset is *disabled*: its webhook answers 503, nothing is called. ``make run`` and the
  tests need no Slack or Telegram secrets. A token without the rest of its settings stops
  start-up with the missing variable's name.
- **API base URLs** (``SLACK_API_URL``, ``TELEGRAM_API_URL``; default the real APIs), so the
  tests answer for Slack and Telegram on a local server.
- **Slack:** no duplicate replies to retried deliveries (``X-Slack-Retry-Num``, any reason)
  or to one message delivered as two events (``message`` and ``app_mention``); no
  ``as_user`` (new Slack apps get ``invalid_arguments`` for it); more than five buttons
  are sent (Rasa dropped them all; Block Kit allows 25 per actions block); ``**bold**``
  and ``<``, ``&`` as Slack mrkdwn; the URL verification answered as Slack documents it.
- **Telegram:** the webhook is set in the server's event loop at start-up, with Telegram's
  secret token (``X-Telegram-Bot-Api-Secret-Token``, checked on every update) and only the
  update types Rasa handles; a redelivered update is ignored; button presses are answered
  (the client stops its spinner); button payloads over Telegram's 64-byte
  ``callback_data`` limit travel as a short token (Rasa's channel had every such message
  rejected: "More like this" on 41 of the 603 demo movies); keyboards of at most three
  buttons a row; ``**bold**`` as HTML; ``getMe`` once, not on every update.
- **REST** (``/webhooks/rest/webhook``): the body is checked before Rasa sees it. Rasa 3.6
  answered a body of the wrong shape (a list, ``null``, a number as the message) with a 500
  or an empty 200, and took a missing sender as the shared user ``default``; here such a body
  gets a 4xx with a JSON ``message`` saying what is wrong, and nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import math
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, User
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels import rest, slack, telegram
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException, RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
TELEGRAM_API_URL = "https://api.telegram.org"
API_TIMEOUT_S = 30

_ENV_VAR = re.compile(r"\$\{(\w+)\}")


def _expand(credentials: dict[str, Any] | None) -> dict[str, Any]:
    """Credentials with ``${VAR}`` replaced from the environment; empty values dropped."""
    expanded = {}
    for key, value in (credentials or {}).items():
        if isinstance(value, str):
            value = _ENV_VAR.sub(lambda match: os.environ.get(match.group(1), ""), value).strip()
        if value not in ("", None):
            expanded[key] = value
    return expanded


def _source(credentials: dict[str, Any] | None, key: str) -> str:
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


# ---------------------------------------------------------------------------------- Slack


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
        settings = _expand(credentials)
        if not settings.get("slack_token"):
            return DisabledChannel("slack", f"{_source(credentials, 'slack_token')} is not set")
        if not settings.get("slack_signing_secret"):
            raise InvalidConfigException(
                f"The Slack channel has a token but no signing secret: set "
                f"{_source(credentials, 'slack_signing_secret')} (the app's Basic Information page)."
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


# ------------------------------------------------------------------------------- Telegram


def telegram_html(text: str) -> str:
    """The bot's text as Telegram HTML: escaped, ``**bold**`` as ``<b>bold</b>``."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text, quote=False))


class ButtonPayloads:
    """Payloads as Telegram ``callback_data`` (1-64 bytes).

    A payload that fits is sent as itself; a longer one (``/more_like_this{"item_id": ...}``
    for a long title) as a token, remembered here until a button press brings it back.
    Tokens are kept in memory (the newest 50,000): after a restart, older long buttons are
    answered with "ask again".
    """

    LIMIT = 64
    PREFIX = "~p:"

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= self.LIMIT and not payload.startswith(self.PREFIX):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()
        token = self.PREFIX + base64.urlsafe_b64encode(digest).decode()[:24]
        self._payloads[token] = payload
        self._payloads.move_to_end(token)
        while len(self._payloads) > self.size:
            self._payloads.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        """The payload a button press stands for; None for a token no longer known."""
        if not data.startswith(self.PREFIX):
            return data
        return self._payloads.get(data)


class TelegramOutput(telegram.TelegramOutput):
    """Rasa's Telegram output on a configurable API server, with the payload tokens."""

    BUTTONS_PER_ROW = 3

    def __init__(self, access_token: str, api_url: str = TELEGRAM_API_URL,
                 payloads: ButtonPayloads | None = None) -> None:
        Bot.__init__(self, access_token, timeout=API_TIMEOUT_S, server=TelegramAPIServer.from_base(api_url))
        self.payloads = payloads or ButtonPayloads()
        self._me: User | None = None

    async def get_me(self) -> User:
        """The bot's own user, asked once (Rasa's webhook asks on every update)."""
        if self._me is None:
            self._me = await super().get_me()
        return self._me

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for message_part in text.strip().split("\n\n"):
            await self.send_message(recipient_id, telegram_html(message_part), parse_mode="HTML")

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = "inline",
        **kwargs: Any,
    ) -> None:
        """An inline keyboard (callback_data = payload, or its token), three buttons a row;
        ``button_type`` "vertical" puts one button a row, "reply" is Rasa's reply keyboard."""
        if button_type not in ("inline", "vertical"):
            return await super().send_text_with_buttons(recipient_id, text, buttons, button_type, **kwargs)
        per_row = 1 if button_type == "vertical" else self.BUTTONS_PER_ROW
        keyboard = InlineKeyboardMarkup(row_width=per_row)
        keyboard.add(*[
            InlineKeyboardButton(button["title"], callback_data=self.payloads.encode(button["payload"]))
            for button in buttons
        ])
        await self.send_message(recipient_id, telegram_html(text), parse_mode="HTML", reply_markup=keyboard)


class TelegramInput(telegram.TelegramInput):
    """Rasa's Telegram input: secrets from the environment, API URL, secret token, fixes."""

    SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
    UPDATE_TYPES = ("message", "edited_message", "callback_query")  # what Rasa's webhook reads
    EXPIRED = "That button is too old for me, sorry. Please ask again."

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = _expand(credentials)
        if not settings.get("access_token"):
            return DisabledChannel("telegram", f"{_source(credentials, 'access_token')} is not set")
        missing = [_source(credentials, key) for key in ("verify", "webhook_url") if not settings.get(key)]
        if missing:
            raise InvalidConfigException(
                f"The Telegram channel has a token but not {' and '.join(missing)}: "
                f"verify is the bot's username, webhook_url the public address of "
                f"/webhooks/telegram/webhook."
            )
        return cls(
            settings["access_token"], settings["verify"], settings["webhook_url"],
            api_url=settings.get("api_url", TELEGRAM_API_URL), secret_token=settings.get("secret_token"),
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        debug_mode: bool = True,
        api_url: str = TELEGRAM_API_URL,
        secret_token: str | None = None,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        self.api_url = api_url
        self.secret_token = secret_token
        self._output: TelegramOutput | None = None
        self._updates = RecentKeys()

    def get_output_channel(self) -> TelegramOutput:
        """One output for the server's life. Rasa's version also set the webhook, in a
        throwaway event loop, every time it was asked; here it is set once at start-up."""
        if self._output is None:
            self._output = TelegramOutput(self.access_token, self.api_url)
        return self._output

    async def set_webhook(self) -> bool:
        data = {"url": self.webhook_url, "allowed_updates": json.dumps(list(self.UPDATE_TYPES))}
        if self.secret_token:
            data["secret_token"] = self.secret_token
        return bool(await self.get_output_channel().request("setWebhook", data))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        output = self.get_output_channel()

        @webhook.listener("before_server_start")
        async def register_webhook(*_: Any) -> None:
            try:
                await self.set_webhook()
            except TelegramAPIError as error:
                raise RasaException(f"Failed to set the Telegram webhook: {error}") from error
            logger.info("Telegram webhook set to %s.", self.webhook_url)

        @webhook.listener("after_server_stop")
        async def close_session(*_: Any) -> None:
            if output._session is not None:  # aiogram's session, opened by the first call
                await output._session.close()

        @webhook.middleware("request")
        async def guard(request: Request) -> HTTPResponse | None:
            path = request.path.rstrip("/")
            if path.endswith("/set_webhook"):  # Rasa's route would drop the secret token
                if await self.set_webhook():
                    return response.text("Webhook setup successful")
                return response.text("Invalid webhook")
            if not path.endswith("/webhook") or request.method != "POST":
                return None
            if self.secret_token and not hmac.compare_digest(
                request.headers.get(self.SECRET_HEADER, ""), self.secret_token
            ):
                return response.text("Not from Telegram.", status=403)
            update = request.json
            if isinstance(update, str):
                update = json.loads(update)
                request.parsed_json = update
            if not isinstance(update, dict) or not any(update.get(kind) for kind in self.UPDATE_TYPES):
                return response.text("success")  # Rasa's handler would fail on it (500: redelivered)
            if update.get("update_id") is not None and self._updates.seen([str(update["update_id"])]):
                logger.info("Telegram update %s already handled; ignored.", update["update_id"])
                return response.text("success")
            press = update.get("callback_query")
            if press:
                return await self._button_press(press, output)
            return None

        return webhook

    async def _button_press(self, press: dict[str, Any], output: TelegramOutput) -> HTTPResponse | None:
        """Answer the press (the client shows a spinner until then) and put the payload
        back in place of its token; None lets Rasa's handler go on."""
        payload = output.payloads.decode(press.get("data") or "")
        try:
            await output.answer_callback_query(press["id"], text=None if payload else self.EXPIRED)
        except TelegramAPIError as error:  # a press older than Telegram's answer window
            logger.warning("Could not answer a Telegram button press: %s", error)
        if payload is None:
            return response.text("success")
        press["data"] = payload  # the dict Rasa's handler reads from request.json
        return None


# ------------------------------------------------------------------------------- REST

MAX_MESSAGE_CHARS = 2000  # what the chat page's input takes (bot/web/static/index.html)
MAX_SENDER_CHARS = 255  # the sender id columns of both databases
MAX_BODY_BYTES = 64 * 1024  # a longest message in escaped astral characters, with metadata to spare
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class RestRequestError(ValueError):
    """A REST webhook body that cannot be a chat message: the status and what to tell the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _text_problem(value: str) -> str | None:
    """Why a text is refused (NUL, lone surrogates: no database keeps them), or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    surrogate = _LONE_SURROGATE.search(value)
    if surrogate:
        return (f"is not valid Unicode: a lone surrogate (\\u{ord(surrogate.group()):04x}) "
                f"at character {surrogate.start()}")
    return None


def _refuse_constant(name: str) -> Any:
    raise RestRequestError(400, f"the body is not valid JSON: {name} is not a JSON value")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e999: Python reads infinity, which JSON cannot carry on
        raise RestRequestError(400, "the body holds a number out of range (beyond ±1.8e308)")
    return value


def parse_rest_body(body: bytes) -> dict[str, Any]:
    """The REST webhook's body checked: ``{"sender": text, "message": text, "metadata": {...}}``.

    Returns only these fields (``input_channel`` is not taken from the client: it names the
    channel in the engine's records and decides whether a person can answer later). Raises
    :class:`RestRequestError` with a 4xx status and a message that never echoes the input.
    """
    if len(body) > MAX_BODY_BYTES:
        raise RestRequestError(413, f"the body is too large: {len(body)} bytes, at most {MAX_BODY_BYTES}")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RestRequestError(400, f"the body is not UTF-8 text (byte {error.start})") from None
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RestRequestError:
        raise
    except json.JSONDecodeError as error:
        raise RestRequestError(
            400, f"the body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except (ValueError, RecursionError):  # a number of thousands of digits, nesting too deep
        raise RestRequestError(400, "the body is JSON this server cannot read: a number too long or "
                                    "nesting too deep") from None
    if not isinstance(parsed, dict):
        raise RestRequestError(400, 'the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, message, metadata = parsed.get("sender"), parsed.get("message"), parsed.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise RestRequestError(400, '"sender" must be a non-empty string: the id of the user writing')
    if len(sender) > MAX_SENDER_CHARS:
        raise RestRequestError(400, f'"sender" is too long: {len(sender)} characters, at most {MAX_SENDER_CHARS}')
    problem = _text_problem(sender)
    if problem:
        raise RestRequestError(400, f'"sender" {problem}')
    if not isinstance(message, str):
        raise RestRequestError(400, '"message" must be a string: the text the user wrote')
    if not message.strip():
        raise RestRequestError(400, '"message" is empty')
    if len(message) > MAX_MESSAGE_CHARS:
        raise RestRequestError(
            413, f'"message" is too long: {len(message)} characters, at most {MAX_MESSAGE_CHARS}'
        )
    problem = _text_problem(message)
    if problem:
        raise RestRequestError(400, f'"message" {problem}')
    if metadata is not None and not isinstance(metadata, dict):
        raise RestRequestError(400, '"metadata" must be a JSON object when given')
    return {"sender": sender, "message": message, "metadata": metadata}


class RestInput(rest.RestInput):
    """Rasa's REST channel (same name and webhook) with its body checked first: a body Rasa
    would fail on, or mistake for another user, gets a JSON ``{"status": "failure", "code",
    "message"}`` with a 4xx and never reaches the conversation."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                request.parsed_json = parse_rest_body(request.body or b"")  # what Rasa's handler reads
            except RestRequestError as error:
                return response.json({"status": "failure", "code": error.status, "message": error.message},
                                     status=error.status)
            return None

        return webhook

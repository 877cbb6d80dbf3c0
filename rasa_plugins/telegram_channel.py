"""Rasa 3.6's Telegram channel with this project's fixes (credentials.yml:
``rasa_plugins.telegram_channel.TelegramInput``, webhook ``/webhooks/telegram/webhook``).

- Secrets from the environment, off when unset (rasa_plugins/channel_common.py); a token
  without the bot's username or webhook URL stops start-up naming the missing variables.
- ``TELEGRAM_API_URL`` (default the real API), so the tests answer for Telegram on a local
  server.
- The webhook is set in the server's event loop at start-up, with Telegram's secret token
  (``X-Telegram-Bot-Api-Secret-Token``, checked on every update) and only the update types
  Rasa handles; a redelivered update is ignored; button presses are answered (the client
  stops its spinner); button payloads over Telegram's 64-byte ``callback_data`` limit travel
  as a short token (Rasa's channel had every such message rejected: "More like this" on 41
  of the 603 demo movies); keyboards of at most three buttons a row; ``**bold**`` as HTML;
  ``getMe`` once, not on every update.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, User
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels import telegram
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import InvalidConfigException, RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_plugins.channel_common import API_TIMEOUT_S, DisabledChannel, RecentKeys, credential_source, expand_credentials

logger = logging.getLogger(__name__)

TELEGRAM_API_URL = "https://api.telegram.org"


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
        settings = expand_credentials(credentials)
        if not settings.get("access_token"):
            return DisabledChannel("telegram", f"{credential_source(credentials, 'access_token')} is not set")
        missing = [credential_source(credentials, key) for key in ("verify", "webhook_url") if not settings.get(key)]
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

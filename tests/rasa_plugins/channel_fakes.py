"""A local stand-in for the Slack Web API and the Telegram Bot API, and what Slack and
Telegram send to a bot's webhooks.

``FakeAPIs`` listens on 127.0.0.1 and records every call. It answers as the real APIs do
and checks what they check, so a call the real API would refuse fails here too:

- Slack (``/slack/api/<method>``): the bot token (``Authorization: Bearer``); for
  ``chat.postMessage`` a channel, text or blocks, no ``as_user`` (a bot token's app gets
  ``invalid_arguments``), and Block Kit's limits (50 blocks, 25 elements an actions block,
  button text 75 and value 2,000 characters).
- Telegram (``/telegram/bot<token>/<method>``): the token; ``setWebhook``, ``getMe``,
  ``sendMessage`` (text 1-4,096 characters, ``callback_data`` 1-64 bytes, HTML that parses),
  ``answerCallbackQuery``, ``sendPhoto``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLACK_TOKEN = "xoxb-test-token"
SLACK_SIGNING_SECRET = "test-signing-secret"
SLACK_TEAM = "T0TEST"
SLACK_BOT_USER = "U0BOT"
SLACK_CHANNEL = "C0BOT"  # the channel the bot reads without being mentioned (SLACK_CHANNEL)
TELEGRAM_TOKEN = "123456789:TEST-telegram-token"
TELEGRAM_USERNAME = "recbot_test_bot"
TELEGRAM_SECRET = "test-secret-token"
TELEGRAM_WEBHOOK_URL = "https://bot.example.invalid/webhooks/telegram/webhook"
NO_CHANNELS = {  # every channel setting empty, whatever the developer's shell has
    name: "" for name in (
        "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL", "SLACK_API_URL", "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN", "TELEGRAM_API_URL",
    )
}


@dataclass
class Call:
    service: str  # "slack" or "telegram"
    method: str  # "chat.postMessage", "sendMessage", ...
    body: dict[str, Any]
    ok: bool


@dataclass
class FakeAPIs:
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    @property
    def slack_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/api/"

    @property
    def telegram_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = fake.handle(self.path, self.headers, raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ requests

    def handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict]:
        body = parse_body(headers.get("Content-Type", ""), raw)
        if path.startswith("/slack/api/"):
            method = path[len("/slack/api/"):].split("?")[0]
            status, answer = self.slack(method, headers.get("Authorization", ""), body)
            service = "slack"
        elif path.startswith("/telegram/bot"):
            token, _, method = path[len("/telegram/bot"):].partition("/")
            status, answer = self.telegram(method, token, body)
            service = "telegram"
        else:
            return 404, {"ok": False, "error": "unknown_path"}
        with self._lock:
            self.calls.append(Call(service, method, body, bool(answer.get("ok"))))
        return status, answer

    def slack(self, method: str, authorization: str, body: dict) -> tuple[int, dict]:
        if authorization != f"Bearer {SLACK_TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}
        if method != "chat.postMessage":
            return 200, {"ok": False, "error": "unknown_method"}
        error = slack_message_error(body)
        if error:
            return 200, {"ok": False, "error": error}
        return 200, {"ok": True, "channel": body["channel"], "ts": f"{time.time():.6f}",
                     "message": {"type": "message", "text": body.get("text", ""), "bot_id": "B0BOT"}}

    def telegram(self, method: str, token: str, body: dict) -> tuple[int, dict]:
        if token != TELEGRAM_TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 123456789, "is_bot": True, "first_name": "recbot",
                                                "username": TELEGRAM_USERNAME}}
        if method in ("setWebhook", "deleteWebhook"):
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        if method in ("sendMessage", "sendPhoto"):
            error = telegram_message_error(body) if method == "sendMessage" else None
            if error:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            chat_id = int(body["chat_id"])
            message = {"message_id": next(self._ids), "date": int(time.time()),
                       "chat": {"id": chat_id, "type": "private"},
                       "from": {"id": 123456789, "is_bot": True, "first_name": "recbot"}}
            if "text" in body:
                message["text"] = body["text"]
            return 200, {"ok": True, "result": message}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    # ------------------------------------------------------------------ reading

    def of(self, service: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.service == service and (method is None or c.method == method)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 120, quiet: float = 2.0) -> Any:
        """Wait until ``condition()`` is truthy, then until no call came for ``quiet``
        seconds (a late duplicate would have arrived by then); return its last value."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {self.describe()}")
            time.sleep(0.2)
        count = -1
        while count != len(self.calls):
            count = len(self.calls)
            time.sleep(quiet)
        return condition()

    def describe(self) -> str:
        return "\n".join(f"{c.service} {c.method} ok={c.ok} {json.dumps(c.body)[:300]}" for c in self.calls)


def parse_body(content_type: str, raw: bytes) -> dict:
    if content_type.startswith("application/json"):
        return json.loads(raw or b"{}")
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}
        for key in ("reply_markup", "allowed_updates", "blocks"):
            if key in fields:
                fields[key] = json.loads(fields[key])
        return fields
    if content_type.startswith("multipart/form-data"):
        raise AssertionError("the fake API does not parse uploads")
    return {}


def slack_message_error(body: dict) -> str | None:
    if "as_user" in body:
        return "invalid_arguments"  # what Slack answers a bot token's app that sends as_user
    if not body.get("channel"):
        return "channel_not_found"
    if not body.get("text") and not body.get("blocks"):
        return "no_text"
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        if block.get("type") == "section" and not 1 <= len(block["text"]["text"]) <= 3000:
            return "invalid_blocks"
        if block.get("type") == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                return "invalid_blocks"
            for element in elements:
                if element.get("type") == "button" and not (
                    1 <= len(element["text"]["text"]) <= 75 and len(element.get("value", "")) <= 2000
                ):
                    return "invalid_blocks"
            ids = [e["action_id"] for e in elements if "action_id" in e]
            if len(ids) != len(set(ids)):
                return "invalid_blocks"
    return None


class _HTMLCheck(HTMLParser):
    """Telegram's HTML parse mode: a few tags, balanced."""

    ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.ALLOWED:
            self.error = f"can't parse entities: unsupported start tag \"{tag}\""
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = f"can't parse entities: unexpected end tag \"{tag}\""


def telegram_message_error(body: dict) -> str | None:
    text = body.get("text", "")
    if not 1 <= len(text) <= 4096:
        return "message text is empty" if not text else "message is too long"
    if body.get("parse_mode") == "HTML":
        check = _HTMLCheck()
        check.feed(text)
        check.close()
        if check.error or check.open:
            return check.error or "can't parse entities: unclosed tag"
    keyboard = (body.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in keyboard:
        if len(row) > 8:
            return "too many buttons in a row"
        for button in row:
            if not 1 <= len(button.get("callback_data", "").encode()) <= 64:
                return "BUTTON_DATA_INVALID"
    return None


# ------------------------------------------------------------------ what Slack and Telegram send


def slack_signed(body: bytes, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def slack_message_event(user: str, text: str, event_id: str, *, channel: str = "D0DM",
                        channel_type: str = "im", event_type: str = "message", ts: str | None = None) -> dict:
    """An Events API envelope for a user's message (direct message by default)."""
    ts = ts or f"{time.time():.6f}"
    event = {"type": event_type, "user": user, "text": text, "ts": ts, "event_ts": ts, "team": SLACK_TEAM,
             "channel": channel, "client_msg_id": f"msg-{event_id}",
             "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [
                 {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
    if event_type == "message":
        event["channel_type"] = channel_type
    return {
        "token": "verification-token-unused", "team_id": SLACK_TEAM, "api_app_id": "A0TEST",
        "event": event, "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": SLACK_TEAM, "user_id": SLACK_BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": f"4-{event_id}",
    }


def slack_block_actions(user: str, value: str, *, channel: str = "D0DM", message_ts: str = "1700000000.000100",
                        text: str = "button") -> dict:
    """The interactivity payload of a button press (sent form-encoded as ``payload=``)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": SLACK_TEAM},
        "api_app_id": "A0TEST", "token": "verification-token-unused",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": "1.2.3", "team": {"id": SLACK_TEAM, "domain": "test"},
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "user": SLACK_BOT_USER, "ts": message_ts, "bot_id": "B0BOT", "text": "..."},
        "response_url": "https://hooks.slack.invalid/actions/T0TEST/1/abc",
        "actions": [{"type": "button", "action_id": "button_0", "block_id": "b2",
                     "text": {"type": "plain_text", "text": text, "emoji": True},
                     "value": value, "action_ts": f"{time.time():.6f}"}],
    }


_update_ids = itertools.count(500_000)


def telegram_user(chat_id: int) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "Alice", "username": f"alice{chat_id}",
            "language_code": "en"}


def telegram_message_update(chat_id: int, text: str, update_id: int | None = None) -> dict:
    """An update with a user's text message in a private chat."""
    return {
        "update_id": next(_update_ids) if update_id is None else update_id,
        "message": {"message_id": next(_update_ids), "from": telegram_user(chat_id),
                    "chat": {"id": chat_id, "first_name": "Alice", "username": f"alice{chat_id}", "type": "private"},
                    "date": int(time.time()), "text": text},
    }


def telegram_callback_update(chat_id: int, data: str, message: dict | None = None) -> dict:
    """An update with a press on an inline keyboard button of one of the bot's messages."""
    message = message or {"message_id": 1, "date": int(time.time()), "text": "...",
                          "chat": {"id": chat_id, "type": "private"}}
    return {
        "update_id": next(_update_ids),
        "callback_query": {"id": str(next(_update_ids)), "from": telegram_user(chat_id),
                           "message": {**message, "from": {"id": 123456789, "is_bot": True, "first_name": "recbot",
                                                           "username": TELEGRAM_USERNAME}},
                           "chat_instance": "-123", "data": data},
    }

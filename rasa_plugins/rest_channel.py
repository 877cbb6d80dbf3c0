"""Rasa 3.6's REST channel (``/webhooks/rest/webhook``; credentials.yml:
``rasa_plugins.rest_channel.RestInput``) with the body checked before Rasa sees it.

Rasa 3.6 answered a body of the wrong shape (a list, ``null``, a number as the message) with a
500 or an empty 200, and took a missing sender as the shared user ``default``; here such a
body gets a 4xx with a JSON ``message`` saying what is wrong, and nothing is stored.

The sender is the signed-in user of ``Authorization: Bearer <user token>`` (the body's
``sender`` may then be left out), else an anonymous ``web-<uuid>`` (rasa_plugins/identity.py).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import rest
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_plugins.identity import IdentityError, sender_for, token_secret

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


def parse_rest_body(body: bytes, *, signed: bool = False) -> dict[str, Any]:
    """The REST webhook's body checked: ``{"sender": text, "message": text, "metadata": {...}}``.

    Returns only these fields (``input_channel`` is not taken from the client: it names the
    channel in the engine's records and decides whether a person can answer later); with
    ``signed`` (a user token came with it) the sender may be missing (then ""). Raises
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
    if signed and sender is None:
        sender = ""  # the token names the sender
    elif not isinstance(sender, str) or not sender.strip():
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


def failure(status: int, message: str) -> HTTPResponse:
    return response.json({"status": "failure", "code": status, "message": message}, status=status)


class RestInput(rest.RestInput):
    """Rasa's REST channel (same name and webhook) with its body checked first: a body Rasa
    would fail on, or mistake for another user, gets a JSON ``{"status": "failure", "code",
    "message"}`` with a 4xx and never reaches the conversation."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        secret = token_secret()

        @webhook.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
            token = token.strip() if scheme.lower() == "bearer" else ""
            try:
                parsed = parse_rest_body(request.body or b"", signed=bool(token))
                parsed["sender"] = sender_for(secret, token or None, parsed["sender"] or None)
            except RestRequestError as error:
                return failure(error.status, error.message)
            except IdentityError as error:
                return failure(error.status, str(error))
            request.parsed_json = parsed  # what Rasa's handler reads
            return None

        return webhook

"""Who may call the action server, and what a refused or failed call shows.

The action server runs any user's actions for whoever calls it (show a profile, export, erase),
so only Rasa may call it: every route but ``/health`` needs ``Authorization: Bearer <token>``
with the shared secret ``BOT_ACTION_TOKEN``, which Rasa sends from ``endpoints*.yml``
(``action_endpoint.headers``) and with its intent reading (rasa_plugins/engine_intents.py).
A call without it gets 401 and nothing else: no body echoed, no action list, no hint.

rasa_sdk answers a failed call with 500, the exception and the request body, and names an
unknown action back; here a body that is not an action call gets 400 with a fixed message, and
anything that fails gets 500 with a fixed message and the traceback in the log only (never the
request, which holds what users typed).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Collection
from http import HTTPStatus

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})  # for load balancers and `make run`'s wait: says only "ok"
UNAUTHORIZED = {"error": "unauthorized"}
MALFORMED = {"error": "not an action call"}
UNKNOWN_ACTION = {"error": "no such action"}
FAILED = {"error": "the action server failed; see its log"}


def bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_action_call(body: object) -> bool:
    """The shape rasa_sdk's executor reads without failing: an action name and a tracker."""
    if not isinstance(body, dict) or not isinstance(body.get("next_action"), str):
        return False
    tracker = body.get("tracker")
    return (isinstance(tracker, dict) and isinstance(tracker.get("sender_id"), str)
            and isinstance(tracker.get("events", []), list) and isinstance(tracker.get("slots", {}), dict)
            and isinstance(body.get("domain", {}), dict))


async def http_error(request: Request, exception: SanicException) -> HTTPResponse:
    """Sanic's own refusals (unknown route, wrong method): their status, without their text."""
    return json({"error": HTTPStatus(exception.status_code).phrase.lower()}, status=exception.status_code)


async def no_echo(request: Request, response: HTTPResponse) -> HTTPResponse | None:
    """A failure's answer without rasa_sdk's body (the exception and the request), which its
    handler has logged with the traceback."""
    return json(FAILED, status=500) if response.status >= 500 else None


def guard(app: Sanic, token: str, action_names: Collection[str]) -> None:
    """Refuse callers without ``token``, and malformed or unknown action calls, before rasa_sdk."""
    expected = token.encode()

    async def check_caller(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = bearer_token(request)
        if given is None or not hmac.compare_digest(given.encode(), expected):
            log.warning("refused a call to %s %s without the action server's token from %s",
                        request.method, request.path, request.remote_addr or request.ip)
            return json(UNAUTHORIZED, status=401)
        if request.path == "/webhook":
            try:
                body = request.json
            except Exception:  # sanic's BadRequest for a body that is not JSON
                body = None
            if not is_action_call(body):
                return json(MALFORMED, status=400)
            if body["next_action"] not in action_names:
                log.warning("refused a call of an unknown action")
                return json(UNKNOWN_ACTION, status=404)
        return None

    app.register_middleware(check_caller, "request")
    app.register_middleware(no_echo, "response")
    app.error_handler.add(SanicException, http_error)  # before rasa_sdk's for any Exception

"""A reply, not silence, when the action server cannot run a custom action.

Rasa 3.6 logs a failed custom action (action server down, or answering 5xx) and goes on with
no events, so the user gets no answer at all; an action server that hangs keeps the user
waiting Rasa's 5-minute request timeout. Here a custom action gets ``BOT_ACTION_TIMEOUT_S``
seconds (default 60, well above a cold action server's first turn), then counts as failed. Installed from this package's
``__init__`` (Rasa imports the package for the tracker store in endpoints.yml), this wraps
``RemoteAction.run``: on such a failure the bot utters ``utter_action_server_down`` from the
domain instead. A rejection (``ActionExecutionRejection``: a form that could not fill its
slot) is Rasa's normal flow and passes through, as does a failed ``action_session_start``
(the action that follows it apologizes). The next message calls the action server again, so
the bot recovers by itself when the server is back.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

import rasa
from rasa.core.actions.action import (
    ActionBotResponse,
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
)
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import Event
from rasa.shared.exceptions import InvalidConfigException, RasaException

logger = logging.getLogger(__name__)

RESPONSE = "utter_action_server_down"
WRAPPED_VERSION = "3.6.21"  # the wrapped method's signature is that of this Rasa release
TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S = "BOT_ACTION_TIMEOUT_S", 60
_timeout_s: float = DEFAULT_TIMEOUT_S


def timeout_s(env: Mapping[str, str]) -> int:
    value = env.get(TIMEOUT_VARIABLE, str(DEFAULT_TIMEOUT_S)).strip()
    if not value.isdigit() or int(value) == 0:
        raise InvalidConfigException(f"{TIMEOUT_VARIABLE}={value!r} must be a positive whole number of seconds")
    return int(value)


async def run_or_apologize(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
    try:
        return await asyncio.wait_for(_rasa_run(self, output_channel, nlg, tracker, domain), _timeout_s)
    except ActionExecutionRejection:
        raise
    except (RasaException, asyncio.TimeoutError) as error:
        if isinstance(error, asyncio.TimeoutError):
            logger.error("custom action %s took longer than %ss (%s)", self.name(), _timeout_s, TIMEOUT_VARIABLE)
        if self.name() == ACTION_SESSION_START_NAME:
            logger.warning("the custom session start failed; Rasa's default one starts the session")
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        if RESPONSE not in domain.responses:
            raise
        logger.warning("custom action %s failed; the user is told to try again", self.name())
        return await ActionBotResponse(RESPONSE).run(output_channel, nlg, tracker, domain)


_rasa_run = RemoteAction.run


def install(env: Mapping[str, str] | None = None) -> None:
    """Wrap RemoteAction.run once, on the Rasa release it was written and tested for."""
    global _timeout_s
    _timeout_s = timeout_s(os.environ if env is None else env)
    if RemoteAction.run is run_or_apologize:
        return
    if rasa.__version__ != WRAPPED_VERSION:
        logger.warning("rasa %s is not %s: a failed custom action stays silent", rasa.__version__, WRAPPED_VERSION)
        return
    RemoteAction.run = run_or_apologize

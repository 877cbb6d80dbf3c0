"""A reply, not silence, when the action server cannot run a custom action.

Rasa 3.6 logs a failed custom action (action server down, timing out, or answering 5xx) and
goes on with no events, so the user gets no answer at all. Installed from this package's
``__init__`` (Rasa imports the package for the tracker store in endpoints.yml), this wraps
``RemoteAction.run``: on such a failure the bot utters ``utter_action_server_down`` from the
domain instead. A rejection (``ActionExecutionRejection``: a form that could not fill its
slot) is Rasa's normal flow and passes through, as does a failed ``action_session_start``
(the action that follows it apologizes). The next message calls the action server again, so
the bot recovers by itself when the server is back.
"""

from __future__ import annotations

import logging
from typing import Any, List

import rasa
from rasa.core.actions.action import (
    ActionBotResponse,
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
)
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

RESPONSE = "utter_action_server_down"
WRAPPED_VERSION = "3.6.21"  # the wrapped method's signature is that of this Rasa release


async def run_or_apologize(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    try:
        return await _rasa_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException:
        if self.name() == ACTION_SESSION_START_NAME:
            logger.warning("the custom session start failed; Rasa's default one starts the session")
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        if RESPONSE not in domain.responses:
            raise
        logger.warning("custom action %s failed; the user is told to try again", self.name())
        return await ActionBotResponse(RESPONSE).run(output_channel, nlg, tracker, domain)


_rasa_run = RemoteAction.run


def install() -> None:
    """Wrap RemoteAction.run once, on the Rasa release it was written and tested for."""
    if RemoteAction.run is run_or_apologize:
        return
    if rasa.__version__ != WRAPPED_VERSION:
        logger.warning("rasa %s is not %s: a failed custom action stays silent", rasa.__version__, WRAPPED_VERSION)
        return
    RemoteAction.run = run_or_apologize

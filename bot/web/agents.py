"""The support agents' side of a human handoff: the console page and its API.

Agents sign in with their token from ``BOT_AGENT_TOKENS`` (``name:token,...``,
:func:`bot.web.auth.signed_in_agent`); the page keeps it for the browser tab only and sends it
as ``Authorization: Bearer``. The queue and the state of each handoff come from the records
(:class:`bot.records.Records`, no catalog or model needed), the brief from the engine (it
describes items); replies and the return to the bot go through Rasa (:mod:`bot.web.rasa_api`),
which pauses and resumes the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from bot.records import Records
from bot.vocabulary import HandoffConflict
from bot.web.auth import Agent
from bot.web.dependencies import Engines, Rasa, TheRecords
from bot.web.rasa_api import TIMED_OUT_INTENT, RasaApi, RasaUnavailable
from bot.web.responses import page
from bot.web.schemas import AgentMessageIn, AgentOut, ErrorOut, HandoffBriefOut, HandoffOut

if TYPE_CHECKING:  # bot.results loads the engine's modules; the web app loads them on first use only
    from bot.results import Handoff

RASA_API_OFF = "replies cannot be sent: set BOT_RASA_TOKEN to Rasa's --auth-token"
UNREACHABLE = "this user's channel ({channel}) cannot receive messages the user did not ask for"
NO_SUCH_HANDOFF = "no such handoff"
EMPTY_REPLY = "the reply is empty"

SWEEP_INTERVAL_S = 30.0
log = logging.getLogger(__name__)

_ERRORS = {401: {"model": ErrorOut, "description": "Missing or unknown agent token."},
           429: {"model": ErrorOut, "description": "Too many requests with this token (BOT_RATE_LIMIT_PER_KEY)."},
           503: {"model": ErrorOut, "description": "No agents configured, or the engine is down."}}
_CHANGE_ERRORS = {**_ERRORS, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}}


def _out(handoff: Handoff) -> dict[str, Any]:
    return {**asdict(handoff), "reachable": handoff.reachable}


def _moved(change: Callable[[], Any]) -> Any:
    """The handoff after ``change``; 404 for an unknown one, 409 for a closed or another agent's."""
    try:
        return change()
    except KeyError:
        raise HTTPException(404, NO_SUCH_HANDOFF) from None
    except HandoffConflict as conflict:
        raise HTTPException(409, str(conflict)) from None


def _through_rasa(send: Callable[[], None]) -> None:
    try:
        send()
    except RasaUnavailable as error:
        raise HTTPException(502, str(error)) from None


def _rasa_configured(rasa: RasaApi | None) -> RasaApi:
    if rasa is None:
        raise HTTPException(503, RASA_API_OFF)
    return rasa


def return_unanswered(records: Records, rasa: RasaApi, timeout: timedelta, now: datetime | None = None) -> int:
    """Users no agent answered within ``timeout`` go back to the bot, which apologizes and
    helps on; how many were returned. A user Rasa could not be told about stays paused
    until their session expires (a new session is paused only while a handoff is open)."""
    expired = records.expire_waiting_handoffs((now or datetime.now(UTC)) - timeout)
    for handoff in expired:
        try:
            rasa.hand_back(handoff.sender_id, intent=TIMED_OUT_INTENT)
        except RasaUnavailable as error:
            log.error("could not return handoff %d to the bot after the timeout: %s", handoff.id, error)
    return len(expired)


async def sweep_unanswered(records: Callable[[], Records], rasa: RasaApi, timeout: timedelta,
                           interval_s: float = SWEEP_INTERVAL_S) -> None:
    """Run :func:`return_unanswered` every ``interval_s`` for as long as the app runs; ``records()``
    gives the queue (only the database: the sweep needs no catalog, index or model)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(lambda: return_unanswered(records(), rasa, timeout))
        except Exception:
            log.exception("the sweep of unanswered handoffs failed; trying again later")


router = APIRouter()


@router.get("/agent", include_in_schema=False)
def console() -> FileResponse:
    return page("agent.html")


@router.get("/api/agent/me", tags=["agents"], response_model=AgentOut, responses=_ERRORS)
def me(name: Agent) -> Any:
    """Check a token: the name of the agent it belongs to."""
    return {"name": name}


@router.get("/api/agent/handoffs", tags=["agents"], response_model=list[HandoffOut], responses=_ERRORS)
def queue(name: Agent, records: TheRecords) -> Any:
    """Waiting and active handoffs, the longest-waiting first."""
    return [_out(h) for h in records.open_handoffs()]


@router.get("/api/agent/handoffs/{handoff_id}", tags=["agents"], response_model=HandoffBriefOut,
            responses={**_ERRORS, 404: {"model": ErrorOut}})
def brief(handoff_id: int, name: Agent, engines: Engines) -> Any:
    """The user's profile, what they were shown, their feedback and the conversation."""
    found = engines.get().handoff_brief(handoff_id)
    if found is None:
        raise HTTPException(404, NO_SUCH_HANDOFF)
    return {**asdict(found), "handoff": _out(found.handoff)}


@router.post("/api/agent/handoffs/{handoff_id}/take", tags=["agents"], response_model=HandoffOut,
             responses=_CHANGE_ERRORS)
def take(handoff_id: int, name: Agent, records: TheRecords) -> Any:
    """Take a waiting conversation (another agent's is refused with 409)."""
    return _out(_moved(lambda: records.take_handoff(handoff_id, name)))


@router.post("/api/agent/handoffs/{handoff_id}/messages", tags=["agents"], response_model=HandoffOut,
             responses={**_CHANGE_ERRORS, 422: {"model": ErrorOut}, 502: {"model": ErrorOut}})
def reply(handoff_id: int, message: AgentMessageIn, name: Agent, records: TheRecords, rasa: Rasa) -> Any:
    """Send a reply to the user on their channel (takes the conversation if it was waiting)."""
    text = message.text.strip()
    if not text:
        raise HTTPException(422, EMPTY_REPLY)
    api = _rasa_configured(rasa)
    handoff = _moved(lambda: records.take_handoff(handoff_id, name))
    if not handoff.reachable:
        raise HTTPException(409, UNREACHABLE.format(channel=handoff.channel))
    _through_rasa(lambda: api.send_agent_message(handoff.sender_id, name, text))
    return _out(handoff)


@router.post("/api/agent/handoffs/{handoff_id}/return", tags=["agents"], response_model=HandoffOut,
             responses={**_CHANGE_ERRORS, 502: {"model": ErrorOut}})
def hand_back(handoff_id: int, name: Agent, records: TheRecords, rasa: Rasa) -> Any:
    """Give the conversation back to the bot, which tells the user and answers again."""
    api = _rasa_configured(rasa)
    handoff = _moved(lambda: records.closable_handoff(handoff_id, name))
    _through_rasa(lambda: api.hand_back(handoff.sender_id))  # first: the bot must not stay paused
    return _out(_moved(lambda: records.close_handoff(handoff_id, name)))

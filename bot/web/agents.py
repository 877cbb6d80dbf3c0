"""The support agents' side of a human handoff: the console page and its API.

Agents sign in with their token from ``BOT_AGENT_TOKENS`` (``name:token,...``); the page
keeps it for the browser tab only and sends it as ``Authorization: Bearer``. The queue,
the brief and the state of each handoff come from the engine; replies and the return to
the bot go through Rasa (:mod:`bot.web.rasa_api`), which pauses and resumes the bot.
"""

# No "from __future__ import annotations" here: FastAPI must evaluate the endpoints'
# dependency annotations, which refer to functions local to agent_router.
import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.config import Settings
from bot.handoff import Handoff, HandoffDesk
from bot.vocabulary import HandoffConflict
from bot.web.rasa_api import TIMED_OUT_INTENT, RasaApi, RasaUnavailable
from bot.web.ratelimit import RateLimits
from bot.web.schemas import AgentMessageIn, AgentOut, ErrorOut, HandoffBriefOut, HandoffOut

CONSOLE_DISABLED = "the agent console is disabled: set BOT_AGENT_TOKENS (name:token,...)"
BAD_AGENT_TOKEN = "unknown agent token (send Authorization: Bearer <your token from BOT_AGENT_TOKENS>)"
RASA_API_OFF = "replies cannot be sent: set BOT_RASA_TOKEN to Rasa's --auth-token"
UNREACHABLE = "this user's channel ({channel}) cannot receive messages the user did not ask for"
NO_SUCH_HANDOFF = "no such handoff"
EMPTY_REPLY = "the reply is empty"

SWEEP_INTERVAL_S = 30.0
log = logging.getLogger(__name__)

_agent_bearer = HTTPBearer(auto_error=False, description="An agent's token from BOT_AGENT_TOKENS.")


def _signed_in_agent(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The agent whose token this is; every configured token is compared, in constant time."""
    if not settings.agent_tokens:
        raise HTTPException(503, CONSOLE_DISABLED)
    given = credentials.credentials.encode("utf-8") if credentials else b""
    found = None
    for name, token in settings.agent_tokens.items():
        if secrets.compare_digest(given, token.encode("utf-8")):
            found = name
    if found is None:
        raise HTTPException(401, BAD_AGENT_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    return found


def _out(handoff: Handoff) -> dict[str, Any]:
    return {**asdict(handoff), "reachable": handoff.reachable}


def return_unanswered(desk, rasa: RasaApi, timeout: timedelta, now: datetime | None = None) -> int:
    """Users no agent answered within ``timeout`` go back to the bot, which apologizes and
    helps on; how many were returned. A user Rasa could not be told about stays paused
    until their session expires (a new session is paused only while a handoff is open)."""
    expired = desk.expire_waiting((now or datetime.now(UTC)) - timeout)
    for handoff in expired:
        try:
            rasa.hand_back(handoff.sender_id, intent=TIMED_OUT_INTENT)
        except RasaUnavailable as error:
            log.error("could not return handoff %d to the bot after the timeout: %s", handoff.id, error)
    return len(expired)


async def sweep_unanswered(desk: Callable[[], HandoffDesk], rasa: RasaApi, timeout: timedelta,
                           interval_s: float = SWEEP_INTERVAL_S) -> None:
    """Run :func:`return_unanswered` every ``interval_s`` for as long as the app runs; ``desk()``
    gives the queue (only the database: the sweep needs no catalog, index or model)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(lambda: return_unanswered(desk(), rasa, timeout))
        except Exception:
            log.exception("the sweep of unanswered handoffs failed; trying again later")


def agent_router(settings: Settings, engines, static_dir, rasa: RasaApi | None, limits: RateLimits) -> APIRouter:
    """``/agent`` (the console page) and ``/api/agent/...``; ``engines.get()`` gives the engine."""
    router = APIRouter()

    def agent(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_agent_bearer)]) -> str:
        name = _signed_in_agent(settings, credentials)
        limits.for_key(f"agent:{name}")
        return name

    Agent = Annotated[str, Depends(agent)]
    errors = {401: {"model": ErrorOut, "description": "Missing or unknown agent token."},
              429: {"model": ErrorOut, "description": "Too many requests with this token (BOT_RATE_LIMIT_PER_KEY)."},
              503: {"model": ErrorOut, "description": "No agents configured, or the engine is down."}}

    def rasa_api() -> RasaApi:
        if rasa is None:
            raise HTTPException(503, RASA_API_OFF)
        return rasa

    def moved(change) -> Handoff:
        try:
            return change()
        except KeyError:
            raise HTTPException(404, NO_SUCH_HANDOFF) from None
        except HandoffConflict as conflict:
            raise HTTPException(409, str(conflict)) from None

    def through_rasa(send) -> None:
        try:
            send()
        except RasaUnavailable as error:
            raise HTTPException(502, str(error)) from None

    @router.get("/agent", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(static_dir / "agent.html", media_type="text/html")

    @router.get("/api/agent/me", tags=["agents"], response_model=AgentOut, responses=errors)
    def me(name: Agent) -> Any:
        """Check a token: the name of the agent it belongs to."""
        return {"name": name}

    @router.get("/api/agent/handoffs", tags=["agents"], response_model=list[HandoffOut], responses=errors)
    def queue(name: Agent) -> Any:
        """Waiting and active handoffs, the longest-waiting first."""
        return [_out(h) for h in engines.get().handoffs.open()]

    @router.get("/api/agent/handoffs/{handoff_id}", tags=["agents"], response_model=HandoffBriefOut,
                responses={**errors, 404: {"model": ErrorOut}})
    def brief(handoff_id: int, name: Agent) -> Any:
        """The user's profile, what they were shown, their feedback and the conversation."""
        found = engines.get().handoff_brief(handoff_id)
        if found is None:
            raise HTTPException(404, NO_SUCH_HANDOFF)
        return {**asdict(found), "handoff": _out(found.handoff)}

    @router.post("/api/agent/handoffs/{handoff_id}/take", tags=["agents"], response_model=HandoffOut,
                 responses={**errors, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
    def take(handoff_id: int, name: Agent) -> Any:
        """Take a waiting conversation (another agent's is refused with 409)."""
        return _out(moved(lambda: engines.get().handoffs.take(handoff_id, name)))

    @router.post("/api/agent/handoffs/{handoff_id}/messages", tags=["agents"], response_model=HandoffOut,
                 responses={**errors, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                            422: {"model": ErrorOut}, 502: {"model": ErrorOut}})
    def reply(handoff_id: int, message: AgentMessageIn, name: Agent) -> Any:
        """Send a reply to the user on their channel (takes the conversation if it was waiting)."""
        text = message.text.strip()
        if not text:
            raise HTTPException(422, EMPTY_REPLY)
        api = rasa_api()
        handoff = moved(lambda: engines.get().handoffs.take(handoff_id, name))
        if not handoff.reachable:
            raise HTTPException(409, UNREACHABLE.format(channel=handoff.channel))
        through_rasa(lambda: api.send_agent_message(handoff.sender_id, name, text))
        return _out(handoff)

    @router.post("/api/agent/handoffs/{handoff_id}/return", tags=["agents"], response_model=HandoffOut,
                 responses={**errors, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                            502: {"model": ErrorOut}})
    def hand_back(handoff_id: int, name: Agent) -> Any:
        """Give the conversation back to the bot, which tells the user and answers again."""
        api = rasa_api()
        desk = engines.get().handoffs
        handoff = moved(lambda: desk.closable(handoff_id, name))
        through_rasa(lambda: api.hand_back(handoff.sender_id))  # first: the bot must not stay paused
        return _out(moved(lambda: desk.close(handoff_id, name)))

    return router

"""The web face of the bot: one FastAPI app, one router per audience.

- :mod:`bot.web.chat`: the browser chat page, ``/config.json``, ``/healthz`` and the one-time
  export download ``/export/{token}`` (its token is the credential);
- :mod:`bot.web.users`: users' data, ``/api/users/{sender_id}/...`` (BOT_API_KEY or the user's
  own token);
- :mod:`bot.web.site`: the business's website, site events, the "Recommended for you" slot and
  user tokens (BOT_SITE_KEY);
- staff: :mod:`bot.web.analytics` (BOT_API_KEY) and :mod:`bot.web.agents`, the agents' console.

Who may call what is in :mod:`bot.web.auth`, what the routers share in
:mod:`bot.web.dependencies`. The routers are a thin face over :class:`bot.engine.Engine`, built
on the first request that needs it (``engine_factory(settings)``, by default
``Engine.from_settings``), so the chat page starts instantly and this module imports nothing
heavy. The agents' queue and the background jobs (unanswered handoffs back to the bot, the
hourly outreach) need only the databases: they use :class:`bot.records.Records`.

Logging: tokens and message text are never logged. Uvicorn's access log prints each
request's path, which for ``/export/{token}`` is the secret itself, so ``bot web`` turns
it off (``access_log=False``) and this app logs every request instead to the
``bot.web.access`` logger by *route template*: ``GET /export/{token} 200 12ms``. The
sender id is not logged either (the template shows ``{sender_id}``), and requests that
match no route are logged as ``<no route>`` rather than by their path.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.config import Settings
from bot.records import Records
from bot.vocabulary import StoreUnavailable
from bot.web import agents, analytics, chat, site, users, widget_asset
from bot.web.agents import sweep_unanswered
from bot.web.dependencies import DATABASE_UNAVAILABLE, ENGINE_UNAVAILABLE, Lazy
from bot.web.outreach import reach_out_hourly
from bot.web.rasa_api import RasaApi
from bot.web.ratelimit import RateLimits
from bot.web.responses import STATIC_DIR

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")

RETRY_AFTER_S = 30

EngineFactory = Callable[[Settings], "Engine"]

OPENAPI_TAGS = [
    {"name": "users", "description": "What the bot knows about a user and recommends to them "
                                     "(needs `Authorization: Bearer <BOT_API_KEY>` for any user, or "
                                     "`Bearer <user token>` for that token's own user only: another "
                                     "user's id is 403)."},
    {"name": "privacy", "description": "Users' rights over their data: export, erasure, consent "
                                       "(the same credentials as `users`)."},
    {"name": "site", "description": "For the business's website: site events, a \"Recommended "
                                    "for you\" slot and user tokens (`Authorization: Bearer "
                                    "<BOT_SITE_KEY>`). A user token, valid one hour, lets the "
                                    "logged-in user's browser call `/api/users/{sender_id}/...` "
                                    "(and the slot) for that user only."},
    {"name": "analytics", "description": "The business's numbers: conversations, click-through "
                                         "and like rates per day, segment and variant (`Authorization: "
                                         "Bearer <BOT_API_KEY>`)."},
    {"name": "agents", "description": "The support agents' console: the handoff queue, briefs, "
                                      "replies (`Authorization: Bearer <an agent's token>`)."},
]


def _engine_from_settings(settings: Settings) -> Engine:
    from bot.engine import Engine  # heavy (FAISS, the encoder): only on first API use

    return Engine.from_settings(settings)


class _AccessLog:
    """Logs method, route template, status and duration of each request (see module doc)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "<no route>"
            millis = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %d %.0fms", scope["method"], route, status, millis)


def _json_safe(value: Any) -> Any:
    """A refused input echoed back in a 422, made encodable: NaN and infinities become text,
    lone surrogates ``\\udXXX`` escapes, bytes that are not UTF-8 get replacement characters."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422 answer, but one that can always be encoded: its default handler
    fails with a 500 when the refused input holds NaN, a lone surrogate or non-UTF-8 bytes."""
    return JSONResponse({"detail": jsonable_encoder(_json_safe(error.errors()))}, status_code=422)


async def _database_unavailable(_request: Request, error: Exception) -> JSONResponse:
    """503 naming the cause, with a hint when to retry, instead of a 500."""
    log.warning("answered 503: %s", error)
    return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_S)})


@asynccontextmanager
async def _background_jobs(app: FastAPI) -> AsyncIterator[None]:
    """With agents and Rasa's API configured, users no agent answers go back to the bot;
    with an outreach intent too, users are written to at their usual hour."""
    settings: Settings = app.state.settings
    rasa: RasaApi | None = app.state.rasa
    records = app.state.records.get
    tasks = []
    if settings.agent_tokens and rasa is not None:
        timeout = timedelta(minutes=settings.handoff_timeout_minutes)
        tasks.append(asyncio.create_task(sweep_unanswered(records, rasa, timeout)))
    if settings.outreach_intent and rasa is not None:
        tasks.append(asyncio.create_task(reach_out_hourly(records, rasa, settings.outreach_intent)))
    elif settings.outreach_intent:
        log.warning("BOT_OUTREACH_INTENT is set but BOT_RASA_TOKEN is not: no proactive messages")
    yield
    for task in tasks:
        task.cancel()


def create_app(settings: Settings, engine_factory: EngineFactory = _engine_from_settings,
               rasa: RasaApi | None = None) -> FastAPI:
    """Build the web app; a factory so the caller picks the settings (and, in tests, the engine).

    ``engine_factory(settings)`` is called once, on the first request that needs the
    engine, never while the app is being created. ``rasa`` is how agents' replies reach
    Rasa; by default its HTTP API at BOT_RASA_URL with BOT_RASA_TOKEN (none without a token).
    """
    if rasa is None and settings.rasa_token:
        rasa = RasaApi(settings.rasa_url, settings.rasa_token)
    app = FastAPI(
        lifespan=_background_jobs,
        title="Recommendation bot",
        summary="The browser chat page, and users' data: profile, export, erasure, consent.",
        openapi_tags=OPENAPI_TAGS,
    )
    app.state.settings = settings
    app.state.engines = Lazy("the engine", lambda: engine_factory(settings), ENGINE_UNAVAILABLE)
    app.state.records = Lazy("the records", lambda: Records.from_settings(settings), DATABASE_UNAVAILABLE)
    app.state.limits = RateLimits(settings.rate_limit_per_key, settings.rate_limit_per_user, settings.redis_url)
    app.state.rasa = rasa
    app.add_middleware(_AccessLog)
    if settings.allowed_origins:  # the shops' pages where the widget runs call users' and site routes
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.allowed_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"],
                           max_age=600)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreUnavailable, _database_unavailable)
    for audience in (chat, widget_asset, users, site, analytics, agents):
        app.include_router(audience.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""The web face of the bot: the browser chat page and the user-data HTTP API.

The chat page talks to Rasa's REST channel straight from the browser, so for it this
server only ships static files and tells the page where Rasa runs (``/config.json``,
a deploy-time setting rather than a URL baked into the JS).

The user-data API (``/api/users/...``) and the one-time export download
(``/export/{token}``) are a thin face over :class:`bot.engine.Engine`: they translate
HTTP to engine calls and back, nothing more. The engine is built on the first request
that needs it (``engine_factory(settings)``, by default ``Engine.from_settings``), so
the chat page starts instantly and this module imports nothing heavy.

Access: every ``/api/users`` endpoint needs ``Authorization: Bearer <BOT_API_KEY>`` (the
operator: any user), or a user token (:mod:`bot.web.user_tokens`) that the business's site
got for that user from ``POST /api/site/users/{sender_id}/token``: it opens that user's data
only (another id: 403), and the recommendations slot for that user too. Without BOT_API_KEY
and BOT_USER_TOKEN_SECRET they all answer 503. ``/export/{token}`` needs no key: the token in
the link the bot gave the user is the credential (one download, short-lived).

Logging: tokens and message text are never logged. Uvicorn's access log prints each
request's path, which for ``/export/{token}`` is the secret itself, so ``bot web`` turns
it off (``access_log=False``) and this app logs every request instead to the
``bot.web.access`` logger by *route template*: ``GET /export/{token} 200 12ms``. The
sender id is not logged either (the template shows ``{sender_id}``), and requests that
match no route are logged as ``<no route>`` rather than by their path.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from bot.config import Settings
from bot.vocabulary import Recorded, StoreUnavailable
from bot.web.agents import agent_router, sweep_unanswered
from bot.web.outreach import reach_out_hourly
from bot.web.rasa_api import RasaApi
from bot.web.ratelimit import RateLimits
from bot.web.schemas import (
    AnalyticsOut,
    ConsentIn,
    ConsentOut,
    ErasedOut,
    ErrorOut,
    ProfileOut,
    RecommendationOut,
    SiteEventIn,
    SiteEventOut,
    UserExport,
    UserTokenOut,
)
from bot.web.user_tokens import (
    ExpiredUserToken,
    InvalidUserToken,
    issue_user_token,
    looks_like_user_token,
    same_user,
    verify_user_token,
)

if TYPE_CHECKING:
    from bot.engine import Engine

STATIC_DIR = Path(__file__).resolve().parent / "static"

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")

API_DISABLED = "the user-data API is disabled: set BOT_API_KEY (or BOT_USER_TOKEN_SECRET for users' own tokens)"
USER_TOKENS_DISABLED = "user tokens are disabled: set BOT_USER_TOKEN_SECRET"
BAD_CREDENTIAL = ("missing or wrong credential (send Authorization: Bearer <BOT_API_KEY>, or the user's own "
                  "token from POST /api/site/users/{sender_id}/token)")
BAD_USER_TOKEN = "invalid user token: malformed, or not signed by this server"
USER_TOKEN_EXPIRED = "the user token has expired: the site can get a new one"
NOT_YOUR_DATA = "a user token opens only its own user's data"
SITE_API_DISABLED = "the site API is disabled: set BOT_SITE_KEY (or BOT_API_KEY)"
BAD_SITE_KEY = "missing or wrong key (send Authorization: Bearer <BOT_SITE_KEY>)"
NO_CONSENT = "the user has not agreed to be remembered; nothing was stored"
QUEUED = "the database is unavailable; the event is queued and will be stored when it is back"
DATABASE_UNAVAILABLE = "the database is unavailable right now; nothing was changed. Try again shortly."
RETRY_AFTER_S = 30
FUTURE_SLACK = timedelta(minutes=5)  # clock skew allowed for a site event's time
BAD_KEY = "missing or wrong API key (send Authorization: Bearer <BOT_API_KEY>)"
ENGINE_UNAVAILABLE = "the engine could not be started; see the server log"
NOTHING_STORED = "nothing is stored about this user"
ANALYTICS_DISABLED = "analytics are closed: set BOT_API_KEY"
LINK_EXPIRED = "This download link has expired or was already used. Ask the bot for a new one."
LINK_EXPIRED_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link expired</title></head>
<body><p>{LINK_EXPIRED}</p></body></html>
"""
# secrets.token_urlsafe(32) is 43 characters; anything else cannot be a token, and
# rejecting it here (not with a 422 that would echo it) keeps the answer a plain 404.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")
_NO_STORE = {"Cache-Control": "no-store"}
# Module level: FastAPI resolves the (postponed) annotations of endpoints in module globals.
_bearer = HTTPBearer(auto_error=False, description="BOT_API_KEY, BOT_SITE_KEY, a user token or an agent's "
                                                    "token, as each endpoint says.")

EngineFactory = Callable[[Settings], "Engine"]


def _engine_from_settings(settings: Settings) -> Engine:
    from bot.engine import Engine  # heavy (FAISS, the encoder): only on first API use

    return Engine.from_settings(settings)


class _LazyEngine:
    """The one engine of the app, built by the first request that needs it.

    Endpoints run in a thread pool, so the build is guarded by a lock; a failed build
    is logged and answered with 503, and the next request tries again.
    """

    def __init__(self, factory: EngineFactory, settings: Settings):
        self._factory = factory
        self._settings = settings
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._engine is not None

    def get(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    try:
                        self._engine = self._factory(self._settings)
                    except Exception:
                        log.exception("could not start the engine")
                        raise HTTPException(503, ENGINE_UNAVAILABLE) from None
        return self._engine


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


def _key_matches(credentials: HTTPAuthorizationCredentials | None, *keys: str | None) -> bool:
    """Constant-time comparison with each configured key (an unset key never matches)."""
    given = credentials.credentials.encode("utf-8") if credentials else b""
    matches = [secrets.compare_digest(given, key.encode("utf-8")) for key in keys if key]
    return any(matches)


def _filename(sender_id: str) -> str:
    """``<sender>-data.json``, reduced to characters that are safe in a header."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", sender_id).strip("._")[:64]
    return f"{stem or 'user'}-data.json"


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


def _valid_sender_id(sender_id: str) -> None:
    """Refuse a user id in a path that no user can have (PostgreSQL stores no NUL; ids are
    at most 255 characters) with a 422 rather than the database's error."""
    if "\x00" in sender_id:
        raise HTTPException(422, "a user id cannot contain NUL characters")
    if len(sender_id) > 255:
        raise HTTPException(422, "a user id is at most 255 characters long")


def _download(data: dict[str, Any], sender_id: str) -> Response:
    """The export as a JSON file the browser saves rather than shows."""
    body = json.dumps(jsonable_encoder(data), indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_filename(sender_id)}"', **_NO_STORE},
    )


def create_app(settings: Settings, engine_factory: EngineFactory = _engine_from_settings,
               rasa: RasaApi | None = None) -> FastAPI:
    """Build the web app; a factory so the caller picks the settings (and, in tests, the engine).

    ``engine_factory(settings)`` is called once, on the first request that needs the
    engine, never while the app is being created. ``rasa`` is how agents' replies reach
    Rasa; by default its HTTP API at BOT_RASA_URL with BOT_RASA_TOKEN (none without a token).
    """
    if rasa is None and settings.rasa_token:
        rasa = RasaApi(settings.rasa_url, settings.rasa_token)
    engines = _LazyEngine(engine_factory, settings)
    limits = RateLimits(settings.rate_limit_per_key, settings.rate_limit_per_user, settings.redis_url)

    @functools.cache
    def database():
        """The engine database alone, for background work (the handoff sweep, the outreach),
        without loading the engine (catalog, index, model) into the web process for it."""
        from bot.store import Store

        return Store(settings.database_url)

    def handoff_desk():
        from bot.handoff import HandoffDesk

        return HandoffDesk(database())

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        """With agents and Rasa's API configured, users no agent answers go back to the bot;
        with an outreach intent too, users are written to at their usual hour."""
        tasks = []
        if settings.agent_tokens and rasa is not None:
            timeout = timedelta(minutes=settings.handoff_timeout_minutes)
            tasks.append(asyncio.create_task(sweep_unanswered(handoff_desk, rasa, timeout)))
        if settings.outreach_intent and rasa is not None:
            tasks.append(asyncio.create_task(
                reach_out_hourly(database, rasa, settings.outreach_intent)))
        elif settings.outreach_intent:
            log.warning("BOT_OUTREACH_INTENT is set but BOT_RASA_TOKEN is not: no proactive messages")
        yield
        for task in tasks:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="Recommendation bot",
        summary="The browser chat page, and users' data: profile, export, erasure, consent.",
        openapi_tags=[
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
        ],
    )
    app.add_middleware(_AccessLog)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreUnavailable, _database_unavailable)
    app.state.engines = engines
    config = {"rasa_url": settings.rasa_url}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        """Serve the chat page itself at the root so the URL to share is short."""
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/config.json")
    def get_config() -> dict[str, str]:
        """Tell the page where Rasa runs, so the JS needs no hard-coded URL."""
        return config

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Cheap liveness probe for scripts and `make` targets (does not start the engine)."""
        return {"status": "ok"}

    def require_own_token(credentials: HTTPAuthorizationCredentials | None, sender_id: str) -> None:
        """A user token signed with BOT_USER_TOKEN_SECRET, issued for ``sender_id``: 401 for no
        token, a malformed, forged or expired one; 403 for another user's (before the engine is
        asked anything, so the answer never tells whether that user exists)."""
        given = credentials.credentials if credentials else ""
        secret = settings.user_token_secret
        if secret is None or not looks_like_user_token(given):
            raise HTTPException(401, BAD_KEY if secret is None else BAD_CREDENTIAL,
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            owner = verify_user_token(secret, given)
        except ExpiredUserToken:
            raise HTTPException(401, USER_TOKEN_EXPIRED, headers={"WWW-Authenticate": "Bearer"}) from None
        except InvalidUserToken:
            raise HTTPException(401, BAD_USER_TOKEN, headers={"WWW-Authenticate": "Bearer"}) from None
        if not same_user(owner, sender_id):
            raise HTTPException(403, NOT_YOUR_DATA)
        limits.for_key(f"user:{owner}")

    def require_user_access(sender_id: str,
                            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        """The operator's BOT_API_KEY (any user), or the user's own token (that user only)."""
        if settings.api_key is None and settings.user_token_secret is None:
            raise HTTPException(503, API_DISABLED)
        if _key_matches(credentials, settings.api_key):
            limits.for_key("api")
            return
        require_own_token(credentials, sender_id)

    def require_site_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        """A website's key (BOT_SITE_KEY); the operator's BOT_API_KEY works too."""
        if settings.site_key is None and settings.api_key is None:
            raise HTTPException(503, SITE_API_DISABLED)
        if not _key_matches(credentials, settings.site_key, settings.api_key):
            raise HTTPException(401, BAD_SITE_KEY, headers={"WWW-Authenticate": "Bearer"})
        limits.for_key("site" if _key_matches(credentials, settings.site_key) else "api")

    def require_slot_access(sender_id: str,
                            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        """The site's key (or the operator's), or the user's own token for their own slot."""
        given = credentials.credentials if credentials else ""
        if (settings.user_token_secret is not None and looks_like_user_token(given)
                and not _key_matches(credentials, settings.site_key, settings.api_key)):
            require_own_token(credentials, sender_id)
            return
        require_site_key(credentials)

    users = APIRouter(
        prefix="/api/users/{sender_id}",
        dependencies=[Depends(require_user_access), Depends(_valid_sender_id)],
        responses={429: {"model": ErrorOut, "description": "Rate limit exceeded (BOT_RATE_LIMIT_PER_KEY)."},
                   401: {"model": ErrorOut, "description": "Missing or wrong API key; a malformed, forged or "
                                                           "expired user token."},
                   403: {"model": ErrorOut, "description": "A user token for another user."},
                   503: {"model": ErrorOut, "description": "Neither BOT_API_KEY nor BOT_USER_TOKEN_SECRET is "
                                                           "set, or the engine is down."}},
    )
    not_found = {404: {"model": ErrorOut, "description": "Nothing is stored about this user."}}

    @users.get("/profile", tags=["users"], response_model=ProfileOut, responses=not_found)
    def get_profile(sender_id: str) -> Any:
        """What the bot remembers about the user, in words (stored data, with or without consent)."""
        summary = engines.get().summary(sender_id)
        if not summary.known and summary.consent is None:
            raise HTTPException(404, NOTHING_STORED)
        return asdict(summary)

    @users.get(
        "/export", tags=["privacy"], response_class=Response,
        responses={200: {"model": UserExport, "description": "A JSON file, `<sender_id>-data.json`."},
                   **not_found},
    )
    def export_user(sender_id: str) -> Response:
        """Everything stored about the user (engine database and conversation), as a download."""
        data = engines.get().export(sender_id)
        if data is None:
            raise HTTPException(404, NOTHING_STORED)
        return _download(data, sender_id)

    @users.delete("", tags=["privacy"], response_model=ErasedOut, responses=not_found)
    def erase_user(sender_id: str) -> Any:
        """Forget the user completely: profile, events, consent history, export links, conversation."""
        erased = engines.get().erase(sender_id)
        if not any(erased.values()):
            raise HTTPException(404, NOTHING_STORED)
        return {"erased": erased}

    @users.put("/consent", tags=["privacy"], response_model=ConsentOut)
    def put_consent(sender_id: str, decision: ConsentIn) -> Any:
        """Record the user's decision to be remembered (true) or not (false)."""
        engines.get().set_consent(sender_id, decision.granted, channel=decision.channel)
        return {"consent": decision.granted}

    app.include_router(users)

    site = APIRouter(
        dependencies=[Depends(require_site_key)],
        responses={429: {"model": ErrorOut, "description": "Rate limit exceeded (BOT_RATE_LIMIT_PER_KEY)."},
                   401: {"model": ErrorOut, "description": "Missing or wrong site key."},
                   503: {"model": ErrorOut, "description": "No key is configured, or the engine is down."}},
    )

    # The slot: the site's key, or the user's own token (their browser may fill it itself).
    slot = APIRouter(
        dependencies=[Depends(require_slot_access)],
        responses={**site.responses, 403: {"model": ErrorOut, "description": "A user token for another user."}},
    )

    @slot.get("/api/users/{sender_id}/recommendations", tags=["site"], response_model=list[RecommendationOut],
              dependencies=[Depends(_valid_sender_id)])
    def get_recommendations(sender_id: str, n: Annotated[int, Query(ge=1, le=50)] = 10) -> Any:
        """A "Recommended for you" slot: personalized with the user's consent (then logged as
        shown), popular without. With the site's key, or with the user's own token."""
        picks = engines.get().recommend(sender_id, n=n, channel="site")
        return [
            {"id": r.item.id, "title": r.item.title, "categories": list(r.item.categories),
             "reasons": list(r.reasons)}
            for r in picks
        ]

    @site.post(
        "/api/events", tags=["site"], status_code=202, response_model=SiteEventOut,
        responses={200: {"model": SiteEventOut, "description": "Not stored: the user has not consented."},
                   422: {"model": ErrorOut, "description": "Unknown item, a time in the future, or a bad body."}},
    )
    def post_event(event: SiteEventIn, response: Response) -> Any:
        """A view, click, add-to-cart or purchase on the site (or a like/dislike): the user's
        next recommendation, in chat or on the site, already reflects it."""
        engine = engines.get()
        if event.item_id not in engine.catalog:
            raise HTTPException(422, f"unknown item id {event.item_id!r}")
        if event.at is not None and event.at > datetime.now(UTC) + FUTURE_SLACK:
            raise HTTPException(422, "'at' is in the future")
        limits.for_user(event.user_id)
        if event.consent is not None and engine.consent(event.user_id) is not event.consent:
            engine.set_consent(event.user_id, event.consent, channel="site")
        recorded = engine.record_event(event.user_id, event.type, event.item_id, channel="site", at=event.at)
        if recorded is Recorded.NO_CONSENT:
            response.status_code = 200
            return {"stored": False, "reason": NO_CONSENT}
        if recorded is Recorded.QUEUED:
            return {"stored": False, "queued": True, "reason": QUEUED}
        return {"stored": True}

    @site.post(
        "/api/site/users/{sender_id}/token", tags=["site"], response_model=UserTokenOut,
        dependencies=[Depends(_valid_sender_id)],
        responses={503: {"model": ErrorOut, "description": "BOT_USER_TOKEN_SECRET is not set (or no key is)."}},
    )
    def mint_user_token(sender_id: str, response: Response) -> Any:
        """A short-lived token for the user logged in on the site, to hand to their browser: with
        it the browser reads, exports, erases and sets consent for that user's data only.

        Issued without looking the user up (so it tells nothing about who is known); it cannot
        be revoked one by one, only all at once by changing BOT_USER_TOKEN_SECRET."""
        if settings.user_token_secret is None:
            raise HTTPException(503, USER_TOKENS_DISABLED)
        now = int(time.time())
        issued = issue_user_token(settings.user_token_secret, sender_id, now=now)
        response.headers.update(_NO_STORE)
        return {"token": issued.token, "token_type": "Bearer", "sender_id": sender_id,
                "expires_at": datetime.fromtimestamp(issued.expires_at, UTC),
                "expires_in": issued.expires_at - now}

    app.include_router(site)
    app.include_router(slot)

    @app.get(
        "/export/{token}", tags=["privacy"], response_class=Response,
        responses={200: {"model": UserExport, "description": "The user's data as a JSON file (once)."},
                   404: {"content": {"text/html": {}}, "description": "Unknown, used or expired link."}},
    )
    def download_export(token: str) -> Response:
        """The one-time download link the bot gives users: `{BOT_PUBLIC_URL}/export/{token}`.

        The token is the credential: it works once, for a few minutes. No API key needed.
        """
        data = engines.get().redeem_export_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
        if data is None:
            return HTMLResponse(LINK_EXPIRED_PAGE, status_code=404, headers=_NO_STORE)
        return _download(data, data.get("sender_id") or "user")

    def require_operator(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        """The operator's BOT_API_KEY: the business's own people."""
        if settings.api_key is None:
            raise HTTPException(503, ANALYTICS_DISABLED)
        if not _key_matches(credentials, settings.api_key):
            raise HTTPException(401, BAD_KEY, headers={"WWW-Authenticate": "Bearer"})
        limits.for_key("api")

    @app.get("/analytics", include_in_schema=False)
    def analytics_page() -> FileResponse:
        """Conversations and how recommendations are received; the page asks for the API key."""
        return FileResponse(STATIC_DIR / "analytics.html", media_type="text/html")

    @app.get("/api/analytics", tags=["analytics"], response_model=AnalyticsOut,
             dependencies=[Depends(require_operator)],
             responses={401: {"model": ErrorOut, "description": "Missing or wrong API key."},
                        503: {"model": ErrorOut, "description": "BOT_API_KEY is not set."}})
    def get_analytics(days: Annotated[int, Query(ge=1, le=366)] = 30) -> Any:
        """Per day, per segment and per variant of the running experiment: users, items shown,
        and the click, like and any-outcome rates with 95% intervals; conversations a day."""
        return asdict(engines.get().analytics(days))

    app.include_router(agent_router(settings, engines, STATIC_DIR, rasa, limits))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""What the routers take from the app they are part of, as FastAPI dependencies.

:func:`bot.web.app.create_app` keeps one of each on ``app.state``: the settings, the engine and
the records (each built by the first request that needs it), the rate limits and Rasa's API.
The routers are module-level, shared by every app built, so they read these per request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Request

from bot.config import Settings
from bot.records import Records
from bot.web.rasa_api import RasaApi
from bot.web.ratelimit import RateLimits

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

ENGINE_UNAVAILABLE = "the engine could not be started; see the server log"
DATABASE_UNAVAILABLE = "the database is unavailable right now; nothing was changed. Try again shortly."

Built = TypeVar("Built")


class Lazy(Generic[Built]):
    """One object of the app, built by the first request that needs it, so the chat page
    starts at once and the web process loads the engine (catalog, index, model) only if asked.

    Endpoints run in a thread pool, so the build is guarded by a lock; a failed build is
    logged and answered with 503 ``unavailable``, and the next request tries again.
    """

    def __init__(self, what: str, build: Callable[[], Built], unavailable: str):
        self._what = what
        self._build = build
        self._unavailable = unavailable
        self._built: Built | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._built is not None

    def get(self) -> Built:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    try:
                        self._built = self._build()
                    except Exception:
                        log.exception("could not start %s", self._what)
                        raise HTTPException(503, self._unavailable) from None
        return self._built


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def lazy_engine(request: Request) -> Lazy[Engine]:
    """The engine not yet built: an endpoint calls ``get()`` once its input is valid, so a
    refused request never waits for (or fails with) the engine's start."""
    return request.app.state.engines


def records(request: Request) -> Records:
    return request.app.state.records.get()


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.limits


def rasa_api(request: Request) -> RasaApi | None:
    """Rasa's HTTP API; None without BOT_RASA_TOKEN."""
    return request.app.state.rasa


def valid_sender_id(sender_id: str) -> None:
    """Refuse a user id in a path that no user can have (PostgreSQL stores no NUL; ids are
    at most 255 characters) with a 422 rather than the database's error."""
    if "\x00" in sender_id:
        raise HTTPException(422, "a user id cannot contain NUL characters")
    if len(sender_id) > 255:
        raise HTTPException(422, "a user id is at most 255 characters long")


AppSettings = Annotated[Settings, Depends(app_settings)]
Engines = Annotated["Lazy[Engine]", Depends(lazy_engine)]
TheRecords = Annotated[Records, Depends(records)]
Limits = Annotated[RateLimits, Depends(rate_limits)]
Rasa = Annotated[RasaApi | None, Depends(rasa_api)]

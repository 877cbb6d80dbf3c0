"""For the business's website (BOT_SITE_KEY, :func:`bot.web.auth.site_key`): what its users do
there (site events), the "Recommended for you" slot, and user tokens for its logged-in users'
browsers (:mod:`bot.web.user_tokens`). The slot also opens with the user's own token, so their
browser may fill it itself.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from bot.vocabulary import ANONYMOUS_SENDER, Recorded
from bot.web.auth import site_key, slot_access
from bot.web.dependencies import AppSettings, Engines, Limits, valid_sender_id
from bot.web.responses import NO_STORE
from bot.web.schemas import ErrorOut, RecommendationOut, SiteEventIn, SiteEventOut, UserTokenOut
from bot.web.user_tokens import issue_user_token

USER_TOKENS_DISABLED = "user tokens are disabled: set BOT_USER_TOKEN_SECRET"
NO_CONSENT = "the user has not agreed to be remembered; nothing was stored"
QUEUED = "the database is unavailable; the event is queued and will be stored when it is back"
FUTURE_SLACK = timedelta(minutes=5)  # clock skew allowed for a site event's time

_site = APIRouter(
    dependencies=[Depends(site_key)],
    responses={429: {"model": ErrorOut, "description": "Rate limit exceeded (BOT_RATE_LIMIT_PER_KEY)."},
               401: {"model": ErrorOut, "description": "Missing or wrong site key."},
               503: {"model": ErrorOut, "description": "No key is configured, or the engine is down."}},
)
_slot = APIRouter(
    dependencies=[Depends(slot_access)],
    responses={**_site.responses, 403: {"model": ErrorOut, "description": "A user token for another user."}},
)


@_slot.get("/api/users/{sender_id}/recommendations", tags=["site"], response_model=list[RecommendationOut],
           dependencies=[Depends(valid_sender_id)])
def get_recommendations(sender_id: str, engines: Engines, n: Annotated[int, Query(ge=1, le=50)] = 10) -> Any:
    """A "Recommended for you" slot: personalized with the user's consent (then logged as
    shown), popular without. With the site's key, or with the user's own token."""
    picks = engines.get().recommend(sender_id, n=n, channel="site")
    return [
        {"id": r.item.id, "title": r.item.title, "categories": list(r.item.categories),
         "reasons": list(r.reasons)}
        for r in picks
    ]


@_site.post(
    "/api/events", tags=["site"], status_code=202, response_model=SiteEventOut,
    responses={200: {"model": SiteEventOut, "description": "Not stored: the user has not consented."},
               422: {"model": ErrorOut, "description": "Unknown item, a time in the future, or a bad body."}},
)
def post_event(event: SiteEventIn, response: Response, engines: Engines, limits: Limits) -> Any:
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


@_site.post(
    "/api/site/users/{sender_id}/token", tags=["site"], response_model=UserTokenOut,
    dependencies=[Depends(valid_sender_id)],
    responses={503: {"model": ErrorOut, "description": "BOT_USER_TOKEN_SECRET is not set (or no key is)."}},
)
def mint_user_token(sender_id: str, response: Response, settings: AppSettings) -> Any:
    """A short-lived token for the user logged in on the site, to hand to their browser: with
    it the browser reads, exports, erases and sets consent for that user's data only.

    Issued without looking the user up (so it tells nothing about who is known); it cannot
    be revoked one by one, only all at once by changing BOT_USER_TOKEN_SECRET."""
    if settings.user_token_secret is None:
        raise HTTPException(503, USER_TOKENS_DISABLED)
    if ANONYMOUS_SENDER.fullmatch(sender_id):
        raise HTTPException(422, "web-<uuid> ids are the chat's anonymous visitors, not the site's users")
    now = int(time.time())
    issued = issue_user_token(settings.user_token_secret, sender_id, now=now)
    response.headers.update(NO_STORE)
    return {"token": issued.token, "token_type": "Bearer", "sender_id": sender_id,
            "expires_at": datetime.fromtimestamp(issued.expires_at, UTC),
            "expires_in": issued.expires_at - now}


router = APIRouter()
router.include_router(_site)
router.include_router(_slot)

"""Users' data (``/api/users/{sender_id}/...``): what the bot knows about a user, the export,
the erasure and the consent, merging and linking other ids, a thin face over
:class:`bot.engine.Engine` (and :class:`bot.records.Records` where no catalog is needed).

Access (:func:`bot.web.auth.user_access`): the operator's BOT_API_KEY opens any user, a user
token (which the business's site got for that user from ``POST /api/site/users/{id}/token``)
that user only: another id is 403. Without BOT_API_KEY and BOT_USER_TOKEN_SECRET all answer 503.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from bot.vocabulary import ANONYMOUS_SENDER, LINK_CODE_TTL
from bot.web.auth import user_access
from bot.web.dependencies import Engines, TheRecords, valid_sender_id
from bot.web.responses import NO_STORE, download
from bot.web.schemas import (
    ConsentIn,
    ConsentOut,
    ErasedOut,
    ErrorOut,
    LinkCodeOut,
    MergeIn,
    MergeOut,
    ProfileOut,
    UserExport,
)

NOTHING_STORED = "nothing is stored about this user"

router = APIRouter(
    prefix="/api/users/{sender_id}",
    dependencies=[Depends(user_access), Depends(valid_sender_id)],
    responses={429: {"model": ErrorOut, "description": "Rate limit exceeded (BOT_RATE_LIMIT_PER_KEY)."},
               401: {"model": ErrorOut, "description": "Missing or wrong API key; a malformed, forged or "
                                                       "expired user token."},
               403: {"model": ErrorOut, "description": "A user token for another user."},
               503: {"model": ErrorOut, "description": "Neither BOT_API_KEY nor BOT_USER_TOKEN_SECRET is "
                                                       "set, or the engine is down."}},
)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "Nothing is stored about this user."}}


@router.get("/profile", tags=["users"], response_model=ProfileOut, responses=_NOT_FOUND)
def get_profile(sender_id: str, engines: Engines) -> Any:
    """What the bot remembers about the user, in words (stored data, with or without consent)."""
    summary = engines.get().summary(sender_id)
    if not summary.known and summary.consent is None:
        raise HTTPException(404, NOTHING_STORED)
    return asdict(summary)


@router.get(
    "/export", tags=["privacy"], response_class=Response,
    responses={200: {"model": UserExport, "description": "A JSON file, `<sender_id>-data.json`."},
               **_NOT_FOUND},
)
def export_user(sender_id: str, engines: Engines) -> Response:
    """Everything stored about the user (engine database and conversation), as a download."""
    data = engines.get().export(sender_id)
    if data is None:
        raise HTTPException(404, NOTHING_STORED)
    return download(data, sender_id)


@router.delete("", tags=["privacy"], response_model=ErasedOut, responses=_NOT_FOUND)
def erase_user(sender_id: str, engines: Engines) -> Any:
    """Forget the user completely: profile, events, consent history, export links, conversation."""
    erased = engines.get().erase(sender_id)
    if not any(erased.values()):
        raise HTTPException(404, NOTHING_STORED)
    return {"erased": erased}


@router.put("/consent", tags=["privacy"], response_model=ConsentOut)
def put_consent(sender_id: str, decision: ConsentIn, engines: Engines) -> Any:
    """Record the user's decision to be remembered (true) or not (false)."""
    engines.get().set_consent(sender_id, decision.granted, channel=decision.channel)
    return {"consent": decision.granted}


@router.post("/merge", tags=["privacy"], response_model=MergeOut,
             responses={422: {"model": ErrorOut, "description": "Not an anonymous id, or the user's own."}})
def merge_anonymous(sender_id: str, merged: MergeIn, engines: Engines) -> Any:
    """The visitor signed in: what they did and said as an anonymous visitor (the widget's
    ``web-<uuid>``) becomes part of this user's profile. The user's own consent decision stands
    (one who has made none takes the visitor's); the visitor's events and preferences move only
    when both consented. Export and erasure of the user then cover the visitor's conversation."""
    if ANONYMOUS_SENDER.fullmatch(sender_id):
        raise HTTPException(422, "an anonymous visitor is merged into a signed-in user, not another visitor")
    linked = engines.get().link_anonymous(merged.anonymous_id, sender_id)
    return {"anonymous_id": merged.anonymous_id, **asdict(linked)}


@router.post("/link-code", tags=["privacy"], response_model=LinkCodeOut,
             responses={422: {"model": ErrorOut, "description": "An anonymous id: only a signed-in user links a chat."}})
def link_code(sender_id: str, records: TheRecords, response: Response) -> Any:
    """A one-time code for the shop's "link my account" page: typed in the bot's Slack or
    Telegram chat ("link my account ABCD-2345") within 10 minutes, it makes that chat share this
    user's profile (the consent rules of a merge). Only its hash is stored; it works once, a new
    one replaces it, and a chat that sends 5 wrong codes in an hour is not checked until later."""
    if ANONYMOUS_SENDER.fullmatch(sender_id):
        raise HTTPException(422, "an anonymous visitor has no account to link a chat to")
    issued = records.link_code(sender_id)
    response.headers.update(NO_STORE)
    return {"code": issued.code, "expires_at": issued.expires_at, "expires_in": int(LINK_CODE_TTL.total_seconds())}

"""For the people who chat: the chat page, where Rasa runs, and the one-time export download.

The chat page talks to Rasa's REST channel straight from the browser, so for it this server
only ships static files and tells the page where Rasa runs (``/config.json``, a deploy-time
setting rather than a URL baked into the JS). None of these start the engine except the
download, which needs no key: the token in the link the bot gave the user is the credential
(one download, short-lived).
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from bot.web.dependencies import AppSettings, Engines
from bot.web.responses import NO_STORE, download, page
from bot.web.schemas import UserExport

LINK_EXPIRED = "This download link has expired or was already used. Ask the bot for a new one."
LINK_EXPIRED_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link expired</title></head>
<body><p>{LINK_EXPIRED}</p></body></html>
"""
# secrets.token_urlsafe(32) is 43 characters; anything else cannot be a token, and
# rejecting it here (not with a 422 that would echo it) keeps the answer a plain 404.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """Serve the chat page itself at the root so the URL to share is short."""
    return page("index.html")


@router.get("/config.json")
def get_config(settings: AppSettings) -> dict[str, str]:
    """Tell the page where Rasa runs, so the JS needs no hard-coded URL."""
    return {"rasa_url": settings.rasa_url}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Cheap liveness probe for scripts and `make` targets (does not start the engine)."""
    return {"status": "ok"}


@router.get(
    "/export/{token}", tags=["privacy"], response_class=Response,
    responses={200: {"model": UserExport, "description": "The user's data as a JSON file (once)."},
               404: {"content": {"text/html": {}}, "description": "Unknown, used or expired link."}},
)
def download_export(token: str, engines: Engines) -> Response:
    """The one-time download link the bot gives users: `{BOT_PUBLIC_URL}/export/{token}`.

    The token is the credential: it works once, for a few minutes. No API key needed.
    """
    data = engines.get().redeem_export_token(token) if _TOKEN_SHAPE.fullmatch(token) else None
    if data is None:
        return HTMLResponse(LINK_EXPIRED_PAGE, status_code=404, headers=NO_STORE)
    return download(data, data.get("sender_id") or "user")

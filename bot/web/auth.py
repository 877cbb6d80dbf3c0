"""Who may call what: the credentials each audience sends, checked as FastAPI dependencies.

- the operator (the business's own people): ``Authorization: Bearer <BOT_API_KEY>``, any user;
- a user's browser: a user token (:mod:`bot.web.user_tokens`), that user's data only;
- the business's website: BOT_SITE_KEY (the operator's key works too);
- a support agent: their own token from BOT_AGENT_TOKENS.

Keys are compared in constant time, and every accepted request counts against its
credential's rate limit (:mod:`bot.web.ratelimit`).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.config import Settings
from bot.web.dependencies import AppSettings, Limits
from bot.web.ratelimit import RateLimits
from bot.web.user_tokens import ExpiredUserToken, InvalidUserToken, looks_like_user_token, same_user, verify_user_token

API_DISABLED = "the user-data API is disabled: set BOT_API_KEY (or BOT_USER_TOKEN_SECRET for users' own tokens)"
BAD_CREDENTIAL = ("missing or wrong credential (send Authorization: Bearer <BOT_API_KEY>, or the user's own "
                  "token from POST /api/site/users/{sender_id}/token)")
BAD_USER_TOKEN = "invalid user token: malformed, or not signed by this server"
USER_TOKEN_EXPIRED = "the user token has expired: the site can get a new one"
NOT_YOUR_DATA = "a user token opens only its own user's data"
SITE_API_DISABLED = "the site API is disabled: set BOT_SITE_KEY (or BOT_API_KEY)"
BAD_SITE_KEY = "missing or wrong key (send Authorization: Bearer <BOT_SITE_KEY>)"
BAD_KEY = "missing or wrong API key (send Authorization: Bearer <BOT_API_KEY>)"
ANALYTICS_DISABLED = "analytics are closed: set BOT_API_KEY"
CONSOLE_DISABLED = "the agent console is disabled: set BOT_AGENT_TOKENS (name:token,...)"
BAD_AGENT_TOKEN = "unknown agent token (send Authorization: Bearer <your token from BOT_AGENT_TOKENS>)"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

_bearer = HTTPBearer(auto_error=False, description="BOT_API_KEY, BOT_SITE_KEY, a user token or an agent's "
                                                    "token, as each endpoint says.")
_agent_bearer = HTTPBearer(auto_error=False, description="An agent's token from BOT_AGENT_TOKENS.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _key_matches(credentials: HTTPAuthorizationCredentials | None, *keys: str | None) -> bool:
    """Constant-time comparison with each configured key (an unset key never matches)."""
    given = credentials.credentials.encode("utf-8") if credentials else b""
    matches = [secrets.compare_digest(given, key.encode("utf-8")) for key in keys if key]
    return any(matches)


def _own_token(settings: Settings, limits: RateLimits, credentials: HTTPAuthorizationCredentials | None,
               sender_id: str) -> None:
    """A user token signed with BOT_USER_TOKEN_SECRET, issued for ``sender_id``: 401 for no
    token, a malformed, forged or expired one; 403 for another user's (before the engine is
    asked anything, so the answer never tells whether that user exists)."""
    given = credentials.credentials if credentials else ""
    secret = settings.user_token_secret
    if secret is None or not looks_like_user_token(given):
        raise HTTPException(401, BAD_KEY if secret is None else BAD_CREDENTIAL, headers=_CHALLENGE)
    try:
        owner = verify_user_token(secret, given)
    except ExpiredUserToken:
        raise HTTPException(401, USER_TOKEN_EXPIRED, headers=_CHALLENGE) from None
    except InvalidUserToken:
        raise HTTPException(401, BAD_USER_TOKEN, headers=_CHALLENGE) from None
    if not same_user(owner, sender_id):
        raise HTTPException(403, NOT_YOUR_DATA)
    limits.for_key(f"user:{owner}")


def _site_key(settings: Settings, limits: RateLimits, credentials: HTTPAuthorizationCredentials | None) -> None:
    if settings.site_key is None and settings.api_key is None:
        raise HTTPException(503, SITE_API_DISABLED)
    if not _key_matches(credentials, settings.site_key, settings.api_key):
        raise HTTPException(401, BAD_SITE_KEY, headers=_CHALLENGE)
    limits.for_key("site" if _key_matches(credentials, settings.site_key) else "api")


def user_access(sender_id: str, credentials: Credentials, settings: AppSettings, limits: Limits) -> None:
    """The operator's BOT_API_KEY (any user), or the user's own token (that user only)."""
    if settings.api_key is None and settings.user_token_secret is None:
        raise HTTPException(503, API_DISABLED)
    if _key_matches(credentials, settings.api_key):
        limits.for_key("api")
        return
    _own_token(settings, limits, credentials, sender_id)


def site_key(credentials: Credentials, settings: AppSettings, limits: Limits) -> None:
    """A website's key (BOT_SITE_KEY); the operator's BOT_API_KEY works too."""
    _site_key(settings, limits, credentials)


def slot_access(sender_id: str, credentials: Credentials, settings: AppSettings, limits: Limits) -> None:
    """The site's key (or the operator's), or the user's own token for their own slot."""
    given = credentials.credentials if credentials else ""
    if (settings.user_token_secret is not None and looks_like_user_token(given)
            and not _key_matches(credentials, settings.site_key, settings.api_key)):
        _own_token(settings, limits, credentials, sender_id)
        return
    _site_key(settings, limits, credentials)


def operator(credentials: Credentials, settings: AppSettings, limits: Limits) -> None:
    """The operator's BOT_API_KEY: the business's own people."""
    if settings.api_key is None:
        raise HTTPException(503, ANALYTICS_DISABLED)
    if not _key_matches(credentials, settings.api_key):
        raise HTTPException(401, BAD_KEY, headers=_CHALLENGE)
    limits.for_key("api")


def signed_in_agent(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_agent_bearer)],
                    settings: AppSettings, limits: Limits) -> str:
    """The agent whose token this is; every configured token is compared, in constant time."""
    if not settings.agent_tokens:
        raise HTTPException(503, CONSOLE_DISABLED)
    given = credentials.credentials.encode("utf-8") if credentials else b""
    found = None
    for name, token in settings.agent_tokens.items():
        if secrets.compare_digest(given, token.encode("utf-8")):
            found = name
    if found is None:
        raise HTTPException(401, BAD_AGENT_TOKEN, headers=_CHALLENGE)
    limits.for_key(f"agent:{found}")
    return found


Agent = Annotated[str, Depends(signed_in_agent)]

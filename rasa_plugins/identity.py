"""Who is writing on the website's chat (REST and socket.io): the sender comes from a signed token.

The shop's backend gives its signed-in customer's browser a short-lived JWT (bot/web/user_tokens.py
issues them, or the shop mints them: HS256 under ``BOT_USER_TOKEN_SECRET``, ``sub`` the shop's
user id, ``aud`` "recbot-user", ``iat``/``exp`` at most an hour apart). With a valid token the
sender is the token's subject, whatever id the client names, so user A's token never speaks as
user B. Without one, a visitor is anonymous: their id must be one the widget makes up
(``web-<uuid>``, unguessable), so nobody can claim a customer's id by naming it. Sites that
have not set the secret have no signed-in users: any sender id is taken, as before.

The same checks as bot/web/user_tokens.py (this environment cannot import ``bot``);
tests/rasa_plugins/test_identity.py checks that tokens issued there are taken here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping

import jwt

ALGORITHM = "HS256"
AUDIENCE = "recbot-user"
LIFETIME_SECONDS = 60 * 60
LEEWAY_SECONDS = 30
ANONYMOUS = re.compile(r"web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class IdentityError(ValueError):
    """A token or sender the channel refuses; the message says why, for the client, and
    ``status`` is the HTTP answer: 401 (who are you?) or 403 (not as that user)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def token_secret(env: Mapping[str, str] | None = None) -> str | None:
    """BOT_USER_TOKEN_SECRET, when the site has signed-in users."""
    return ((os.environ if env is None else env).get("BOT_USER_TOKEN_SECRET") or "").strip() or None


def is_anonymous(sender: str) -> bool:
    return ANONYMOUS.fullmatch(sender) is not None


def token_subject(secret: str, token: str, *, now: float | None = None) -> str:
    """The signed-in user a token names; :class:`IdentityError` for anything else."""
    moment = time.time() if now is None else now
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "aud", "iat", "exp"], "verify_exp": False,
                                     "verify_iat": False})
    except jwt.PyJWTError:
        raise IdentityError("the user token is not valid") from None
    subject, issued_at, expires_at = claims["sub"], claims["iat"], claims["exp"]
    if not isinstance(subject, str) or not subject or not all(isinstance(t, int) for t in (issued_at, expires_at)) \
            or expires_at - issued_at > LIFETIME_SECONDS or issued_at > moment + LEEWAY_SECONDS:
        raise IdentityError("the user token is not valid")
    if expires_at <= moment:
        raise IdentityError("the user token has expired: ask the site for a new one")
    if is_anonymous(subject):
        raise IdentityError("the user token names an anonymous id")
    return subject


def sender_for(secret: str | None, token: str | None, claimed: str | None) -> str:
    """The sender of a message: the token's subject, else the anonymous id claimed.

    A token with a different claimed sender is refused rather than silently ignored: the client
    is confused about who is writing. Without a secret configured, the claimed id is taken.
    """
    if secret is None:
        if token:
            raise IdentityError("this site has no signed-in users (BOT_USER_TOKEN_SECRET is not set)")
        if not claimed:
            raise IdentityError("a sender id is needed")
        return claimed
    if token:
        subject = token_subject(secret, token)
        if claimed and claimed != subject:
            raise IdentityError("the user token is for another user", status=403)
        return subject
    if claimed and is_anonymous(claimed):
        return claimed
    raise IdentityError("a signed-in user's id needs their user token; anonymous visitors use web-<uuid>")

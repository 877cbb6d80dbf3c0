"""Short-lived signed tokens that say who a user is: the shop's signed-in customer.

One scheme for every face: the chat (Rasa's REST and socket.io channels take the sender from
the token, rasa_plugins/identity.py), the "Recommended for you" slot, and the user's own data
(``/api/users/{id}/...``). The shop's backend gets one for its signed-in user from
``POST /api/site/users/{id}/token`` (with BOT_SITE_KEY), or mints it itself: a **JWT** signed
with HS256 under BOT_USER_TOKEN_SECRET, with the claims ``sub`` (the shop's user id), ``aud``
(:data:`AUDIENCE`), ``iat`` and ``exp``, at most :data:`LIFETIME_SECONDS` apart. Nothing is
stored: a token is valid until it expires; changing the secret revokes every token at once.

Tokens of the earlier ``u1.`` format (before December 2026) are no longer taken: they lived an
hour, and a site asks the same endpoint for a new one (docs/privacy.md).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
AUDIENCE = "recbot-user"  # keeps these tokens apart from any other JWT signed with the secret
LIFETIME_SECONDS = 60 * 60  # one hour: the site asks for a new one when it runs out
LEEWAY_SECONDS = 30  # a token minted by the shop may be stamped this far ahead of our clock


class InvalidUserToken(ValueError):
    """Not a token for this bot (malformed, forged, another secret, too long-lived)."""


class ExpiredUserToken(ValueError):
    """A token for this bot whose time is up."""


@dataclass(frozen=True)
class UserToken:
    token: str
    sender_id: str
    expires_at: int  # Unix seconds


def looks_like_user_token(credential: str) -> bool:
    """Whether a bearer credential is meant as a user token (a JWT: three base64url parts)."""
    return credential.startswith("eyJ") and credential.count(".") == 2


def issue_user_token(secret: str, sender_id: str, *, now: float | None = None,
                     lifetime: int | None = None) -> UserToken:
    """A token for ``sender_id`` valid ``lifetime`` seconds (default and most: :data:`LIFETIME_SECONDS`)
    from ``now`` (default: the current time)."""
    lifetime = LIFETIME_SECONDS if lifetime is None else min(lifetime, LIFETIME_SECONDS)
    issued_at = int(time.time() if now is None else now)
    claims = {"sub": sender_id, "aud": AUDIENCE, "iat": issued_at, "exp": issued_at + lifetime}
    return UserToken(jwt.encode(claims, secret, algorithm=ALGORITHM), sender_id, issued_at + lifetime)


def verify_user_token(secret: str, token: str, *, now: float | None = None) -> str:
    """The user id a token was issued for; :class:`InvalidUserToken` unless this secret signed
    it with HS256 for this audience and a lifetime of at most an hour, :class:`ExpiredUserToken`
    once it has expired."""
    moment = time.time() if now is None else now
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "aud", "iat", "exp"], "verify_exp": False,
                                     "verify_iat": False})
    except jwt.PyJWTError:
        raise InvalidUserToken("not a token for this bot") from None
    subject, issued_at, expires_at = claims["sub"], claims["iat"], claims["exp"]
    if not isinstance(subject, str) or not subject or not all(isinstance(t, int) for t in (issued_at, expires_at)):
        raise InvalidUserToken("malformed claims")
    if expires_at - issued_at > LIFETIME_SECONDS or issued_at > moment + LEEWAY_SECONDS:
        raise InvalidUserToken("not short-lived")
    if expires_at <= moment:
        raise ExpiredUserToken("expired")
    return subject


def same_user(a: str, b: str) -> bool:
    """Constant-time equality of two user ids."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))

"""Short-lived tokens with which a user's browser reads, exports and erases only their own data.

The business's site knows who is logged in; it asks ``POST /api/site/users/{id}/token`` (with
BOT_SITE_KEY) for a token and hands it to that user's browser, which then calls
``/api/users/{id}/...`` with ``Authorization: Bearer <token>``. The token opens that one id only.

Format: ``u1.<user id, base64url of its UTF-8>.<expiry, Unix seconds>.<signature, base64url>``,
where the signature is HMAC-SHA256 under BOT_USER_TOKEN_SECRET over a fixed label and the two
middle parts (the label keeps these signatures apart from any other use of the secret). Nothing
is stored: a token is valid until it expires (:data:`LIFETIME_SECONDS`); changing the secret revokes
every token at once. The standard library's ``hmac`` rather than a signing package: it is the
whole of what is needed, and no new dependency.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

PREFIX = "u1"
LIFETIME_SECONDS = 60 * 60  # one hour: the site asks for a new one when it runs out
_LABEL = b"recbot user token v1\x00"
_SHAPE = re.compile(r"u1\.([A-Za-z0-9_-]{1,1400})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


class InvalidUserToken(ValueError):
    """Not a token this server signed (malformed, forged, another secret)."""


class ExpiredUserToken(ValueError):
    """A token this server signed whose time is up."""


@dataclass(frozen=True)
class UserToken:
    token: str
    sender_id: str
    expires_at: int  # Unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, user_part: str, expiry_part: str) -> str:
    message = _LABEL + f"{user_part}.{expiry_part}".encode("ascii")
    return _b64(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest())


def looks_like_user_token(credential: str) -> bool:
    """Whether a bearer credential is meant as a user token (checked or not)."""
    return credential.startswith(PREFIX + ".")


def issue_user_token(secret: str, sender_id: str, *, now: float | None = None,
                     lifetime: int | None = None) -> UserToken:
    """A token for ``sender_id`` valid ``lifetime`` seconds (default :data:`LIFETIME_SECONDS`)
    from ``now`` (default: the current time)."""
    lifetime = LIFETIME_SECONDS if lifetime is None else lifetime
    expires_at = int(time.time() if now is None else now) + lifetime
    user_part = _b64(sender_id.encode("utf-8", "surrogatepass"))
    expiry_part = str(expires_at)
    token = f"{PREFIX}.{user_part}.{expiry_part}.{_signature(secret, user_part, expiry_part)}"
    return UserToken(token, sender_id, expires_at)


def verify_user_token(secret: str, token: str, *, now: float | None = None) -> str:
    """The user id a token was issued for; :class:`InvalidUserToken` unless this secret signed
    it (compared in constant time), :class:`ExpiredUserToken` once it has expired."""
    shape = _SHAPE.fullmatch(token)
    if shape is None:
        raise InvalidUserToken("malformed")
    user_part, expiry_part, signature = shape.groups()
    expected = _signature(secret, user_part, expiry_part)
    if not hmac.compare_digest(signature.encode("ascii"), expected.encode("ascii")):
        raise InvalidUserToken("bad signature")
    if int(expiry_part) <= (time.time() if now is None else now):
        raise ExpiredUserToken("expired")
    try:
        return _unb64(user_part).decode("utf-8", "surrogatepass")
    except (binascii.Error, UnicodeDecodeError):  # signed by us, so never; but never a 500 either
        raise InvalidUserToken("malformed") from None


def same_user(a: str, b: str) -> bool:
    """Constant-time equality of two user ids."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))

"""Rasa's side of signed identity (rasa_plugins/identity.py), run in the Rasa environment by
tests/rasa_plugins/test_identity.py with tokens the engine's side issued (bot/web/user_tokens.py)
in ``TOKENS`` (JSON: name -> token). Prints ``ok <check>`` for each check that passed."""

from __future__ import annotations

import json
import os

from named_checks import check

from rasa_plugins.identity import IdentityError, is_anonymous, sender_for, token_secret

SECRET = os.environ["BOT_USER_TOKEN_SECRET"]
TOKENS = json.loads(os.environ["TOKENS"])
ANONYMOUS = "web-0f8fad5b-d9cb-469f-a165-70867728950e"


def refused(secret: str | None, token: str | None, claimed: str | None) -> IdentityError:
    try:
        sender = sender_for(secret, token, claimed)
    except IdentityError as error:
        return error
    raise AssertionError(f"taken as {sender!r}: {token!r} claiming {claimed!r}")


@check("a token the engine issued names its user here")
def _() -> None:
    assert token_secret() == SECRET
    assert sender_for(SECRET, TOKENS["alice"], None) == "alice"
    assert sender_for(SECRET, TOKENS["alice"], "alice") == "alice"
    assert sender_for(SECRET, TOKENS["shop-minted"], None) == "shop-user-42"


@check("a token never speaks as another user")
def _() -> None:
    error = refused(SECRET, TOKENS["alice"], "bob")
    assert error.status == 403 and "another user" in str(error)


@check("expired, forged, other-secret and long-lived tokens are refused")
def _() -> None:
    assert "expired" in str(refused(SECRET, TOKENS["expired"], None))
    for name in ("forged", "other-secret", "long-lived", "other-audience", "alg-none", "anonymous-subject"):
        assert refused(SECRET, TOKENS[name], None).status == 401, name


@check("without a token only an anonymous id is taken")
def _() -> None:
    assert sender_for(SECRET, None, ANONYMOUS) == ANONYMOUS
    for claimed in ("alice", "web-alice", ANONYMOUS.upper(), ANONYMOUS + "x", "", None):
        assert refused(SECRET, None, claimed).status == 401, claimed
    assert is_anonymous(ANONYMOUS) and not is_anonymous("alice")


@check("a site without signed-in users takes any sender id, and no token")
def _() -> None:
    assert sender_for(None, None, "alice") == "alice"
    assert refused(None, TOKENS["alice"], None).status == 401

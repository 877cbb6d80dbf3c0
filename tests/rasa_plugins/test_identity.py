"""Signed identity on the chat channels (rasa_plugins/identity.py), checked in the Rasa
environment with tokens issued by the engine's side (bot/web/user_tokens.py) and by a shop's
own JWT library: both environments must agree on what a valid token is.
tests/e2e/test_lockdown.py tries the channels themselves."""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import time

import jwt

from bot.config import PROJECT_ROOT
from bot.vocabulary import ANONYMOUS_SENDER
from bot.web.user_tokens import AUDIENCE, issue_user_token

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
SECRET = "a-user-token-secret-for-the-identity-test"
CHECKS = ["a token the engine issued names its user here", "a token never speaks as another user",
          "expired, forged, other-secret and long-lived tokens are refused",
          "without a token only an anonymous id is taken",
          "a site without signed-in users takes any sender id, and no token"]


def tokens() -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 600}
    alice = issue_user_token(SECRET, "alice").token
    header, payload, signature = alice.split(".")
    bob = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "bob"}).encode()).rstrip(b"=").decode()
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return {
        "alice": alice,
        "shop-minted": jwt.encode({**claims, "sub": "shop-user-42"}, SECRET, algorithm="HS256"),
        "expired": issue_user_token(SECRET, "alice", now=now - 7200).token,
        "forged": ".".join([header, bob, signature]),
        "other-secret": issue_user_token("another-secret-of-32-characters-or-more", "alice").token,
        "long-lived": jwt.encode({**claims, "exp": now + 86400}, SECRET, algorithm="HS256"),
        "other-audience": jwt.encode({**claims, "aud": "other"}, SECRET, algorithm="HS256"),
        "alg-none": ".".join([none, payload, ""]),
        "anonymous-subject": issue_user_token(SECRET, "web-0f8fad5b-d9cb-469f-a165-70867728950e").token,
    }


def test_both_environments_agree_on_who_a_token_names(rasa_env):
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/identity_check.py"], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**rasa_env, "PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'tests/rasa_plugins'}",
             "BOT_USER_TOKEN_SECRET": SECRET, "TOKENS": json.dumps(tokens())},
        timeout=120,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert [line[3:] for line in result.stdout.splitlines() if line.startswith("ok ")] == CHECKS


def test_both_environments_agree_on_what_an_anonymous_id_is():
    """rasa_plugins/identity.py cannot import bot/: its pattern must be bot.vocabulary's."""
    source = (PROJECT_ROOT / "rasa_plugins/identity.py").read_text()
    [compiled] = [node.value for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "ANONYMOUS" for t in node.targets)]
    assert ast.literal_eval(compiled.args[0]) == ANONYMOUS_SENDER.pattern

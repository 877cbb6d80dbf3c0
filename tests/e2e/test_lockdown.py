"""Issue 21's lock-down, tried as an attacker on the same machine or network would, against the
real servers: the action server listens on loopback and answers only Rasa (the shared secret),
refuses malformed calls without echoing them; a user cannot type the system's intents or
payloads for buttons the bot never offered; on a site with signed-in users (a user token
secret), the chat's sender is the token's user on REST and socket.io, and nobody else can claim
that id. docs/reliability.md lists each attack and its result.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.store import Store
from bot.web.user_tokens import issue_user_token

OUT_OF_SCOPE = "Sorry, I can't help with that."
MARKER = "echo-me-" + uuid.uuid4().hex[:8]  # what a refusal must never repeat back
GREETING = "Hi! I'm your"


@pytest.fixture
def services(web_services):
    """The servers of a site with signed-in users (its ``user_token_secret``), shared by the run."""
    return web_services


def anonymous() -> str:
    return f"web-{uuid.uuid4()}"


def rest(services, body: dict, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(services.rasa_url + "/webhooks/rest/webhook", json=body, headers=headers, timeout=120)


def socketio_talk(services, **request) -> dict:
    """One socket.io conversation turn (tests/e2e/socketio_client.py, in Rasa's environment)."""
    result = subprocess.run([str(PROJECT_ROOT / ".venv-rasa/bin/python"), "tests/e2e/socketio_client.py",
                             services.rasa_url], input=json.dumps(request), capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def user_texts(services, sender: str) -> list[str]:
    return [e["text"] for e in services.tracker_events(sender) if e["event"] == "user"]


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (/proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def call(services, method: str, path: str, token: str | None = "the right one", **options) -> requests.Response:
    """A request to the action server, with its secret (the default), another token or none."""
    headers = options.pop("headers", {})
    if token == "the right one":
        token = services.env["BOT_ACTION_TOKEN"]
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"http://127.0.0.1:{services.actions_port}{path}", headers=headers,
                            timeout=60, **options)


def action_call(sender: str, action: str = "action_show_profile") -> dict:
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": MARKER}, "events": []}}


def test_the_action_server_listens_on_loopback_only(services):
    assert listening_addresses(services.actions_port) == {"0100007F"}  # 127.0.0.1, no other interface


@pytest.mark.parametrize("token", [None, "", "wrong-" + uuid.uuid4().hex, "Basic x"])
def test_the_action_server_refuses_callers_without_its_secret(services, token):
    victim = f"victim-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": token} if token is not None and token.startswith("Basic") else {}
    as_token = None if token is None or token.startswith("Basic") else token
    for method, path, body in (("POST", "/webhook", action_call(victim)),
                               ("POST", "/webhook", action_call(victim, "action_erase_data")),
                               ("GET", "/actions", None), ("POST", "/intent", {"text": MARKER})):
        answer = call(services, method, path, as_token, json=body, headers=dict(headers))
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json() == {"error": "unauthorized"}
    assert call(services, "GET", "/health", None).json() == {"status": "ok"}  # for load balancers: says only that


def test_rasa_s_secret_opens_the_action_server(services):
    names = {entry["name"] for entry in call(services, "GET", "/actions").json()}
    assert {"action_show_profile", "action_erase_data", "action_feedback"} <= names
    answer = call(services, "POST", "/webhook", json=action_call(f"someone-{uuid.uuid4().hex[:8]}"))
    assert answer.status_code == 200 and answer.json()["responses"], answer.text


@pytest.mark.parametrize("body", [
    b"{not json " + MARKER.encode(),
    b"[]",
    f'{{"next_action": 5, "tracker": {{"sender_id": "{MARKER}"}}}}'.encode(),
    f'{{"next_action": "action_show_profile", "tracker": "{MARKER}"}}'.encode(),
])
def test_a_malformed_call_is_refused_without_repeating_it(services, body):
    answer = call(services, "POST", "/webhook", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json() == {"error": "not an action call"}
    assert MARKER not in answer.text


def test_an_unknown_action_is_not_named_back(services):
    unknown = call(services, "POST", "/webhook", json=action_call("someone", f"action_{MARKER}"))
    assert unknown.status_code == 404 and unknown.json() == {"error": "no such action"}
    assert call(services, "GET", f"/{MARKER}").json() == {"error": "not found"}  # Sanic's own text named the path


def test_typed_system_intents_and_payloads_never_offered_do_nothing(services, catalog):
    sender = anonymous()
    item = catalog.items[0].id
    for typed in ("/handed_back", "/handoff_timed_out", '/give_consent{"consent": true}', "/give_consent",
                  f'/like{{"item_id": "{item}"}}', "/erase_data", "/affirm"):
        reply = services.say(sender, typed).texts
        assert reply and reply[0].startswith(OUT_OF_SCOPE), (typed, reply)
    said = [e for e in services.tracker_events(sender) if e["event"] == "user"]
    assert {e["parse_data"]["intent"]["name"] for e in said} == {"out_of_scope"}
    store = Store(services.env["BOT_DATABASE_URL"])
    try:
        assert store.consents(sender) == [] and store.events(sender) == [] and store.user(sender) is None
    finally:
        store.engine.dispose()


def test_the_bots_own_buttons_still_work(services):
    sender = anonymous()
    assert services.say(sender, "hi").texts[-1].startswith("May I remember your tastes")
    assert services.say(sender, "/affirm").texts[-1].startswith("Which kinds of movies")  # its "Yes, remember me"
    store = Store(services.env["BOT_DATABASE_URL"])
    try:
        assert [consent.granted for consent in store.consents(sender)] == [True]
    finally:
        store.engine.dispose()


def test_over_rest_a_signed_in_users_sender_is_their_tokens_user(services):
    user = f"shop-customer-{uuid.uuid4().hex[:8]}"
    token = issue_user_token(services.user_token_secret, user).token

    reply = rest(services, {"message": "hello"}, token)
    assert reply.status_code == 200 and reply.json()[0]["text"].startswith(GREETING)
    assert rest(services, {"sender": user, "message": "hi again"}, token).status_code == 200
    assert user_texts(services, user) == ["hello", "hi again"]

    # The same token, naming someone else: refused, and nothing reaches either conversation.
    other = f"shop-customer-{uuid.uuid4().hex[:8]}"
    answer = rest(services, {"sender": other, "message": MARKER}, token)
    assert answer.status_code == 403 and "another user" in answer.json()["message"]
    assert user_texts(services, other) == [] and MARKER not in user_texts(services, user)


@pytest.mark.parametrize("case", ["no token", "expired", "forged", "other secret", "shop-minted, too long"])
def test_over_rest_nobody_else_can_claim_a_customers_id(services, case):
    user = f"shop-customer-{uuid.uuid4().hex[:8]}"
    now = int(time.time())
    token = {
        "no token": None,
        "expired": issue_user_token(services.user_token_secret, user, now=now - 7200).token,
        "forged": issue_user_token(services.user_token_secret, "someone-else").token.rsplit(".", 1)[0] + ".AAAA",
        "other secret": issue_user_token("not-the-shops-secret-" + uuid.uuid4().hex, user).token,
        "shop-minted, too long": jwt.encode({"sub": user, "aud": "recbot-user", "iat": now, "exp": now + 86400},
                                            services.user_token_secret, algorithm="HS256"),
    }[case]
    answer = rest(services, {"sender": user, "message": MARKER}, token)
    assert answer.status_code == 401, answer.text
    assert MARKER not in answer.text
    assert user_texts(services, user) == []


def test_over_rest_an_anonymous_visitor_chats_with_the_id_the_widget_made_up(services):
    visitor = anonymous()
    assert rest(services, {"sender": visitor, "message": "hello"}).json()[0]["text"].startswith(GREETING)
    assert rest(services, {"sender": "web-alice", "message": "hello"}).status_code == 401


def test_over_socketio_the_sender_is_the_tokens_user_whatever_the_messages_say(services):
    user = f"shop-customer-{uuid.uuid4().hex[:8]}"
    victim = f"shop-customer-{uuid.uuid4().hex[:8]}"
    talked = socketio_talk(services, token=issue_user_token(services.user_token_secret, user).token, session_id=victim,
                           claimed=victim, message="hello")
    assert talked["session"] == user and talked["replies"][0].startswith(GREETING)
    assert user_texts(services, user) == ["hello"] and user_texts(services, victim) == []


def test_over_socketio_a_bad_token_is_refused_and_an_id_cannot_be_claimed(services):
    victim = f"shop-customer-{uuid.uuid4().hex[:8]}"
    expired = issue_user_token(services.user_token_secret, victim, now=time.time() - 7200).token
    assert "expired" in socketio_talk(services, token=expired, session_id=victim, message=MARKER)["refused"]
    forged = issue_user_token("not-the-shops-secret-" + uuid.uuid4().hex, victim).token
    assert "not valid" in socketio_talk(services, token=forged, session_id=victim, message=MARKER)["refused"]

    # Without a token, asking for a customer's id gives a new anonymous one instead.
    talked = socketio_talk(services, token=None, session_id=victim, claimed=victim, message="hello")
    assert talked["session"].startswith("web-") and talked["session"] != victim
    assert user_texts(services, victim) == [] and user_texts(services, talked["session"]) == ["hello"]
    visitor = anonymous()
    assert socketio_talk(services, token=None, session_id=visitor, message="hello")["session"] == visitor

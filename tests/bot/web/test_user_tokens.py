"""Users' own tokens (bot.web.user_tokens): the site gets one for its logged-in user, whose
browser then reads, exports, erases and sets consent for that user's data only, merges the
visitor it was and gets codes that link the user's Slack or Telegram chat."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import time
from datetime import UTC, datetime
from urllib.parse import quote

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.config import ConfigError, Settings
from bot.web import user_tokens
from bot.web.app import create_app
from bot.web.auth import API_DISABLED, BAD_USER_TOKEN, NOT_YOUR_DATA, USER_TOKEN_EXPIRED
from bot.web.site import USER_TOKENS_DISABLED

SECRET = "user-token-secret-for-tests-0123456789"
OTHER_SECRET = "another-user-token-secret-0123456789"
SITE_KEY = "site-key-for-tests"
API_KEY = "operator-key-for-tests"
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
OPERATOR = {"Authorization": f"Bearer {API_KEY}"}
ITEM = "alien-1979"

# Every endpoint a user token opens: (method, path of a user, body).
ENDPOINTS = [
    ("GET", "/api/users/{user}/profile", None),
    ("GET", "/api/users/{user}/export", None),
    ("PUT", "/api/users/{user}/consent", {"granted": True}),
    ("GET", "/api/users/{user}/recommendations", None),
    ("POST", "/api/users/{user}/merge", {"anonymous_id": "web-0f8fad5b-d9cb-469f-a165-70867728950e"}),
    ("POST", "/api/users/{user}/link-code", None),
    ("DELETE", "/api/users/{user}", None),
]
IDS = ["profile", "export", "consent", "recommendations", "merge", "link-code", "erase"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def configured(settings) -> Settings:
    return dataclasses.replace(settings, site_key=SITE_KEY, api_key=API_KEY, user_token_secret=SECRET)


@pytest.fixture
def client(configured, engine) -> TestClient:
    return TestClient(create_app(configured, engine_factory=lambda _settings: engine))


@pytest.fixture
def users(engine, remember) -> tuple[str, str]:
    """Two remembered users, each with one like."""
    remember("alice", "bob")
    for user in ("alice", "bob"):
        engine.record_event(user, "like", ITEM, channel="test")
        assert [e["item_id"] for e in engine.export(user)["events"]] == [ITEM]
    return "alice", "bob"


def token_for(client: TestClient, user: str) -> str:
    res = client.post(f"/api/site/users/{user}/token", headers=SITE)
    assert res.status_code == 200, res.text
    return res.json()["token"]


def call(client: TestClient, method: str, path: str, body, user: str, headers: dict):
    return client.request(method, path.format(user=user), json=body, headers=headers)


# --- getting a token --------------------------------------------------------------------------


def test_the_site_gets_a_token_for_its_user(client):
    before = int(time.time())
    res = client.post("/api/site/users/alice/token", headers=SITE)
    assert res.status_code == 200
    assert res.headers["cache-control"] == "no-store"
    body = res.json()
    assert set(body) == {"token", "token_type", "sender_id", "expires_at", "expires_in"}
    assert (body["token_type"], body["sender_id"], body["expires_in"]) == ("Bearer", "alice", 3600)
    expires_at = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 3600 <= expires_at <= time.time() + 3600
    assert user_tokens.verify_user_token(SECRET, body["token"]) == "alice"


def test_the_operator_key_gets_tokens_too(client):
    assert client.post("/api/site/users/alice/token", headers=OPERATOR).status_code == 200


def test_tokens_need_the_secret(settings, engine):
    app = create_app(dataclasses.replace(settings, site_key=SITE_KEY, api_key=API_KEY),
                     engine_factory=lambda _settings: engine)
    res = TestClient(app).post("/api/site/users/alice/token", headers=SITE)
    assert (res.status_code, res.json()) == (503, {"detail": USER_TOKENS_DISABLED})
    assert "BOT_USER_TOKEN_SECRET" in USER_TOKENS_DISABLED


def test_a_token_tells_nothing_about_who_is_known(client, users):
    """Issued for known and unknown users alike, without starting the engine."""
    for user in ("alice", "nobody-at-all"):
        assert client.post(f"/api/site/users/{user}/token", headers=SITE).status_code == 200
    assert not client.app.state.engines.started


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), bearer(SECRET)], ids=["none", "wrong", "the-secret"])
def test_tokens_need_the_site_key(client, headers):
    res = client.post("/api/site/users/alice/token", headers=headers)
    assert res.status_code == 401


def test_a_user_token_cannot_get_tokens_or_post_site_events(client, users):
    token = token_for(client, "alice")
    assert client.post("/api/site/users/alice/token", headers=bearer(token)).status_code == 401
    assert client.post("/api/site/users/bob/token", headers=bearer(token)).status_code == 401
    event = {"user_id": "alice", "type": "purchase", "item_id": ITEM}
    assert client.post("/api/events", json=event, headers=bearer(token)).status_code == 401


def test_the_site_key_is_not_a_user_token(client, users):
    for method, path, body in ENDPOINTS:
        if "recommendations" in path:
            continue  # the slot is the site's own
        assert call(client, method, path, body, "alice", SITE).status_code == 401, path


def test_an_unusable_id_gets_no_token(client):
    assert client.post(f"/api/site/users/{'x' * 256}/token", headers=SITE).status_code == 422
    assert client.post("/api/site/users/a%00b/token", headers=SITE).status_code == 422


# --- using it ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_user_token_opens_its_own_data(client, engine, users, method, path, body):
    res = call(client, method, path, body, "alice", bearer(token_for(client, "alice")))
    assert res.status_code == 200, res.text
    if path.endswith("/export"):
        assert res.json()["sender_id"] == "alice"
    if method == "DELETE":
        assert engine.export("alice") is None
    assert engine.export("bob")["events"][0]["item_id"] == ITEM  # the other user untouched


def test_the_whole_journey_with_one_token(client, engine, users):
    auth = bearer(token_for(client, "alice"))
    assert client.get("/api/users/alice/profile", headers=auth).json()["consent"] is True
    assert client.put("/api/users/alice/consent", json={"granted": False, "channel": "web"},
                      headers=auth).json() == {"consent": False}
    assert client.get("/api/users/alice/export", headers=auth).json()["events"] == []
    assert client.delete("/api/users/alice", headers=auth).status_code == 200
    assert client.get("/api/users/alice/profile", headers=auth).status_code == 404  # own: may know


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_another_users_id_is_403_whether_or_not_they_exist(client, engine, store, users, method, path, body):
    before = store.export("bob")
    token = token_for(client, "alice")
    for other in ("bob", "nobody-at-all", "alice2", "Alice", "alice%20"):
        res = call(client, method, path, body, other, bearer(token))
        assert (res.status_code, res.json()) == (403, {"detail": NOT_YOUR_DATA}), other
    assert store.export("bob") == before
    assert engine.export("nobody-at-all") is None and engine.consent("Alice") is None


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_the_operator_key_still_opens_every_user(client, users, method, path, body):
    for user in ("alice", "bob"):
        assert call(client, method, path, body, user, OPERATOR).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_an_expired_token_is_401(client, engine, users, method, path, body):
    old = user_tokens.issue_user_token(SECRET, "alice", now=time.time() - user_tokens.LIFETIME_SECONDS - 1)
    res = call(client, method, path, body, "alice", bearer(old.token))
    assert (res.status_code, res.json()) == (401, {"detail": USER_TOKEN_EXPIRED})
    assert res.headers["www-authenticate"] == "Bearer"
    assert engine.export("alice") is not None


def test_a_token_works_until_it_expires(client, users, monkeypatch):
    token = token_for(client, "alice")
    now = time.time()
    monkeypatch.setattr(user_tokens.time, "time", lambda: now + user_tokens.LIFETIME_SECONDS - 2)
    assert client.get("/api/users/alice/profile", headers=bearer(token)).status_code == 200
    monkeypatch.setattr(user_tokens.time, "time", lambda: now + user_tokens.LIFETIME_SECONDS + 2)
    assert client.get("/api/users/alice/profile", headers=bearer(token)).json() == {"detail": USER_TOKEN_EXPIRED}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _with_claims(token: str, **changes) -> str:
    """The token with its claims changed but its signature kept (a forgery)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, _b64({**claims, **changes}), signature])


def forgeries(token: str) -> dict[str, str]:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    now = int(time.time())
    claims = {"sub": "alice", "aud": user_tokens.AUDIENCE, "iat": now, "exp": now + 600}
    return {
        "signature-changed": ".".join([header, payload, flipped]),
        "signature-missing": ".".join([header, payload, ""]),
        "user-changed": _with_claims(token, sub="bob"),
        "expiry-extended": _with_claims(token, exp=now + 86400),
        "alg-none": ".".join([_b64({"alg": "none", "typ": "JWT"}), payload, ""]),
        "other-algorithm": jwt.encode(claims, SECRET, algorithm="HS512"),
        "other-audience": jwt.encode({**claims, "aud": "someone-else"}, SECRET, algorithm="HS256"),
        "no-audience": jwt.encode({k: v for k, v in claims.items() if k != "aud"}, SECRET, algorithm="HS256"),
        "no-expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "long-lived": jwt.encode({**claims, "exp": now + 2 * 86400}, SECRET, algorithm="HS256"),
        "issued-in-the-future": jwt.encode({**claims, "iat": now + 3600, "exp": now + 3700}, SECRET,
                                           algorithm="HS256"),
        "other-secret": user_tokens.issue_user_token(OTHER_SECRET, "alice").token,
        "old-u1-format": "u1.YWxpY2U." + str(now + 600) + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "truncated": token[:-1],
        "extra-part": token + ".x",
        "garbage": "eyJ!!.??.**",
    }


FORGERY_NAMES = list(forgeries(user_tokens.issue_user_token(SECRET, "alice").token))


@pytest.mark.parametrize("forgery", FORGERY_NAMES)
def test_forged_or_malformed_tokens_are_401(client, engine, users, forgery):
    forged = forgeries(token_for(client, "alice"))[forgery]
    for method, path, body in ENDPOINTS:
        for user in ("alice", "bob"):
            res = call(client, method, path, body, user, bearer(forged))
            assert res.status_code == 401, (forgery, path, user, res.text)
            assert res.headers["www-authenticate"] == "Bearer"
            assert res.json()["detail"] != NOT_YOUR_DATA
    assert engine.export("alice") is not None and engine.export("bob") is not None


def test_a_token_of_one_user_replayed_on_anothers_path_is_403(client, users):
    token = token_for(client, "alice")
    assert client.get("/api/users/alice/export", headers=bearer(token)).status_code == 200
    assert client.get("/api/users/bob/export", headers=bearer(token)).status_code == 403
    user_changed = forgeries(token)["user-changed"]
    assert client.get("/api/users/bob/export", headers=bearer(user_changed)).json() == {"detail": BAD_USER_TOKEN}


def test_a_token_from_another_secret_fails_after_the_secret_changes(configured, engine, users):
    token = token_for(TestClient(create_app(configured, engine_factory=lambda _s: engine)), "alice")
    rotated = TestClient(create_app(dataclasses.replace(configured, user_token_secret=OTHER_SECRET),
                                    engine_factory=lambda _s: engine))
    assert rotated.get("/api/users/alice/profile", headers=bearer(token)).status_code == 401


def test_user_tokens_alone_open_the_api_without_the_operator_key(configured, engine, users):
    client = TestClient(create_app(dataclasses.replace(configured, api_key=None),
                                   engine_factory=lambda _s: engine))
    token = token_for(client, "alice")
    assert client.get("/api/users/alice/profile", headers=bearer(token)).status_code == 200
    assert client.get("/api/users/bob/profile", headers=bearer(token)).status_code == 403
    assert client.get("/api/users/bob/profile", headers=OPERATOR).status_code == 401


def test_without_secret_a_token_shaped_credential_is_just_a_wrong_key(configured, engine, users):
    client = TestClient(create_app(dataclasses.replace(configured, user_token_secret=None),
                                   engine_factory=lambda _s: engine))
    token = user_tokens.issue_user_token(SECRET, "alice").token
    assert client.get("/api/users/alice/profile", headers=bearer(token)).status_code == 401
    closed = TestClient(create_app(dataclasses.replace(configured, user_token_secret=None, api_key=None),
                                   engine_factory=lambda _s: engine))
    assert closed.get("/api/users/alice/profile", headers=bearer(token)).json() == {"detail": API_DISABLED}


def test_ids_with_any_characters_round_trip(client, engine):
    for user in ("web-6f1c", "ünï cödé ✓", "slack:U123", "x" * 255, "😀" * 255):
        engine.set_consent(user, True)
        token = token_for(client, quote(user))
        res = client.get(f"/api/users/{quote(user)}/profile", headers=bearer(token))
        assert (res.status_code, res.json()["consent"]) == (200, True), user
        assert client.get(f"/api/users/{quote(user[:-1])}/profile", headers=bearer(token)).status_code == 403


def test_each_user_token_has_its_own_rate_limit(configured, engine, users):
    limited = TestClient(create_app(dataclasses.replace(configured, rate_limit_per_key=3),
                                    engine_factory=lambda _s: engine))
    alice, bob = bearer(token_for(limited, "alice")), bearer(token_for(limited, "bob"))
    assert [limited.get("/api/users/alice/profile", headers=alice).status_code for _ in range(4)] == [200] * 3 + [429]
    assert limited.get("/api/users/bob/profile", headers=bob).status_code == 200


def test_tokens_are_not_logged(client, users, caplog):
    with caplog.at_level(logging.DEBUG):
        token = token_for(client, "alice")
        client.get("/api/users/alice/profile", headers=bearer(token))
        client.get("/api/users/bob/profile", headers=bearer(token))
    server_side = [r for r in caplog.records if not r.name.startswith("httpx")]
    everything = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in server_side)
    assert token not in everything and SECRET not in everything and "alice" not in everything
    assert "POST /api/site/users/{sender_id}/token 200" in everything


def test_openapi_documents_user_tokens(client):
    spec = client.get("/openapi.json").json()
    assert "post" in spec["paths"]["/api/site/users/{sender_id}/token"]
    assert "403" in spec["paths"]["/api/users/{sender_id}/profile"]["get"]["responses"]
    tags = {tag["name"]: tag["description"] for tag in spec["tags"]}
    assert "user token" in tags["users"] and "user token" in tags["site"]


# --- the token itself and its setting ----------------------------------------------------------


def test_token_round_trip_and_constant_time_owner_check():
    token = user_tokens.issue_user_token(SECRET, "alice", now=1_000_000)
    assert token.expires_at == 1_000_000 + user_tokens.LIFETIME_SECONDS
    assert jwt.get_unverified_header(token.token) == {"alg": "HS256", "typ": "JWT"}
    assert user_tokens.verify_user_token(SECRET, token.token, now=1_000_000) == "alice"
    with pytest.raises(user_tokens.ExpiredUserToken):
        user_tokens.verify_user_token(SECRET, token.token, now=token.expires_at)
    with pytest.raises(user_tokens.InvalidUserToken):
        user_tokens.verify_user_token(OTHER_SECRET, token.token, now=1_000_000)
    assert user_tokens.same_user("alice", "alice") and not user_tokens.same_user("alice", "alicE")


def test_the_secret_setting():
    assert Settings.from_env({}).user_token_secret is None
    assert Settings.from_env({"BOT_USER_TOKEN_SECRET": SECRET}).user_token_secret == SECRET
    with pytest.raises(ConfigError, match="BOT_USER_TOKEN_SECRET is shorter than 32") as error:
        Settings.from_env({"BOT_USER_TOKEN_SECRET": "short-secret"})
    assert "short-secret" not in str(error.value)


def test_expires_at_is_utc(client):
    body = client.post("/api/site/users/alice/token", headers=SITE).json()
    assert datetime.fromisoformat(body["expires_at"]).utcoffset() == UTC.utcoffset(None)


def test_a_token_the_shop_mints_itself_with_any_jwt_library_is_taken():
    now = int(time.time())
    minted = jwt.encode({"sub": "shop-user-42", "aud": "recbot-user", "iat": now, "exp": now + 900}, SECRET,
                        algorithm="HS256")
    assert user_tokens.verify_user_token(SECRET, minted) == "shop-user-42"
    assert user_tokens.looks_like_user_token(minted) and not user_tokens.looks_like_user_token(SITE_KEY)


# --- signing in after chatting anonymously ------------------------------------------------------

VISITOR = "web-0f8fad5b-d9cb-469f-a165-70867728950e"


def test_a_signed_in_user_takes_over_what_they_did_as_a_visitor(client, engine, remember):
    remember(VISITOR)
    engine.record_event(VISITOR, "like", ITEM, channel="socketio")
    token = token_for(client, "carol")

    merged = client.post("/api/users/carol/merge", json={"anonymous_id": VISITOR}, headers=bearer(token))

    assert merged.status_code == 200, merged.text
    assert merged.json() == {"anonymous_id": VISITOR, "events": 1, "preferences": 0, "consent": True}
    exported = client.get("/api/users/carol/export", headers=bearer(token)).json()
    assert [e["item_id"] for e in exported["events"]] == [ITEM] and exported["linked_ids"] == [VISITOR]
    assert engine.export(VISITOR) is None


@pytest.mark.parametrize("anonymous_id", ["alice", "web-alice", VISITOR.upper(), VISITOR + "0"])
def test_only_an_anonymous_widget_id_is_merged(client, users, anonymous_id):
    answer = client.post("/api/users/carol/merge", json={"anonymous_id": anonymous_id},
                         headers=bearer(token_for(client, "carol")))
    assert answer.status_code == 422
    assert client.get("/api/users/alice/profile", headers=OPERATOR).json()["known"] is True  # alice untouched


def test_no_token_is_issued_for_an_anonymous_id(client):
    assert client.post(f"/api/site/users/{VISITOR}/token", headers=SITE).status_code == 422


# --- linking a Slack or Telegram chat -------------------------------------------------------------


def test_the_link_code_a_user_gets_links_their_slack_chat(client, engine, remember):
    remember("carol")
    engine.record_event("carol", "like", ITEM, channel="site")
    before = time.time()

    res = client.post("/api/users/carol/link-code", headers=bearer(token_for(client, "carol")))

    assert res.status_code == 200, res.text
    assert res.headers["cache-control"] == "no-store"
    body = res.json()
    assert set(body) == {"code", "expires_at", "expires_in"} and body["expires_in"] == 600
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", body["code"])
    assert before + 600 <= datetime.fromisoformat(body["expires_at"]).timestamp() <= time.time() + 600
    assert not client.app.state.engines.started  # the records alone: no catalog or model loaded for it
    linked = engine.link_account("U024BE7LH", f"link my account {body['code'].lower()}", "slack")
    assert linked.outcome == "linked"
    assert engine.profile_id("U024BE7LH", "slack") == "carol"
    exported = client.get("/api/users/carol/export", headers=bearer(token_for(client, "carol"))).json()
    assert exported["linked_ids"] == ["U024BE7LH"] and [e["item_id"] for e in exported["events"]] == [ITEM]


def test_a_new_link_code_replaces_the_last(client, engine):
    auth = bearer(token_for(client, "carol"))
    first, second = (client.post("/api/users/carol/link-code", headers=auth).json()["code"] for _ in range(2))

    assert engine.link_account("U024BE7LH", first, "slack").outcome == "wrong_code"
    assert engine.link_account("U024BE7LH", second, "slack").outcome == "linked"


def test_a_link_code_needs_a_credential(client):
    res = client.post("/api/users/carol/link-code")
    assert (res.status_code, res.headers["www-authenticate"]) == (401, "Bearer")


def test_no_link_code_for_an_anonymous_visitor(client):
    assert client.post(f"/api/users/{VISITOR}/link-code", headers=OPERATOR).status_code == 422

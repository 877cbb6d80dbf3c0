"""The user-data HTTP API and the one-time export download (bot.web.app) on the real engine."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from bot.privacy import Privacy
from bot.results import ProfileSummary
from bot.vocabulary import Recorded, utcnow
from bot.web.app import create_app
from bot.web.auth import API_DISABLED
from bot.web.chat import LINK_EXPIRED
from bot.web.dependencies import ENGINE_UNAVAILABLE
from bot.web.responses import download_filename
from bot.web.schemas import ProfileOut

KEY = "s3cret-key-for-tests"
AUTH = {"Authorization": f"Bearer {KEY}"}
LIKED = "Alien"


class Factory:
    """An engine_factory that hands out the test engine and counts its calls."""

    def __init__(self, engine, fail: int = 0):
        self.engine = engine
        self.calls = 0
        self.fail = fail

    def __call__(self, _settings):
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError("catalog missing")
        return self.engine


@pytest.fixture
def factory(engine) -> Factory:
    return Factory(engine)


@pytest.fixture
def client(settings, factory) -> TestClient:
    return TestClient(create_app(dataclasses.replace(settings, api_key=KEY), engine_factory=factory))


@pytest.fixture
def closed(settings, factory) -> TestClient:
    """The app without BOT_API_KEY."""
    assert settings.api_key is None
    return TestClient(create_app(settings, engine_factory=factory))


@pytest.fixture
def privacy(store) -> Privacy:
    """Export links made directly in the engine's database (one, too, that has expired)."""
    return Privacy(store)


@pytest.fixture
def item_id(engine) -> str:
    return next(item.id for item in engine.catalog.items if item.title == LIKED)


@pytest.fixture
def alice(engine, remember, item_id) -> str:
    """A remembered user who liked one movie."""
    remember("alice")
    assert engine.record_event("alice", "like", item_id, channel="test") is Recorded.STORED
    return "alice"


API_CALLS = [
    ("GET", "/api/users/alice/profile", None),
    ("GET", "/api/users/alice/export", None),
    ("DELETE", "/api/users/alice", None),
    ("PUT", "/api/users/alice/consent", {"granted": True}),
]


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
@pytest.mark.parametrize("headers", [{}, AUTH])
def test_api_is_closed_without_a_configured_key(closed, factory, method, path, body, headers):
    res = closed.request(method, path, json=body, headers=headers)
    assert res.status_code == 503
    assert res.json() == {"detail": API_DISABLED}
    assert factory.calls == 0


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}, {"Authorization": KEY},
     {"Authorization": f"Bearer {KEY}x"}, {"Authorization": "Bearer "}],
    ids=["missing", "wrong", "basic", "no-scheme", "longer", "empty"],
)
def test_api_needs_the_key(client, factory, engine, alice, method, path, body, headers):
    res = client.request(method, path, json=body, headers=headers)
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"
    assert "detail" in res.json()
    assert factory.calls == 0
    assert engine.summary("alice").known  # nothing was erased


def test_authentication_comes_before_validation(client):
    assert client.get("/api/users/alice/recommendations?n=0").status_code == 401


def test_non_ascii_key_is_refused_not_crashing(client):
    res = client.get("/api/users/alice/profile", headers={"Authorization": "Bearer clé".encode("latin-1")})
    assert res.status_code == 401


# --- the engine is built lazily ----------------------------------------------------------


def test_chat_page_does_not_start_the_engine(client, factory):
    for path in ("/", "/config.json", "/healthz", "/static/chat.js", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert factory.calls == 0
    assert not client.app.state.engines.started


def test_engine_is_built_once_on_first_use(client, factory, alice):
    for _ in range(3):
        assert client.get("/api/users/alice/profile", headers=AUTH).status_code == 200
    client.get("/api/users/alice/recommendations", headers=AUTH)
    assert factory.calls == 1


def test_engine_that_fails_to_start_is_503_then_retried(settings, engine, alice, caplog):
    factory = Factory(engine, fail=1)
    client = TestClient(create_app(dataclasses.replace(settings, api_key=KEY), engine_factory=factory))
    res = client.get("/api/users/alice/profile", headers=AUTH)
    assert res.status_code == 503
    assert res.json() == {"detail": ENGINE_UNAVAILABLE}
    assert "catalog missing" not in res.text
    assert client.get("/api/users/alice/profile", headers=AUTH).status_code == 200
    assert factory.calls == 2


def test_config_json_comes_from_settings(settings, factory):
    custom = dataclasses.replace(settings, rasa_url="https://rasa.example.org")
    assert TestClient(create_app(custom, engine_factory=factory)).get("/config.json").json() == {
        "rasa_url": "https://rasa.example.org"
    }


# --- profile -------------------------------------------------------------------------------


def test_profile(client, alice, engine, item_id):
    res = client.get("/api/users/alice/profile", headers=AUTH)
    assert res.status_code == 200
    body = res.json()
    assert body == dataclasses.asdict(engine.summary("alice"))
    assert body["known"] is True
    assert body["consent"] is True
    assert body["liked"] == [engine.item(item_id).label]


def test_profile_of_unknown_user_is_404(client):
    res = client.get("/api/users/nobody/profile", headers=AUTH)
    assert res.status_code == 404
    assert res.json() == {"detail": "nothing is stored about this user"}


def test_profile_of_user_who_said_no_shows_the_decision(client, engine):
    engine.set_consent("dave", False)
    res = client.get("/api/users/dave/profile", headers=AUTH)
    assert res.status_code == 200
    assert res.json()["consent"] is False


def test_profile_model_mirrors_the_engine_summary():
    assert list(ProfileOut.model_fields) == [f.name for f in dataclasses.fields(ProfileSummary)]


# --- export -----------------------------------------------------------------------------------


def test_export(client, alice, item_id):
    res = client.get("/api/users/alice/export", headers=AUTH)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/json")
    assert res.headers["content-disposition"] == 'attachment; filename="alice-data.json"'
    assert res.headers["cache-control"] == "no-store"
    data = res.json()
    assert data["sender_id"] == "alice"
    assert [(e["type"], e["item_id"]) for e in data["events"]] == [("like", item_id)]
    assert [c["granted"] for c in data["consent_history"]] == [True]
    assert data["profile"]["consent"] is True
    assert "exported_at" in data


def test_export_of_unknown_user_is_404(client):
    assert client.get("/api/users/nobody/export", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("sender_id", "filename"),
    [("alice", "alice-data.json"), ("a b\"c\r\nX: y", "a_b_c_X_y-data.json"), ("../..", "user-data.json"),
     ("ünï", "n-data.json"), ("x" * 200, "x" * 64 + "-data.json")],
)
def test_download_filename_is_safe_in_a_header(sender_id, filename):
    assert download_filename(sender_id) == filename


# --- erase ------------------------------------------------------------------------------------


def test_erase_leaves_other_users_untouched(client, engine, remember, alice, item_id):
    remember("bob")
    engine.record_event("bob", "dislike", item_id)
    res = client.delete("/api/users/bob", headers=AUTH)
    assert res.status_code == 200
    assert res.json() == {"erased": {"engine": 1, "conversation_events": 0}}
    assert client.get("/api/users/bob/profile", headers=AUTH).status_code == 404
    assert engine.export("bob") is None

    profile = client.get("/api/users/alice/profile", headers=AUTH).json()
    assert profile["consent"] is True and profile["liked"] == [engine.item(item_id).label]
    assert len(client.get("/api/users/alice/export", headers=AUTH).json()["events"]) == 1


def test_erase_of_unknown_user_is_404(client, alice):
    assert client.delete("/api/users/alice", headers=AUTH).status_code == 200
    assert client.delete("/api/users/alice", headers=AUTH).status_code == 404
    assert client.delete("/api/users/nobody", headers=AUTH).status_code == 404


def test_erase_kills_open_export_links(client, alice, privacy):
    token = privacy.create_export_token("alice")
    client.delete("/api/users/alice", headers=AUTH)
    assert client.get(f"/export/{token}").status_code == 404


# --- consent ----------------------------------------------------------------------------------


def test_consent_grant_and_withdraw(client, engine, item_id, store):
    res = client.put("/api/users/carol/consent", json={"granted": True}, headers=AUTH)
    assert res.status_code == 200
    assert res.json() == {"consent": True}
    assert engine.consent("carol") is True
    assert engine.record_event("carol", "like", item_id) is Recorded.STORED

    res = client.put("/api/users/carol/consent", json={"granted": False, "channel": "web"}, headers=AUTH)
    assert res.json() == {"consent": False}
    assert engine.consent("carol") is False
    history = [(c.granted, c.channel) for c in store.consents("carol")]
    assert history == [(True, "api"), (False, "web")]
    assert client.get("/api/users/carol/export", headers=AUTH).json()["events"] == []


@pytest.mark.parametrize(
    "body", [{}, {"granted": "yes"}, {"granted": "true"}, {"granted": 1}, {"granted": None},
             {"granted": True, "channel": ""}, {"granted": True, "channel": "x" * 33}],
)
def test_consent_body_is_validated(client, engine, body):
    assert client.put("/api/users/carol/consent", json=body, headers=AUTH).status_code == 422
    assert engine.consent("carol") is None


# --- recommendations ---------------------------------------------------------------------------


def test_recommendations(client, engine, alice, item_id):
    res = client.get("/api/users/alice/recommendations?n=3", headers=AUTH)
    assert res.status_code == 200
    picks = res.json()
    assert len(picks) == 3
    for pick in picks:
        assert set(pick) == {"id", "title", "categories", "reasons"}
        item = engine.item(pick["id"])
        assert pick["title"] == item.title
        assert pick["categories"] == list(item.categories)
        assert pick["reasons"] and all(isinstance(r, str) for r in pick["reasons"])
    assert item_id not in {p["id"] for p in picks}  # already liked
    shown = [e for e in engine.export("alice")["events"] if e["type"] == "impression"]
    assert sorted(e["item_id"] for e in shown) == sorted(p["id"] for p in picks)
    assert {e["channel"] for e in shown} == {"site"}


def test_recommendations_default_to_ten(client):
    assert len(client.get("/api/users/alice/recommendations", headers=AUTH).json()) == 10


def test_recommendations_without_consent_store_nothing(client, engine):
    assert len(client.get("/api/users/stranger/recommendations?n=2", headers=AUTH).json()) == 2
    assert engine.export("stranger") is None


@pytest.mark.parametrize("n", ["0", "51", "-1", "ten"])
def test_recommendations_n_is_validated(client, n):
    assert client.get(f"/api/users/alice/recommendations?n={n}", headers=AUTH).status_code == 422


# --- one-time export links ---------------------------------------------------------------------


def test_export_link_works_exactly_once(client, alice, item_id, privacy):
    token = privacy.create_export_token("alice")
    res = client.get(f"/export/{token}")  # no API key: the token is the credential
    assert res.status_code == 200
    assert res.headers["content-disposition"] == 'attachment; filename="alice-data.json"'
    assert res.headers["cache-control"] == "no-store"
    data = res.json()
    assert data["sender_id"] == "alice"
    assert [e["item_id"] for e in data["events"]] == [item_id]

    again = client.get(f"/export/{token}")
    assert again.status_code == 404
    assert LINK_EXPIRED in again.text
    assert token not in again.text


def test_the_links_the_bot_hands_out_are_served_here(client, engine, alice):
    link = engine.export_link("alice")
    assert client.get(urlsplit(link).path).json()["sender_id"] == "alice"
    assert client.get(urlsplit(link).path).status_code == 404


def test_export_link_works_without_an_api_key(closed, alice, privacy):
    token = privacy.create_export_token("alice")
    assert closed.get(f"/export/{token}").status_code == 200


def test_expired_export_link_is_404(client, alice, privacy):
    token = privacy.create_export_token("alice", now=utcnow() - timedelta(hours=1))
    res = client.get(f"/export/{token}")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("text/html")
    assert LINK_EXPIRED in res.text
    assert token not in res.text


@pytest.mark.parametrize("token", ["nope", "A" * 43, "x" * 500, "a.b~c" * 10, "%00" * 20])
def test_unknown_export_link_is_404_without_echo(client, alice, token):
    res = client.get(f"/export/{token}")
    assert res.status_code == 404
    assert LINK_EXPIRED in res.text
    assert token not in res.text


def test_export_link_of_one_user_never_yields_another(client, alice, remember, privacy):
    remember("bob")
    token = privacy.create_export_token("bob")
    assert client.get(f"/export/{token}").json()["sender_id"] == "bob"


# --- logging and documentation ------------------------------------------------------------------


def test_requests_are_logged_without_tokens_or_sender_ids(client, alice, caplog, privacy):
    token = privacy.create_export_token("alice")
    with caplog.at_level(logging.DEBUG):
        client.get(f"/export/{token}")
        client.get(f"/export/{token}")
        client.get("/api/users/alice/profile", headers=AUTH)
        client.get(f"/nowhere/{token}")
    access = [r.getMessage() for r in caplog.records if r.name == "bot.web.access"]
    assert access[0].startswith("GET /export/{token} 200 ")
    assert access[1].startswith("GET /export/{token} 404 ")
    assert access[2].startswith("GET /api/users/{sender_id}/profile 200 ")
    assert access[3].startswith("GET <no route> 404 ")
    server_side = [r for r in caplog.records if not r.name.startswith("httpx")]  # not the test client's
    everything = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in server_side)
    assert token not in everything
    assert "alice" not in everything
    assert KEY not in everything


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/users/{sender_id}/profile", "/api/users/{sender_id}/export", "/api/users/{sender_id}",
        "/api/users/{sender_id}/consent", "/api/users/{sender_id}/recommendations", "/export/{token}",
    }
    assert paths["/api/users/{sender_id}/profile"]["get"]["tags"] == ["users"]
    assert paths["/api/users/{sender_id}"]["delete"]["tags"] == ["privacy"]
    assert paths["/export/{token}"]["get"]["tags"] == ["privacy"]
    assert "security" not in paths["/export/{token}"]["get"]
    assert paths["/api/users/{sender_id}/profile"]["get"]["security"] == [{"HTTPBearer": []}]
    assert {"ProfileOut", "ConsentIn", "RecommendationOut", "UserExport"} <= set(spec["components"]["schemas"])
    assert client.get("/docs").status_code == 200

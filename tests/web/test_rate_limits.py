"""Rate limits of the HTTP API (bot.web.ratelimit): per credential and per user of the site
events API, answered with 429, Retry-After and which limit was hit."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.ratelimit import RateLimits

SITE, API, AGENT = "site-key-0123456789", "api-key-0123456789", "anna-token-0123456789"


@pytest.fixture
def client(settings, engine, remember) -> TestClient:
    remember("u1", "u2")
    limited = dataclasses.replace(settings, site_key=SITE, api_key=API, agent_tokens={"anna": AGENT},
                                  rate_limit_per_key=5, rate_limit_per_user=3)
    return TestClient(create_app(limited, engine_factory=lambda _: engine))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event(user: str) -> dict:
    return {"user_id": user, "type": "view", "item_id": "alien-1979"}


def test_a_key_gets_its_limit_a_minute_then_429_with_retry_after(client):
    answers = [client.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE)) for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert "too many requests for this key: at most 5 a minute" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_each_credential_counts_on_its_own(client):
    for _ in range(5):
        client.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE))
    assert client.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE)).status_code == 429
    assert client.get("/api/users/u1/profile", headers=bearer(API)).status_code == 200
    assert client.get("/api/agent/me", headers=bearer(AGENT)).status_code == 200


def test_agents_are_limited_too(client):
    answers = [client.get("/api/agent/handoffs", headers=bearer(AGENT)).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]


def test_site_events_about_one_user_are_limited_and_the_refused_one_is_not_stored(client, engine):
    answers = [client.post("/api/events", json=event("u1"), headers=bearer(SITE)).status_code for _ in range(4)]

    assert answers == [202, 202, 202, 429]
    assert len(engine.store.events("u1")) == 3
    assert client.post("/api/events", json=event("u2"), headers=bearer(SITE)).status_code == 202


def test_a_wrong_key_is_refused_before_it_counts(client):
    for _ in range(10):
        assert client.get("/api/users/u1/recommendations", headers=bearer("nope")).status_code == 401
    assert client.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE)).status_code == 200


def test_the_window_moves(monkeypatch):
    limits = RateLimits(per_key_per_minute=2, per_user_per_minute=1)
    clock = [1_000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    limits.for_key("site")
    limits.for_key("site")
    with pytest.raises(Exception, match="at most 2 a minute"):
        limits.for_key("site")
    clock[0] += 61
    limits.for_key("site")  # a minute later the window has moved on

"""Rate limits of the HTTP API (bot.web.ratelimit): per credential and per user of the site
events API, answered with 429, Retry-After and which limit was hit; shared by several web
servers through Redis (127.0.0.1:6379, or TEST_REDIS_URL), and still served without it."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import uuid

import pytest
import redis
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.ratelimit import RateLimits

SITE, API, AGENT = "site-key-0123456789", "api-key-0123456789", "anna-token-0123456789"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


def test_site_events_about_one_user_are_limited_and_the_refused_one_is_not_stored(client, store):
    answers = [client.post("/api/events", json=event("u1"), headers=bearer(SITE)).status_code for _ in range(4)]

    assert answers == [202, 202, 202, 429]
    assert len(store.events("u1")) == 3
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


@pytest.fixture
def redis_prefix(monkeypatch):
    """A key prefix of this test's own in Redis (tests running at once never share counts)."""
    prefix = f"test-ratelimit-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr("bot.web.ratelimit.KEY_PREFIX", prefix)
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)
    connection.close()


def web_servers(settings, engine, count: int, redis_url: str) -> list[TestClient]:
    """``count`` instances of the web app, as on several servers behind a balancer."""
    config = dataclasses.replace(settings, site_key=SITE, api_key=API, agent_tokens={"anna": AGENT},
                                 rate_limit_per_key=5, rate_limit_per_user=3, redis_url=redis_url)
    return [TestClient(create_app(config, engine_factory=lambda _: engine)) for _ in range(count)]


def test_two_web_servers_with_redis_share_the_counts(settings, engine, store, remember, redis_prefix):
    remember("u1", "u2")
    first, second = web_servers(settings, engine, 2, REDIS_URL)

    answers = [server.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE)).status_code
               for server in (first, second, first, second, first, second)]
    assert answers == [200] * 5 + [429]  # 3 + 2 requests reached the limit of 5 together

    events = [server.post("/api/events", json=event("u2"), headers=bearer(API)).status_code
              for server in (second, first, second, first)]
    assert events == [202, 202, 202, 429]
    assert len(store.events("u2")) == 3
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(f"{redis_prefix}:*"))  # counted in Redis


def test_a_redis_that_refuses_connections_does_not_take_the_site_down(settings, engine, remember, caplog):
    remember("u1")
    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    [server] = web_servers(settings, engine, 1, f"redis://:s3cret@127.0.0.1:{closed_port}/0")

    with caplog.at_level(logging.WARNING, logger="bot.web.ratelimit"):
        answers = [server.get("/api/users/u1/recommendations?n=1", headers=bearer(SITE)).status_code
                   for _ in range(6)]

    assert answers == [200] * 5 + [429]  # served, and still limited: counted in memory meanwhile
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.web.ratelimit"]
    assert len(warnings) == 1  # once, not on every request: Redis is tried again after a while
    assert "counting in this process's memory" in warnings[0]
    assert "s3cret" not in warnings[0]

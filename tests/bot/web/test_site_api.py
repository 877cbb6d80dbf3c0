"""The site API: a website posts what users do and asks for a "Recommended for you" slot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bot.vocabulary import utcnow
from bot.web.app import create_app
from bot.web.auth import SITE_API_DISABLED
from bot.web.site import NO_CONSENT

SITE_KEY = "site-key-for-tests"
API_KEY = "operator-key-for-tests"
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
OPERATOR = {"Authorization": f"Bearer {API_KEY}"}
JAWS = "jaws-1975"


@pytest.fixture
def client(settings, engine) -> TestClient:
    configured = dataclasses.replace(settings, site_key=SITE_KEY, api_key=API_KEY)
    return TestClient(create_app(configured, engine_factory=lambda _settings: engine))


def event(**fields) -> dict:
    return {"user_id": "shopper", "type": "purchase", "item_id": JAWS, **fields}


def test_site_api_is_closed_without_any_key(settings, engine):
    closed = TestClient(create_app(settings, engine_factory=lambda _settings: engine))
    for res in (closed.post("/api/events", json=event(), headers=SITE),
                closed.get("/api/users/shopper/recommendations", headers=SITE)):
        assert res.status_code == 503
        assert res.json() == {"detail": SITE_API_DISABLED}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SITE_KEY}])
def test_site_api_needs_a_key(client, headers):
    assert client.post("/api/events", json=event(), headers=headers).status_code == 401
    assert client.get("/api/users/shopper/recommendations", headers=headers).status_code == 401


def test_the_site_key_opens_no_user_data(client, remember):
    remember("shopper")
    assert client.get("/api/users/shopper/export", headers=SITE).status_code == 401
    assert client.delete("/api/users/shopper", headers=SITE).status_code == 401
    assert client.get("/api/users/shopper/recommendations", headers=OPERATOR).status_code == 200


def test_a_purchase_on_the_site_changes_the_next_recommendations_at_once(client, engine, remember):
    remember("shopper")
    before = [r["id"] for r in client.get("/api/users/shopper/recommendations?n=5", headers=SITE).json()]

    res = client.post("/api/events", json=event(item_id=before[0]), headers=SITE)

    assert (res.status_code, res.json()) == (202, {"stored": True, "queued": False, "reason": None})
    [stored] = [e for e in engine.export("shopper")["events"] if e["type"] == "purchase"]
    assert (stored["item_id"], stored["channel"]) == (before[0], "site")
    after = [r["id"] for r in client.get("/api/users/shopper/recommendations?n=5", headers=SITE).json()]
    assert before[0] not in after  # bought: not recommended again
    assert any("because you bought" in reason
               for r in client.get("/api/users/shopper/recommendations?n=10", headers=SITE).json()
               for reason in r["reasons"])


@pytest.mark.parametrize("kind", ["view", "click", "add_to_cart"])
def test_every_site_event_type_is_stored(client, engine, remember, kind):
    remember("shopper")
    assert client.post("/api/events", json=event(type=kind), headers=SITE).json()["stored"] is True
    assert [e["type"] for e in engine.export("shopper")["events"]] == [kind]


def test_without_consent_nothing_is_stored_and_the_caller_is_told(client, engine):
    res = client.post("/api/events", json=event(user_id="anonymous"), headers=SITE)
    assert (res.status_code, res.json()) == (200, {"stored": False, "queued": False, "reason": NO_CONSENT})
    assert engine.export("anonymous") is None


def test_the_sites_own_consent_banner_answer_is_recorded_first(client, engine):
    res = client.post("/api/events", json=event(user_id="banner", consent=True), headers=SITE)
    assert res.json()["stored"] is True
    assert [(c["granted"], c["channel"]) for c in engine.export("banner")["consent_history"]] == [(True, "site")]
    client.post("/api/events", json=event(user_id="banner", consent=True, type="view"), headers=SITE)
    assert len(engine.export("banner")["consent_history"]) == 1  # unchanged answers are not repeated


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (event(item_id="no-such-item"), 422),
        (event(type="hover"), 422),
        (event(user_id=""), 422),
        (event(at=(utcnow() + timedelta(hours=1)).isoformat()), 422),
        (event(at="2026-01-01T10:00:00"), 422),  # no offset: ambiguous
        (event(consent="yes"), 422),
        (event(extra="field"), 422),
        ({"user_id": "shopper"}, 422),
    ],
)
def test_bad_events_are_refused_with_a_clear_error(client, engine, remember, body, status):
    remember("shopper")
    res = client.post("/api/events", json=body, headers=SITE)
    assert res.status_code == status
    assert "detail" in res.json()
    assert engine.export("shopper")["events"] == []


@pytest.mark.parametrize("at", [-1e10, -1, 0, 946684799, "1653-01-01T00:00:00+00:00", "1999-12-31T23:59:59Z"])
def test_an_event_before_2000_is_refused(client, engine, remember, at):
    """A number is read as Unix seconds, so -1e10 would have been stored as the year 1653."""
    remember("shopper")
    res = client.post("/api/events", json=event(at=at), headers=SITE)
    assert res.status_code == 422
    [error] = res.json()["detail"]
    assert error["loc"] == ["body", "at"]
    assert "before 2000-01-01" in error["msg"]
    assert engine.export("shopper")["events"] == []


def test_an_event_at_2000_or_later_given_as_unix_seconds_is_kept(client, engine, remember):
    remember("shopper")
    for seconds in (946684800, 1700000000):  # 2000-01-01T00:00:00Z, 2023-11-14T22:13:20Z
        assert client.post("/api/events", json=event(at=seconds), headers=SITE).status_code == 202
    assert sorted(e["at"] for e in engine.export("shopper")["events"]) == [
        datetime.fromtimestamp(seconds, UTC).isoformat() for seconds in (946684800, 1700000000)]


def test_an_event_in_the_past_keeps_its_time(client, engine, remember):
    remember("shopper")
    moment = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    client.post("/api/events", json=event(at=moment.isoformat()), headers=SITE)
    assert engine.export("shopper")["events"][0]["at"] == moment.isoformat()


def test_openapi_documents_the_site_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/events"] and "get" in paths["/api/users/{sender_id}/recommendations"]

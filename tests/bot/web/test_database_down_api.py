"""The HTTP API while PostgreSQL is unreachable: events queued (202), reads refused with 503
and Retry-After, never a 500; everything works again once the database is back."""

from __future__ import annotations

import dataclasses

import pytest
from db_outage import postgres_behind_proxy
from fastapi.testclient import TestClient

from bot.engine import Engine
from bot.outbox import Outbox
from bot.store import Store
from bot.vocabulary import EventType
from bot.web.app import RETRY_AFTER_S, create_app
from bot.web.dependencies import DATABASE_UNAVAILABLE
from bot.web.site import QUEUED

SITE = {"Authorization": "Bearer site-key-for-tests"}
OPERATOR = {"Authorization": "Bearer operator-key-for-tests"}


@pytest.fixture
def outage(postgres_url, catalog, index, encoder, settings, tmp_path):
    """(client, engine, store, proxy): the web app on an engine whose PostgreSQL is behind a proxy."""
    with postgres_behind_proxy(postgres_url) as proxy:
        store = Store(proxy.url)
        engine = Engine(catalog, index, encoder, store, outbox=Outbox(tmp_path / "outbox"))
        configured = dataclasses.replace(settings, site_key="site-key-for-tests", api_key="operator-key-for-tests")
        yield TestClient(create_app(configured, engine_factory=lambda _settings: engine)), engine, store, proxy
        store.engine.dispose()


def test_the_api_while_the_database_is_down_and_after(outage):
    client, engine, store, proxy = outage
    engine.set_consent("shopper", True)

    proxy.cut()
    event = {"user_id": "shopper", "type": "purchase", "item_id": "jaws-1975"}
    res = client.post("/api/events", json=event, headers=SITE)
    assert (res.status_code, res.json()) == (202, {"stored": False, "queued": True, "reason": QUEUED})

    res = client.get("/api/users/shopper/profile", headers=OPERATOR)
    assert (res.status_code, res.json()) == (503, {"detail": DATABASE_UNAVAILABLE})
    assert res.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert client.delete("/api/users/shopper", headers=OPERATOR).status_code == 503

    slot = client.get("/api/users/shopper/recommendations?n=4", headers=SITE)
    assert slot.status_code == 200 and len(slot.json()) == 4  # popular picks meanwhile

    proxy.restore()
    assert client.get("/api/users/shopper/profile", headers=OPERATOR).status_code == 200
    assert [e.item_id for e in store.events("shopper", types=[EventType.PURCHASE])] == ["jaws-1975"]

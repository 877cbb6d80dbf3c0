"""The analytics page and its API (bot.web.app): the operator's key only."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.auth import ANALYTICS_DISABLED, BAD_KEY
from bot.web.schemas import AnalyticsOut

KEY = "s3cret-key-for-tests"


@pytest.fixture
def client(settings, engine) -> TestClient:
    return TestClient(create_app(dataclasses.replace(settings, api_key=KEY), engine_factory=lambda _: engine))


def test_the_page_is_served_and_asks_for_the_key(client):
    page = client.get("/analytics")
    assert page.status_code == 200 and 'id="key"' in page.text and "/static/analytics.js" in page.text
    assert client.get("/static/analytics.js").status_code == 200


def test_the_numbers_need_the_operators_key(client, settings, engine):
    assert client.get("/api/analytics").json() == {"detail": BAD_KEY}
    assert client.get("/api/analytics", headers={"Authorization": "Bearer nope"}).status_code == 401
    closed = TestClient(create_app(settings, engine_factory=lambda _: engine))
    assert closed.get("/api/analytics", headers={"Authorization": f"Bearer {KEY}"}).json() == {
        "detail": ANALYTICS_DISABLED}


def test_the_numbers_cover_every_day_with_rates_and_intervals(client, engine, remember):
    remember("ann")
    picks = engine.recommend("ann", n=4)
    engine.record_event("ann", "click", picks[0].item.id)

    response = client.get("/api/analytics?days=7", headers={"Authorization": f"Bearer {KEY}"})

    assert response.status_code == 200
    data = AnalyticsOut.model_validate(response.json())
    assert len(data.days) == 8  # the 7 days before now and today
    today = data.days[-1]
    assert (today.users, today.shown, today.acted["click"]) == (1, 4, 1)
    assert today.rates["click"].value == pytest.approx(0.25)
    assert data.segments == [] and data.experiment is None and data.variants == []
    assert client.get("/api/analytics?days=0", headers={"Authorization": f"Bearer {KEY}"}).status_code == 422

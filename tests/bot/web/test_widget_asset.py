"""The widget's script for shops' pages (bot.web.widget_asset) and who may call the API from a
browser on another origin (BOT_ALLOWED_ORIGINS, CORS)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bot.config import PROJECT_ROOT, ConfigError, Settings, allowed_origins
from bot.web import widget_asset
from bot.web.app import create_app

SHOP = "https://shop.example"


def _no_engine(_settings):
    raise AssertionError("serving the widget must not start the engine")


def client(env: dict[str, str] | None = None) -> TestClient:
    return TestClient(create_app(Settings.from_env(env or {}), engine_factory=_no_engine))


@pytest.fixture()
def built(tmp_path, monkeypatch):
    """A built widget (make setup builds the real one; these tests don't need npm)."""
    asset = tmp_path / "recbot-widget.js"
    asset.write_text("/*! recbot widget */", encoding="utf-8")
    monkeypatch.setattr(widget_asset, "ASSET", asset)
    return asset


def test_the_built_widget_is_the_version_it_is_served_as() -> None:
    """`make setup` builds the bundle; one left from another version would be served as this one."""
    built = (PROJECT_ROOT / "bot/web/static/vendor/recbot-widget.js").read_text(encoding="utf-8")
    assert f"var RECBOT_VERSION = {json.dumps(widget_asset.VERSION)};" in built


def test_a_version_is_served_for_a_year_to_any_page(built) -> None:
    res = client().get(f"/widget/{widget_asset.VERSION}/recbot.js")
    assert res.status_code == 200 and res.text == "/*! recbot widget */"
    assert res.headers["content-type"].startswith("text/javascript")
    assert res.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert res.headers["access-control-allow-origin"] == "*"
    assert res.headers["cross-origin-resource-policy"] == "cross-origin"


def test_another_version_is_not_served_as_this_one(built) -> None:
    res = client().get("/widget/0.0.1/recbot.js")
    assert res.status_code == 404
    assert widget_asset.VERSION in res.json()["detail"]


def test_latest_points_to_this_version_for_a_few_minutes(built) -> None:
    res = client().get("/widget/recbot.js", follow_redirects=False)
    assert res.status_code == 307
    assert res.headers["location"] == f"/widget/{widget_asset.VERSION}/recbot.js"
    assert res.headers["cache-control"] == "public, max-age=300"


def test_an_unbuilt_widget_says_how_to_build_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(widget_asset, "ASSET", tmp_path / "missing.js")
    res = client().get(f"/widget/{widget_asset.VERSION}/recbot.js")
    assert res.status_code == 503 and "make setup" in res.json()["detail"]


def test_a_listed_shop_may_call_the_api_from_its_pages() -> None:
    preflight = client({"BOT_ALLOWED_ORIGINS": f"{SHOP}, http://localhost:8001"}).options(
        "/api/users/c1/recommendations",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers  # bearer tokens, never cookies


@pytest.mark.parametrize("env", [{}, {"BOT_ALLOWED_ORIGINS": SHOP}])
def test_other_origins_get_no_grant(env) -> None:
    preflight = client(env).options(
        "/api/users/c1/recommendations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    answer = client(env).get("/config.json", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_allowed_origins_are_read_as_origins() -> None:
    assert allowed_origins(" https://shop.example ,http://localhost:8001,") == (SHOP, "http://localhost:8001")
    assert allowed_origins("") == ()


@pytest.mark.parametrize("value", ["*", "https://shop.example/", "shop.example", "https://*.shop.example",
                                   "https://shop.example/path", "javascript:alert(1)"])
def test_what_is_not_an_origin_is_refused_by_name(value) -> None:
    with pytest.raises(ConfigError, match="BOT_ALLOWED_ORIGINS"):
        Settings.from_env({"BOT_ALLOWED_ORIGINS": value})

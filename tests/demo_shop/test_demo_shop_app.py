"""The demo shop's backend (demo_shop/app.py) against a fake bot: what it sends the bot, and that
its sign-in goes back only to its own pages. The browser suite runs it against the real bot."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from demo_shop.app import ShopSettings, create_app

ITEMS = [{"id": "toy-story-1995", "title": "Toy Story", "year": 1995, "categories": ["Animation"],
          "description": "Toys come alive."},
         {"id": "alien-1979", "title": "Alien", "year": 1979, "categories": ["Horror", "Sci-Fi"],
          "description": "In space no one can hear you scream."}]


@pytest.fixture()
def shop(tmp_path):
    catalog = tmp_path / "items.jsonl"
    catalog.write_text("\n".join(json.dumps(item) for item in ITEMS), encoding="utf-8")
    calls: list[httpx.Request] = []

    def bot(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"token": "eyJ.fake.token"})
        if request.url.path.endswith("/link-code"):
            return httpx.Response(200, json={"code": "ABCD-2345", "expires_in": 600})
        return httpx.Response(202, json={"stored": True})

    settings = ShopSettings("http://bot.example", "http://bot.internal", "site-key-123", catalog)
    app = create_app(settings, transport=httpx.MockTransport(bot))
    return TestClient(app), calls


def sign_in(client: TestClient, name: str, personalize: bool = True) -> None:
    form = {"name": name, "next": "/"} | ({"personalize": "yes"} if personalize else {})
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303


def test_every_page_embeds_the_widget_from_the_bot(shop) -> None:
    client, _ = shop
    page = client.get("/").text
    assert '<script src="http://bot.example/widget/recbot.js" data-token-url="/chat-token"' in page
    assert "data-recbot-recommendations" in page and "Toy Story" in page


def test_a_visitor_has_no_token_and_no_events(shop) -> None:
    client, calls = shop
    assert client.get("/chat-token").json() == {"token": None}
    assert client.get("/items/alien-1979").status_code == 200
    assert calls == []


def test_a_signed_in_customers_views_and_carts_go_to_the_bot_with_the_site_key(shop) -> None:
    client, calls = shop
    sign_in(client, "alice")
    client.get("/items/toy-story-1995")
    client.post("/items/alien-1979/cart", follow_redirects=False)
    assert client.get("/chat-token").json() == {"token": "eyJ.fake.token"}
    assert [(c.method, str(c.url)) for c in calls] == [
        ("POST", "http://bot.internal/api/events"), ("POST", "http://bot.internal/api/events"),
        ("POST", "http://bot.internal/api/site/users/alice/token")]
    assert {c.headers["authorization"] for c in calls} == {"Bearer site-key-123"}
    assert json.loads(calls[0].content) == {"user_id": "alice", "item_id": "toy-story-1995", "type": "view",
                                           "consent": True}
    assert json.loads(calls[1].content)["type"] == "add_to_cart"


def test_without_the_personalize_box_no_consent_is_claimed(shop) -> None:
    client, calls = shop
    sign_in(client, "bob", personalize=False)
    client.get("/items/toy-story-1995")
    assert "consent" not in json.loads(calls[0].content)


@pytest.mark.parametrize("name", ["", "Web-1234", "web-1b4e28ba-2fa1-11d2-883f-0016d3cca427", "a/b", "x" * 33])
def test_names_the_shop_would_not_give_are_refused(shop, name) -> None:
    client, _ = shop
    assert client.post("/signin", data={"name": name}, follow_redirects=False).status_code == 422


@pytest.mark.parametrize("back", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_signing_in_goes_back_to_this_shop_only(shop, back) -> None:
    client, _ = shop
    answer = client.post("/signin", data={"name": "carol", "next": back}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_unknown_items_are_404(shop) -> None:
    client, _ = shop
    assert client.get("/items/nope").status_code == 404
    assert client.post("/items/nope/cart").status_code == 404


def test_a_customer_gets_a_link_code_for_slack_or_telegram_with_their_own_token(shop) -> None:
    client, calls = shop
    assert client.get("/account", follow_redirects=False).status_code == 303  # signed out: no account
    sign_in(client, "dora")
    page = client.post("/account/link-code").text
    assert '<strong id="link-code">link my account ABCD-2345</strong>' in page
    token_call, code_call = calls
    assert str(token_call.url) == "http://bot.internal/api/site/users/dora/token"
    assert str(code_call.url) == "http://bot.internal/api/users/dora/link-code"
    assert code_call.headers["authorization"] == "Bearer eyJ.fake.token"  # the customer's, not the site key

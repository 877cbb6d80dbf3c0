"""The demo shop: a catalog to browse, a fake sign-in (a name, no password: a real shop has its
own accounts) and the bot embedded as docs/widget.md tells a shop to.

What the shop's backend does for the bot, with its site key (BOT_SITE_KEY), server to server:
- a signed-in customer views an item: ``POST /api/events`` (with their consent, asked at sign-in);
- the widget asks the shop for the customer's token (``GET /chat-token``, same origin, cookie):
  ``POST /api/site/users/{id}/token``; signed out, there is none and the visitor is anonymous.
The browser loads the widget from the bot's origin, which must list this shop's origin in
BOT_ALLOWED_ORIGINS (and Rasa's --cors).

Settings (environment): SHOP_BOT_URL, where browsers reach the bot's web app (default
http://localhost:8000); SHOP_BOT_API_URL, where this server does (default the same);
BOT_SITE_KEY; SHOP_CATALOG, the items (default the bot's demo catalog, data/catalog/movies.jsonl).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

ROOT = Path(__file__).resolve().parent.parent
USER_COOKIE = "shop_user"
CONSENT_COOKIE = "shop_personalize"
USER_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")  # the shop's user ids: "alice", "c1042"
PAGE_SIZE = 24
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")  # autoescapes HTML


@dataclass(frozen=True)
class ShopSettings:
    bot_url: str
    bot_api_url: str
    site_key: str
    catalog_path: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShopSettings:
        site_key = env.get("BOT_SITE_KEY", "")
        if not site_key:
            raise SystemExit("the demo shop needs BOT_SITE_KEY, the key the bot gave this shop")
        bot_url = env.get("SHOP_BOT_URL", "http://localhost:8000").rstrip("/")
        return cls(bot_url, env.get("SHOP_BOT_API_URL", bot_url).rstrip("/"), site_key,
                   Path(env.get("SHOP_CATALOG", ROOT / "data/catalog/movies.jsonl")))


def load_items(path: Path) -> dict[str, dict[str, Any]]:
    """The shop's catalog (JSON Lines: id, title, year, categories, description), by id."""
    items = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(item["id"]): item for item in items}


def _safe_next(value: str | None) -> str:
    """Where to go back to after signing in or out: a path on this shop only."""
    return value if value and value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def create_app(settings: ShopSettings, transport: httpx.BaseTransport | None = None) -> FastAPI:
    """The shop; ``transport`` replaces the network to the bot (tests)."""
    app = FastAPI(title="Demo shop", docs_url=None, redoc_url=None, openapi_url=None)
    items = load_items(settings.catalog_path)
    bot = httpx.Client(base_url=settings.bot_api_url, timeout=10.0, transport=transport,
                       headers={"Authorization": f"Bearer {settings.site_key}"})
    widget_url = f"{settings.bot_url}/widget/recbot.js"

    def signed_in(request: Request) -> str | None:
        user = request.cookies.get(USER_COOKIE)
        return user if user and USER_NAME.fullmatch(user) else None

    def render(request: Request, template: str, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {
            "user": signed_in(request), "widget_url": widget_url, "path": request.url.path, **context})

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, category: str | None = None) -> HTMLResponse:
        shown = [item for item in items.values() if category is None or category in item.get("categories", [])]
        categories = sorted({c for item in items.values() for c in item.get("categories", [])})
        return render(request, "home.html", items=shown[:PAGE_SIZE], categories=categories, category=category)

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(request: Request, item_id: str) -> HTMLResponse:
        item = items.get(item_id)
        if item is None:
            raise HTTPException(404, "no such item")
        record(request, item_id, "view")
        return render(request, "item.html", item=item, added=request.query_params.get("added") == "1")

    def record(request: Request, item_id: str, event_type: str) -> None:
        """What a shop's backend does when its signed-in customer views or buys an item."""
        user = signed_in(request)
        if user is None:
            return
        event: dict[str, Any] = {"user_id": user, "item_id": item_id, "type": event_type}
        if request.cookies.get(CONSENT_COOKIE) == "yes":
            event["consent"] = True
        bot.post("/api/events", json=event).raise_for_status()

    @app.post("/items/{item_id}/cart")
    def add_to_cart(request: Request, item_id: str) -> Response:
        if item_id not in items:
            raise HTTPException(404, "no such item")
        record(request, item_id, "add_to_cart")
        return RedirectResponse(f"/items/{item_id}?added=1", status_code=303)

    @app.post("/signin")
    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        name = (form.get("name") or [""])[0].strip().lower()
        back = _safe_next((form.get("next") or ["/"])[0])
        if not USER_NAME.fullmatch(name) or name.startswith("web-"):
            raise HTTPException(422, "a user name is 1-32 letters, digits, '.', '_' or '-'")
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(USER_COOKIE, name, httponly=True, samesite="lax")
        response.set_cookie(CONSENT_COOKIE, "yes" if form.get("personalize") else "no", httponly=True, samesite="lax")
        return response

    @app.post("/signout")
    async def sign_out(request: Request) -> Response:
        back = _safe_next((parse_qs((await request.body()).decode("utf-8", "replace")).get("next") or ["/"])[0])
        response = RedirectResponse(back, status_code=303)
        response.delete_cookie(USER_COOKIE)
        response.delete_cookie(CONSENT_COOKIE)
        return response

    def user_token(user: str) -> str:
        issued = bot.post(f"/api/site/users/{user}/token")
        issued.raise_for_status()
        return issued.json()["token"]

    @app.get("/chat-token")
    def chat_token(request: Request) -> JSONResponse:
        """The signed-in customer's token for the widget; none for a visitor."""
        user = signed_in(request)
        token = user_token(user) if user else None
        return JSONResponse({"token": token}, headers={"Cache-Control": "no-store"})

    @app.get("/account", response_class=HTMLResponse)
    def account(request: Request) -> Response:
        if signed_in(request) is None:
            return RedirectResponse("/", status_code=303)
        return render(request, "account.html", code=None)

    @app.post("/account/link-code", response_class=HTMLResponse)
    def link_code(request: Request) -> Response:
        """"Link my Slack or Telegram": a one-time code the customer types there."""
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/", status_code=303)
        issued = bot.post(f"/api/users/{user}/link-code", headers={"Authorization": f"Bearer {user_token(user)}"})
        issued.raise_for_status()
        return render(request, "account.html", code=issued.json()["code"])

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app

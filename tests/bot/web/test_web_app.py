"""Tests for the web chat page server (bot.web.app)."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.config import PROJECT_ROOT, Settings
from bot.web import app as web_app
from bot.web.app import create_app as create_web_app

RASA_URL = "http://localhost:5005"


def create_app(rasa_url: str):
    """The app for a Rasa URL; no engine (these tests never need one)."""
    settings = Settings.from_env({"BOT_RASA_URL": rasa_url})
    return create_web_app(settings, engine_factory=_no_engine)


def _no_engine(_settings):
    raise AssertionError("the chat page must not start the engine")


@pytest.fixture()
def client() -> TestClient:
    return TestClient(create_app(RASA_URL))


def test_index_serves_chat_page(client: TestClient) -> None:
    res = client.get("/")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    html = res.text
    assert 'id="chat-input"' in html
    assert 'id="chat-send"' in html
    assert 'id="chat-messages"' in html
    assert re.search(r'<script[^>]+src="/static/chat\.js"', html)
    assert re.search(r'<link[^>]+href="/static/chat\.css"', html)


def test_index_is_accessible(client: TestClient) -> None:
    html = client.get("/").text
    assert re.search(r'<label[^>]+for="chat-input"', html)
    messages_tag = re.search(r'<[^>]+id="chat-messages"[^>]*>', html)
    assert messages_tag and 'aria-live="polite"' in messages_tag.group(0)


@pytest.mark.parametrize("url", [RASA_URL, "https://rasa.example.org:8443"])
def test_config_returns_given_rasa_url(url: str) -> None:
    res = TestClient(create_app(url)).get("/config.json")
    assert res.status_code == 200
    assert res.json() == {"rasa_url": url}


def test_apps_do_not_share_config() -> None:
    a = TestClient(create_app("http://a:5005"))
    b = TestClient(create_app("http://b:5005"))
    assert a.get("/config.json").json()["rasa_url"] == "http://a:5005"
    assert b.get("/config.json").json()["rasa_url"] == "http://b:5005"


def test_healthz(client: TestClient) -> None:
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.json() == {"status": "ok"}


def test_chat_js_is_served(client: TestClient) -> None:
    for script in ("/static/chat-core.js", "/static/chat.js"):
        res = client.get(script)
        assert res.status_code == 200
        assert "javascript" in res.headers["content-type"]
    core, page = client.get("/static/chat-core.js").text, client.get("/static/chat.js").text
    assert "/webhooks/rest/webhook" in core and '"/greet"' in core and "crypto.randomUUID" in core
    assert "/config.json" in page and "RecBotChat.create" in page


@pytest.mark.parametrize("script", ["bot/web/static/chat-core.js", "bot/web/static/chat.js",
                                    "bot/web/widget/widget.js"])
def test_chat_js_never_uses_html_injection_or_alerts(script: str) -> None:
    js = (PROJECT_ROOT / script).read_text(encoding="utf-8")
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "alert(", "eval("):
        assert forbidden not in js, forbidden


def test_chat_css_is_served(client: TestClient) -> None:
    res = client.get("/static/chat.css")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/css")
    assert "pre-wrap" in res.text


def test_page_uses_no_external_resources(client: TestClient) -> None:
    """No internet at run time: nothing may be loaded from a CDN or font host."""
    for path in ("/", "/static/theme.css", "/static/chat.css", "/static/chat.js",
                 "/agent", "/static/agent.css", "/static/agent.js", "/static/staff.js"):
        body = client.get(path).text
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", body), path
        assert "@import" not in body, path
        assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", body), path


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/", "/static/..%2Fapp.py"])
def test_missing_static_file_is_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_unknown_route_is_404(client: TestClient) -> None:
    assert client.get("/does-not-exist").status_code == 404


def test_module_creates_no_app_at_import() -> None:
    module = importlib.reload(web_app)
    assert not any(isinstance(value, FastAPI) for value in vars(module).values())


def test_module_imports_only_settings_the_vocabulary_and_the_records_from_the_bot_package() -> None:
    """The engine (FAISS, the encoder) is imported lazily, on the first API request; the
    records (SQLAlchemy only) serve the background jobs, and the vocabulary names the
    database's errors the app answers. The app's own modules (bot.web.*) are checked by the
    fresh-interpreter test below."""
    tree = ast.parse(Path(web_app.__file__).read_text(encoding="utf-8"))
    for node in tree.body:  # module level only: the lazy import lives inside a function
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [("." * node.level) + (node.module or "")]
        else:
            continue
        for name in names:
            assert name in ("bot.config", "bot.records", "bot.vocabulary", "bot.web") \
                or name.startswith("bot.web.") or not name.startswith(("bot", ".")), name


def test_creating_the_app_loads_no_engine() -> None:
    """A fresh interpreter: building the app must not import the engine or FAISS."""
    code = (
        "import sys\n"
        "from bot.config import Settings\n"
        "from bot.web.app import create_app\n"
        "create_app(Settings.from_env({}))\n"
        "print(sorted(m for m in ('bot.engine', 'faiss', 'torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("BOT_")})
    assert result.stdout.strip() == "[]"

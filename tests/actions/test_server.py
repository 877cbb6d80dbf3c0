"""The action server's launcher (actions/server.py): the engine is ready before it listens, and
an engine that cannot be built stops it before it listens."""

from __future__ import annotations

import pytest
from sanic import Sanic

from actions import server
from bot.encoder import Encoder
from bot.engine import Engine

TOKEN = "a-secret-for-the-test"


@pytest.fixture
def listening(monkeypatch) -> list:
    """What the launcher did, in order: "engine" when it built the engine, then (app, options)
    when it would have started listening."""
    steps: list = []
    monkeypatch.setattr(Sanic, "_app_registry", {})  # the app is made anew in each test
    monkeypatch.setattr(Sanic, "run", lambda app, **options: steps.append((app, options)))
    return steps


def test_the_engine_is_built_before_the_server_listens(monkeypatch, listening, action_engine):
    monkeypatch.setattr(server, "engine", lambda: listening.append("engine") or action_engine)

    server.serve(5099, "127.0.0.1", TOKEN)

    [built, (app, options)] = listening
    assert built == "engine"
    assert options == {"host": "127.0.0.1", "port": 5099, "single_process": True}  # the engine lives here
    assert {route.path for route in app.router.routes} == {"health", "webhook", "actions", "intent"}


def test_the_embedding_model_is_loaded_before_the_server_listens(monkeypatch, listening, catalog, index, store):
    encoder = Encoder(None)  # not loaded yet, as in a fresh action server
    monkeypatch.setattr(server, "engine", lambda: Engine(catalog, index, encoder, store))
    monkeypatch.setattr(Sanic, "run", lambda app, **options: listening.append(encoder.loaded))

    server.serve(5099, "127.0.0.1", TOKEN)

    assert listening == [True]  # a user's first typed title or taste does not wait for the model


def test_an_engine_that_cannot_be_built_stops_the_server_before_it_listens(monkeypatch, listening):
    def broken():
        raise FileNotFoundError("data/catalog/movies.jsonl")

    monkeypatch.setattr(server, "engine", broken)

    with pytest.raises(FileNotFoundError):
        server.serve(5099, "127.0.0.1", TOKEN)
    assert listening == []


def test_the_server_listens_on_loopback_unless_told_otherwise(monkeypatch, listening, action_engine):
    monkeypatch.setattr(server, "engine", lambda: action_engine)
    monkeypatch.setenv("BOT_ACTION_TOKEN", TOKEN)

    server.main(["--port", "5099"])
    monkeypatch.setattr(Sanic, "_app_registry", {})
    server.main(["--port", "5099", "--host", "0.0.0.0"])

    assert [options["host"] for _, options in listening] == ["127.0.0.1", "0.0.0.0"]


@pytest.mark.parametrize("token, says", [("", "BOT_ACTION_TOKEN is not set"), ("short", "shorter than 16")])
def test_without_a_usable_secret_the_server_does_not_start(monkeypatch, listening, capsys, token, says):
    monkeypatch.setenv("BOT_ACTION_TOKEN", token)

    with pytest.raises(SystemExit) as stopped:
        server.main(["--port", "5099"])

    assert stopped.value.code == 2 and says in capsys.readouterr().err
    assert listening == []

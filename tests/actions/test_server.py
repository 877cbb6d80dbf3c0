"""The action server's launcher (actions/server.py): the engine is ready before it listens, and
an engine that cannot be built stops it before it listens."""

from __future__ import annotations

import pytest
from sanic import Sanic

from actions import server
from bot.encoder import Encoder
from bot.engine import Engine


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

    server.serve(5099, "0.0.0.0")

    [built, (app, options)] = listening
    assert built == "engine"
    assert options == {"host": "0.0.0.0", "port": 5099, "single_process": True}  # the engine lives here
    assert {route.path for route in app.router.routes} == {"health", "webhook", "actions", "intent"}


def test_the_embedding_model_is_loaded_before_the_server_listens(monkeypatch, listening, catalog, index, store):
    encoder = Encoder(None)  # not loaded yet, as in a fresh action server
    monkeypatch.setattr(server, "engine", lambda: Engine(catalog, index, encoder, store))
    monkeypatch.setattr(Sanic, "run", lambda app, **options: listening.append(encoder.loaded))

    server.serve(5099, "127.0.0.1")

    assert listening == [True]  # a user's first typed title or taste does not wait for the model


def test_an_engine_that_cannot_be_built_stops_the_server_before_it_listens(monkeypatch, listening):
    def broken():
        raise FileNotFoundError("data/catalog/movies.jsonl")

    monkeypatch.setattr(server, "engine", broken)

    with pytest.raises(FileNotFoundError):
        server.serve(5099, "0.0.0.0")
    assert listening == []

"""Run actions against saved trackers (JSON fixtures), as Rasa's action server would."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import use_engine
from bot.config import PROJECT_ROOT
from bot.engine import Engine

TRACKERS = Path(__file__).parent / "trackers"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def action_engine(engine):
    """Actions use the test's engine (demo catalog, empty database).

    alice, the user of every saved tracker, agreed to be remembered (onboarding's first question).
    """
    engine.set_consent("alice", True)
    use_engine(engine)
    yield engine
    use_engine(None)


@pytest.fixture
def engine_with(action_engine, catalog, index, encoder, store):
    """engine_with(settings=..., experiments=...) -> the actions' engine rebuilt with these parts,
    on the same database (alice's consent included), in use by the actions from then on."""

    def rebuilt(**parts: Any) -> Engine:
        changed = Engine(catalog, index, encoder, store, **parts)
        use_engine(changed)
        return changed

    return rebuilt


@pytest.fixture
def tracker():
    """tracker(name) -> the saved tracker ``trackers/<name>.json``."""

    def _load(name: str) -> Tracker:
        return Tracker.from_dict(json.loads((TRACKERS / f"{name}.json").read_text(encoding="utf-8")))

    return _load


@pytest.fixture
def run(domain):
    """run(action, tracker) -> (events, messages) exactly as returned to Rasa."""

    def _run(action: Action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
        dispatcher = CollectingDispatcher()
        result = action.run(dispatcher, tracker, domain)
        events = asyncio.run(result) if inspect.isawaitable(result) else result
        return events, dispatcher.messages

    return _run

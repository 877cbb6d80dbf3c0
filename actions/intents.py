"""``POST /intent`` on the action server: the engine's reading of a typed message's intent,
asked by Rasa's NLU pipeline (rasa_plugins/engine_intents.py) for every message it parses."""

from __future__ import annotations

import asyncio

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from actions.runtime import engine

MAX_TEXT = 5000  # characters; Rasa's channels cut longer messages before this


async def read_intent(request: Request) -> HTTPResponse:
    body = request.json if request.content_type.startswith("application/json") else None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return json({"error": f"expected JSON {{\"text\": ...}} with 1-{MAX_TEXT} characters"}, status=400)
    # The embedding runs off the event loop: actions of other conversations go on meanwhile.
    reading = await asyncio.get_running_loop().run_in_executor(None, engine().read_intent, text)
    if reading is None:
        return json({"error": "no intent model: run `make train`"}, status=503)
    return json(reading.as_rasa())


def add_intent_route(app: Sanic) -> None:
    app.add_route(read_intent, "/intent", methods=["POST"])

"""Rasa's side of the engine's intent reading (rasa_plugins/engine_intents.py), run in the Rasa
environment by tests/rasa_plugins/test_engine_intents.py: ``.venv-rasa/bin/python
tests/rasa_plugins/engine_intents_check.py``. A stand-in action server answers ``POST /intent``;
Rasa's own parse is a stand-in too, so that each check sees which one read the message. Prints
``ok <check>`` for each check that passed and fails on the first that does not."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import rasa
from named_checks import check
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_plugins import engine_intents
from rasa_plugins.engine_intents import intent_url

ASKED: list[dict] = []
TOKEN = "the-action-servers-secret"
LIKE = '/like{"item_id": "alien-1979"}'
OFFERED = BotUttered("Alien (1979)", data={"buttons": [{"title": "👍", "payload": LIKE},
                                                        {"title": "More", "payload": "/request_recommendations"}]})
SLOW_S = 0.5
ANSWER = {"intent": {"name": "out_of_scope", "confidence": 0.91},
          "intent_ranking": [{"name": "out_of_scope", "confidence": 0.91},
                             {"name": "request_recommendations", "confidence": 0.05}]}
RASAS = {"text": "", "intent": {"name": "request_recommendations", "confidence": 0.99}, "entities": [],
         "intent_ranking": [{"name": "request_recommendations", "confidence": 0.99}]}


class StandIn(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ASKED.append({"path": self.path, "authorization": self.headers.get("Authorization"), **body})
        if body["text"] == "slow":
            time.sleep(SLOW_S)
        answer = json.dumps(ANSWER if body["text"] != "broken" else {"no": "intent"}).encode()
        self.send_response(200 if self.path == "/intent" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


class Processor:
    """What ``parse_message`` uses of Rasa's MessageProcessor: no NLU server, a domain check."""

    http_interpreter = None

    def __init__(self) -> None:
        self.checked: list[dict] = []

    def _check_for_unseen_features(self, parse_data: dict) -> None:
        self.checked.append(parse_data)


RASA_PARSED: list[str] = []


async def rasas_parse(self: Any, message: UserMessage, tracker: Any = None, only_output_properties: bool = True) -> dict:
    RASA_PARSED.append(message.text)
    return {**RASAS, "text": message.text}


OPENED: list[aiohttp.ClientSession] = []  # every session the reader opens, to see each closed
_client_session = aiohttp.ClientSession


def recorded_session(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
    session = _client_session(*args, **kwargs)
    OPENED.append(session)
    return session


aiohttp.ClientSession = recorded_session
server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
threading.Thread(target=server.serve_forever, daemon=True).start()
webhook = f"http://127.0.0.1:{server.server_address[1]}/webhook"
engine_intents._rasa_parse_message = rasas_parse


def parse(text: str, tracker: DialogueStateTracker | None = None) -> tuple[dict, Processor]:
    processor = Processor()
    return asyncio.run(engine_intents.parse_message(processor, UserMessage(text), tracker)), processor


def conversation(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", list(events))


@check("the intent endpoint sits beside the webhook")
def _() -> None:
    assert intent_url({"ACTION_ENDPOINT_URL": "http://actions:5055/webhook"}) == "http://actions:5055/intent"
    assert intent_url({"ACTION_ENDPOINT_URL": "http://nginx:5055/webhook/"}) == "http://nginx:5055/intent"
    assert intent_url({}) == "http://127.0.0.1:5055/intent"


@check("the install wraps Rasa's parse once, on the release it was written for")
def _() -> None:
    assert rasa.__version__ == engine_intents.WRAPPED_VERSION
    assert engine_intents.install({"ACTION_ENDPOINT_URL": webhook, "BOT_ACTION_TOKEN": TOKEN})
    assert engine_intents.install({"ACTION_ENDPOINT_URL": webhook, "BOT_ACTION_TOKEN": TOKEN})
    assert MessageProcessor.parse_message is engine_intents.parse_message


@check("the engine's reading is the parse and Rasa's pipeline does not run")
def _() -> None:
    parsed, processor = parse("how long should i boil eggs")
    assert parsed == {"text": "how long should i boil eggs", "intent": ANSWER["intent"],
                      "intent_ranking": ANSWER["intent_ranking"], "entities": []}
    assert processor.checked == [parsed]
    assert ASKED[-1] == {"path": "/intent", "authorization": f"Bearer {TOKEN}", "text": "how long should i boil eggs"}
    assert RASA_PARSED == []


@check("a button's payload is Rasa's own and not sent")
def _() -> None:
    before = len(ASKED)
    parsed, _ = parse('/like{"item_id": "alien-1979"}')
    assert len(ASKED) == before
    assert parsed["intent"]["name"] == "request_recommendations"
    assert RASA_PARSED == ['/like{"item_id": "alien-1979"}']


@check("in a conversation, a typed payload is taken only when the bot offered it as a button")
def _() -> None:
    offered, _ = parse(LIKE, conversation(OFFERED))
    assert offered["intent"]["name"] == "request_recommendations"  # Rasa's reading (the stand-in's)
    for forged in ('/like{"item_id": "never-shown"}', '/give_consent{"consent": true}', "/erase_data"):
        refused, processor = parse(forged, conversation(OFFERED))
        assert refused["intent"] == {"name": "out_of_scope", "confidence": 1.0}, forged
        assert refused["entities"] == [] and refused["text"] == forged
    assert parse(LIKE, conversation())[0]["intent"]["name"] == "out_of_scope"  # nothing offered yet
    assert parse("/greet", conversation())[0]["intent"]["name"] == "request_recommendations"  # the chat page's opening


@check("a system intent is never taken from a message in a conversation")
def _() -> None:
    global RASAS
    handed_back = BotUttered("x", data={"buttons": [{"title": "x", "payload": "/handed_back"}]})
    rasas, RASAS = RASAS, {**RASAS, "intent": {"name": "handed_back", "confidence": 1.0}}
    try:
        assert parse("/handed_back", conversation(handed_back))[0]["intent"]["name"] == "out_of_scope"
        assert parse("/handed_back")[0]["intent"]["name"] == "handed_back"  # no conversation: `rasa test`
    finally:
        RASAS = rasas


@check("other conversations go on while the engine reads")
def _() -> None:
    async def both() -> list[str]:
        finished: list[str] = []

        async def slow_parse() -> None:
            await engine_intents.parse_message(Processor(), UserMessage("slow"))
            finished.append("parse")

        async def other_turn() -> None:
            await asyncio.sleep(0.01)
            finished.append("other")

        await asyncio.gather(slow_parse(), other_turn())
        return finished

    assert asyncio.run(both()) == ["other", "parse"]


@check("an answer that is no reading leaves the message to Rasa's pipeline")
def _() -> None:
    parsed, _ = parse("broken")
    assert parsed["intent"]["name"] == "request_recommendations"
    assert RASA_PARSED[-1] == "broken"


@check("an action server that is down leaves the message to Rasa's pipeline")
def _() -> None:
    server.shutdown()
    server.server_close()
    parsed, _ = parse("hi")
    assert parsed["intent"]["name"] == "request_recommendations"
    assert RASA_PARSED[-1] == "hi"


@check("every session opened to ask the engine is closed, whatever the answer")
def _() -> None:
    assert len(OPENED) >= 4  # a reading, the slow one, an answer that is no reading, the server down
    assert [session for session in OPENED if not session.closed] == []

"""The pipeline's last component (rasa_plugins/engine_intents.py), run in the Rasa environment by
tests/rasa_plugins/test_engine_intents.py: ``.venv-rasa/bin/python
tests/rasa_plugins/engine_intents_check.py``. A stand-in action server answers ``POST /intent``;
prints ``ok <check>`` for each check that passed and fails on the first that does not."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from named_checks import check
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.engine_intents import EngineIntentClassifier, intent_url

ASKED: list[dict] = []
ANSWER = {"intent": {"name": "out_of_scope", "confidence": 0.91},
          "intent_ranking": [{"name": "out_of_scope", "confidence": 0.91},
                             {"name": "request_recommendations", "confidence": 0.05}]}


class StandIn(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ASKED.append({"path": self.path, **body})
        answer = json.dumps(ANSWER if body["text"] != "broken" else {"no": "intent"}).encode()
        self.send_response(200 if self.path == "/intent" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def diet_reading(text: str) -> Message:
    """A message as DIET and the FallbackClassifier leave it."""
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": "request_recommendations", "confidence": 0.99}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [{"name": "request_recommendations", "confidence": 0.99}], add_to_output=True)
    return message


server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
threading.Thread(target=server.serve_forever, daemon=True).start()
webhook = f"http://127.0.0.1:{server.server_address[1]}/webhook"


@check("the intent endpoint sits beside the webhook")
def _() -> None:
    assert intent_url({"ACTION_ENDPOINT_URL": "http://actions:5055/webhook"}) == "http://actions:5055/intent"
    assert intent_url({"ACTION_ENDPOINT_URL": "http://nginx:5055/webhook/"}) == "http://nginx:5055/intent"
    assert intent_url({}) == "http://127.0.0.1:5055/intent"


@check("the engine's reading replaces DIET's")
def _() -> None:
    [message] = EngineIntentClassifier(intent_url({"ACTION_ENDPOINT_URL": webhook})).process(
        [diet_reading("how long should i boil eggs")])
    assert message.get(INTENT) == ANSWER["intent"]
    assert message.get(INTENT_RANKING_KEY) == ANSWER["intent_ranking"]
    assert ASKED[-1] == {"path": "/intent", "text": "how long should i boil eggs"}


@check("a button's payload is Rasa's own and not sent")
def _() -> None:
    before = len(ASKED)
    [message] = EngineIntentClassifier(intent_url({"ACTION_ENDPOINT_URL": webhook})).process(
        [diet_reading('/like{"item_id": "alien-1979"}')])
    assert len(ASKED) == before
    assert message.get(INTENT)["name"] == "request_recommendations"


@check("an answer that is no reading leaves DIET's")
def _() -> None:
    [message] = EngineIntentClassifier(intent_url({"ACTION_ENDPOINT_URL": webhook})).process([diet_reading("broken")])
    assert message.get(INTENT)["name"] == "request_recommendations"


@check("an action server that is down leaves DIET's")
def _() -> None:
    server.shutdown()
    server.server_close()
    [message] = EngineIntentClassifier(intent_url({"ACTION_ENDPOINT_URL": webhook})).process([diet_reading("hi")])
    assert message.get(INTENT)["name"] == "request_recommendations"

"""The action server's answers checked on a validator built once (rasa_plugins/fast_actions.py,
issue 8): in the Rasa environment, the same answers accepted with the same events and the same
ones rejected with the same error as by Rasa's own check, and the guard that leaves another
Rasa alone; then at work in a Rasa server started as scripts/run starts it, talking to a
stand-in action server whose answers the test chooses."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from server_processes import offer_buttons

from bot.config import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
RASA = str(PROJECT_ROOT / ".venv-rasa/bin/rasa")
CHECKS = 4
START_TIMEOUT_S = 420  # Rasa alone needs 50-110 s on 2 busy cores

SESSION_START = {"events": [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]}
PICKS = {
    "events": [{"event": "slot", "timestamp": None, "name": "last_recommendations", "value": ["alien-1979"]}],
    "responses": [
        {"text": "Here are some picks for you:", "buttons": [], "elements": [], "custom": {}, "template": None,
         "response": None, "image": None, "attachment": None},
        {"text": "**Alien (1979)** · Horror, Sci-Fi", "elements": [], "custom": {}, "template": None,
         "response": None, "image": None, "attachment": None,
         "buttons": [{"title": "👍 Like", "payload": '/like{"item_id": "alien-1979"}'}]},
    ],
}
MALFORMED = {"events": [{"event": "slot", "value": ["alien-1979"]}],  # a slot without its name
             "responses": [{"text": "Never shown."}]}


def test_the_checks_in_the_rasa_environment(rasa_env):
    env = {**rasa_env, "PYTHONPATH": str(PROJECT_ROOT), "BOT_RATE_LIMIT_PER_SENDER": "0"}
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/fast_actions_check.py"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert result.stdout.count("ok ") == CHECKS, output[-5000:]


class StandInActionServer(BaseHTTPRequestHandler):
    """Answers Rasa's calls: a session start, else picks, or a malformed answer to senders
    whose id starts with "malformed"."""

    def do_POST(self) -> None:
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if call["next_action"] == "action_session_start":
            answer = SESSION_START
        else:
            answer = MALFORMED if call["sender_id"].startswith("malformed") else PICKS
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def rasa_server(rasa_model, rasa_env, tmp_path) -> Iterator[tuple[str, str, Path]]:
    """(URL, API token, log file) of a Rasa server started as scripts/run starts it, whose action
    endpoint is the stand-in."""
    actions = ThreadingHTTPServer(("127.0.0.1", 0), StandInActionServer)
    threading.Thread(target=actions.serve_forever, daemon=True).start()
    port, token, log = free_port(), secrets.token_urlsafe(16), tmp_path / "rasa.log"
    env = {
        **{key: value for key, value in rasa_env.items() if key != "BOT_REDIS_URL"},
        "PYTHONPATH": str(PROJECT_ROOT),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions.server_port}/webhook",
        "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(tmp_path / "tracker.sqlite3"), "TRACKER_HOST": "",
        "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "",
    }
    with open(log, "wb") as output:
        rasa = subprocess.Popen(
            [RASA, "run", "--model", str(rasa_model), "--port", str(port), "--interface", "127.0.0.1",
             "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
             "--enable-api", f"--auth-token={token}"],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _up(url):
            assert rasa.poll() is None, log.read_text()[-5000:]
            assert time.monotonic() < deadline, f"Rasa did not start:\n{log.read_text()[-5000:]}"
            time.sleep(0.5)
        yield url, token, log
    finally:
        rasa.terminate()
        rasa.wait(timeout=60)
        actions.shutdown()


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=2).ok
    except (requests.ConnectionError, requests.Timeout):
        return False


def say(url: str, sender: str, text: str) -> list[dict]:
    response = requests.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120)
    response.raise_for_status()
    return response.json()


def slots_set(url: str, token: str, sender: str) -> list[dict]:
    response = requests.get(f"{url}/conversations/{sender}/tracker",
                            params={"token": token, "include_events": "ALL"}, timeout=60)
    response.raise_for_status()
    return [{"name": e["name"], "value": e["value"]} for e in response.json()["events"] if e["event"] == "slot"]


def test_a_rasa_server_started_as_the_project_does_uses_it(rasa_server):
    url, token, log = rasa_server
    offer_buttons(url, token, "picks-1", ["/request_recommendations"])  # the bot's "Show me more"
    reply = say(url, "picks-1", "/request_recommendations")
    assert [m["text"] for m in reply] == ["Here are some picks for you:", "**Alien (1979)** · Horror, Sci-Fi"]
    assert reply[1]["buttons"] == [{"title": "👍 Like", "payload": '/like{"item_id": "alien-1979"}'}]
    assert {"name": "last_recommendations", "value": ["alien-1979"]} in slots_set(url, token, "picks-1")

    offer_buttons(url, token, "malformed-1", ["/request_recommendations"])
    assert say(url, "malformed-1", "/request_recommendations") == []
    assert all(slot["name"] != "last_recommendations" for slot in slots_set(url, token, "malformed-1"))
    output = log.read_text()
    assert "Custom actions' answers are checked with a validator built once" in output
    failure = output[output.index("Encountered an exception while running action 'action_recommend'"):]
    assert "rasa_plugins/fast_actions.py" in failure and "in validate_action_result" in failure, failure[:3000]
    assert ("jsonschema.exceptions.ValidationError: {'event': 'slot', 'value': ['alien-1979']} is not valid "
            "under any of the given schemas. Failed to validate Action server response from API") in failure

"""Start the real action server and Rasa server on free ports, as `make run` does."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from server_processes import ServerProcesses, free_port, offer_buttons

from bot.config import PROJECT_ROOT


class Reply(list):
    """The bot's messages for one user message."""

    @property
    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self]

    @property
    def picks(self) -> list[str]:
        """Item ids of the recommendation cards, in order (from their Like buttons)."""
        return [
            json.loads(m["buttons"][0]["payload"][len("/like"):])["item_id"]
            for m in self
            if m.get("buttons") and m["buttons"][0]["payload"].startswith("/like")
        ]


@dataclass
class Services(ServerProcesses):
    """An action server and a Rasa server (or several: ``rasa_servers``) sharing one engine
    database and tracker store; ``workdir`` holds their logs and databases."""

    model: Path
    state_dir: Path
    rasa_env: dict[str, str]
    extra_env: dict[str, str] = field(default_factory=dict)  # catalog, databases; default: demo, SQLite
    rasa_url: str = ""
    actions_port: int = 0
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))  # Rasa's HTTP API, as scripts/run
    env: dict[str, str] = field(default_factory=dict)  # what the services were started with
    endpoints: str = "endpoints.yml"  # Rasa's endpoints file (endpoints.scale.yml: shared lock store)
    rasa_servers: int = 1  # Rasa servers on the same model, databases and action server
    rasa_urls: list[str] = field(default_factory=list)  # one per Rasa server; rasa_url is the first

    def start(self) -> None:
        actions_port, rasa_ports = free_port(), [free_port() for _ in range(self.rasa_servers)]
        self.actions_port = actions_port
        env = {
            **self.rasa_env,
            "BOT_STATE_DIR": str(self.state_dir),
            "BOT_DATABASE_URL": f"sqlite:///{self.workdir / 'bot.sqlite3'}",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(self.workdir / "tracker.sqlite3"),
            "TRACKER_HOST": "",
            "BOT_TRACKER_URL": f"sqlite:///{self.workdir / 'tracker.sqlite3'}",
            "PYTHONPATH": str(PROJECT_ROOT),  # Rasa loads rasa_plugins/ (endpoints.yml)
            # Never the developer's real Slack or Telegram bot (tests/rasa_plugins fake their APIs).
            "SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "",
            "BOT_RASA_TOKEN": self.rasa_token,
            **self.extra_env,
        }
        self.env = env
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
        self.rasa_url = self.rasa_urls[0]
        self.start_actions()
        for number, rasa_port in enumerate(rasa_ports):  # all start at once, then we wait for each
            self._spawn("rasa" if number == 0 else f"rasa-{number + 1}",
                        [".venv-rasa/bin/rasa", "run", "--model", str(self.model),
                         "--port", str(rasa_port), "--interface", "127.0.0.1",
                         "--credentials", "credentials.yml", "--endpoints", self.endpoints,
                         "--enable-api", f"--auth-token={self.rasa_token}"], env)
        self._wait(f"http://127.0.0.1:{actions_port}/health")
        for url in self.rasa_urls:
            self._wait(url + "/")

    def start_actions(self) -> None:
        """The action server on ``actions_port`` (again, after a test stopped it)."""
        self._spawn("actions", [".venv/bin/python", "-m", "actions.server", "--port", str(self.actions_port)], self.env)

    def url_of(self, server: int) -> str:
        return self.rasa_url if server == 0 else self.rasa_urls[server]

    def say(self, sender: str, text: str, server: int = 0) -> Reply:
        """Send ``text`` over the REST channel to Rasa server number ``server``."""
        response = requests.post(
            self.url_of(server) + "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=120,
        )
        response.raise_for_status()
        return Reply(response.json())

    def offer(self, sender: str, payloads: list[str], server: int = 0) -> None:
        """As if the bot had shown buttons with these payloads (server_processes.offer_buttons)."""
        offer_buttons(self.url_of(server), self.rasa_token, sender, payloads)

    def tracker_events(self, sender: str, server: int = 0) -> list[dict]:
        """Every stored event of the conversation, through Rasa's HTTP API (``--auth-token``)."""
        response = requests.get(
            f"{self.url_of(server)}/conversations/{sender}/tracker",
            params={"token": self.rasa_token, "include_events": "ALL"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["events"]


@pytest.fixture(scope="session")
def services_factory(rasa_env, tmp_path_factory):
    """Start both servers on a model, a state directory and catalog settings; stop them after."""

    def running(model: Path, state_dir: Path, extra_env: dict[str, str] | None = None,
                **options) -> Iterator[Services]:
        """``options``: more Services fields, e.g. ``endpoints``, ``rasa_servers``."""
        started = Services(
            model=model, workdir=tmp_path_factory.mktemp("services"), state_dir=state_dir,
            rasa_env=rasa_env, extra_env=extra_env or {}, **options,
        )
        try:
            started.start()
            yield started
        finally:
            started.stop()

    return running


@pytest.fixture(scope="module")
def services(rasa_model, index, state_dir, services_factory) -> Iterator[Services]:
    """Both servers on the demo catalog, shared by a test module (Rasa takes about a minute to start).

    The `index` fixture has already cached every item embedding in `state_dir`.
    """
    yield from services_factory(rasa_model, state_dir)


@pytest.fixture(scope="session")
def rest_channel():
    """rest_channel(url, sender, text) -> (Reply, response): one message over the REST channel of
    what answers at ``url``, a Rasa server or a load balancer in front of several (its headers)."""

    def say(url: str, sender: str, text: str) -> tuple[Reply, requests.Response]:
        response = requests.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                 timeout=120)
        response.raise_for_status()
        return Reply(response.json()), response

    return say

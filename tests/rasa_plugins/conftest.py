"""The real action server and Rasa server with the Slack and Telegram channels switched on,
pointed at a fake Slack and Telegram API on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from channel_fakes import (
    SLACK_CHANNEL,
    SLACK_SIGNING_SECRET,
    SLACK_TOKEN,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    TELEGRAM_USERNAME,
    TELEGRAM_WEBHOOK_URL,
    FakeAPIs,
    slack_signed,
)
from live_servers import Services, free_port

from bot.config import PROJECT_ROOT

REQUEST_TIMEOUT_S = 120  # Telegram's webhook answers after the bot's turn; Rasa can be slow on 2 cores


@dataclass
class ChannelBot:
    """The running bot as Slack and Telegram reach it, and what it sent to their APIs."""

    services: Services
    api: FakeAPIs

    @property
    def url(self) -> str:
        return self.services.rasa_url

    def slack_event(self, envelope: dict, retry: tuple[int, str] | None = None,
                    signature: dict[str, str] | None = None) -> requests.Response:
        """POST an Events API envelope as Slack does: JSON, signed, maybe as a retry."""
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json", **(signature or slack_signed(body))}
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry[0]), "X-Slack-Retry-Reason": retry[1]})
        return requests.post(self.url + "/webhooks/slack/webhook", data=body, headers=headers,
                             timeout=REQUEST_TIMEOUT_S)

    def slack_interaction(self, payload: dict) -> requests.Response:
        """POST an interactivity payload (a button press) as Slack does: form-encoded, signed."""
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **slack_signed(body)}
        return requests.post(self.url + "/webhooks/slack/webhook", data=body, headers=headers,
                             timeout=REQUEST_TIMEOUT_S)

    def telegram_update(self, update: dict, secret: str | None = TELEGRAM_SECRET) -> requests.Response:
        """POST an update as Telegram does, with the secret token set by setWebhook."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return requests.post(self.url + "/webhooks/telegram/webhook", json=update, headers=headers,
                             timeout=REQUEST_TIMEOUT_S)

    def slack_posts(self, channel: str) -> list[dict]:
        """The chat.postMessage calls to a Slack channel, in order (failed ones too)."""
        return [c.body for c in self.api.of("slack", "chat.postMessage") if c.body.get("channel") == channel]

    def telegram_sent(self, chat_id: int, method: str = "sendMessage") -> list[dict]:
        return [c.body for c in self.api.of("telegram", method) if str(c.body.get("chat_id")) == str(chat_id)]


@pytest.fixture(scope="session")
def fake_apis() -> Iterator[FakeAPIs]:
    api = FakeAPIs()
    api.start()
    yield api
    api.stop()


AGENT, AGENT_TOKEN = "anna", "anna-token-0123456789"


@pytest.fixture(scope="session")
def channel_env(fake_apis) -> dict[str, str]:
    """Slack and Telegram switched on, with test secrets and the fake APIs' addresses."""
    return {
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_CHANNEL": SLACK_CHANNEL,
        "SLACK_API_URL": fake_apis.slack_url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BOT_USERNAME": TELEGRAM_USERNAME,
        "TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": fake_apis.telegram_url,
        "BOT_AGENT_TOKENS": f"{AGENT}:{AGENT_TOKEN}",  # human handoff is on
    }


@pytest.fixture(scope="session")
def channel_bot(rasa_model, index, state_dir, services_factory, fake_apis, channel_env) -> Iterator[ChannelBot]:
    """Both servers with both channels on (one Rasa start for every channel test)."""
    for services in services_factory(rasa_model, state_dir, channel_env):
        yield ChannelBot(services, fake_apis)


@pytest.fixture
def rasa_start(rasa_model, rasa_env, tmp_path):
    """rasa_start(settings) -> the finished `rasa run` (output in stdout), for start-ups that must fail."""

    def start(settings: dict[str, str]) -> subprocess.CompletedProcess:
        env = {
            **rasa_env, "PYTHONPATH": str(PROJECT_ROOT), "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
            "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(tmp_path / "tracker.sqlite3"), "TRACKER_HOST": "",
            **settings,
        }
        command = [".venv-rasa/bin/rasa", "run", "--model", str(rasa_model), "--port", str(free_port()),
                   "--interface", "127.0.0.1", "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
        return subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=300)

    return start

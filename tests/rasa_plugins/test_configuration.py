"""credentials.yml without Slack or Telegram secrets (as `make run` starts it), and with half of them."""

from __future__ import annotations

import subprocess

import pytest
import requests
from channel_fakes import NO_CHANNELS, SLACK_TOKEN, TELEGRAM_TOKEN

pytestmark = pytest.mark.rasa


@pytest.fixture
def bot_without_channels(services):
    """The run's shared servers: as `make run` starts them, without Slack or Telegram tokens."""
    assert not services.env["SLACK_BOT_TOKEN"] and not services.env["TELEGRAM_BOT_TOKEN"]
    return services


def test_without_secrets_both_channels_are_off_and_the_bot_runs(bot_without_channels):
    url = bot_without_channels.rasa_url
    assert requests.get(url + "/webhooks/slack/", timeout=10).json() == {
        "status": "disabled", "reason": "slack_token (${SLACK_BOT_TOKEN}) is not set",
    }
    assert requests.get(url + "/webhooks/telegram/", timeout=10).json() == {
        "status": "disabled", "reason": "access_token (${TELEGRAM_BOT_TOKEN}) is not set",
    }
    for channel in ("slack", "telegram"):
        response = requests.post(f"{url}/webhooks/{channel}/webhook", json={}, timeout=10)
        assert response.status_code == 503
        assert response.text.startswith(f"The {channel} channel is disabled")
    assert bot_without_channels.say("no-channels", "hi").texts[0].startswith("Hi! I'm your movie guide.")


@pytest.mark.parametrize(("settings", "missing"), [
    ({"SLACK_BOT_TOKEN": SLACK_TOKEN}, "SLACK_SIGNING_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN}, "TELEGRAM_BOT_USERNAME"),
], ids=["slack", "telegram"])
def test_a_token_without_the_rest_stops_start_up_naming_what_is_missing(settings, missing, rasa_start):
    try:
        result = rasa_start({**NO_CHANNELS, **settings})
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"Rasa started without {missing}: {error.stdout!r}")
    assert result.returncode != 0
    assert missing in result.stdout

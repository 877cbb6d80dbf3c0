"""The chat rate limit per sender (rasa_plugins/ratelimit.py), checked in the Rasa environment:
memory and Redis counting, Redis refusing connections, the wrapper and its settings.
tests/e2e/test_chat_rate_limit.py checks the same through the real servers."""

from __future__ import annotations

import json
import os
import subprocess

from bot.config import PROJECT_ROOT, ConfigError, Settings

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHECKS = 6
LIMIT_VALUES = ["0", "5", "30", " 7 ", "007", "", "-1", "1.5", "lots", "²", "٣", "5 a minute"]


def _engine_reads(value: str) -> int | None:
    try:
        return Settings.from_env({"BOT_RATE_LIMIT_PER_SENDER": value}).rate_limit_per_sender
    except ConfigError:
        return None


def test_sender_limits_in_the_rasa_environment(rasa_env):
    """Besides the limits themselves: Rasa's plugin reads the variable as the engine does
    (the same values accepted, the same refused), though the two cannot share the code."""
    cases = {value: _engine_reads(value) for value in LIMIT_VALUES}
    assert cases[" 7 "] == 7 and cases["²"] is None and cases["٣"] is None  # the engine's reading, pinned
    env = {**rasa_env, "PYTHONPATH": str(PROJECT_ROOT), "BOT_RATE_LIMIT_PER_SENDER": "0",
           "LIMIT_CASES": json.dumps(cases)}
    env.pop("BOT_REDIS_URL", None)
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/sender_limits_check.py", REDIS_URL],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert result.stdout.count("ok ") == CHECKS, output[-5000:]

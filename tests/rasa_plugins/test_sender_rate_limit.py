"""The chat rate limit per sender (rasa_plugins/ratelimit.py), checked in the Rasa environment:
memory and Redis counting, Redis refusing connections, the wrapper and its settings.
tests/e2e/test_chat_rate_limit.py checks the same through the real servers."""

from __future__ import annotations

import os
import subprocess

from bot.config import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHECKS = 5


def test_sender_limits_in_the_rasa_environment(rasa_env):
    env = {**rasa_env, "PYTHONPATH": str(PROJECT_ROOT), "BOT_RATE_LIMIT_PER_SENDER": "0"}
    env.pop("BOT_REDIS_URL", None)
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/sender_limits_check.py", REDIS_URL],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert result.stdout.count("ok ") == CHECKS, output[-5000:]

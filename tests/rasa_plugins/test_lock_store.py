"""Several Rasa servers taking one conversation's lock through Redis at once: with Rasa 3.6's
own RedisLockStore a ticket is issued twice (two servers process at once) or a waiter finds the
lock deleted (the message is dropped); with rasa_plugins.lock_store.AtomicRedisLockStore (what
endpoints.scale.yml uses) never. tests/e2e/test_two_rasa_servers.py checks the same through
two real Rasa servers."""

from __future__ import annotations

import json
import os
import subprocess

from bot.config import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
REDIS = os.environ.get("TEST_REDIS_HOST", "127.0.0.1"), os.environ.get("TEST_REDIS_PORT", "6379")


def test_only_the_atomic_lock_store_serves_one_turn_at_a_time(rasa_env):
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/lock_store_check.py", *REDIS],
        cwd=PROJECT_ROOT, env={**rasa_env, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True, text=True, timeout=400,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    outcome = json.loads(result.stdout.splitlines()[-1])

    assert outcome["atomic"] == {"turns": 100, "overlaps": 0, "lock_errors": 0, "stuck": 0,
                                 "failed_servers": 0, "locks_left": 0}
    stock = outcome["rasa"]
    assert stock["overlaps"] + stock["lock_errors"] + stock["stuck"] > 0, stock  # the check can fail

"""Rasa's tracker file after "delete my data": the conversation's rows are zeroed in the file
(secure_delete), and a file from before is vacuumed once (tracker_store_check.py, in Rasa's
environment)."""

from __future__ import annotations

import json
import subprocess

from bot.config import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")


def test_an_erased_conversation_leaves_no_trace_in_the_tracker_file(rasa_env, tmp_path):
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/tracker_store_check.py", str(tmp_path)],
        cwd=PROJECT_ROOT, env={**rasa_env, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    seen = json.loads(result.stdout.splitlines()[-1])

    assert seen == {
        "old_before": ["tracker.sqlite3"],  # the check can fail: deleted, but in the file
        "old_after_opening": [],
        "leaver_before": ["tracker.sqlite3"],
        "leaver_after": [],
        "keeper_after": ["tracker.sqlite3"],
        "user_version": 1,
    }

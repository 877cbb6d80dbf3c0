"""The Rasa project itself: training data validates and conversation stories pass."""

from __future__ import annotations

import json
import subprocess

from bot.config import PROJECT_ROOT

RASA = str(PROJECT_ROOT / ".venv-rasa/bin/rasa")


def test_training_data_validates(rasa_env):
    result = subprocess.run(
        [RASA, "data", "validate", "--data", "data/rasa", "build/nlu"],
        cwd=PROJECT_ROOT, env=rasa_env, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "completed with errors" not in output
    assert "No story structure conflicts found" in output


def test_conversation_stories_pass(rasa_model, rasa_env, tmp_path):
    result = subprocess.run(
        [RASA, "test", "core", "--stories", "tests/rasa/test_stories.yml", "--model", str(rasa_model),
         "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, env=rasa_env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["accuracy"] == 1.0
    assert report["weighted avg"]["support"] >= 40  # every action in every story was checked

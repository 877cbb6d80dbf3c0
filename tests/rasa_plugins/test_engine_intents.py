"""Rasa's side of the engine's intent reading (rasa_plugins/engine_intents.py), checked in the
Rasa environment against a stand-in action server: its reading is the parse without blocking
other conversations, payloads are not sent, and anything but a reading (an error, the server
down) leaves the message to Rasa's own pipeline. tests/e2e/test_understanding.py checks the
whole path through a real Rasa and action server."""

from __future__ import annotations

import ast
import subprocess

import yaml

from bot.config import PROJECT_ROOT
from bot.intent_model import SYSTEM_INTENTS

PYTHON = str(PROJECT_ROOT / ".venv-rasa/bin/python")
CHECKS = ["the intent endpoint sits beside the webhook",
          "the install wraps Rasa's parse once, on the release it was written for",
          "the engine's reading is the parse and Rasa's pipeline does not run",
          "a button's payload is Rasa's own and not sent",
          "in a conversation, a typed payload is taken only when the bot offered it as a button",
          "a system intent is never taken from a message in a conversation",
          "other conversations go on while the engine reads",
          "an answer that is no reading leaves the message to Rasa's pipeline",
          "an action server that is down leaves the message to Rasa's pipeline",
          "every session opened to ask the engine is closed, whatever the answer"]


def test_the_engines_reading_is_the_parse_or_rasas_pipeline_reads_the_message(rasa_env):
    result = subprocess.run(
        [PYTHON, "tests/rasa_plugins/engine_intents_check.py"], cwd=PROJECT_ROOT,
        env={**rasa_env, "PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'tests/rasa_plugins'}"},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert [line[3:] for line in result.stdout.splitlines() if line.startswith("ok ")] == CHECKS


def test_rasa_refuses_from_messages_the_intents_the_engine_never_reads():
    """rasa_plugins/payloads.py (Rasa's environment, which cannot import bot/) names the system's
    intents again: both lists must agree, and both must be intents of the domain."""
    source = (PROJECT_ROOT / "rasa_plugins/payloads.py").read_text()
    [assigned] = [node.value for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SYSTEM_INTENTS" for t in node.targets)]
    refused = set(ast.literal_eval(assigned.args[0]))
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert refused == SYSTEM_INTENTS
    assert refused <= set(domain["intents"])

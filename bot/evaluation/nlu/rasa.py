"""Rasa's reading of the messages. Rasa lives in its own environment (.venv-rasa, Python 3.10) and
the bot never imports it, so the trained model is run through ``scripts/rasa-parse`` in a
subprocess, all messages in one call so that the model loads once; tests pass another parser."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.evaluation.nlu.errors import NluEvalError

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa/bin/python"
RASA_PARSE = PROJECT_ROOT / "scripts/rasa-parse"

Parser = Callable[[Sequence[str]], list[dict[str, Any]]]  # texts -> rasa-parse's results, in order


def rasa_parser(model: Path | None = None) -> Parser:
    """Parse with the trained Rasa model through scripts/rasa-parse in .venv-rasa (loaded once per call)."""

    def parse(texts: Sequence[str]) -> list[dict[str, Any]]:
        if not RASA_PYTHON.exists():
            raise NluEvalError(f"{RASA_PYTHON} is missing: run `make setup`")
        command = [str(RASA_PYTHON), str(RASA_PARSE), *(["--model", str(model)] if model else [])]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false",
               "PYTHONPATH": str(PROJECT_ROOT),  # rasa_plugins, as the Rasa server loads them
               # No action server answers here: these are DIET's readings; the engine's are applied after
               # (meaning.py), as the Rasa server takes them (rasa_plugins/engine_intents.py).
               "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook"}
        lines = "".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in texts)
        result = subprocess.run(command, input=lines, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env,
                                timeout=1800 + 2 * len(texts))
        if result.returncode != 0:
            raise NluEvalError(f"scripts/rasa-parse failed: {result.stderr.strip()[-2000:]}")
        parses = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        if len(parses) != len(texts) or any("error" in parse for parse in parses):
            raise NluEvalError(f"scripts/rasa-parse answered {len(parses)} lines for {len(texts)} messages")
        return parses

    return parse


def newest_model() -> Path | None:
    """What scripts/rasa-parse loads by default: the newest models/*.tar.gz."""
    models = sorted((PROJECT_ROOT / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


def parse_ms(parses: Sequence[Mapping[str, Any]]) -> dict[str, float] | None:
    """The median and 90th percentile of the time a parse took, as rasa-parse reports it."""
    times = sorted(float(parse["ms"]) for parse in parses if isinstance(parse.get("ms"), int | float))
    if len(times) < 2:
        return None
    return {"median": round(statistics.median(times), 1), "p90": round(times[int(0.9 * (len(times) - 1))], 1)}

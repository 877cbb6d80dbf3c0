"""The engine's reading of each message's intent (bot/intent_model.py), applied to Rasa's parses
as the pipeline's last component (rasa_plugins/engine_intents.py) applies it: the intent and
ranking are the engine's when it has a trained model, DIET's otherwise. Messages are embedded
in batches without the embedding cache (held-out texts are not kept)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import Settings
from bot.encoder import Encoder
from bot.intent_model import IntentModel, IntentReading


def read_intents(settings: Settings, texts: Sequence[str]) -> list[IntentReading] | None:
    """The engine's reading of every text, or None without a trained intent model."""
    if not settings.intent_model_path.exists():
        return None
    model = IntentModel.load(settings.intent_model_path)
    return model.read_many(texts, Encoder(None).encode(list(texts)))


def with_readings(parses: Sequence[Mapping[str, Any]], readings: Sequence[IntentReading]) -> list[dict[str, Any]]:
    """Rasa's parses (as scripts/rasa-parse writes them) with the engine's intent and ranking, as
    the pipeline hands them on."""
    return [{**parse, "intent": reading.intent, "confidence": reading.confidence,
             "intent_ranking": [{"name": name, "confidence": p} for name, p in reading.ranking]}
            for parse, reading in zip(parses, readings, strict=True)]

"""The engine's reading of each message, applied to Rasa's parses as the Rasa server applies it
(rasa_plugins/engine_intents.py): when the engine has a trained intent model, its intent and
ranking are the parse, and the parse names no entities (the actions read titles and categories
from the text through the engine, ``read_entities`` here); DIET's parse stands otherwise.
Messages are embedded in batches without the embedding cache (held-out texts are not kept)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import Settings
from bot.encoder import Encoder
from bot.evaluation.nlu.engines import RequestEngine
from bot.intent_model import IntentModel, IntentReading


def read_intents(settings: Settings, texts: Sequence[str]) -> list[IntentReading] | None:
    """The engine's reading of every text, or None without a trained intent model."""
    if not settings.intent_model_path.exists():
        return None
    model = IntentModel.load(settings.intent_model_path)
    return model.read_many(texts, Encoder(None).encode(list(texts)))


def read_entities(engine: RequestEngine, texts: Sequence[str]) -> list[list[dict[str, str]]]:
    """The titles and categories the actions read in each text (``Engine.read_wish``), as
    Rasa-style entities so that they are scored as DIET's were."""
    entities = []
    for text in texts:
        wish = engine.read_wish(text)
        entities.append([{"entity": "title", "value": engine.catalog.by_id[item_id].title} for item_id in wish.items]
                        + [{"entity": "category", "value": category} for category in wish.categories])
    return entities


def with_readings(parses: Sequence[Mapping[str, Any]], readings: Sequence[IntentReading],
                  entities: Sequence[list[dict[str, str]]]) -> list[dict[str, Any]]:
    """Rasa's parses (as scripts/rasa-parse writes them) with the engine's intent, ranking and
    entities, as the Rasa server hands them on to the actions."""
    return [{**parse, "intent": reading.intent, "confidence": reading.confidence,
             "intent_ranking": [{"name": name, "confidence": p} for name, p in reading.ranking],
             "entities": found}
            for parse, reading, found in zip(parses, readings, entities, strict=True)]

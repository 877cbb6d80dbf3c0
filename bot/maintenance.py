"""The operator's jobs, the door the CLI uses besides the engine: check and import catalogs,
import a shop's past interactions, migrate the database, build the item index, write Rasa's
lookup tables, train the hybrid model on the event log.

None of them needs a whole engine, so each loads only what it works on; the CLI translates
options to these calls and their results to text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot import facets, history, indexing, intent_model, trained_model
from bot.catalog import Catalog, Item
from bot.catalog_files import (
    CatalogError,
    ColumnMapping,
    load_catalog,
    load_configured_catalog,
    read_catalog,
    write_catalog,
)
from bot.config import PROJECT_ROOT, Settings
from bot.encoder import Encoder
from bot.experiments import ExperimentError
from bot.nlu import lookup_tables_yaml
from bot.segments import SegmentsUnavailable
from bot.store import Store

# What an operator's command can end in that the operator fixes (a bad catalog or experiments
# file, too few users for the segments asked for): the CLI says it in one line, no traceback.
OPERATOR_ERRORS: tuple[type[Exception], ...] = (CatalogError, history.HistoryError, ExperimentError,
                                                SegmentsUnavailable)


def check_catalog(settings: Settings, path: Path | None = None, mapping: Path | None = None) -> Catalog:
    """The configured catalog, or the file at ``path`` read through the YAML column ``mapping``;
    CatalogError names every bad row with its line and field."""
    if path is None:
        return load_configured_catalog(settings)
    return load_catalog(path, ColumnMapping.from_yaml(mapping) if mapping else None)


def read_catalog_file(path: Path, mapping: Path | None = None) -> tuple[list[Item], list[str]]:
    """A CSV, JSON Lines or Parquet file's valid items, and one line for each row rejected."""
    return read_catalog(path, ColumnMapping.from_yaml(mapping) if mapping else None)


@dataclass(frozen=True)
class ImportedCatalog:
    path: Path  # the catalog written, ready for BOT_CATALOG
    embedded: int  # items new or changed, embedded now
    cached: int  # items unchanged, their embeddings read from the cache
    facets: list[str]  # categories derived from the items, if the catalog had too few (biggest first)


def import_catalog(settings: Settings, items: list[Item], name: str, out: Path | None = None) -> ImportedCatalog:
    """Write ``items`` as the bot's catalog (by default var/catalogs/NAME.jsonl) and embed the
    ones the encoder's cache does not know yet, so the first start after it is quick. A catalog
    with too few categories gets facets derived from its items (bot/facets.py)."""
    path = out or settings.state_dir / "catalogs" / f"{name}.jsonl"
    encoder = Encoder(settings.embedding_cache_path)
    derived: list[str] = []
    if facets.needed(items):
        items, derived = facets.with_facets(items, encoder.encode([item.embedding_text for item in items], progress=True))
    write_catalog(items, path)
    texts = [item.embedding_text for item in items]
    new = sum(encoder.cache.get(Encoder.cache_key(text)) is None for text in texts)
    encoder.encode(texts, progress=True)
    return ImportedCatalog(path, new, len(items) - new, derived)


def import_history(settings: Settings, path: Path, mapping: Path | None = None, fmt: str | None = None,
                   progress: Callable[[int], None] | None = None) -> history.ImportReport:
    """Store a shop's past interactions with the configured catalog's items (bot/history.py);
    HistoryError if the file or the mapping cannot be read at all."""
    if not path.is_file():
        raise history.HistoryError(path, [f"{path}: no such file"])
    parsed = history.HistoryMapping.from_yaml(mapping) if mapping else None
    catalog = load_configured_catalog(settings)
    return history.import_history(Store(settings.database_url), catalog, path, parsed, fmt, progress)


def count_history_rows(path: Path, fmt: str | None = None) -> int | None:
    return history.count_rows(path, fmt)


def upgrade_database(settings: Settings) -> str:
    """Migrate the bot's database to today's schema (it also happens on first use); its revision."""
    return Store(settings.database_url).migrate()


@dataclass(frozen=True)
class IndexBuild:
    catalog: Path
    items: int
    directory: Path
    built: bool  # False: the saved index already matched the catalog and the index settings


def build_index(settings: Settings, force: bool = False) -> IndexBuild:
    """Embed the configured catalog (only new or changed items) and save its index, unless
    the saved one still matches (or ``force``)."""
    catalog = load_configured_catalog(settings)
    if not force and indexing.saved_index(settings, catalog) is not None:
        return IndexBuild(catalog.path, len(catalog), settings.index_dir, built=False)
    index = indexing.build_index(catalog, Encoder(settings.embedding_cache_path), progress=True,
                                 index_settings=settings.index)
    index.save(settings.index_dir)
    return IndexBuild(catalog.path, len(index), settings.index_dir, built=True)


def write_lookups(settings: Settings, out: Path) -> bool:
    """Write the configured catalog's category and title lookup tables for Rasa's training
    to ``out``; False if the file already said the same (so Rasa need not retrain)."""
    text = lookup_tables_yaml(load_configured_catalog(settings))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and out.read_text(encoding="utf-8") == text:
        return False
    out.write_text(text, encoding="utf-8")
    return True


INTENT_TRAINING_DATA = (PROJECT_ROOT / "data/rasa", PROJECT_ROOT / "data/intents")  # Rasa's, and the engine's own


@dataclass(frozen=True)
class IntentTraining:
    phrases: int
    intents: int
    trained: bool  # False: the saved model was trained on the same data
    min_confidence: float
    min_similarity: float


def train_intents(settings: Settings, folders: tuple[Path, ...] = INTENT_TRAINING_DATA) -> IntentTraining:
    """Train the intent model on the intent examples of every ``*.yml`` in ``folders`` (Rasa's
    training data and data/intents) and save it where the engine loads it, unless it was
    trained on the same."""
    phrases = intent_model.training_phrases(path for folder in folders for path in folder.glob("*.yml"))
    path = settings.intent_model_path
    if intent_model.IntentModel.saved_fingerprint(path) == intent_model.data_fingerprint(phrases):
        saved = intent_model.IntentModel.load(path)
        return IntentTraining(len(phrases), len(saved.intents), False, saved.min_confidence, saved.min_similarity)
    encoder = Encoder(settings.embedding_cache_path)
    vectors = encoder.encode([phrase.text for phrase in phrases])
    model = intent_model.fit(phrases, vectors, encode=encoder.encode)
    model.save(path)
    return IntentTraining(len(phrases), len(model.intents), True, model.min_confidence, model.min_similarity)


def train_model(settings: Settings) -> int:
    """Fit the hybrid model on every user's feedback and save it (settings.model_path), where
    the engine picks it up; how many feedback events it learned from."""
    catalog = load_configured_catalog(settings)
    index = indexing.load_or_build_index(settings, catalog, Encoder(settings.embedding_cache_path))
    _, events = trained_model.train(Store(settings.database_url), catalog, index, settings.model_path)
    return events

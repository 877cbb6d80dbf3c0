"""The catalog's FAISS index: embedded and built, or loaded when it still matches.

``bot index build``, the engine's start and its hot reload all get their index here; items
embedded before are read from the encoder's cache, not embedded again.
"""

from __future__ import annotations

import logging

from tqdm import tqdm

from bot.catalog import Catalog
from bot.config import IndexSettings, Settings
from bot.encoder import Encoder
from bot.index import IndexUnavailable, ItemIndex, plan

log = logging.getLogger(__name__)


def build_index(
    catalog: Catalog, encoder: Encoder, progress: bool = False, index_settings: IndexSettings | None = None
) -> ItemIndex:
    """Embed the catalog (cached items are not re-embedded) and index it as the settings say
    (the BOT_INDEX_* variables when none are given)."""
    texts = [item.embedding_text for item in tqdm(catalog.items, desc="items", disable=not progress)]
    vectors = encoder.encode(texts, progress=progress)
    return ItemIndex.build([item.id for item in catalog.items], vectors, catalog.fingerprint,
                           index_settings or IndexSettings.from_env())


def saved_index(settings: Settings, catalog: Catalog) -> ItemIndex | None:
    """The saved index if it matches the catalog and the index settings, else None (why is logged)."""
    try:
        index = ItemIndex.load(settings.index_dir, settings.index)
    except IndexUnavailable as error:
        log.info("%s; building it now", error)
        return None
    wanted = plan(settings.index, len(catalog), index.dimension)
    if index.fingerprint == catalog.fingerprint and index.layout == wanted:
        return index
    log.info("catalog or index settings changed since the index was built (%s, now %s); rebuilding",
             index.layout.describe(), wanted.describe())
    return None


def load_or_build_index(settings: Settings, catalog: Catalog, encoder: Encoder, progress: bool = False) -> ItemIndex:
    """The saved index if it matches the catalog and the index settings, otherwise a fresh one (then saved)."""
    index = saved_index(settings, catalog)
    if index is None:
        index = build_index(catalog, encoder, progress=progress, index_settings=settings.index)
        index.save(settings.index_dir)
    return index

"""The catalog the engine serves, and its hot reload.

Everything derived from one version of the catalog (its index, the trained model, the
recommender and the title matcher over them) is built completely and then swapped in with one
assignment, so a request in flight finishes on the version it started with. The users'
segments are saved beside the index by ``bot segments build``, possibly in another process,
and are picked up the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from bot import trained_model
from bot.catalog import Catalog
from bot.catalog_files import CatalogError, load_configured_catalog
from bot.config import Settings
from bot.encoder import Encoder
from bot.hybrid import HybridRanker
from bot.index import ItemIndex
from bot.indexing import load_or_build_index
from bot.matching import TitleMatcher
from bot.recommender import Recommender
from bot.segments import Segments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogVersion:
    """Everything derived from one version of the catalog; replaced whole, never changed."""

    catalog: Catalog
    index: ItemIndex
    recommender: Recommender
    matcher: TitleMatcher
    stamp: tuple[int, ...] = ()


def files_stamp(paths: Iterable[Path | None]) -> tuple[int, ...]:
    """Changes when any of the files is written, replaced, created or deleted."""
    stats = [path.stat() for path in paths if path is not None and path.exists()]
    return tuple(value for st in stats for value in (st.st_ino, st.st_mtime_ns, st.st_size))


def catalog_stamp(settings: Settings) -> tuple[int, ...]:
    """Changes when the catalog, its mapping or the trained model are rewritten."""
    return files_stamp([settings.catalog_path, settings.catalog_mapping, settings.model_path])


def load_model(settings: Settings, catalog: Catalog, index: ItemIndex) -> HybridRanker | None:
    """The trained model for this catalog, or None (then the picks rank by content only)."""
    model = trained_model.load(catalog, index, settings.model_path)
    if model is None:
        log.info("no trained model at %s (run `make train-recs`); content only", settings.model_path)
    return model


def load_catalog_parts(settings: Settings, encoder: Encoder) -> tuple[Catalog, ItemIndex, HybridRanker | None]:
    """The configured catalog, its index (built when missing or stale) and its trained model.
    Raises CatalogError for a catalog that fails validation."""
    catalog = load_configured_catalog(settings)
    index = load_or_build_index(settings, catalog, encoder)
    return catalog, index, load_model(settings, catalog, index)


class ServedCatalog:
    """The catalog version and the segments requests use now; ``settings`` (None in tests
    built from parts) say which files to watch."""

    def __init__(
        self,
        catalog: Catalog,
        index: ItemIndex,
        encoder: Encoder,
        model: HybridRanker | None,
        settings: Settings | None,
        item_noun: str,
        segments: Segments | None,
    ):
        self._encoder = encoder
        self._settings = settings
        self._item_noun = item_noun  # how picks are phrased about: "fantasy books", not "fantasy"
        self.version = self._derive(catalog, index, model, catalog_stamp(settings) if settings else ())
        self.segments = segments  # None until `bot segments build`
        self._segments_stamp = files_stamp([settings.segments_path]) if settings else ()

    def _derive(self, catalog: Catalog, index: ItemIndex, model: HybridRanker | None,
                stamp: tuple[int, ...]) -> CatalogVersion:
        return CatalogVersion(
            catalog, index,
            Recommender(catalog, index, model=model, encoder=self._encoder, item_noun=self._item_noun),
            TitleMatcher(catalog, index, self._encoder), stamp,
        )

    def reload_if_changed(self) -> bool:
        """Pick up a changed catalog or retrained model (True), and rebuilt segments.

        Only new or changed items are embedded. A catalog that fails validation is logged
        and ignored until its files change again.
        """
        if self._settings is None:
            return False
        self._reload_segments_if_changed()
        stamp = catalog_stamp(self._settings)
        if stamp == self.version.stamp:
            return False
        try:
            catalog, index, model = load_catalog_parts(self._settings, self._encoder)
        except CatalogError as error:
            log.error("keeping the current catalog; the changed one is invalid: %s", error)
            self.version = replace(self.version, stamp=stamp)
            return False
        self.version = self._derive(catalog, index, model, stamp)
        log.info("now serving %d items from %s", len(catalog), self._settings.catalog_path)
        return True

    def _reload_segments_if_changed(self) -> None:
        """Segments rebuilt by `bot segments build` in another process take effect here."""
        stamp = files_stamp([self._settings.segments_path])
        if stamp != self._segments_stamp:
            self.segments = Segments.load(self._settings.segments_path, self.version.index.dimension)
            self._segments_stamp = stamp

    def use_segments(self, segments: Segments) -> None:
        """Serve newly built segments, saved beside the index for the other processes."""
        if self._settings is not None:
            segments.save(self._settings.segments_path)
            self._segments_stamp = files_stamp([self._settings.segments_path])
        self.segments = segments

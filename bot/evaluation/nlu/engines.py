"""The engines the request cases go through: the real :class:`bot.engine.Engine` on each set's
catalog, with its databases and state in a scratch folder so that nothing of the running bot
changes, but with the project's own embedding cache (read and written, as `bot eval` uses it) so
that goodbooks and MovieTweetings are embedded once and not on every run (about 4 minutes each).

MovieTweetings' ``movies.dat`` (``imdb_id::Title (Year)::Genre|Genre``) is no catalog file: it is
converted into one in the scratch folder as a shop would import it (:func:`movietweetings_catalog`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from bot.config import PROJECT_ROOT, Settings
from bot.evaluation.nlu.errors import NluEvalError

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
GOODBOOKS = "goodbooks-10k/books.csv"  # in the shared data folder
GOODBOOKS_MAPPING = PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.yml"
GOODBOOKS_QUESTIONNAIRE = PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.questionnaire.yml"
MOVIETWEETINGS = "movietweetings-100k/movies.dat"  # in the shared data folder


class RequestEngine(Protocol):
    """What the request cases use of :class:`bot.engine.Engine` (tests pass a fake)."""

    @property
    def catalog(self) -> Any: ...

    def read_wish(self, text: str) -> Any: ...

    def set_consent(self, sender_id: str, granted: bool, channel: str = "unknown") -> None: ...

    def recommend(self, sender_id: str, n: int = 5, wish: Any = ..., channel: str = "unknown") -> list[Any]: ...


EngineFactory = Callable[[Settings, str, Path], RequestEngine]


def catalog_settings(settings: Settings, catalog: str, workdir: Path) -> Settings:
    """Settings of an engine on the set's catalog with its state and databases in ``workdir`` and
    the embedding cache of ``settings``."""
    env = {"BOT_STATE_DIR": str(workdir), "BOT_DATABASE_URL": f"sqlite:///{workdir / 'bot.sqlite3'}",
           "BOT_TRACKER_URL": f"sqlite:///{workdir / 'tracker.sqlite3'}", "BOT_SHARED_DATA": str(settings.shared_data_dir)}
    if catalog == "demo":
        env["BOT_CATALOG"] = str(DEMO_CATALOG)
    elif catalog == "movietweetings":
        movies = settings.shared_data_dir / MOVIETWEETINGS
        if not movies.exists():
            raise NluEvalError(f"MovieTweetings not found at {movies}; set BOT_SHARED_DATA to the shared data folder")
        env["BOT_CATALOG"] = str(movietweetings_catalog(movies, workdir / "movietweetings.jsonl"))
    else:
        books = settings.shared_data_dir / GOODBOOKS
        if not books.exists():
            raise NluEvalError(f"goodbooks-10k not found at {books}; set BOT_SHARED_DATA to the shared data folder")
        env |= {"BOT_CATALOG": str(books), "BOT_CATALOG_MAPPING": str(GOODBOOKS_MAPPING),
                "BOT_QUESTIONNAIRE": str(GOODBOOKS_QUESTIONNAIRE)}
    return replace(Settings.from_env(env), embedding_cache_file=settings.embedding_cache_path)


def movietweetings_catalog(movies: Path, out: Path) -> Path:
    """``movies.dat`` written to ``out`` as a catalog (JSON Lines) the way a shop would import it: the
    IMDb id as the item id, the title without its year, the year, the genres as categories and a
    one-line description made from them ("Crime and drama film from 1972.")."""
    from bot.evaluation.data import load_movietweetings_items

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as file:
        for item in load_movietweetings_items(movies):
            genres = [genre.lower() for genre in item.categories]
            kind = ", ".join(genres[:-1]) + " and " + genres[-1] if len(genres) > 1 else "".join(genres)
            description = f"{kind} film".strip().capitalize() + (f" from {item.year}." if item.year else ".")
            row = {"id": item.id, "title": item.title, "description": description,
                   "categories": list(item.categories)}
            if item.year:
                row["year"] = item.year
            file.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def build_engine(settings: Settings, catalog: str, workdir: Path) -> RequestEngine:
    """The real engine on the set's catalog (imported only when a request set is measured)."""
    from bot.engine import Engine

    return Engine.from_settings(catalog_settings(settings, catalog, workdir))

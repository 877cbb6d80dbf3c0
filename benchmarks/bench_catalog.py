"""Catalog benchmarks: import throughput (cold and warm embedding cache) and a 1% update.

`bot catalog import` is timed as a user runs it (a new process: start-up, parsing,
validation, model load, embedding, writing), next to the library calls it is made of.

One part of `make bench` (benchmarks/run.py, which writes the docs): `main` returns the numbers.
Uses goodbooks-10k's books.csv (10,000 items) from ../shared/data through the shipped
column mapping. Times are medians of repeated runs where a run is cheap enough to repeat.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.catalog_files import ColumnMapping, load_catalog, read_catalog, write_catalog
from bot.config import PROJECT_ROOT, Settings
from bot.encoder import Encoder
from bot.engine import Engine

MAPPING = PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.yml"
REPEATS = 5


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def cli_import(source: Path, state_dir: Path) -> float:
    """Wall time of `bot catalog import` in a fresh process, as a user runs it."""
    command = [sys.executable, "-m", "bot.cli", "catalog", "import", str(source), "--mapping", str(MAPPING),
               "--out", str(state_dir / "books.jsonl")]
    env = {**os.environ, "BOT_STATE_DIR": str(state_dir), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> dict[str, object]:
    source = Settings.from_env().shared_data_dir / "goodbooks-10k/books.csv"
    mapping = ColumnMapping.from_yaml(MAPPING)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        parse_s = statistics.median(timed(lambda: read_catalog(source, mapping)) for _ in range(REPEATS))
        items, _ = read_catalog(source, mapping)
        texts = [item.embedding_text for item in items]

        cold = Encoder(scratch / "embeddings.npz")
        cold_s = timed(lambda: cold.encode(texts))
        warm_s = statistics.median(
            timed(lambda: Encoder(scratch / "embeddings.npz").encode(texts)) for _ in range(REPEATS)
        )

        import_cold_s = cli_import(source, scratch / "cli")  # an empty embedding cache
        import_warm_s = statistics.median(cli_import(source, scratch / "cli") for _ in range(3))

        # A running engine on the 10k catalog, then 1% of the descriptions change.
        catalog_path = scratch / "books.jsonl"
        write_catalog(items, catalog_path)
        settings = Settings.from_env({
            "BOT_CATALOG": str(catalog_path), "BOT_STATE_DIR": str(scratch),
            "BOT_DATABASE_URL": f"sqlite:///{scratch / 'bot.sqlite3'}",
        })
        engine = Engine.from_settings(settings)
        changed = [
            item if n % 100 else replace(item, description=item.description + " (new edition)")
            for n, item in enumerate(items)
        ]
        write_catalog(changed, catalog_path)
        update_s = timed(engine.reload_if_changed)
        assert len(load_catalog(catalog_path)) == len(engine.catalog) == len(items)

    return {
        "embed": {
            "items": len(items),
            "repeats": REPEATS,
            "cold_items_per_s": round(len(items) / cold_s, 1),
            "cached_items_per_s": round(len(items) / warm_s, 1),
        },
        "import": {
            "cold_items_per_s": round(len(items) / import_cold_s, 1),
            "warm_items_per_s": round(len(items) / import_warm_s, 1),
            "cold_s": round(import_cold_s, 1),
            "warm_s": round(import_warm_s, 2),
        },
        "catalog": {
            "parse_items_per_s": round(len(items) / parse_s, 1),
            "update_1pct_s": round(update_s, 2),
            "update_1pct_items": len(items) // 100,
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

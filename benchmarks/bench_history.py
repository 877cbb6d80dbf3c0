"""Importing a shop's past (`bot history import`, bot/history.py) and training on it.

Rows a second of a first import of a CSV order log into a new SQLite file and a new PostgreSQL
database (the median of RUNS imports, each into a fresh database), and of the same file again,
when every row is already stored; then `make train-recs` (``trained_model.train``) on
TRAIN_EVENTS imported events. The log is synthetic but shaped like a shop's: the demo catalog's
items with Zipf-like popularity, users with a geometric number of orders, a quantity and an
amount on every row.

`python benchmarks/bench_history.py` runs this part as `make bench` does and prints its results;
`--profile` prints where a SQLite import's time goes; `--batch-sizes 5000 20000 ...` compares batch
sizes side by side on SQLite (taking turns, `--runs` each); `--against DIR` compares first imports
by this tree's code with those by another version's, checked out in DIR (say
`git archive HEAD | tar -x -C DIR`), on SQLite and PostgreSQL, the two taking turns on the same
log, each import in a process of its own: on a shared machine both see the same load.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench_ingest import scratch_postgres, with_cached_embeddings

from bot import indexing, trained_model
from bot.catalog_files import load_configured_catalog
from bot.config import PROJECT_ROOT, Settings
from bot.encoder import Encoder
from bot.history import BATCH_ROWS, import_history
from bot.store import Store

ROWS = 200_000
RUNS = 3
TRAIN_EVENTS = 1_000_000
MEAN_ORDERS_PER_USER = 20
START = 1_640_995_200  # 2022-01-01: four years of a shop, the rows spread evenly over them
END = 1_764_892_800  # 2025-12-05, in the past on any machine running this

METHOD = (f"A synthetic order log of {ROWS:,} rows (CSV: user, item, time, type, quantity, value) over the demo "
          f"catalog's items, Zipf-like item popularity, {MEAN_ORDERS_PER_USER} orders a user on average, through "
          "`bot/history.py` as `bot history import` runs it: every row parsed and checked, keyed, stored in "
          f"batches of {BATCH_ROWS:,}. First import into a new database (median of {RUNS}, each into a fresh one), then the "
          f"same file again (every row already stored). Training: `make train-recs` (`trained_model.train`) on "
          f"{TRAIN_EVENTS:,} imported events in SQLite.")


def shop_log(path: Path, rows: int, item_ids: list[str], seed: int) -> Path:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(item_ids))]
    items = rng.choices(item_ids, weights=weights, k=rows)
    with path.open("w", encoding="utf-8") as out:
        out.write("user,item,time,type,quantity,value\n")
        user, left = 0, 0
        for number, item in enumerate(items):
            if left == 0:
                user, left = user + 1, 1 + int(rng.expovariate(1 / MEAN_ORDERS_PER_USER))
            left -= 1
            moment = START + number * (END - START) // rows
            out.write(f"c{user},{item},{moment},purchase,{1 + number % 3},{5 + number % 90}.99\n")
    return path


def timed_import(url: str, log: Path, items: set[str]) -> tuple[float, int]:
    store = Store(url)
    store.migrate()  # the tables exist before the clock starts
    started = time.perf_counter()
    report = import_history(store, items, log)
    seconds = time.perf_counter() - started
    store.engine.dispose()
    return seconds, report.stored + report.already_stored


def measure_imports(fresh_url: Callable[[], str], log: Path, items: set[str]) -> dict[str, float]:
    """Rows a second of RUNS first imports (each into ``fresh_url()``), then of the same file
    into the last database again."""
    firsts, url = [], ""
    for _ in range(RUNS):
        url = fresh_url()
        seconds, rows = timed_import(url, log, items)
        firsts.append(rows / seconds)
    again, rows = timed_import(url, log, items)
    return {"rows_per_s": round(statistics.median(firsts)), "runs": [round(r) for r in firsts],
            "again_rows_per_s": round(rows / again)}


def measure_training(state: Path, settings: Settings, items: list[str]) -> dict[str, float]:
    url = f"sqlite:///{state / 'train.sqlite3'}"
    seconds, _ = timed_import(url, shop_log(state / "train.csv", TRAIN_EVENTS, items, seed=11), set(items))
    store = Store(url)
    catalog = load_configured_catalog(settings)
    index = indexing.load_or_build_index(settings, catalog, Encoder(settings.embedding_cache_path))
    started = time.perf_counter()
    _, events = trained_model.train(store, catalog, index, state / "model")
    return {"events": events, "train_seconds": round(time.perf_counter() - started, 1),
            "import_seconds": round(seconds, 1)}


@contextmanager
def scratch_log() -> Iterator[tuple[Path, Settings, list[str], Path]]:
    """A scratch state directory, its settings, the demo catalog's item ids, and the order log
    of ROWS rows in that directory."""
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        state = with_cached_embeddings(Path(scratch))
        settings = Settings.from_env({"BOT_STATE_DIR": str(state)})
        item_ids = list(load_configured_catalog(settings).by_id)
        yield state, settings, item_ids, shop_log(state / "orders.csv", ROWS, item_ids, seed=7)


def run() -> dict[str, object]:
    with scratch_log() as (state, settings, item_ids, log):
        files = iter(range(RUNS + 1))
        results: dict[str, object] = {
            "method": METHOD, "rows": ROWS,
            "sqlite": measure_imports(lambda: f"sqlite:///{state / f'import-{next(files)}.sqlite3'}", log,
                                      set(item_ids)),
        }
        with ExitStack() as stack:
            databases = iter([stack.enter_context(scratch_postgres()) for _ in range(RUNS)])
            results["postgresql"] = measure_imports(databases.__next__, log, set(item_ids))
        results["train"] = measure_training(state, settings, item_ids)
        return results


def profile() -> None:
    with scratch_log() as (state, _, item_ids, log):
        store = Store(f"sqlite:///{state / 'profile.sqlite3'}")
        store.migrate()
        profiler = cProfile.Profile()
        profiler.runcall(import_history, store, set(item_ids), log)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def compare_batch_sizes(sizes: list[int], runs: int = RUNS) -> dict[int, int]:
    """Rows a second (median of ``runs``) of first SQLite imports in batches of each size, the
    sizes taking turns so that the machine's changing speed falls on all of them alike."""
    with scratch_log() as (state, _, item_ids, log):
        rates: dict[int, list[float]] = {size: [] for size in sizes}
        for run in range(runs):
            for size in sizes:
                store = Store(f"sqlite:///{state / f'ab-{run}-{size}.sqlite3'}")
                store.migrate()
                started = time.perf_counter()
                import_history(store, set(item_ids), log, batch_rows=size)
                rates[size].append(ROWS / (time.perf_counter() - started))
                store.engine.dispose()
        return {size: round(statistics.median(found)) for size, found in rates.items()}


def compare_versions(other: Path, runs: int = RUNS) -> dict[str, dict[str, dict[str, object]]]:
    """Rows a second of first imports (median of ``runs``, and each run) by this tree's code and
    by the code in ``other``, on SQLite and PostgreSQL: the two versions take turns, import by
    import, so that a busy machine slows both alike."""
    trees = {"this": PROJECT_ROOT, "other": other.resolve()}
    rates: dict[tuple[str, str], list[float]] = {(name, db): [] for name in trees for db in ("sqlite", "postgresql")}
    with scratch_log() as (state, _, _, log):
        for run in range(runs):
            for name, tree in trees.items():
                rates[name, "sqlite"].append(import_rate_in(tree, log, f"sqlite:///{state / f'{name}-{run}.sqlite3'}"))
                with scratch_postgres() as url:
                    rates[name, "postgresql"].append(import_rate_in(tree, log, url))
    return {f"{name}: {tree}": {db: {"rows_per_s": round(statistics.median(rates[name, db])),
                                     "runs": [round(rate) for rate in rates[name, db]]}
                                for db in ("sqlite", "postgresql")} for name, tree in trees.items()}


def import_rate_in(tree: Path, log: Path, url: str) -> float:
    """Rows a second of one first import of ``log`` into the empty database at ``url`` by the
    code in ``tree``: this script in a process whose `bot` package is the tree's."""
    done = subprocess.run([sys.executable, __file__, "--first-import", str(log), url], check=True, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return float(done.stdout)


def first_import_rate(log: Path, url: str) -> float:
    """Rows a second of a first import of ``log`` (written by ``scratch_log``) into ``url``."""
    items = set(load_configured_catalog(Settings.from_env({"BOT_STATE_DIR": str(log.parent)})).by_id)
    seconds, rows = timed_import(url, log, items)
    return rows / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--profile", action="store_true", help="where a first SQLite import's time goes (cProfile)")
    what.add_argument("--batch-sizes", type=int, nargs="+", metavar="ROWS",
                      help="rows a second of first SQLite imports in batches of these sizes, taking turns")
    what.add_argument("--against", type=Path, metavar="DIR",
                      help="rows a second of first imports by this tree's code and by the code in DIR, taking turns")
    what.add_argument("--first-import", nargs=2, metavar=("LOG", "URL"), help=argparse.SUPPRESS)  # --against's
    parser.add_argument("--runs", type=int, default=RUNS, help=f"imports of each kind to take the median of (default {RUNS})")
    args = parser.parse_args(argv)
    if args.profile:
        profile()
    elif args.batch_sizes:
        print(json.dumps(compare_batch_sizes(args.batch_sizes, args.runs)))
    elif args.against:
        print(json.dumps(compare_versions(args.against, args.runs), indent=2))
    elif args.first_import:
        print(first_import_rate(Path(args.first_import[0]), args.first_import[1]))
    else:
        print(json.dumps(run(), indent=2))


if __name__ == "__main__":
    main()

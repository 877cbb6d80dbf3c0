"""Recommendation latency and index quality at 10k, 100k and 1M items (issue 8).

Each request is ``Engine.recommend`` as a chat or site request runs it: consent and the
profile read from SQLite, the popularity prior (cached, bot/popularity.py), the taste vector,
the FAISS search, filters, the trained hybrid model (trend, co-occurrence, era, category),
MMR diversity, reasons, and the impressions written back. The mix: 70% "recommend me
something", 15% a category, 10% "more like this", 5% users without consent (popular picks).

Catalogs beyond the real ones are synthetic, and so are their vectors, made realistic rather
than uniform: the demo catalog's 603 real MiniLM embeddings are the cluster seeds; around each
seed sit "themes" (seed + Gaussian noise with the real embeddings' covariance, 0.7 of it), and
around each theme 50 items (theme + the same noise, 0.55 of it), every vector unit length.
Items inherit their seed's categories and year, 3% are out of stock. Users like items of 1-3
seeds, state two of their categories and love one item; the event log (views, clicks, likes,
dislikes, purchases, impressions over 30 days) follows a Zipf popularity.

recall@10 is the share of the exact top 10 that the index returns, for the taste vectors
(``Recommender.query_vector``) of the benchmark's requests. Times are wall-clock per request,
p50 and p99 over ``REQUESTS`` requests after ``WARMUP``; on a loaded machine p99 carries the
noise of other processes (the JSON says the load average at the start and end).

Each size has the index ``auto`` picks (the top-level keys, as ``benchmarks/run.py`` reads
them), exact and IVF side by side under ``kinds``, the same requests without a trained model
(``without_model``), sq8 and pq at 100k (``compression``), and the median time a request
spends in each step (``phases_ms``: profile read, FAISS search, scoring with the trained
model, impressions write), which says what bounds the total. The database steps cost the
same at any size; the trained model's parts grow with the co-occurrence neighbours of the user's
items, not with the catalog itself. recall@10 is bounded by nprobe, build time by k-means on 2 cores, bytes an
item by the codes (1,536, 384 or 192) plus ~200 bytes of ids and Python id lookups.

Run: ``.venv/bin/python benchmarks/bench_recommend.py`` (prints JSON, progress on stderr;
12-16 minutes on 2 cores). ``run()`` returns the same dict.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bot.catalog import Catalog, Item
from bot.catalog_files import load_catalog
from bot.config import PROJECT_ROOT, IndexSettings
from bot.encoder import Encoder
from bot.engine import Engine
from bot.index import ItemIndex, plan
from bot.profiles import Profile
from bot.recommender import Recommender, Request
from bot.recording import EventRecorder
from bot.schema import Consent, Event, Preference, User
from bot.store import Store
from bot.trained_model import train as train_model
from bot.vocabulary import EventType, PreferenceKind, utcnow

SIZES = (10_000, 100_000, 1_000_000)
COMPRESSION_SIZE = 100_000  # sq8 and pq are measured here: bytes an item do not depend on size
REQUESTS = 400
EXACT_REQUESTS_AT_1M = 100  # a flat scan of 1M items takes ~0.1 s: fewer requests, same percentiles
WARMUP = 20
PHASE_REQUESTS = 200
RECALL_QUERIES = 200
USERS = 3_000
EVENTS_PER_USER = 40
ITEMS_PER_THEME = 50
THEME_NOISE = 0.7
ITEM_NOISE = 0.55
SEED = 7
DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
EVENT_MIX = {  # share of a user's events, and whether it is about their own taste
    EventType.VIEW: (0.40, False), EventType.CLICK: (0.15, False), EventType.IMPRESSION: (0.15, False),
    EventType.LIKE: (0.15, True), EventType.ADD_TO_CART: (0.04, True), EventType.PURCHASE: (0.03, True),
    EventType.DISLIKE: (0.05, False), EventType.NOT_INTERESTED: (0.03, False),
}


def progress(started: float, message: str) -> None:
    """A line on stderr per phase: the run takes minutes, stdout is the JSON."""
    print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)


# --- synthetic data ---------------------------------------------------------------------


def demo_embeddings(cache_dir: Path) -> tuple[Catalog, np.ndarray]:
    """The demo catalog and its real MiniLM vectors (embedded once, cached beside the run)."""
    catalog = load_catalog(DEMO_CATALOG)
    vectors = Encoder(cache_dir / "embeddings.npz").encode([item.embedding_text for item in catalog.items])
    return catalog, vectors


def synthetic_vectors(n: int, seeds: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors clustered like real embeddings, and each one's seed row (see module doc)."""
    centered = seeds - seeds.mean(axis=0)
    _, spread, directions = np.linalg.svd(centered, full_matrices=False)
    covariance_root = ((spread / np.sqrt(len(seeds)))[:, None] * directions).astype(np.float32)

    def noise(count: int) -> np.ndarray:
        return rng.standard_normal((count, len(spread)), dtype=np.float32) @ covariance_root

    themes = max(1, n // ITEMS_PER_THEME)
    theme_seed = rng.integers(0, len(seeds), themes)
    centres = seeds[theme_seed] + THEME_NOISE * noise(themes)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    theme = rng.integers(0, themes, n)
    vectors = np.empty((n, seeds.shape[1]), dtype=np.float32)
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        block = centres[theme[lo:hi]] + ITEM_NOISE * noise(hi - lo)
        vectors[lo:hi] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors, theme_seed[theme]


def synthetic_catalog(seed_rows: np.ndarray, demo: Catalog, rng: np.random.Generator) -> Catalog:
    years = rng.integers(-3, 4, len(seed_rows))
    stocked = rng.random(len(seed_rows)) > 0.03
    items = []
    for row, (seed, shift, available) in enumerate(zip(seed_rows.tolist(), years.tolist(), stocked.tolist())):
        base = demo.items[seed]
        items.append(Item(id=f"item-{row:07d}", title=f"{base.title} {row}", description="",
                          categories=base.categories, year=(base.year + shift) if base.year else None,
                          available=available))
    return Catalog(Path("synthetic"), tuple(items))


def fill_store(store: Store, catalog: Catalog, seed_rows: np.ndarray, rng: np.random.Generator) -> list[str]:
    """USERS consenting users with preferences and an event log; their sender ids."""
    by_seed = np.argsort(seed_rows, kind="stable")
    starts = np.searchsorted(seed_rows[by_seed], np.arange(seed_rows.max() + 2))
    zipf = np.cumsum(1.0 / np.arange(1, len(catalog) + 1) ** 1.1)
    zipf /= zipf[-1]  # cumulative: a uniform draw's insertion point is a Zipf-distributed rank
    popular_rows = rng.permutation(len(catalog))  # which items the Zipf ranks are
    now, types = utcnow(), list(EVENT_MIX)
    shares = np.array([share for share, _ in EVENT_MIX.values()])
    users, consents, preferences, events = [], [], [], []
    for number in range(USERS):
        sender = f"user-{number}"
        tastes = rng.choice(np.flatnonzero(np.diff(starts) > 0), rng.integers(1, 4), replace=False)
        own = np.concatenate([by_seed[starts[s]:starts[s + 1]] for s in tastes])
        loved = catalog.items[int(rng.choice(own))]
        categories = list(dict.fromkeys(c for s in tastes for c in catalog.items[by_seed[starts[s]]].categories))[:2]
        users.append({"sender_id": sender, "created_at": now - timedelta(days=30), "onboarded_at": now})
        consents.append({"sender_id": sender, "granted": True, "channel": "bench", "created_at": now})
        preferences += [{"sender_id": sender, "kind": str(PreferenceKind.CATEGORY), "value": c, "created_at": now}
                        for c in categories]
        preferences.append({"sender_id": sender, "kind": str(PreferenceKind.ITEM), "value": loved.id,
                            "created_at": now})
        for choice in rng.choice(len(types), rng.poisson(EVENTS_PER_USER), p=shares):
            kind = types[choice]
            row = int(rng.choice(own)) if EVENT_MIX[kind][1] else int(popular_rows[np.searchsorted(zipf, rng.random())])
            events.append({"sender_id": sender, "type": str(kind), "item_id": catalog.items[row].id,
                           "category": None, "channel": "bench",
                           "created_at": now - timedelta(seconds=float(rng.uniform(60, 30 * 86400)))})
    with store.transaction() as session:
        for model, rows in ((User, users), (Consent, consents), (Preference, preferences), (Event, events)):
            session.execute(insert(model), rows)
    return [user["sender_id"] for user in users]


# --- measuring --------------------------------------------------------------------------


def request_mix(senders: list[str], catalog: Catalog, count: int, rng: np.random.Generator) -> list[dict]:
    """Keyword arguments of Engine.recommend for ``count`` requests, the same for every index."""
    categories = catalog.categories
    requests = []
    for _ in range(count):
        draw = rng.random()
        sender = senders[int(rng.integers(len(senders)))]
        if draw < 0.05:
            requests.append({"sender_id": f"visitor-{int(rng.integers(10**9))}"})
        elif draw < 0.15:
            requests.append({"sender_id": sender, "like_item": catalog.items[int(rng.integers(len(catalog)))].id})
        elif draw < 0.30:
            requests.append({"sender_id": sender, "category": categories[int(rng.integers(len(categories)))]})
        else:
            requests.append({"sender_id": sender})
    return requests


def timed_requests(engine: Engine, requests: list[dict]) -> dict[str, float]:
    for kwargs in requests[:WARMUP]:
        engine.recommend(n=5, channel="bench", **kwargs)
    times, returned = [], []
    for kwargs in requests[WARMUP:]:
        started = time.perf_counter()
        picks = engine.recommend(n=5, channel="bench", **kwargs)
        times.append((time.perf_counter() - started) * 1000)
        returned.append(len(picks))
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(float(np.percentile(times, 99)), 2),
            "mean_ms": round(statistics.fmean(times), 2), "requests": len(times),
            "picks_per_request": round(statistics.fmean(returned), 2)}


def taste_queries(recommender: Recommender, store: Store, requests: list[dict]) -> np.ndarray:
    """The query vectors the benchmark's requests search with (users' taste, steered)."""
    queries = []
    for kwargs in requests:
        if "sender_id" in kwargs and kwargs["sender_id"].startswith("user-"):
            profile = Profile.load(store, kwargs["sender_id"])
            query = recommender.query_vector(
                profile, Request(categories=tuple(filter(None, [kwargs.get("category")])),
                                 seed_items=tuple(filter(None, [kwargs.get("like_item")]))))
            if query is not None:
                queries.append(query)
        if len(queries) == RECALL_QUERIES:
            break
    return np.stack(queries).astype(np.float32)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """Row numbers of each query's k nearest items by brute force (the ground truth)."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    for lo in range(0, len(vectors), 100_000):
        scores = queries @ vectors[lo:lo + 100_000].T
        rows = np.broadcast_to(np.arange(lo, lo + scores.shape[1]), scores.shape)
        scores, rows = np.hstack([best_scores, scores]), np.hstack([best_rows, rows])
        keep = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores, best_rows = np.take_along_axis(scores, keep, 1), np.take_along_axis(rows, keep, 1)
    return best_rows


def recall_at_10(index: ItemIndex, queries: np.ndarray, truth: np.ndarray) -> float:
    rows = {item_id: row for row, item_id in enumerate(index.item_ids)}
    overlaps = [len({rows[i] for i, _ in index.search(query, 10)} & set(expected.tolist())) / 10
                for query, expected in zip(queries, truth)]
    return round(float(np.mean(overlaps)), 4)


def memory_per_item(index: ItemIndex) -> dict[str, float]:
    """Bytes an item: the saved FAISS file, and what loading the whole index adds to a fresh
    process's resident memory (FAISS structures, the item ids and their lookups)."""
    with tempfile.TemporaryDirectory() as scratch:
        index.save(Path(scratch))
        file_bytes = (Path(scratch) / "items.faiss").stat().st_size
        probe = (
            "import sys; from pathlib import Path; from bot.index import ItemIndex\n"
            "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
            "before = rss(); index = ItemIndex.load(Path(sys.argv[1])); print(rss() - before)\n"
        )
        loaded = int(subprocess.run([sys.executable, "-c", probe, scratch], check=True, capture_output=True,
                                    text=True, cwd=PROJECT_ROOT).stdout)
    return {"file_bytes_per_item": round(file_bytes / len(index), 1),
            "resident_bytes_per_item": round(loaded / len(index), 1)}


def engine_for(catalog: Catalog, index: ItemIndex, store: Store, model) -> Engine:
    return Engine(catalog, index, Encoder(None), store, model=model)


def measure_index(catalog, vectors, settings, store, model, requests, queries, truth, exact_requests=None):
    """Build one index as ``settings`` say, then time the requests through a fresh engine on it and
    measure its recall@10 against ``truth`` and its bytes an item."""
    started = time.perf_counter()
    index = ItemIndex.build([item.id for item in catalog.items], vectors, "synthetic", settings)
    build_s = time.perf_counter() - started
    engine = engine_for(catalog, index, store, model)
    timing = timed_requests(engine, requests[:exact_requests] if exact_requests else requests)
    return {
        "index": index.layout.describe() + _breadth(index),
        **timing,
        "recall@10": recall_at_10(index, queries, truth),
        "build_s": round(build_s, 1),
        **memory_per_item(index),
    }


def _breadth(index: ItemIndex) -> str:
    if index.layout.kind == "ivf":
        return f" nprobe={index.settings.nprobe}"
    return f" efSearch={index.settings.ef_search}" if index.layout.kind == "hnsw" else ""


def phase_times(engine: Engine, store: Store, index: ItemIndex, requests: list[dict]) -> dict[str, float]:
    """Median milliseconds a request spends in each step, by timing the methods the engine
    calls during the requests (wrapped on the engine's ``store`` and ``index``, and on the
    classes of the parts it builds itself, for this run only): what bounds the total."""
    phases = {"profile read (SQLite)": (store, "user_record"), "FAISS search": (index, "search"),
              "scoring": (Recommender, "score_items"), "of which the trained model": (Recommender, "_model_parts"),
              "impressions write (SQLite)": (EventRecorder, "record")}
    originals = {name: vars(owner).get(attribute) for name, (owner, attribute) in phases.items()}
    spent: dict[str, float] = {}

    def timed(name: str, method):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - started) * 1000
        return call

    for name, (owner, attribute) in phases.items():
        setattr(owner, attribute, timed(name, getattr(owner, attribute)))
    per_request: dict[str, list[float]] = {name: [] for name in [*phases, "total"]}
    try:
        for kwargs in requests:
            spent.clear()
            started = time.perf_counter()
            engine.recommend(n=5, channel="bench", **kwargs)
            spent["total"] = (time.perf_counter() - started) * 1000
            for name in per_request:
                per_request[name].append(spent.get(name, 0.0))
    finally:
        for name, (owner, attribute) in phases.items():
            if originals[name] is None:  # wrapped on the instance: its class's method is back
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, originals[name])
    return {name: round(statistics.median(times), 2) for name, times in per_request.items()}


def run() -> dict:
    rng = np.random.default_rng(SEED)
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]},
                     "vectors": "synthetic: real MiniLM embeddings of the demo catalog's 603 items as "
                                f"seeds, {ITEMS_PER_THEME} items a theme, Gaussian noise with the real "
                                f"covariance ({THEME_NOISE} theme, {ITEM_NOISE} item), unit length"}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        demo, seeds = demo_embeddings(Path(os.environ.get("BENCH_CACHE", scratch)))
        for size in SIZES:
            progress(started, f"{size:,} items: vectors, catalog, users, model")
            vectors, seed_rows = synthetic_vectors(size, seeds, rng)
            catalog = synthetic_catalog(seed_rows, demo, rng)
            store = Store(f"sqlite:///{scratch / f'bench-{size}.sqlite3'}")
            senders = fill_store(store, catalog, seed_rows, rng)
            exact = ItemIndex.build([item.id for item in catalog.items], vectors, "synthetic",
                                    IndexSettings(kind="exact"))
            model, interactions = train_model(store, catalog, exact, scratch / f"model-{size}.npz")
            requests = request_mix(senders, catalog, REQUESTS + WARMUP, rng)
            queries = taste_queries(Recommender(catalog, exact), store, requests)
            truth = exact_top(vectors, queries)
            del exact
            gc.collect()
            auto = plan(IndexSettings(), size, vectors.shape[1]).kind
            kinds = {}
            for kind in ("exact", "ivf"):
                progress(started, f"{size:,} items: {kind}")
                kinds[kind] = measure_index(
                    catalog, vectors, IndexSettings(kind=kind), store, model, requests, queries, truth,
                    exact_requests=EXACT_REQUESTS_AT_1M + WARMUP if kind == "exact" and size >= 1_000_000 else None)
                gc.collect()
            entry = {**kinds[auto], "auto_picks": auto, "kinds": kinds, "users": USERS,
                     "interactions": interactions, "model": "trained (trend, co-occurrence, era, category)"}
            progress(started, f"{size:,} items: {auto} without a trained model")
            entry["without_model"] = measure_index(catalog, vectors, IndexSettings(), store, None, requests,
                                                     queries, truth)
            if size == COMPRESSION_SIZE:
                progress(started, f"{size:,} items: sq8 and pq")
                entry["compression"] = {
                    name: measure_index(catalog, vectors, IndexSettings(kind="ivf", compression=name), store,
                                        model, requests, queries, truth)
                    for name in ("sq8", "pq")
                }
            progress(started, f"{size:,} items: time in each step of {PHASE_REQUESTS} requests")
            index = ItemIndex.build([item.id for item in catalog.items], vectors, "synthetic", IndexSettings())
            entry["phases_ms"] = phase_times(engine_for(catalog, index, store, model), store, index,
                                             requests[WARMUP:WARMUP + PHASE_REQUESTS])
            del index
            results[str(size)] = entry
            del vectors, catalog, store, model
            gc.collect()
    results["machine"]["load_average_at_end"] = os.getloadavg()[0]
    results["total_s"] = round(time.perf_counter() - started, 1)
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

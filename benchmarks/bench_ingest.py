"""Event ingest latency: one event through `Engine.record_event`, the call the action server
(a like, a dislike, a click in chat) and the site events API (`POST /api/events`) make.

Measured on SQLite (a file in a temporary directory) and on PostgreSQL (a scratch database,
created and dropped), on the demo catalog, with the engine as `Engine.from_settings` builds it
(outbox included). Users consent first (without consent nothing is written, which would
measure a cheaper path); then events of a realistic mix (site views and clicks, chat likes,
some purchases) arrive interleaved across users, each user doing a handful (geometric, mean
10), one at a time: the latency of one request, not the throughput of many.
Also `POST /api/events` in process (FastAPI's TestClient, no network) on PostgreSQL: the
same call plus validation, the key check and the per-user rate limit.

`python benchmarks/bench_ingest.py --profile` prints where the PostgreSQL time goes (cProfile).
"""

from __future__ import annotations

import cProfile
import dataclasses
import functools
import json
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine as SqlEngine

from bot.config import PROJECT_ROOT, Settings
from bot.encoder import Encoder
from bot.engine import Engine
from bot.outbox import Outbox
from bot.questionnaire import Questionnaire
from bot.serving import load_catalog_parts
from bot.store import Store
from bot.vocabulary import EventType

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
EVENTS = 2000  # measured, after WARMUP not measured (connections opened, caches and plans warm)
WARMUP = 200
API_EVENTS = 500
MEAN_EVENTS_PER_USER = 10
SITE_KEY = "bench-site-key"
# What users do, by how often: most events are site views and clicks, chat feedback is rarer.
MIX = {EventType.VIEW: 40, EventType.CLICK: 25, EventType.LIKE: 12, EventType.ADD_TO_CART: 10,
       EventType.DISLIKE: 5, EventType.PURCHASE: 5, EventType.NOT_INTERESTED: 3}

METHOD = (f"{EVENTS:,} events (after {WARMUP} not counted) through `Engine.record_event`, the call the action "
          "server and `POST /api/events` make, one at a time, on the demo catalog; users consented first and do "
          f"{MEAN_EVENTS_PER_USER} events each on average (site views and clicks, chat likes and dislikes, "
          "purchases), interleaved. SQLite: a file in a temporary directory (WAL); PostgreSQL: a scratch "
          f"database on 127.0.0.1. `POST /api/events`: {API_EVENTS} requests in process (TestClient, no network).")
Event = tuple[str, EventType, str]


def workload(item_ids: list[str], count: int, seed: int) -> tuple[list[str], list[Event]]:
    """Users and their events, interleaved: each user does a geometric number (mean 10)."""
    rng = random.Random(seed)
    users: list[str] = []
    events: list[Event] = []
    while len(events) < count:
        user = f"bench-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
        users.append(user)
        while True:
            kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
            events.append((user, kind, rng.choice(item_ids)))
            if rng.random() < 1 / MEAN_EVENTS_PER_USER:
                break
    rng.shuffle(events)
    return users, events[:count]


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.array(samples_s) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "max_ms": round(float(ms.max()), 2), "events": len(ms)}


def consenting_workload(engine: Engine, count: int, seed: int) -> list[Event]:
    """The workload's events, after each of its users has consented (not timed)."""
    users, events = workload(list(engine.catalog.by_id), count, seed)
    for user in users:
        engine.set_consent(user, True, channel="bench")
    return events


@contextmanager
def database_calls(store_engine: SqlEngine) -> Iterator[Counter[str]]:
    """Counts what the engine sends its database: statements, commits, and pool checkouts
    (each pings the server first: pool_pre_ping)."""
    calls: Counter[str] = Counter()
    targets = {"statement": (store_engine, "before_cursor_execute"), "commit": (store_engine, "commit"),
               "ping": (store_engine.pool, "checkout")}
    listeners = {kind: functools.partial(_count, calls, kind) for kind in targets}
    for kind, (target, name) in targets.items():
        event.listen(target, name, listeners[kind])
    try:
        yield calls
    finally:
        for kind, (target, name) in targets.items():
            event.remove(target, name, listeners[kind])


def _count(calls: Counter[str], kind: str, *_args: object) -> None:
    calls[kind] += 1


def measure(engine: Engine, store: Store, seed: int) -> dict[str, object]:
    """Latency of record_event over EVENTS events, after WARMUP; and the database work per
    event (what the engine sends ``store``, its database)."""
    events = consenting_workload(engine, WARMUP + EVENTS, seed)
    samples = []
    with database_calls(store.engine) as calls:
        for user, kind, item_id in events:
            started = time.perf_counter()
            engine.record_event(user, kind, item_id, channel="bench")
            samples.append(time.perf_counter() - started)
    stats = percentiles(samples[WARMUP:])
    stats["users"] = len({user for user, _, _ in events})
    stats["per_event"] = {kind: round(count / len(events), 2) for kind, count in sorted(calls.items())}
    return stats


def measure_api(engine: Engine, settings: Settings) -> dict[str, float]:
    """POST /api/events in process: the engine call plus FastAPI's validation, auth and limits."""
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    # Limits so high that none answers 429: the benchmark is the path, not the limiter.
    configured = dataclasses.replace(settings, site_key=SITE_KEY, rate_limit_per_key=10**9,
                                     rate_limit_per_user=10**9)
    client = TestClient(create_app(configured, engine_factory=lambda _settings: engine))
    events = consenting_workload(engine, WARMUP + API_EVENTS, seed=2)
    headers = {"Authorization": f"Bearer {SITE_KEY}"}
    samples = []
    for user, kind, item_id in events:
        started = time.perf_counter()
        response = client.post("/api/events", json={"user_id": user, "type": str(kind), "item_id": item_id},
                               headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 202:
            raise RuntimeError(f"POST /api/events answered {response.status_code}: {response.text}")
    return percentiles(samples[WARMUP:])


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run, dropped afterwards."""
    name = f"bench_ingest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def with_cached_embeddings(state_dir: Path) -> Path:
    """The state directory, given the demo catalog's embeddings if `make index` made them
    (so that building the index runs no model)."""
    cache = PROJECT_ROOT / "var/embeddings.npz"
    if cache.exists():
        shutil.copy(cache, state_dir / cache.name)
    return state_dir


def engine_on(state_dir: Path, database_url: str) -> tuple[Engine, Store, Settings]:
    """The engine as the servers build it (as ``Engine.from_settings`` does, without the
    tracker store and experiments an event does not touch), on the demo catalog and this
    database; and its store, whose database calls are counted."""
    settings = Settings.from_env({"BOT_STATE_DIR": str(state_dir), "BOT_DATABASE_URL": database_url})
    store, encoder = Store(database_url), Encoder(settings.embedding_cache_path)
    catalog, index, model = load_catalog_parts(settings, encoder)
    engine = Engine(catalog, index, encoder, store, model, settings, Questionnaire.from_yaml(settings.questionnaire_path),
                    outbox=Outbox(settings.outbox_dir))
    return engine, store, settings


def floors(state: Path, postgres: SqlEngine) -> dict[str, dict[str, float]]:
    """What no stored event can beat here, measured next to it: a disk flush (fdatasync of
    4 KB, which every commit waits for), and on PostgreSQL a bare round trip (SELECT 1) and
    a bare one-row INSERT + COMMIT."""
    def timed(step, count: int = 500) -> dict[str, float]:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            step()
            samples.append(time.perf_counter() - started)
        return {key: value for key, value in percentiles(samples).items() if key.startswith("p")}

    descriptor = os.open(state / "flush-probe", os.O_WRONLY | os.O_CREAT)
    try:
        flush = timed(lambda: (os.write(descriptor, b"x" * 4096), os.fdatasync(descriptor)))
    finally:
        os.close(descriptor)
    with postgres.connect() as connection:
        connection.execute(text("CREATE TABLE flush_probe (id serial PRIMARY KEY, note text)"))
        connection.commit()
        round_trip = timed(lambda: connection.execute(text("SELECT 1")).scalar())
        insert_commit = timed(lambda: (connection.execute(text("INSERT INTO flush_probe (note) VALUES ('x')")),
                                       connection.commit()))
        connection.execute(text("DROP TABLE flush_probe"))
        connection.commit()
    return {"disk_flush": flush, "postgresql_round_trip": round_trip, "postgresql_insert_commit": insert_commit}


def bounds(results: dict) -> None:
    """Each path's "bounded by", from what it sent the database and the floors measured beside it."""
    floor = results["floors"]
    flush, trip, commit = (floor[key] for key in ("disk_flush", "postgresql_round_trip", "postgresql_insert_commit"))
    for key in ("sqlite", "postgresql"):
        calls = results[key]["per_event"]
        results[key]["bounded_by"] = (
            f"{calls['statement']:g} SQL statements, a commit and a pool ping per event"
            + (f" (each a round trip to the server: bare SELECT 1 p50 {trip['p50_ms']:g} / "
               f"p99 {trip['p99_ms']:g} ms here; bare INSERT + COMMIT p50 {commit['p50_ms']:g} / "
               f"p99 {commit['p99_ms']:g} ms)" if key == "postgresql" else "")
            + f"; the commit's disk flush (fdatasync here p50 {flush['p50_ms']:g} / p99 {flush['p99_ms']:g} ms); "
            "waiting for a CPU when the machine is busy")
    results["api_postgresql"]["bounded_by"] = ("`record_event` on PostgreSQL (above), plus FastAPI: body "
                                               "validation, the key check, the per-user limit (in process)")


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as scratch:
        state = with_cached_embeddings(Path(scratch))  # one index for both engines, built once
        sqlite_engine, sqlite_store, _ = engine_on(state, f"sqlite:///{state / 'bot.sqlite3'}")
        results: dict[str, object] = {"method": METHOD, "sqlite": measure(sqlite_engine, sqlite_store, seed=1)}
        sqlite_store.engine.dispose()
        with scratch_postgres() as url:
            engine, store, settings = engine_on(state, url)
            results["postgresql"] = measure(engine, store, seed=1)
            results["api_postgresql"] = measure_api(engine, settings)
            results["floors"] = floors(state, store.engine)
            store.engine.dispose()
    bounds(results)
    return results


def profile() -> None:
    """Where one PostgreSQL record_event spends its time, heaviest first (cumulative)."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as scratch, scratch_postgres() as url:
        engine, store, _ = engine_on(with_cached_embeddings(Path(scratch)), url)
        measure(engine, store, seed=3)  # warm
        events = consenting_workload(engine, EVENTS, seed=4)
        profiler = cProfile.Profile()
        profiler.enable()
        for user, kind, item_id in events:
            engine.record_event(user, kind, item_id, channel="bench")
        profiler.disable()
        store.engine.dispose()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    if "--profile" in sys.argv[1:]:
        profile()
    else:
        print(json.dumps(run(), indent=2))

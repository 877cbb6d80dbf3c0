"""Fixtures shared by every test: the demo catalog's engine, fresh databases per test."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.catalog import Catalog, load_catalog  # noqa: E402
from bot.config import PROJECT_ROOT, Settings  # noqa: E402
from bot.encoder import Encoder  # noqa: E402
from bot.engine import Engine, build_index  # noqa: E402
from bot.index import ItemIndex  # noqa: E402
from bot.store import Store  # noqa: E402

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory) -> Path:
    """Embedding cache and index shared by the whole run (the catalog does not change)."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEMO_CATALOG)


@pytest.fixture(scope="session")
def encoder(state_dir) -> Encoder:
    return Encoder(state_dir / "embeddings.npz")


@pytest.fixture(scope="session")
def index(catalog, encoder) -> ItemIndex:
    return build_index(catalog, encoder)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Run a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def store(sqlite_url) -> Store:
    return Store(sqlite_url)


@pytest.fixture
def engine(catalog, index, encoder, store) -> Engine:
    """The real engine on the demo catalog with an empty SQLite database."""
    return Engine(catalog, index, encoder, store)


@pytest.fixture
def settings(tmp_path, state_dir) -> Settings:
    return Settings.from_env(
        {
            "BOT_STATE_DIR": str(state_dir),
            "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "BOT_CATALOG": str(DEMO_CATALOG),
        }
    )


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained Rasa model for the current training data (trained once if missing)."""
    subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/bot"), "nlu", "lookups", "--out", "build/nlu/catalog_lookups.yml"],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )
    result = subprocess.run(
        [str(PROJECT_ROOT / "scripts/train-rasa")], cwd=PROJECT_ROOT, check=True,
        capture_output=True, text=True,
    )
    return PROJECT_ROOT / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def rasa_env() -> dict[str, str]:
    """Environment for Rasa commands: no telemetry, no warning about Rasa's own SQLAlchemy use."""
    return {**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false"}

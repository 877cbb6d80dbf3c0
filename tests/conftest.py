"""Fixtures shared by every test: the demo catalog's engine, fresh databases per test."""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.catalog import Catalog  # noqa: E402
from bot.catalog_files import ColumnMapping, load_catalog  # noqa: E402
from bot.config import PROJECT_ROOT, Settings  # noqa: E402
from bot.encoder import Encoder  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.index import ItemIndex  # noqa: E402
from bot.indexing import build_index
from bot.store import Store  # noqa: E402

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
GOODBOOKS_MAPPING = PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.yml"
GOODBOOKS_QUESTIONNAIRE = PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.questionnaire.yml"
pytest_plugins = ("live_servers",)  # the real servers, shared across test folders

ACTION_TOKEN = secrets.token_urlsafe(24)  # what the tests' Rasa servers send their action servers
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


@pytest.fixture(scope="session")
def goodbooks_path() -> Path:
    """goodbooks-10k's books.csv in the shared data (never copied into the repo)."""
    path = Settings.from_env().shared_data_dir / "goodbooks-10k/books.csv"
    if not path.exists():
        pytest.fail(f"goodbooks-10k not found at {path}; set BOT_SHARED_DATA to the shared data folder")
    return path


@pytest.fixture(scope="session")
def goodbooks_env(goodbooks_path) -> dict[str, str]:
    """The settings that switch the bot to goodbooks-10k: catalog, column mapping, wording."""
    return {
        "BOT_CATALOG": str(goodbooks_path),
        "BOT_CATALOG_MAPPING": str(GOODBOOKS_MAPPING),
        "BOT_QUESTIONNAIRE": str(GOODBOOKS_QUESTIONNAIRE),
    }


@pytest.fixture(scope="session")
def goodbooks(goodbooks_path) -> Catalog:
    """A second, foreign catalog (10,000 books) read through its column mapping."""
    return load_catalog(goodbooks_path, ColumnMapping.from_yaml(GOODBOOKS_MAPPING))


@pytest.fixture(scope="session")
def goodbooks_index(goodbooks, encoder) -> ItemIndex:
    """Its index; the embeddings land in the session cache, so every later user is warm."""
    return build_index(goodbooks, encoder)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


def _create_postgres_db() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_db(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def new_postgres_db() -> Iterator:
    """new_postgres_db() -> the URL of a fresh PostgreSQL database, dropped at the end of the run."""
    created: list[str] = []

    def create() -> str:
        created.append(_create_postgres_db())
        return created[-1]

    yield create
    for url in created:
        _drop_postgres_db(url)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    url = _create_postgres_db()
    try:
        yield url
    finally:
        _drop_postgres_db(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Run a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def store(sqlite_url) -> Store:
    return Store(sqlite_url)


@pytest.fixture
def engine(catalog, index, encoder, store) -> Engine:
    """The real engine on the demo catalog over the ``store`` fixture (an empty SQLite
    database): a test reads what the engine stored through that same ``store``."""
    return Engine(catalog, index, encoder, store)


@pytest.fixture
def remember(engine):
    """remember(*sender_ids): these users said yes to being remembered (onboarding asks first)."""

    def grant(*sender_ids: str) -> None:
        for sender_id in sender_ids:
            engine.set_consent(sender_id, True)

    return grant


@pytest.fixture
def settings(tmp_path, state_dir) -> Settings:
    return Settings.from_env(
        {
            "BOT_STATE_DIR": str(state_dir),
            "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "BOT_CATALOG": str(DEMO_CATALOG),
        }
    )


def _trained_rasa_model(lookups_dir: str, catalog_env: dict[str, str]) -> Path:
    """The Rasa model for a catalog's lookup tables (trained only if missing), as `make train`."""
    env = {**os.environ, **catalog_env}
    subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/bot"), "nlu", "lookups", "--out", f"{lookups_dir}/catalog_lookups.yml"],
        cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
    )
    result = subprocess.run(
        [str(PROJECT_ROOT / "scripts/train-rasa"), lookups_dir], cwd=PROJECT_ROOT, env=env, check=True,
        capture_output=True, text=True,
    )
    return PROJECT_ROOT / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def train_rasa():
    """train_rasa(lookups_dir, catalog_env) -> the model for that catalog (trained if missing)."""
    return _trained_rasa_model


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained Rasa model for the demo catalog and the current training data."""
    return _trained_rasa_model("build/nlu", {"BOT_CATALOG": str(DEMO_CATALOG)})


@pytest.fixture(scope="session")
def rasa_env() -> dict[str, str]:
    """Environment for Rasa commands: no telemetry, no warning about Rasa's own SQLAlchemy use, and
    the secret the action servers of the tests demand (actions/guard.py)."""
    return {**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
            "BOT_ACTION_TOKEN": ACTION_TOKEN}

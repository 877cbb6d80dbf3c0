"""Fixtures for the unit tests of ``bot/`` (on top of ``tests/conftest.py``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# SQLAlchemy 2.1 maps a bare ``postgresql://`` URL to the psycopg 3 driver, which is not
# installed (only psycopg2-binary is locked); see test_store.py::test_plain_postgresql_url_works.
# So that the PostgreSQL half of the store tests still runs, the unit tests name the driver.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (psycopg2 driver), dropped afterwards.

    Overrides the fixture of the same name in tests/conftest.py for tests/unit only,
    so the shared ``database_url`` fixture picks this one up.
    """
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


@pytest.fixture
def recommender(catalog, index):
    """A Recommender with the default diversity over the real demo catalog."""
    from bot.recommender import Recommender

    return Recommender(catalog, index)


@pytest.fixture
def any_store(database_url):
    """A Store on SQLite and on PostgreSQL (each test runs twice), disposed afterwards."""
    from bot.store import Store

    store = Store(database_url)
    yield store
    store.engine.dispose()

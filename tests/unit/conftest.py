"""Fixtures for the unit tests of ``bot/`` (on top of ``tests/conftest.py``)."""

from __future__ import annotations

import pytest

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

"""Fixtures of the evaluation tests: the real MovieTweetings snapshot and tiny hand-made logs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.evaluation.data import RatedInteractionLog, load_movietweetings
from bot.evaluation.split import make_split


def shared_data_dir() -> Path:
    """``../shared/data`` beside the project, or ``BOT_SHARED_DATA`` (as the settings read it)."""
    env = {key: value for key, value in os.environ.items() if key == "BOT_SHARED_DATA"}
    return Settings.from_env(env).shared_data_dir


@pytest.fixture(scope="session")
def movietweetings_dir() -> Path:
    path = shared_data_dir() / "movietweetings-100k"
    if not (path / "ratings.dat").exists():
        pytest.fail(f"MovieTweetings not found at {path}; set BOT_SHARED_DATA to the shared data folder")
    return path


@pytest.fixture(scope="session")
def movietweetings(movietweetings_dir):
    """(log, items) of the real snapshot, loaded once per run."""
    return load_movietweetings(movietweetings_dir)


@pytest.fixture(scope="session")
def mt_split(movietweetings):
    log, items = movietweetings
    return make_split(log, [item.categories for item in items])


def toy_log(rows, n_items: int | None = None, item_ids=None) -> RatedInteractionLog:
    """A log from ``(user, item, time[, rating])`` tuples; users and items are row numbers."""
    users = np.array([row[0] for row in rows], dtype=np.int32)
    items = np.array([row[1] for row in rows], dtype=np.int32)
    times = np.array([row[2] for row in rows], dtype=np.int64)
    ratings = np.array([row[3] if len(row) > 3 else 0 for row in rows], dtype=np.float32)
    n_items = n_items if n_items is not None else int(items.max()) + 1
    return RatedInteractionLog(
        user_ids=tuple(f"u{u}" for u in range(int(users.max()) + 1)),
        item_ids=tuple(item_ids) if item_ids is not None else tuple(f"i{i:03d}" for i in range(n_items)),
        users=users, items=items, times=times,
        weights=np.ones(len(rows), dtype=np.float32), ratings=ratings,
    )


@pytest.fixture(scope="session")
def make_log():
    """The :func:`toy_log` builder, as a fixture (test modules cannot import conftest)."""
    return toy_log

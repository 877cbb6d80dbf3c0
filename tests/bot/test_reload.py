"""A running engine picks up a changed catalog without a restart, atomically."""

from __future__ import annotations

import json
import threading

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.engine import Engine

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"


@pytest.fixture
def live(tmp_path):
    """An engine serving a 40-movie catalog file that the test may rewrite."""
    rows = [json.loads(line) for line in DEMO_CATALOG.read_text(encoding="utf-8").splitlines()[:40]]
    path = tmp_path / "catalog.jsonl"

    def write(changed_rows):
        path.write_text("".join(json.dumps(r) + "\n" for r in changed_rows), encoding="utf-8")

    write(rows)
    settings = Settings.from_env({
        "BOT_CATALOG": str(path), "BOT_STATE_DIR": str(tmp_path / "state"),
        "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    })
    return Engine.from_settings(settings), rows, write


def test_deleted_out_of_stock_and_repriced_items_are_served_after_reload(live):
    engine, rows, write = live
    removed, sold_out, repriced = rows[0]["id"], rows[1]["id"], rows[2]["id"]
    assert engine.reload_if_changed() is False  # nothing changed yet
    write([r for r in rows[3:]] + [{**rows[1], "available": False}, {**rows[2], "price": 4.5}])

    assert engine.reload_if_changed() is True
    assert removed not in engine.catalog
    assert engine.catalog.by_id[repriced].price == 4.5
    shown = {r.item.id for r in engine.recommend("u", n=39)}
    assert sold_out not in shown and removed not in shown and repriced in shown


def test_an_invalid_new_catalog_is_ignored_and_the_old_one_kept(live):
    engine, rows, write = live
    write([{**rows[0], "title": ""}] + rows[1:])
    assert engine.reload_if_changed() is False
    assert len(engine.catalog) == 40
    assert engine.reload_if_changed() is False  # the bad version is not retried on every call


def test_requests_during_a_reload_never_fail(live):
    engine, rows, write = live
    errors: list[Exception] = []
    stop = threading.Event()

    def ask():
        while not stop.is_set():
            try:
                engine.recommend("reader", n=5)
            except Exception as error:  # noqa: BLE001 - the test collects every failure
                errors.append(error)

    worker = threading.Thread(target=ask)
    worker.start()
    try:
        for keep in (30, 20, 35):
            write(rows[:keep])
            assert engine.reload_if_changed() is True
            assert len(engine.catalog) == keep
    finally:
        stop.set()
        worker.join()
    assert errors == []


def test_segments_built_by_another_process_are_picked_up(live):
    """`bot segments build` runs beside the servers: their engines see the file change."""
    engine, rows, _ = live
    other = Engine.from_settings(engine.settings)  # the CLI's engine, on the same state directory
    for n, row in enumerate(rows[:4]):
        other.set_consent(f"user-{n}", True)
        other.record_event(f"user-{n}", "like", row["id"])

    built = other.build_segments(k=2)

    assert engine.current_segments() is None
    engine.reload_if_changed()
    assert engine.current_segments() is not None and engine.current_segments().segments == built.segments

"""Loading MovieTweetings and other interaction logs: duplicates, column mapping, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.evaluation.data import (
    InteractionDataError,
    keep_latest,
    load_catalog_items,
    load_interactions,
    load_movietweetings,
)

MOVIES = """0000001::Fantômas - À l'ombre de la guillotine (1913)::Crime|Drama
0000002::No Genre Film (2001)::
0000003::Untitled Year::Comedy
"""


def write_movietweetings(directory: Path, ratings: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "movies.dat").write_text(MOVIES, encoding="utf-8")
    (directory / "ratings.dat").write_text(ratings, encoding="utf-8")
    return directory


def test_duplicates_keep_the_latest_rating(tmp_path):
    # user 7 rated movie 1 three times, the latest (t=300) not last in the file
    directory = write_movietweetings(tmp_path / "mt", (
        "7::0000001::3::100\n"
        "7::0000001::9::300\n"
        "7::0000002::5::150\n"
        "7::0000001::6::200\n"
        "8::0000001::2::50\n"
    ))
    log, items = load_movietweetings(directory)
    assert len(log) == 3
    pairs = {(log.user_ids[u], log.item_ids[i]): (int(t), float(r))
             for u, i, t, r in zip(log.users, log.items, log.times, log.ratings)}
    assert pairs[("7", "0000001")] == (300, 9.0)
    assert pairs[("8", "0000001")] == (50, 2.0)
    assert np.all(log.weights == 1)


def test_keep_latest_breaks_equal_times_by_file_order():
    users = np.array([0, 0, 0])
    items = np.array([1, 1, 2])
    times = np.array([5, 5, 1])
    assert keep_latest(users, items, times).tolist() == [1, 2]


def test_movies_are_parsed_into_items(tmp_path):
    log, items = load_movietweetings(write_movietweetings(tmp_path / "mt", "1::0000003::7::10\n"))
    assert [item.id for item in items] == ["0000001", "0000002", "0000003"]
    assert items[0].title == "Fantômas - À l'ombre de la guillotine" and items[0].year == 1913
    assert items[0].categories == ("Crime", "Drama")
    assert items[1].categories == () and items[1].text == "No Genre Film (2001)"
    assert items[2].year is None and items[2].title == "Untitled Year"
    assert items[0].text == "Fantômas - À l'ombre de la guillotine (1913). Crime, Drama"
    assert log.n_items == 3  # every movie is an item, rated or not


def test_bad_rating_rows_name_file_line_and_field(tmp_path):
    directory = write_movietweetings(tmp_path / "mt", (
        "1::0000001::7::10\n"
        "1::0000001::seven::11\n"
        "2::9999999::7::12\n"
        "3::0000002::7\n"
    ))
    with pytest.raises(InteractionDataError) as info:
        load_movietweetings(directory)
    text = str(info.value)
    path = directory / "ratings.dat"
    assert f"{path}:2: field 'rating'" in text
    assert f"{path}:3: field 'imdb_id': '9999999' is not in movies.dat" in text
    assert f"{path}:4: expected 4 fields" in text
    assert len(info.value.problems) == 3


def test_the_real_snapshot_loads_whole(movietweetings):
    log, items = movietweetings
    assert len(items) == log.n_items == 10_506
    assert len(log) == 100_000
    assert log.n_users == 16_554
    assert sum(1 for item in items if not item.categories) == 66
    assert any("é" in item.title for item in items)  # UTF-8 titles
    assert set(np.unique(log.weights).tolist()) == {1.0}


def test_load_interactions_with_a_column_mapping(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "who,what,when,stars\n"
        "alice,b1,100,4\n"
        "alice,b2,2024-01-01T00:00:00Z,5\n"
        "bob,b1,50,3\n"
        "bob,gone,60,1\n"
        "alice,b1,300,2\n",
        encoding="utf-8",
    )
    reports = []
    log = load_interactions(
        path, ["b0", "b1", "b2"], user="who", item="what", time="when", rating="stars", report=reports.append,
    )
    assert log.item_ids == ("b0", "b1", "b2")
    assert log.user_ids == ("alice", "bob")
    rows = sorted((log.user_ids[u], log.item_ids[i], int(t), float(r))
                  for u, i, t, r in zip(log.users, log.items, log.times, log.ratings))
    assert rows == [
        ("alice", "b1", 300, 2.0),  # the latest of the duplicate pair
        ("alice", "b2", 1_704_067_200, 5.0),
        ("bob", "b1", 50, 3.0),
    ]
    assert len(reports) == 1 and "dropped 1 interactions with 1 items" in reports[0] and "'gone'" in reports[0]


def test_load_interactions_reads_json_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"user": 1, "item": "b2", "time": 10},
        {"user": 2, "item": "b0", "time": 20.0},
    ]) + "\n", encoding="utf-8")
    log = load_interactions(path, ["b0", "b1", "b2"])
    assert len(log) == 2 and log.user_ids == ("1", "2")
    assert sorted(log.items.tolist()) == [0, 2]


def test_load_interactions_reports_bad_rows_with_file_line_and_field(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "user,item,time\n"
        "alice,b1,100\n"
        "alice,b2,yesterday\n"
        ",b1,100\n"
        "bob,b1,\n",
        encoding="utf-8",
    )
    with pytest.raises(InteractionDataError) as info:
        load_interactions(path, ["b1", "b2"])
    text = str(info.value)
    assert f"{path}:3: field 'time': must be Unix seconds or an ISO 8601 date-time" in text
    assert f"{path}:4: field 'user': is empty" in text
    assert f"{path}:5: field 'time'" in text
    with pytest.raises(InteractionDataError, match="cannot tell the format"):
        load_interactions(tmp_path / "events.parquet", ["b1"])


def test_load_interactions_reads_times_as_the_history_import_does(tmp_path):
    """One parser of times for both loaders (bot.history.parse_moment): what `bot history import`
    refuses (infinite, NaN, negative or beyond year 9999 seconds) is a named bad row here too, not a
    crash or a silently stored time."""
    path = tmp_path / "events.csv"
    path.write_text(
        "user,item,time\n"
        "alice,b1,2024-01-01T02:00:00+02:00\n"
        "alice,b2,inf\n"
        "bob,b1,nan\n"
        "bob,b2,-5\n"
        "carol,b1,1e20\n",
        encoding="utf-8",
    )
    with pytest.raises(InteractionDataError) as info:
        load_interactions(path, ["b1", "b2"])
    text = str(info.value)
    for line in (3, 4, 5, 6):
        assert f"{path}:{line}: field 'time'" in text
    assert f"{path}:2:" not in text

    path.write_text("user,item,time\nalice,b1,2024-01-01T02:00:00+02:00\nbob,b1,99.9\n", encoding="utf-8")
    log = load_interactions(path, ["b1"])
    assert sorted(log.times.tolist()) == [99, 1_704_067_200]


def test_the_evaluation_has_no_time_parser_of_its_own():
    import bot.evaluation.data as data
    from bot.history import parse_moment

    assert data.parse_moment is parse_moment
    assert not hasattr(data, "_parse_time")


def test_catalog_items_keep_the_catalogs_embedding_text(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text(json.dumps({
        "id": "b1", "title": "Book", "year": 1999, "categories": ["Fantasy"], "description": "Dragons.",
    }) + "\n", encoding="utf-8")
    (item,) = load_catalog_items(path)
    assert item.text == "Book. Fantasy. Dragons." and item.year == 1999

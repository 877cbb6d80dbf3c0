"""`bot catalog import`: a report of bad rows, the good ones kept, only changes embedded."""

from __future__ import annotations

import json

import pyarrow
import pyarrow.parquet
import pytest
from typer.testing import CliRunner

from bot.catalog import load_catalog
from bot.cli import app

HEADER = "sku,name,blurb,shelf,cost,stock\n"
GOOD = [
    "b1,The Hobbit,A small hero goes on a big journey.,Fantasy,9.99,yes\n",
    "b2,Dune,Desert planet politics and giant worms.,Sci-Fi|Classic,12.50,no\n",
]
BAD = "b3,,A book without a title.,Fantasy,5,yes\n"
MAPPING = (
    "fields:\n  id: sku\n  title: name\n  description: blurb\n  categories: shelf\n"
    "  price: cost\n  available: stock\nseparator: '|'\n"
)


@pytest.fixture
def env(tmp_path, state_dir, monkeypatch):
    monkeypatch.setenv("BOT_STATE_DIR", str(state_dir))
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def run(*args):
    return CliRunner().invoke(app, ["catalog", "import", *map(str, args)])


def test_good_rows_are_imported_and_each_bad_row_is_reported(env):
    source = env / "shop.csv"
    source.write_text(HEADER + "".join(GOOD) + BAD, encoding="utf-8")
    out = env / "imported.jsonl"
    result = run(source, "--mapping", env / "mapping.yml", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"{source}:4: field 'title': is required and empty" in result.output
    assert "2 valid items, 1 rejected rows" in result.output
    catalog = load_catalog(out)
    assert [i.id for i in catalog.items] == ["b1", "b2"]
    dune = catalog.by_id["b2"]
    assert (dune.price, dune.available, dune.categories) == (12.5, False, ("Sci-Fi", "Classic"))


def test_strict_refuses_the_whole_file(env):
    source = env / "shop.csv"
    source.write_text(HEADER + "".join(GOOD) + BAD, encoding="utf-8")
    out = env / "imported.jsonl"
    result = run(source, "--mapping", env / "mapping.yml", "--out", out, "--strict")
    assert result.exit_code == 2
    assert "nothing imported" in result.output
    assert not out.exists()


def test_reimport_embeds_only_what_changed(env):
    source = env / "shop.csv"
    source.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    args = ("--mapping", env / "mapping.yml", "--out", env / "imported.jsonl")
    run(source, *args)
    assert "embedded 0 new or changed items (2 unchanged" in run(source, *args).output
    source.write_text(HEADER + GOOD[0] + GOOD[1].replace("giant worms", "giant sandworms"), encoding="utf-8")
    assert "embedded 1 new or changed items (1 unchanged" in run(source, *args).output


def test_parquet_and_wrong_encoding(env):
    table = pyarrow.table({"id": ["p1"], "title": ["Emma"], "description": ["Matchmaking in Highbury."],
                           "categories": [["Romance"]], "price": [3.0]})
    pyarrow.parquet.write_table(table, env / "books.parquet")
    result = run(env / "books.parquet", "--out", env / "p.jsonl")
    assert result.exit_code == 0, result.output
    assert load_catalog(env / "p.jsonl").by_id["p1"].price == 3.0

    latin1 = env / "latin1.jsonl"
    latin1.write_bytes(
        json.dumps({"id": "x", "title": "Amélie", "description": "d", "categories": ["Comedy"]},
                   ensure_ascii=False).encode("latin-1") + b"\n"
    )
    result = run(latin1, "--out", env / "l.jsonl")
    assert result.exit_code == 2
    assert f"{latin1}:1: not UTF-8 text" in result.output

"""`bot catalog import`: a report of bad rows, the good ones kept, only changes embedded;
column mappings, including which columns become attributes."""

from __future__ import annotations

import json

import pyarrow
import pyarrow.parquet
import pytest
from typer.testing import CliRunner

from bot.catalog_files import CatalogError, ColumnMapping, load_catalog, read_catalog
from bot.cli import app
from bot.config import PROJECT_ROOT, Settings

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
    assert dune.attributes == {}  # a mapping without 'attributes' gives none


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


# --- attributes through a mapping ----------------------------------------------------------

SHOP = "sku,name,blurb,shelf,author,pages,isbn\n" "b1,The Hobbit,A journey.,Fantasy,Tolkien,310,\n"


def mapping_with(tmp_path, attributes: str):
    (tmp_path / "attrs.yml").write_text(
        "fields:\n  id: sku\n  title: name\n  description: blurb\n  categories: shelf\n" + attributes,
        encoding="utf-8",
    )
    return tmp_path / "attrs.yml"


def test_mapping_lists_the_columns_that_become_attributes(env):
    source = env / "shop.csv"
    source.write_text(SHOP, encoding="utf-8")
    out = env / "imported.jsonl"
    mapping = mapping_with(env, "attributes: [author, isbn]\n")

    result = run(source, "--mapping", mapping, "--out", out)

    assert result.exit_code == 0, result.output
    hobbit = load_catalog(out).by_id["b1"]
    assert hobbit.attributes == {"author": "Tolkien"}  # not pages (unlisted), not isbn (empty)
    assert load_catalog(source, ColumnMapping.from_yaml(mapping)).items == load_catalog(out).items


def test_mapping_names_attributes_and_may_combine_columns(env):
    source = env / "shop.csv"
    source.write_text(SHOP, encoding="utf-8")
    mapping = mapping_with(env, "attributes:\n  writer: author\n  length: '{pages} pages'\n")

    hobbit = load_catalog(source, ColumnMapping.from_yaml(mapping)).by_id["b1"]

    assert list(hobbit.attributes.items()) == [("writer", "Tolkien"), ("length", "310 pages")]
    assert hobbit.attribute_summary() == "writer: Tolkien · length: 310 pages"


@pytest.mark.parametrize(
    "attributes",
    ["attributes: author\n", "attributes:\n  writer: [author]\n", "attributes: ['']\n"],
    ids=["text", "nested", "empty-name"],
)
def test_a_mapping_with_malformed_attributes_is_refused(env, attributes):
    with pytest.raises(CatalogError, match="'attributes' must be a list of column names"):
        ColumnMapping.from_yaml(mapping_with(env, attributes))


def test_goodbooks_mapping_gives_books_their_authors_ratings_and_original_title_as_attributes():
    books, problems = read_catalog(
        Settings.from_env().shared_data_dir / "goodbooks-10k/books.csv",
        ColumnMapping.from_yaml(PROJECT_ROOT / "data/catalog/mappings/goodbooks-10k.yml"),
    )
    assert problems == []
    first = books[0]
    assert first.id == "1"
    assert first.attributes == {"authors": "Suzanne Collins", "language_code": "eng",
                                "average_rating": "4.34", "ratings_count": "4780653",
                                "original_title": "The Hunger Games"}
    assert first.attribute_summary(limit=2) == "authors: Suzanne Collins · language_code: eng"
    assert "4.34" not in first.embedding_text


def test_parquet_reads_an_attributes_column_like_json_lines(env):
    table = pyarrow.table({
        "id": ["p1", "p2"], "title": ["Emma", "Persuasion"], "description": ["Matchmaking.", "Second chances."],
        "categories": [["Romance"], ["Romance"]], "pages": [474, 249],
        "attributes": [{"author": "Austen", "signed": True}, {"author": "Austen", "signed": None}],
    })
    pyarrow.parquet.write_table(table, env / "books.parquet")
    result = run(env / "books.parquet", "--out", env / "p.jsonl")
    assert result.exit_code == 0, result.output
    catalog = load_catalog(env / "p.jsonl")
    assert catalog.by_id["p1"].attributes == {"author": "Austen", "signed": True}  # a flat column is no attribute
    assert catalog.by_id["p2"].attributes == {"author": "Austen"}  # null is left out

    mapping = env / "pq.yml"
    mapping.write_text("fields: {}\nattributes: [pages]\n", encoding="utf-8")
    typed = load_catalog(env / "books.parquet", ColumnMapping.from_yaml(mapping))
    assert typed.by_id["p1"].attributes == {"pages": 474}  # typed columns keep their type

    bad = pyarrow.table({"id": ["p1"], "title": ["Emma"], "description": ["d"], "categories": [["Romance"]],
                         "attributes": [{"tags": ["a", "b"]}]})
    pyarrow.parquet.write_table(bad, env / "bad.parquet")
    result = run(env / "bad.parquet", "--out", env / "b.jsonl")
    assert f"{env / 'bad.parquet'}:1: field 'attributes.tags': must be text, a number or true/false" in result.output


def test_a_feed_of_ids_titles_and_prices_gets_facets_from_its_items(env):
    source = env / "feed.csv"
    kinds = {"scented candle": ["vanilla", "cedar", "rose", "amber", "lemon", "fig"],
             "wool socks": ["striped", "ankle", "hiking", "christmas", "cosy", "thermal"]}
    rows = [f"p{n},{kind.upper()} {word.upper()},{n + 0.5}"
            for n, (kind, word) in enumerate((kind, word) for kind, words in kinds.items() for word in words)]
    source.write_text("id,title,price\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = env / "imported.jsonl"

    result = run(source, "--out", out)

    assert result.exit_code == 0, result.output
    assert "the catalog has too few categories: 2 derived from the items' own words" in result.output
    catalog = load_catalog(out)
    candles = {catalog.by_id[f"p{n}"].categories for n in range(6)}
    socks = {catalog.by_id[f"p{n}"].categories for n in range(6, 12)}
    assert len(candles) == len(socks) == 1 and candles != socks
    assert "Candle" in next(iter(candles))[0] and "Socks" in next(iter(socks))[0]

"""Catalog loading (row-level validation, JSONL and CSV), attributes and the category vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalog import Attributes, Catalog, Item
from bot.catalog_files import MAX_REPORTED_ERRORS, CatalogError, load_catalog, write_catalog
from bot.config import PROJECT_ROOT, Settings

DEMO_CATALOG = PROJECT_ROOT / "data/catalog/movies.jsonl"
GOOD_ROW = {
    "id": "good-2000",
    "title": "Good Film",
    "description": "A perfectly valid row.",
    "categories": ["Drama"],
    "year": 2000,
}


def row(**changes) -> dict:
    """GOOD_ROW with other fields; a value of ``...`` removes the field."""
    merged = {**GOOD_ROW, **changes}
    return {key: value for key, value in merged.items() if value is not ...}


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    """One line per row: dicts as JSON, strings verbatim."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    return info.value


# --- the demo catalog ---------------------------------------------------------------


def test_demo_catalog_has_at_least_300_complete_items(catalog):
    assert len(catalog) >= 300
    for item in catalog.items:
        assert item.id and item.title and item.description, item
        assert item.categories, item
        assert isinstance(item.year, int), item


def test_demo_catalog_ids_are_unique_and_indexed(catalog):
    assert len(catalog.by_id) == len(catalog)
    assert "alien-1979" in catalog
    assert catalog.by_id["alien-1979"].title == "Alien"
    assert "no-such-film" not in catalog


def test_categories_are_ordered_most_common_first(catalog):
    counts = catalog.category_counts()
    ordered = catalog.categories
    assert [counts[c] for c in ordered] == sorted(counts.values(), reverse=True)
    assert set(ordered) == set(counts)


def test_category_ties_are_broken_alphabetically():
    items = tuple(
        Item(id=f"i{n}", title=f"T{n}", description="d", categories=cats)
        for n, cats in enumerate([("Western",), ("Comedy",), ("Drama", "Comedy")])
    )
    assert Catalog(Path("x.jsonl"), items).categories == ["Comedy", "Drama", "Western"]


def test_in_category_returns_exactly_the_items_with_that_category(catalog):
    westerns = catalog.in_category("Western")
    assert westerns
    assert all("Western" in item.categories for item in westerns)
    assert len(westerns) == catalog.category_counts()["Western"]


# --- valid rows -------------------------------------------------------------------------


def test_valid_jsonl_row_is_parsed_and_cleaned(tmp_path):
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [
            "",  # blank lines are skipped
            row(
                title="  Padded  ",
                categories=["Drama", " Crime ", "Drama", ""],
                year="1999",
                price=3,
                url="https://example.org/f",
            ),
        ],
    )
    item = load_catalog(path).items[0]
    assert item == Item(
        id="good-2000",
        title="Padded",
        description="A perfectly valid row.",
        categories=("Drama", "Crime"),
        year=1999,
        url="https://example.org/f",
        image=None,
        price=3.0,
    )


def test_optional_fields_may_be_missing(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [row(year=..., price=None, url="")])
    item = load_catalog(path).items[0]
    assert (item.year, item.price, item.url, item.image) == (None, None, None, None)


def test_csv_catalog_with_pipe_separated_categories_loads(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "id,title,description,categories,year,price\n"
        "a-1,First,One thing.,Sci-Fi|Horror,1979,\n"
        'b-2,"Second, with comma",Another.,Comedy,,4.5\n',
        encoding="utf-8",
    )
    catalog = load_catalog(path)

    assert [item.id for item in catalog.items] == ["a-1", "b-2"]
    assert catalog.by_id["a-1"].categories == ("Sci-Fi", "Horror")
    assert catalog.by_id["a-1"].year == 1979
    assert catalog.by_id["b-2"].title == "Second, with comma"
    assert (catalog.by_id["b-2"].year, catalog.by_id["b-2"].price) == (None, 4.5)


def test_csv_error_names_the_csv_line(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "id,title,description,categories,year\n"
        "a-1,First,One thing.,Drama,1979\n"
        "b-2,Second,Another.,Drama,soon\n",
        encoding="utf-8",
    )
    assert f"{path}:3: field 'year'" in str(load_error(path))


# --- attributes -------------------------------------------------------------------------


def test_jsonl_attributes_are_cleaned_and_survive_a_write_and_reread(tmp_path):
    attributes = {"author": "  Ursula K. Le Guin ", "pages": 304, "rating": 4.5, "signed": False,
                  "isbn": "", "edition": None}
    path = write_jsonl(tmp_path / "c.jsonl", [row(attributes=attributes), row(id="plain")])

    items = load_catalog(path).items
    assert dict(items[0].attributes) == {"author": "Ursula K. Le Guin", "pages": 304, "rating": 4.5, "signed": False}
    assert list(items[0].attributes) == ["author", "pages", "rating", "signed"]  # the file's order
    assert items[1].attributes == {}

    copy = tmp_path / "copy.jsonl"
    write_catalog(list(items), copy)
    assert load_catalog(copy).items == items
    written = [json.loads(line) for line in copy.read_text(encoding="utf-8").splitlines()]
    assert written[0]["attributes"]["pages"] == 304 and written[0]["attributes"]["signed"] is False
    assert "attributes" not in written[1]  # empty attributes are omitted


def test_csv_columns_that_are_no_schema_field_become_text_attributes(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "id,author,title,description,categories,pages,isbn\n"
        "a-1,Le Guin,First,One thing.,Sci-Fi,304,0441478123\n"
        "b-2, ,Second,Another.,Comedy,,\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)

    assert list(catalog.by_id["a-1"].attributes.items()) == [
        ("author", "Le Guin"), ("pages", "304"), ("isbn", "0441478123"),  # text as given, in column order
    ]
    assert catalog.by_id["b-2"].attributes == {}  # empty cells are left out


def test_attributes_are_immutable_and_items_stay_hashable():
    item = Item("a", "A", "d", ("X",), attributes={"author": "Le Guin"})

    assert isinstance(item.attributes, Attributes)
    with pytest.raises(TypeError):
        item.attributes["author"] = "someone else"  # type: ignore[index]
    assert item == Item("a", "A", "d", ("X",), attributes=Attributes({"author": "Le Guin"}))
    assert item != Item("a", "A", "d", ("X",))
    assert len({item, Item("a", "A", "d", ("X",), attributes={"author": "Le Guin"})}) == 1
    with pytest.raises(TypeError):
        Item("a", "A", "d", ("X",), attributes={"tags": ["x"]})


def test_attribute_summary_for_chat_cards():
    item = Item("hp", "HP", "d", ("Fantasy",), attributes={
        "authors": "J.K. Rowling", "language_code": "eng", "pages": 309.0, "signed": True, "blurb": "x" * 100,
    })

    assert item.attribute_summary() == "authors: J.K. Rowling · language_code: eng · pages: 309"
    assert item.attribute_summary(limit=1) == "authors: J.K. Rowling"
    assert item.attribute_summary(names=["signed", "missing", "authors"]) == "signed: yes · authors: J.K. Rowling"
    assert item.attribute_summary(names=["blurb"]).endswith("x…")
    assert len(item.attribute_summary(names=["blurb"])) == len("blurb: ") + 60
    assert Item("a", "A", "d", ("X",)).attribute_summary() == ""


# --- invalid rows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "field", "reason"),
    [
        pytest.param(row(title=...), "title", "is missing", id="missing-title"),
        pytest.param(row(id=42), "id", "must be text", id="id-not-text"),
        pytest.param(row(id="x" * 256), "id", "longer than 255", id="id-too-long"),
        pytest.param(row(categories=5), "categories", "must be a list", id="categories-not-a-list"),
        pytest.param(row(categories=["Drama", 3]), "categories", "must be a list", id="categories-not-names"),
        pytest.param(row(year="nineteen"), "year", "must be a number", id="year-not-numeric"),
        pytest.param(row(year=1999.5), "year", "whole number", id="year-fractional"),
        pytest.param(row(year=3024), "year", "not a plausible year", id="year-implausible"),
        pytest.param(row(price=-1), "price", "must not be negative", id="price-negative"),
        pytest.param(row(price="cheap"), "price", "must be a number", id="price-not-numeric"),
        pytest.param(row(attributes={"tags": ["a", "b"]}), "attributes.tags", "got a list", id="attribute-list"),
        pytest.param(row(attributes={"a": "x", "dims": {"w": 2}}), "attributes.dims", "got an object",
                     id="attribute-object"),
        pytest.param(row(attributes="author=Le Guin"), "attributes", "must be an object", id="attributes-text"),
        pytest.param(row(attributes={" ": "x"}), "attributes", "non-empty text", id="attribute-name-empty"),
    ],
)
def test_bad_field_is_reported_with_file_line_and_field(tmp_path, bad_row, field, reason):
    path = write_jsonl(tmp_path / "c.jsonl", [row(id="first"), bad_row])

    error = load_error(path)

    assert error.path == path
    assert len(error.problems) == 1
    assert error.problems[0].startswith(f"{path}:2: field '{field}': ")
    assert reason in error.problems[0]
    assert f"{path}:2: field '{field}'" in str(error)


def test_a_product_feed_needs_no_categories_and_no_description(tmp_path):
    """An id, a title and a price make an item; `bot catalog import` gives it a facet later."""
    path = write_jsonl(tmp_path / "c.jsonl", [row(id="a"), {"id": "b", "title": "Mug", "price": 4},
                                               row(id="c", categories=[" "], description="  ")])

    catalog = load_catalog(path)

    assert [(item.categories, item.description) for item in catalog.items[1:]] == [((), ""), ((), "")]


def test_duplicate_id_names_both_lines(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [row(), row(id="other"), row()])

    problems = load_error(path).problems

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:3: field 'id': duplicate id 'good-2000'")
    assert "first on line 1" in problems[0]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        pytest.param('{"id": "x", "title": ', "not valid JSON", id="invalid-json"),
        pytest.param('["a", "list"]', "must be a JSON object", id="not-an-object"),
        pytest.param('"just text"', "must be a JSON object", id="json-string"),
    ],
)
def test_unparseable_line_is_reported_with_file_and_line(tmp_path, bad_line, reason):
    path = write_jsonl(tmp_path / "c.jsonl", [row(), bad_line])

    message = str(load_error(path))

    assert f"{path}:2: " in message
    assert reason in message


def test_all_bad_rows_are_reported_in_one_error(tmp_path):
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [row(id="a"), row(id="b", year="soon"), row(id="c"), row(id="d", title=...)],
    )

    message = str(load_error(path))

    assert f"{path}:2: field 'year'" in message
    assert f"{path}:4: field 'title'" in message


def test_long_error_lists_are_truncated_but_all_problems_are_kept(tmp_path):
    bad = MAX_REPORTED_ERRORS + 5
    path = write_jsonl(tmp_path / "c.jsonl", [row(id=f"i{n}", year="?") for n in range(bad)])

    error = load_error(path)

    assert len(error.problems) == bad
    assert "... and 5 more" in str(error)
    assert f"{path}:{MAX_REPORTED_ERRORS}:" in str(error)
    assert f"{path}:{MAX_REPORTED_ERRORS + 1}:" not in str(error)


def test_non_utf8_file_raises_naming_the_file(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(json.dumps(row()).encode() + b'\n{"id": "caf\xe9"}\n')

    message = str(load_error(path))

    assert str(path) in message
    assert "not UTF-8" in message


def test_non_utf8_error_names_the_line(tmp_path):
    lines = DEMO_CATALOG.read_bytes().splitlines(keepends=True)
    lines[300] = lines[300].replace(b'"title": "', b'"title": "\xff', 1)
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"".join(lines))

    assert f"{path}:301" in str(load_error(path))


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_catalog_without_items_raises(tmp_path, content):
    path = tmp_path / "c.jsonl"
    path.write_text(content, encoding="utf-8")

    message = str(load_error(path))

    assert str(path) in message
    assert "no items" in message


def test_missing_file_raises_naming_the_path(tmp_path):
    path = tmp_path / "nowhere.jsonl"

    message = str(load_error(path))

    assert str(path) in message
    assert "not found" in message


# --- category vocabulary ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("any good thrillers or sci fi?", ["Thriller", "Sci-Fi"]),
        ("Science Fiction and COMEDIES please", ["Sci-Fi", "Comedy"]),
        ("something animated for the kids", ["Animation", "Family"]),
        ("a western, then another western", ["Western"]),
        ("a rom-com", ["Comedy", "Romance"]),
        ("horror", ["Horror"]),
        ("dramas and documentaries", ["Drama", "Documentary"]),
    ],
)
def test_find_categories_understands_plurals_and_synonyms(catalog, text, expected):
    assert catalog.find_categories(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a warm, award-winning reaction shot",  # war, action
        "my spacey cousin is a dramatist",  # space, drama
        "a drama-free evening",  # a hyphenated compound is another word
        "",
    ],
)
def test_find_categories_does_not_match_inside_other_words(catalog, text):
    assert catalog.find_categories(text) == []


def test_find_categories_prefers_the_longer_word_musical_over_music(catalog):
    assert catalog.find_categories("spacey musicals") == ["Musical"]


def test_synonyms_only_name_categories_the_catalog_has():
    catalog = Catalog(Path("x.jsonl"), (Item("a", "A", "d", ("Comedy",)),))

    assert catalog.find_categories("something scary or funny") == ["Comedy"]
    assert "scary" not in catalog.category_phrases()


# --- identity ----------------------------------------------------------------------------


def test_fingerprint_is_stable_when_nothing_changes(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [row(), row(id="other")])

    assert load_catalog(path).fingerprint == load_catalog(path).fingerprint


@pytest.mark.parametrize(
    "changed",
    [
        [row(description="A different description."), row(id="other")],
        [row(title="Renamed"), row(id="other")],
        [row(categories=["Comedy"]), row(id="other")],
        [row()],
        [row(), row(id="other"), row(id="third")],
    ],
    ids=["description", "title", "categories", "item-removed", "item-added"],
)
def test_fingerprint_changes_when_embedded_content_or_item_set_changes(tmp_path, changed):
    before = load_catalog(write_jsonl(tmp_path / "a.jsonl", [row(), row(id="other")]))
    after = load_catalog(write_jsonl(tmp_path / "b.jsonl", changed))

    assert after.fingerprint != before.fingerprint


def test_fingerprint_ignores_fields_that_are_not_embedded(tmp_path):
    before = load_catalog(write_jsonl(tmp_path / "a.jsonl", [row()]))
    after = load_catalog(write_jsonl(tmp_path / "b.jsonl", [row(price=9, url="https://x.org")]))

    assert after.fingerprint == before.fingerprint


def test_attributes_are_not_embedded(tmp_path):
    before = load_catalog(write_jsonl(tmp_path / "a.jsonl", [row(attributes={"author": "A"})]))
    after = load_catalog(write_jsonl(tmp_path / "b.jsonl", [row(attributes={"author": "B", "pages": 3})]))

    assert after.items[0].embedding_text == before.items[0].embedding_text
    assert after.items[0].content_hash == before.items[0].content_hash
    assert after.fingerprint == before.fingerprint
    assert after.items[0] != before.items[0]


def test_a_running_engine_serves_an_attribute_change_without_re_embedding(tmp_path, monkeypatch):
    import bot.indexing
    from bot.engine import Engine

    path = tmp_path / "catalog.jsonl"
    rows = [json.loads(line) for line in DEMO_CATALOG.read_text(encoding="utf-8").splitlines()[:3]]
    write_jsonl(path, [{**r, "attributes": {"director": "old"}} for r in rows])
    engine = Engine.from_settings(Settings.from_env({
        "BOT_CATALOG": str(path), "BOT_STATE_DIR": str(tmp_path / "state"),
        "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    }))
    fingerprint = engine.catalog.fingerprint

    def no_embedding(*args, **kwargs):
        raise AssertionError("an attribute-only change must not rebuild the index")

    monkeypatch.setattr(bot.indexing, "build_index", no_embedding)
    write_jsonl(path, [{**r, "attributes": {"director": "new", "runtime": 117}} for r in rows])

    assert engine.reload_if_changed() is True
    assert engine.item(rows[0]["id"]).attributes == {"director": "new", "runtime": 117}
    assert engine.catalog.fingerprint == fingerprint


@pytest.mark.parametrize(
    ("year", "label"), [(1979, "Alien (1979)"), (None, "Alien")], ids=["with-year", "no-year"]
)
def test_item_label(year, label):
    assert Item("alien", "Alien", "d", ("Horror",), year=year).label == label


def test_embedding_text_holds_title_categories_and_description():
    item = Item("alien", "Alien", "A lethal stowaway.", ("Horror", "Sci-Fi"))
    assert item.embedding_text == "Alien. Horror, Sci-Fi. A lethal stowaway."


@pytest.mark.parametrize(("title", "shown"), [
    ("SCENTED CANDLE SET OF 3", "Scented Candle Set of 3"),
    ("THE LORD OF THE RINGS", "The Lord of the Rings"),
    ("TV STAND 2M, BLACK", "TV Stand 2M, Black"),  # an acronym with a vowel (USB) would read "Usb"
    ("Mixed Case Stays", "Mixed Case Stays"),
    ("iPhone CASE", "iPhone CASE"),  # not all capitals: as the shop wrote it
    ("1984", "1984"),
])
def test_titles_typed_in_capitals_are_shown_in_readable_case(title, shown):
    from bot.catalog import Item, readable_title

    assert readable_title(title) == shown
    assert Item("x", title, "", ("A",), year=2001).label == f"{shown} (2001)"

"""A second, foreign catalog: goodbooks-10k's books.csv through a column mapping."""

from __future__ import annotations

import pytest

from bot.catalog_files import ColumnMapping


def test_every_book_loads_with_the_mapping(goodbooks):
    assert len(goodbooks) == 10_000
    first = goodbooks.by_id["2"]
    assert first.title == "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)"
    assert first.year == 1997
    assert first.categories == ("J.K. Rowling", "Mary GrandPré")
    assert first.description.startswith("Harry Potter and the Sorcerer's Stone")
    assert first.image.startswith("https://")


def test_nearest_books_to_the_first_harry_potter_are_harry_potter_books(goodbooks, goodbooks_index):
    index = goodbooks_index
    neighbours = [goodbooks.by_id[i].title for i, _ in index.search(index.vector("2"), 10, exclude=["2"])]
    assert sum("Harry Potter" in title for title in neighbours) >= 5, neighbours


def test_a_mapping_with_an_unknown_field_is_refused(tmp_path):
    bad = tmp_path / "mapping.yml"
    bad.write_text("fields:\n  name: title\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown: name"):
        ColumnMapping.from_yaml(bad)

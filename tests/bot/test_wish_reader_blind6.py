"""Titles not read or seen yet (issue 19, data/nlu-dev/requests_blind6_*.yml): "fellowship of the
ring and the two towers, still have to read return of the king" does not name the third as liked."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    books = [("f", "The Fellowship of the Ring (The Lord of the Rings, #1)", 1954),
             ("t", "The Two Towers (The Lord of the Rings, #2)", 1954),
             ("r", "The Return of the King (The Lord of the Rings, #3)", 1955),
             ("he", "Heat", 1995), ("cs", "Casino", 1995)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in books))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("book", "books"))


@pytest.mark.parametrize(("text", "items"), [
    ("fellowship of the ring and the two towers, still have to read return of the king", ("f", "t")),
    ("Heat and Casino, I have yet to watch the return of the king", ("he", "cs")),
    ("heat and casino, the return of the king too", ("he", "cs", "r")),  # a control: all three liked
])
def test_titles_not_read_yet_are_not_liked(reader, text, items):
    assert reader.read(text).items == items

"""Requests that dismiss titles with a verb in its base form (issue 19, data/nlu-dev/requests_blind5_*.yml):
"eclipse and breaking dawn I didn't finish" does not want them."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    books = [("t1", "Twilight (Twilight, #1)", 2005), ("t2", "New Moon (Twilight, #2)", 2006),
             ("t3", "Eclipse (Twilight, #3)", 2007), ("t4", "Breaking Dawn (Twilight, #4)", 2008),
             ("he", "Heat", 1995), ("cs", "Casino", 1995)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in books))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("book", "books"))


@pytest.mark.parametrize(("text", "items"), [
    ("twilight and new moon, eclipse and breaking dawn I didn't finish", ("t1", "t2")),
    ("Heat, Casino I didn't watch", ("he",)),
    ("Heat and Casino, Eclipse I haven't read", ("he", "cs")),
])
def test_titles_dismissed_with_a_verb_after_them_are_not_wanted(reader, text, items):
    assert reader.read(text).items == items

"""Requests that take a title back for another (issue 19, data/nlu-dev/requests_blind4_*.yml):
"Se7en, sorry I meant Zodiac" names Zodiac alone; a correction with no title after it takes
nothing back."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    films = [("s7", "Se7en", 1995), ("zo", "Zodiac", 2007), ("pr", "Prisoners", 2013), ("sh", "The Shining", 1980),
             ("ca", "Carrie", 1976), ("mi", "Misery", 1990), ("he", "Heat", 1995), ("cs", "Casino", 1995),
             ("co", "Collateral", 2004), ("dv", "The Da Vinci Code", 2006), ("ad", "Angels & Demons", 2009)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in films))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("movie", "movies"))


@pytest.mark.parametrize(("text", "items"), [
    ("Se7en, sorry I meant Zodiac, and Prisoners", ("zo", "pr")),
    ("The Shining and Carrie, I mean Misery", ("sh", "mi")),
    ("Heat and Casino... sorry, meant Collateral", ("he", "co")),
    ("The Da Vinci Code... no wait, Angels & Demons", ("ad",)),
])
def test_a_title_taken_back_is_not_wanted(reader, text, items):
    assert reader.read(text).items == items


@pytest.mark.parametrize(("text", "items"), [
    ("Heat, sorry for the typos", ("he",)),
    ("I mean, Heat and Casino are great", ("he", "cs")),
])
def test_a_correction_without_a_title_takes_nothing_back(reader, text, items):
    assert reader.read(text).items == items


@pytest.mark.parametrize(("text", "items"), [
    ("Heat was great, Casino not so much", ("he",)),
    ("Se7en, Zodiac... Prisoners I haven't seen yet", ("s7", "zo")),
    ("Heat and Casino, didn't watch Collateral", ("he", "cs")),
])
def test_a_title_dismissed_after_it_is_not_wanted(reader, text, items):
    assert reader.read(text).items == items

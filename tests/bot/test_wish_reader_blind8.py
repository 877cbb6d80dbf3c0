"""Requests that name titles among people, places and days typed capitalized (issue 19,
data/nlu-dev/requests_blind8_*.yml): the request reader takes the titles and none of the names."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    films = [("lo", "Logan", 2017), ("chi", "Chicago", 2002), ("am", "Amelie", 2001), ("ro", "Rocky", 1976),
             ("he", "Heat", 1995), ("col", "Collateral", 2004), ("dep", "The Departed", 2006),
             ("sh", "The Shining", 1980), ("hw", "Halloween", 1978)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in films))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("movie", "movies"))


@pytest.mark.parametrize(("text", "items"), [
    ("Hi! It's Friday and I'm in Chicago with my friend Logan, what should we watch?", ()),
    ("my brother Rocky and my sister Amelie want something for Christmas Eve", ()),
    ("My friend Logan from Chicago recommended The Departed, anything similar?", ("dep",)),
    ("Kubrick's The Shining and Carpenter's Halloween for Friday night", ("sh", "hw")),
    ("Heat and Collateral, my buddy Mike from Chicago swears by them", ("he", "col")),
    ("Logan, Heat and Chicago", ("lo", "he", "chi")),  # a control: a list of titles
])
def test_names_of_people_and_places_are_no_titles(reader, text, items):
    assert reader.read(text).items == items

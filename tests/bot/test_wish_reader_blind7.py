"""Titles dismissed by a verdict after them (issue 19, data/nlu-dev/requests_blind7_*.yml): "the
sequel was a letdown", "part three not really", ", no thanks"; a "but" begins the clause dismissed."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    films = [("al", "Alien", 1979), ("a2", "Aliens", 1986), ("a3", "Alien 3", 1992),
             ("hl", "Halloween", 1978), ("sc", "Scream", 1996), ("it", "It Follows", 2014)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Horror",), year=year)
                                             for i, title, year in films))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("movie", "movies"))


@pytest.mark.parametrize(("text", "items"), [
    ("alien was great, alien 3 was a letdown", ("al",)),
    ("aliens is the best, halloween was kinda boring", ("a2",)),
    ("scream was fun but halloween not really", ("sc",)),
    ("alien and aliens, alien 3 is overrated", ("al", "a2")),
    ("it follows was good but scream, no thanks", ("it",)),
    ("halloween was great and scream too", ("hl", "sc")),  # a control: no verdict
    ("scream was boring but halloween was great", ("hl",)),  # the verdict ends at "but"
])
def test_a_title_a_verdict_dismisses_is_not_liked(reader, text, items):
    assert reader.read(text).items == items

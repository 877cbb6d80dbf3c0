"""Requests as people type them in chat widgets (issue 19, data/nlu-dev/requests_blind_*.yml): a
title per line, titles that hold a negation."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog, Item
from bot.constraints import Constraints
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


class NoMeaning:
    def search(self, query, k):
        return []

    def encode_query(self, text):
        return None


@pytest.fixture
def read(engine):
    return engine.read_wish


@pytest.mark.parametrize(("text", "items"), [
    ("Groundhog Day\nPalm Springs\nEdge of Tomorrow", ("groundhog-day-1993", "edge-of-tomorrow-2014")),
    ("Ghostbusters\nGremlins\nThe Goonies\n\nanything 80s like that",
     ("ghostbusters-1984", "gremlins-1984", "the-goonies-1985")),
])
def test_a_title_per_line_is_a_list_of_titles(read, text, items):
    assert read(text).items == items


def test_a_constraint_on_a_line_of_its_own_is_still_read(read):
    wish = read("Ghostbusters\nGremlins\nThe Goonies\n\nanything 80s like that")
    assert wish.constraints == Constraints(year_from=1980, year_to=1989)


def test_what_is_not_wanted_ends_with_its_line(read):
    wish = read("nothing too gory\nGet Out\nUs")
    assert wish.items == ("get-out-2017", "us-2019")
    assert wish.avoid_topics == ("gory",)


def test_a_title_that_holds_a_negation_is_wanted():
    catalog = Catalog(path=None, items=(Item("thug", "The Hate U Give", "A novel.", ("Angie Thomas",)),
                                        Item("speak", "Speak", "A novel.", ("Laurie Halse Anderson",))))
    reader = WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("book", "books"))

    wish = reader.read("The Hate U Give and Speak")

    assert wish.items == ("thug", "speak") and not wish.avoid_topics

"""Requests that dislike titles in chat wordings (issue 19, data/nlu-dev/requests_blind9_*.yml):
"hated" and "disliked" say what is not wanted, what a negation excepts is wanted, and the number
of a sequel typed before "but not" leaves the negation to the sentence."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    films = [("fr", "Frozen", 2013), ("co", "Coco", 2017), ("ll", "La La Land", 2016), ("ca", "Casablanca", 1942),
             ("dh", "Die Hard", 1988), ("dh2", "Die Hard 2", 1990), ("dh3", "Die Hard with a Vengeance", 1995),
             ("no", "Dr. No", 1962), ("gf", "Goldfinger", 1964)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in films))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("movie", "movies"))


@pytest.mark.parametrize(("text", "items"), [
    ("we hated Frozen, what else is there for kids", ()),
    ("my son disliked coco, something else", ()),
    ("I hated Frozen but loved Coco", ("co",)),
])
def test_hated_and_disliked_titles_are_not_wanted(reader, text, items):
    assert reader.read(text).items == items


@pytest.mark.parametrize(("text", "items"), [
    ("no musicals except la la land", ("ll",)),
    ("not into old films apart from casablanca", ("ca",)),
    ("anything except frozen", ()),  # a control: "except" alone is a negation
])
def test_what_a_negation_excepts_is_wanted(reader, text, items):
    assert reader.read(text).items == items


@pytest.mark.parametrize(("text", "items"), [
    ("die hard 1 and 2 but not die hard with a vengeance", ("dh", "dh2")),
    ("Dr No and Goldfinger", ("no", "gf")),  # a control: a title's own negation
])
def test_a_negation_after_a_sequel_number_is_the_sentences(reader, text, items):
    assert reader.read(text).items == items

"""Requests of recommendation dialogues (issue 19, data/nlu-dev/requests_blind3_*.yml): praise that
reads like a negation, titles that hold one, comments in brackets, a title's year after "from"."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher
from bot.wish_reader import WishReader


@pytest.fixture(scope="module")
def reader() -> WishReader:
    films = [("sr", "The Shawshank Redemption", 1994), ("us", "The Usual Suspects", 1995),
             ("frl", "From Russia with Love", 1963), ("dn", "Dr. No", 1962), ("ns", "The NeverEnding Story", 1984),
             ("la", "Labyrinth", 1986), ("ob", "Oldboy", 2003), ("mm", "Memories of Murder", 2003),
             ("aq30", "All Quiet on the Western Front", 1930), ("aq22", "All Quiet on the Western Front", 2022),
             ("gi", "Grand Illusion", 1937), ("no", "Nothing", 2003), ("he", "Heat", 1995)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Drama",), year=year)
                                             for i, title, year in films))
    return WishReader(catalog, TitleMatcher(catalog, NoMeaning(), NoMeaning()), ("movie", "movies"))


def test_praise_is_no_negation(reader):
    wish = reader.read("honestly nothing beats shawshank redemption and usual suspects for me")
    assert wish.items == ("sr", "us") and not wish.avoid_topics


@pytest.mark.parametrize(("text", "items"), [
    ("From Russia With Love and Dr No — old-school Bond", ("frl", "dn")),
    ("Never Ending Story and Labyrinth", ("ns", "la")),
])
def test_a_title_ending_or_typed_with_a_negation_is_wanted(reader, text, items):
    assert reader.read(text).items == items


def test_a_negation_in_brackets_ends_with_them(reader):
    assert reader.read("Oldboy (2003 not the spike lee one) & memories of murder").items == ("ob", "mm")


def test_a_negation_alone_is_one_even_where_a_title_has_its_name(reader):
    wish = reader.read("something like Heat, nothing too long")
    assert wish.items == ("he",) and wish.avoid_topics == ("long",)


def test_a_year_after_from_is_the_titles_not_a_period(reader):
    wish = reader.read("All Quiet on the Western Front from 1930 and Grand Illusion")
    assert wish.items == ("aq30", "gi") and not wish.constraints.uses_year

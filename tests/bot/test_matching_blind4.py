"""Titles as people answer "which did you like?" in chat: the failure classes the fourth blind
development sets of issue 19 found (data/nlu-dev/requests_blind4_*.yml), each on a small catalog
of its own, so that they hold for any catalog; and ordinary sentences that must name nothing."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("ts2", "Toy Story 2", 1999, ()), ("ts3", "Toy Story 3", 2010, ()), ("sh", "Shrek", 2001, ()),
        ("mi", "Monsters, Inc.", 2001, ()), ("fn", "Finding Nemo", 2003, ()), ("oe", "Ocean's Eleven", 2001, ()),
        ("cm", "Catch Me If You Can", 2002, ()), ("frl", "From Russia with Love", 1963, ()),
        ("gf", "Goldfinger", 1964, ()), ("ti", "Titanic", 1997, ()), ("nb", "The Notebook", 2004, ()),
        ("dv", "La Dolce Vita", 1960, ()), ("cp", "Cinema Paradiso", 1988, ()), ("et", "E.T. the Extra-Terrestrial", 1982, ()),
        ("ja", "Jaws", 1975, ()), ("spr", "Saving Private Ryan", 1998, ()), ("al", "Alien", 1979, ()),
        ("pr", "Predator", 1987, ()), ("bl", "The Big Lebowski", 1998, ()), ("br", "Blade Runner", 1982, ()),
        ("br49", "Blade Runner 2049", 2017, ()), ("ks", "The Kite Runner", 2007, ()), ("an", "And", 2020, ()),
        ("you", "You", 2018, ()), ("he", "Heat", 1995, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("toy story 2 n 3", ["ts2", "ts3"]),
    ("shrek n monsters inc n finding nemo", ["sh", "mi", "fn"]),
    ("oceans 11 & catch me if u can", ["oe", "cm"]),
    ("Goldfinger, From Russia w/ Love", ["gf", "frl"]),
])
def test_chat_spellings_are_their_words(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Titanic y The Notebook, algo así pls", ["ti", "nb"]),
    ("mi piacciono la dolce vita e cinema paradiso", ["dv", "cp"]),
    ("j'ai adoré Titanic et The Notebook", ["ti", "nb"]),
])
def test_and_in_another_language_separates_titles(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("E.T., Jaws", ["et", "ja"]),
    ("ET and Jaws", ["et", "ja"]),
    ("e.t. and jaws", ["et", "ja"]),
])
def test_initials_are_no_foreign_and(films, text, expected):
    assert found(films, text) == expected


def test_an_abbreviated_word_of_a_title_is_the_word(films):
    assert found(films, "Saving Pvt Ryan & Band of Brothers") == ["spr"]


@pytest.mark.parametrize(("text", "expected"), [
    ("alien, predator etc.", ["al", "pr"]),
    ("the big lebowski obvs", ["bl"]),
    ("alien obviously", ["al"]),
])
def test_a_chat_word_after_a_title_is_no_part_of_it(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Blade Runner (the original, not 2049)", ["br"]),
    ("Blade Runner - the 1982 one - and 2049", ["br", "br49"]),
    ("Blade Runner 2049 and Heat", ["br49", "he"]),
])
def test_a_number_after_this_year_is_no_year(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize("text", [
    "can u find me something w/ a twist",
    "my son y su amigo want a movie",
    "rock n roll stuff, obviously",
    "something that came out in 2040 or so",
])
def test_sentences_name_nothing(films, text):
    assert found(films, text) == []


def test_a_title_of_a_foreign_script_is_no_number():
    """A title in another script folds to its number alone ("2 ضباط"): no name "2" of it, so
    "twilight 1 and 2" stays the series'."""
    books = [("t1", "Twilight (Twilight, #1)", 2005), ("t2", "New Moon (Twilight, #2)", 2006),
             ("ar", "2 ضباط", 2013)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Someone",), year=year)
                                             for i, title, year in books))
    matcher = TitleMatcher(catalog, NoMeaning(), NoMeaning())
    assert found(matcher, "twilight 1 and 2") == ["t1", "t2"]
    assert found(matcher, "twilight 2") == ["t2"]


@pytest.fixture(scope="module")
def more() -> TitleMatcher:
    return matcher_of(
        ("elf", "Elf", 2003, ()), ("la", "Love Actually", 2003, ()), ("ha", "Home Alone", 1990, ()),
        ("ha2", "Home Alone 2: Lost in New York", 1992, ()), ("be", "Better", 2007, ()), ("cf", "Catching Fire", 2009, ()),
        ("to", "My Neighbor Totoro", 1988, ()), ("mo", "Princess Mononoke", 1997, ()), ("gg", "The Great Gatsby", 1925, ()),
        ("tg", "The Great Escape", 1963, ()), ("bt", "Letters of Tolkien", 2000, ("J.R.R. Tolkien",)),
        ("pa", "Midnight in Paris", 2011, ()), ("am", "An American in Paris", 1951, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("elf and love actually every december", ["elf", "la"]),
    ("home alone 1 & 2 every christmas", ["ha", "ha2"]),
])
def test_every_ends_a_title(more, text, expected):
    assert found(more, text) == expected


def test_a_comparative_after_even_is_no_title(more):
    assert found(more, "catching fire even better") == ["cf"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Totoro and Mononoke", ["to", "mo"]),
    ("Gatsby, Totoro", ["gg", "to"]),
])
def test_a_word_of_one_title_alone_typed_as_a_name_in_a_list_names_it(more, text, expected):
    assert found(more, text) == expected


@pytest.mark.parametrize("text", [
    "Tolkien, Rowling and Martin",  # a word of a category (an author) too
    "Paris, Rome and Berlin",  # a word of two titles
    "totoro and mononoke style",  # typed lowercase
])
def test_a_word_of_titles_names_nothing_otherwise(more, text):
    assert found(more, text) == []


def test_a_series_name_and_a_number_is_the_book_noted_so():
    books = [("hg", "The Hunger Games (The Hunger Games, #1)", 2008), ("cf", "Catching Fire (The Hunger Games, #2)", 2009),
             ("t1", "Twilight (Twilight, #1)", 2005), ("t2", "New Moon (Twilight, #2)", 2006),
             ("tg", "Twilight: The Graphic Novel", 2010)]
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Someone",), year=year)
                                             for i, title, year in books))
    matcher = TitleMatcher(catalog, NoMeaning(), NoMeaning())
    assert found(matcher, "twilight 2") == ["t2"]
    assert found(matcher, "the hunger games 2 and twilight") == ["cf", "t1"]


def test_the_last_word_of_a_long_title_names_nothing():
    matcher = matcher_of(("fa", "Free Angela and All Political Prisoners", 2012, ()), ("zo", "Zodiac", 2007, ()))
    assert found(matcher, "Gone Girl, Zodiac and Prisoners") == ["zo"]

"""Titles as people type them in a chat widget: the failure classes the ninth blind development
sets of issue 19 found (data/nlu-dev/requests_blind9_*.yml), in wordings of their own, on small
catalogs of their own so that they hold for any catalog. Words that open or close a clause, a
heading word before a colon, an adjective that is a title's word less its ending, a letter of a
name before "and", a list's predicate, acronyms with a number or opening the message, series a
catalog names by a shared beginning and numbers by release only, a series' acronym before a
member's words, an original title with "or" and "and" inside, and a whole title typed without
its apostrophe that ends on a noun of a kind of thing ("its kind of a funny story")."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("mx", "The Matrix", 1999, ("Sci-Fi",)), ("he", "Heat", 1995, ("Crime",)),
        ("ma", "The Martian", 2015, ("Sci-Fi",)), ("mr", "The Matrix Reloaded", 2003, ("Sci-Fi",)),
        ("inc", "The Incredibles", 2004, ("Animation",)), ("db", "Das Boot", 1981, ("War",)),
        ("ca", "Casablanca", 1942, ("Romance",)), ("no", "Notorious", 1946, ("Thriller",)),
        ("we", "WALL-E", 2008, ("Animation",)), ("up", "Up", 2009, ("Animation",)), ("co", "Coco", 2017, ("Animation",)),
        ("dv", "La Dolce Vita", 1960, ("Drama",)), ("cp", "Cinema Paradiso", 1988, ("Drama",)),
        ("t2", "Terminator 2: Judgment Day", 1991, ("Action",)), ("al", "Aliens", 1986, ("Action",)),
        ("hp1", "Harry Potter and the Sorcerer's Stone", 2001, ("Fantasy",)),
        ("hp2", "Harry Potter and the Chamber of Secrets", 2002, ("Fantasy",)),
        ("hp3", "Harry Potter and the Prisoner of Azkaban", 2004, ("Fantasy",)),
        ("hp8", "Harry Potter and the Deathly Hallows: Part 2", 2011, ("Fantasy",)),
        ("lr1", "The Lord of the Rings: The Fellowship of the Ring", 2001, ("Fantasy",)),
        ("lr2", "The Lord of the Rings: The Two Towers", 2002, ("Fantasy",)),
        ("lr3", "The Lord of the Rings: The Return of the King", 2003, ("Fantasy",)),
        ("bb1", "Beauty and the Beast", 1946, ("Fantasy",)), ("bb2", "Beauty and the Beast", 1991, ("Animation",)),
        ("bs", "Beauty Shop", 2005, ("Comedy",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("we have seen already the matrix and heat", ["mx", "he"]),
    ("my wife adored the martian because of the jokes", ["ma"]),
    ("the martian although long was fun", ["ma"]),
    ("the matrix and heat", ["mx", "he"]),  # a control
])
def test_a_clause_word_after_a_lowercase_title_ends_it(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Das Boot, honestly incredible", ["db"]),
    ("Das Boot and The Incredibles", ["db", "inc"]),  # a control
])
def test_a_word_less_the_ending_of_a_title_word_is_another_word(films, text, expected):
    assert found(films, text) == expected


def test_fav_before_a_colon_is_a_heading(films):
    assert found(films, "all time fav: 'Casablanca', 'Notorious'") == ["ca", "no"]


@pytest.mark.parametrize(("text", "expected"), [
    ("wall e and up, for the kids", ["we", "up"]),
    ("la dolce vita e cinema paradiso", ["dv", "cp"]),  # a control: "e" is "and" between names
])
def test_a_letter_before_and_is_part_of_a_name(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("coco and up made us cry", ["co", "up"]),
    ("we looked it up when we were sad", []),  # a control: no list
])
def test_a_list_ends_where_its_predicate_begins(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("t2 and aliens, peak action", ["t2", "al"]),
    ("ww2 and aliens", ["al"]),  # a control: a chat acronym
])
def test_a_lowercase_acronym_with_a_number_names_its_title(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("harry potter 1-3 on repeat", ["hp1", "hp2", "hp3"]),
    ("anything like harry potter 2 please", ["hp2"]),
    ("lord of the rings 2 and 3", ["lr2", "lr3"]),
    ("harry potter 4", []),  # the fourth is not the catalog's next, which numbers itself ("Part 2")
    ("beauty 2", []),  # two titles beginning alike are no series
])
def test_a_series_named_by_its_beginning_is_numbered_by_release(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("lotr fellowship and two towers", ["lr1", "lr2"]),
    ("LOTR return of the king, obviously", ["lr3"]),
    ("lotr 1-3", ["lr1", "lr2", "lr3"]),
])
def test_a_series_acronym_before_a_members_words_names_it(films, text, expected):
    assert found(films, text) == expected


@pytest.fixture(scope="module")
def books() -> TitleMatcher:
    rows = [("7", "The Hobbit", 1937, "J.R.R. Tolkien", "The Hobbit or There and Back Again"),
            ("19", "The Fellowship of the Ring (The Lord of the Rings, #1)", 1954, "J.R.R. Tolkien", ""),
            ("155", "The Two Towers (The Lord of the Rings, #2)", 1954, "J.R.R. Tolkien", ""),
            ("4407", "Inside Out & Back Again", 2011, "Thanhha Lai", ""),
            ("6", "The Fault in Our Stars", 2012, "John Green", ""),
            ("14", "Animal Farm", 1945, "George Orwell", ""), ("13", "1984", 1949, "George Orwell", ""),
            ("846", "Animal Farm / 1984", 2003, "George Orwell", "Animal Farm & 1984"),
            ("564", "It's Kind of a Funny Story", 2006, "Ned Vizzini", ""), ("88", "Paper Towns", 2008, "John Green", "")]
    catalog = Catalog(path=None, items=tuple(
        Item(i, title, f"{title}.", (author,), year=year, attributes={"original_title": original} if original else {})
        for i, title, year, author, original in rows))
    return TitleMatcher(catalog, NoMeaning(), NoMeaning())


@pytest.mark.parametrize(("text", "expected"), [
    ("the hobbit or there and back again, something like it", ["7"]),
    ("lotr fellowship, then the two towers", ["19", "155"]),
    ("tfios wrecked me", ["6"]),
    ("animal farm and 1984", ["14", "13"]),  # a control: a box set's original title joins two titles
    ("its kind of a funny story and paper towns", ["564", "88"]),  # a whole title ending on "story"
])
def test_other_names_of_books(books, text, expected):
    assert found(books, text) == expected

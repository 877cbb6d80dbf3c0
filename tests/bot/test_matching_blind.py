"""Titles as people type them in chat widgets and forums: the failure classes the blind
development sets of issue 19 found (data/nlu-dev/requests_blind_*.yml), each on a small catalog
of its own, so that they hold for any catalog."""

from __future__ import annotations

import pytest
from title_matchers import found, matcher_of

from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("bi", "The Bourne Identity", 2002, ()), ("bs", "The Bourne Supremacy", 2004, ()),
        ("bu", "The Bourne Ultimatum", 2007, ()), ("mx", "The Matrix", 1999, ()),
        ("mrl", "The Matrix Reloaded", 2003, ()), ("mrv", "The Matrix Revolutions", 2003, ()),
        ("av", "The Avengers", 2012, ()), ("ae", "Avengers: Endgame", 2019, ()), ("im", "Iron Man", 2008, ()),
        ("dh", "Die Hard", 1988, ()), ("dh2", "Die Hard 2", 1990, ()),
        ("ts", "Toy Story", 1995, ()), ("ts2", "Toy Story 2", 1999, ()), ("ts3", "Toy Story 3", 2010, ()),
        ("ts4", "Toy Story 4", 2019, ()), ("up", "Up", 2009, ()),
        ("gf", "The Godfather", 1972, ()), ("gf2", "The Godfather Part II", 1974, ()),
        ("gf3", "The Godfather Part III", 1990, ()),
        ("jw3", "John Wick: Chapter 3 - Parabellum", 2019, ()), ("jw4", "John Wick: Chapter 4", 2023, ()),
        ("he", "The Hateful Eight", 2015, ()), ("oe", "Ocean's Eleven", 2001, ()), ("dj", "Django Unchained", 2012, ()),
        ("st", "The Sting", 1973, ()), ("e", "Eight", 1998, ()), ("t", "Tangled", 2010, ()),
        ("lotr2", "The Lord of the Rings: The Two Towers", 2002, ()),
        ("lotr1", "The Lord of the Rings: The Fellowship of the Ring", 2001, ()),
        ("saw", "Saw", 2004, ()), ("fd", "Final Destination", 2000, ()), ("sc", "Scream", 1996, ()),
        ("a", "Alien", 1979, ()), ("as", "Aliens", 1986, ()), ("th", "The Thing", 1982, ()),
        ("her", "Hereditary", 2018, ()), ("mid", "Midsommar", 2019, ()),
        ("nb", "The Notebook", 2004, ()), ("ti", "Titanic", 1997, ()), ("rt", "Remember the Titans", 2000, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("The Bourne Identity / Supremacy / Ultimatum", ["bi", "bs", "bu"]),
    ("Matrix Reloaded and Revolutions", ["mrl", "mrv"]),
    ("Iron Man + The Avengers + Endgame", ["im", "av", "ae"]),
    ("die hard 1 and 2 are the best action films ever made", ["dh", "dh2"]),
    ("John Wick 3 and 4", ["jw3", "jw4"]),
])
def test_what_listed_titles_share_may_be_left_out(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("my faves r toy story 1-3 + up", ["ts", "ts2", "ts3", "up"]),
    ("the first two godfather movies are my all time faves", ["gf", "gf2"]),
])
def test_titles_of_a_series_named_by_their_numbers(films, text, expected):
    assert found(films, text) == expected


def test_the_first_of_a_series_may_be_typed_with_a_1(films):
    assert found(films, "die hard 1") == ["dh"]


def test_the_first_books_of_a_series_are_found_by_the_series_noted_in_their_titles():
    books = matcher_of(("hg", "The Hunger Games (The Hunger Games, #1)", 2008, ()),
                       ("cf", "Catching Fire (The Hunger Games, #2)", 2009, ()),
                       ("mj", "Mockingjay (The Hunger Games, #3)", 2010, ()))

    assert found(books, "the first two Hunger Games books were great, the third not so much") == ["hg", "cf"]


@pytest.mark.parametrize(("text", "expected"), [
    ("django unchained and the hateful 8", ["dj", "he"]),
    ("Ocean's 11 and The Sting, clever heists", ["oe", "st"]),
    ("Fellowship of the Ring and The Two Towers", ["lotr1", "lotr2"]),
])
def test_numbers_read_alike_in_digits_and_words(films, text, expected):
    assert found(films, text) == expected


def test_a_number_alone_is_no_title_spelled_out(films):
    assert found(films, "Hi, my daughter is 8 and she adores Tangled. What else would she like?") == ["t"]


def test_an_emoji_ends_a_sentence(films):
    assert found(films, "loved alien, aliens and the thing 😍 what else?") == ["a", "as", "th"]


def test_an_equals_sign_breaks_like_punctuation(films):
    assert found(films, "hereditary + midsommar = ari aster fan") == ["her", "mid"]


def test_the_first_title_of_a_list_may_be_a_word_typed_as_a_name(films):
    assert found(films, "Saw, Final Destination & Scream - gimme more like those") == ["saw", "fd", "sc"]
    assert found(films, "Saw, i liked it") == []


def test_the_last_word_of_a_longer_name_is_no_part_of_a_title(films):
    assert found(films, "The Notebook, A Walk to Remember, Titanic") == ["nb", "ti"]
    assert found(films, "Similar to Titanic please") == ["ti"]


def test_a_title_several_items_share_is_the_one_by_the_author_of_the_others():
    books = matcher_of(("tw", "Twilight (Twilight, #1)", 2005, ("Stephenie Meyer",)),
                       ("nm", "New Moon (Twilight, #2)", 2006, ("Stephenie Meyer",)),
                       ("wtw", "Twilight (Warriors: The New Prophecy, #5)", 2006, ("Erin Hunter",)),
                       ("bd", "Blink", 2002, ("Ted Dekker",)),
                       ("bg", "Blink: The Power of Thinking Without Thinking", 2005, ("Malcolm Gladwell",)),
                       ("o", "Outliers: The Story of Success", 2008, ("Malcolm Gladwell",)))

    assert found(books, "twilight and new moon") == ["tw", "nm"]
    assert found(books, "outliers and blink") == ["o", "bg"]
    assert found(books, "twilight") == ["wtw"]  # nothing else to go by: the most recent, as before


def test_the_series_typed_before_a_title_is_no_title_of_its_own():
    books = matcher_of(("lt", "The Lightning Thief (Percy Jackson and the Olympians, #1)", 2005, ()),
                       ("sm", "The Sea of Monsters (Percy Jackson and the Olympians, #2)", 2006, ()),
                       ("gg", "Percy Jackson's Greek Gods", 2014, ()))

    assert found(books, "percy jackson lightning thief and sea of monsters") == ["lt", "sm"]


def test_the_name_of_a_series_is_its_first_book_when_nothing_else_has_it():
    books = matcher_of(("fe", "The Final Empire (Mistborn, #1)", 2006, ()),
                       ("wa", "The Well of Ascension (Mistborn, #2)", 2007, ()),
                       ("wk", "The Way of Kings (The Stormlight Archive, #1)", 2010, ()))

    assert found(books, "Mistborn and The Way of Kings 🔥 more Sanderson please") == ["fe", "wk"]


@pytest.mark.parametrize("text", ["stand by me & the goonies & e.t.", "ET and Stand by Me"])
def test_the_initials_a_title_begins_with_name_it(text):
    films = matcher_of(("et", "E.T. the Extra-Terrestrial", 1982, ()), ("sbm", "Stand by Me", 1986, ()),
                       ("g", "The Goonies", 1985, ()))

    assert sorted(found(films, text)) == sorted(["et", "sbm"] + (["g"] if "goonies" in text else []))


def test_a_title_may_end_on_a_chat_word_between_separators():
    books = matcher_of(("ge", "Green Eggs and Ham", 1960, ()), ("op", "Oh, The Places You'll Go!", 1990, ()))

    assert found(books, "Green Eggs & Ham and Oh the Places Youll Go") == ["ge", "op"]


def test_an_abbreviation_reads_as_its_word():
    films = matcher_of(("sb", "Sunset Boulevard", 1950, ()), ("ck", "Citizen Kane", 1941, ()),
                       ("dz", "Doctor Zhivago", 1965, ()), ("dn", "Dr. No", 1962, ()))

    assert found(films, "Citizen Kane and Sunset Blvd") == ["ck", "sb"]
    assert found(films, "dr zhivago and Dr. No") == ["dz", "dn"]

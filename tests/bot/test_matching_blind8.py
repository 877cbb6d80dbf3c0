"""Titles inside chatty messages full of other names: the failure classes the eighth blind
development sets of issue 19 found (data/nlu-dev/requests_blind8_*.yml), on a small catalog of their
own so that they hold for any catalog. People, places, days, authors in the possessive and
franchises are typed capitalized as titles are, and must name nothing; the titles beside them must
still be found."""

from __future__ import annotations

import pytest
from title_matchers import found, matcher_of

from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def titles() -> TitleMatcher:
    return matcher_of(
        ("lo", "Logan", 2017, ("Action",)), ("chi", "Chicago", 2002, ("Musical",)),
        ("ca", "Carrie", 1976, ("Stephen King",)), ("ro", "Rocky", 1976, ("Sport",)),
        ("hw", "Halloween", 1978, ("Horror",)), ("sc", "Scream", 1996, ("Horror",)),
        ("dep", "The Departed", 2006, ("Crime",)), ("he", "Heat", 1995, ("Crime",)),
        ("col", "Collateral", 2004, ("Crime",)), ("sat", "Saturday", 2005, ("Ian McEwan",)),
        ("rome", "Rome (Marked Men, #3)", 2013, ("Jay Crownover",)),
        ("sh", "The Shining (The Shining #1)", 1977, ("Stephen King",)), ("ki", "King (King, #1)", 2016, ("T.M. Frazier",)),
        ("mi", "Misery", 1987, ("Stephen King",)), ("er", "Eragon (The Inheritance Cycle, #1)", 2002, ("Christopher Paolini",)),
        ("el", "Eldest (The Inheritance Cycle, #2)", 2005, ("Christopher Paolini",)),
        ("bt", "Better: A Surgeon's Notes on Performance", 2007, ("Atul Gawande",)),
        ("at", "Atonement", 2001, ("Ian McEwan",)), ("nl", "Never Let Me Go", 2005, ("Kazuo Ishiguro",)),
        ("se", "Started Early, Took My Dog (Jackson Brodie, #4)", 2010, ("Kate Atkinson",)),
        ("me", "Me: Stories of My Life", 1991, ("Katharine Hepburn",)),
        ("ij", "Indiana Jones and the Last Crusade", 1989, ("Adventure",)),
        ("pj", "Percy Jackson & the Olympians: The Ultimate Guide", 2010, ("Rick Riordan",)),
        ("ls", "The Last Summer (of You and Me)", 2007, ("Ann Brashares",)),
        ("ha", "Hamlet", 1600, ("William Shakespeare",)), ("mac", "Macbeth", 1606, ("William Shakespeare",)),
        ("shw", "Shakespeare: The World as Stage", 2007, ("Bill Bryson",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("My friend Logan recommended The Departed, anything similar?", ["dep"]),
    ("a Stephen King adaptation, my mum Carrie loves those", []),
    ("my brother Rocky wants something for tonight", []),
    ("Tolkien and Heat for my husband Rocky", ["he"]),
    ("I loved Logan and Heat", ["lo", "he"]),  # a control: no one's name
])
def test_a_name_after_a_possessive_and_a_person_is_someones(titles, text, expected):
    assert found(titles, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm after something like Heat or Collateral, my buddy Mike from Chicago swears by Michael Mann", ["he", "col"]),
    ("more like Scream please, watched it with Jenny on Halloween night", ["sc"]),
    ("On Saturday at the shop in Rome I picked up Atonement", ["at"]),
    ("Last summer in Rome I read Atonement on the terrace", ["at"]),
    ("grew up on Rocky and Heat", ["ro", "he"]),  # controls: a list goes on, "similar to"
    ("something similar to Chicago", ["chi"]),
    ("Al Pacino in Heat was amazing, what else is like that", ["he"]),  # an actor in a film
    ("we loved Richard Gere in Chicago", ["chi"]),
])
def test_a_name_after_a_preposition_is_a_place_or_a_day(titles, text, expected):
    assert found(titles, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("King's The Shining and King's Misery for a rainy October weekend", ["sh", "mi"]),
    ("Percy Jackson's Misery, no really, King's Misery", ["mi"]),
    ("Is Eragon better than Eldest? I liked both", ["er", "el"]),
    ("I finished Atonement and started Never Let Me Go", ["at", "nl"]),
    ("Me and Priya from uni read Atonement in January", ["at"]),
    ("Hamlet, Macbeth - Shakespeare marathon in May", ["ha", "mac"]),
])
def test_possessives_comparatives_verbs_and_authors_beside_titles_name_nothing(titles, text, expected):
    assert found(titles, text) == expected


@pytest.mark.parametrize("text", [
    "an Indiana Jones kind of adventure for tonight",
    "something like the Percy Jackson series",
])
def test_part_of_a_title_before_a_kind_of_thing_is_a_franchise(titles, text):
    assert found(titles, text) == []


def test_part_of_titles_before_a_kind_across_and_is_a_franchise():
    matcher = matcher_of(("hp", "Harry Potter and the Goblet of Fire", 2005, ()),
                         ("tt", "The Lord of the Rings: The Two Towers", 2002, ()), ("he", "Heat", 1995, ()))
    assert found(matcher, "I'm a huge Harry Potter and Lord of the Rings fan, what else would I like?") == []
    assert found(matcher, "Heat and the Harry Potter films") == ["he"]


@pytest.fixture(scope="module")
def classics() -> TitleMatcher:
    # (Jaws and Jurassic Park share a category Close Encounters lacks, as on the demo catalog)
    return matcher_of(("ck", "The Catcher in the Rye", 1951, ()), ("tk", "To Kill a Mockingbird", 1960, ()),
                      ("jp", "Jurassic Park", 1993, ("Adventure",)), ("ja", "Jaws", 1975, ("Thriller", "Adventure")),
                      ("ce", "Close Encounters of the Third Kind", 1977, ("Science Fiction",)), ("pa", "Park Life", 2010, ()))


@pytest.mark.parametrize(("text", "expected"), [
    ("to kill a mockingbrid and the catcher in the rey", ["tk", "ck"]),
    ("i liked jurasic prak a lot", ["jp"]),
    ("i like stuff like jaws, jurassic park, close encounters etc", ["ja", "jp", "ce"]),
    ("jaws, close encounters etc. anything like those?", ["ja", "ce"]),
])
def test_swapped_letters_in_two_words_and_lists_closed_by_etc(classics, text, expected):
    assert found(classics, text) == expected

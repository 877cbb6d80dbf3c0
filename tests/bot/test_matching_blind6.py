"""Titles as seekers name them in the opening messages of recommendation dialogues (ReDial-like):
the failure classes the sixth blind development sets of issue 19 found
(data/nlu-dev/requests_blind6_*.yml), each on a small catalog of its own, so that they hold for
any catalog; and ordinary sentences whose words are titles, which must name nothing."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("gg", "Gone Girl", 2014, ()), ("pr", "Prisoners", 2013, ()), ("ps", "Psycho", 1960, ()),
        ("bi", "The Birds", 1963, ()), ("dd", "Donnie Darko", 2001, ()), ("pm", "Primer", 2004, ()),
        ("jb", "The Jungle Book", 1967, ()), ("lk", "The Lion King", 1994, ()), ("av", "The Avengers", 2012, ()),
        ("ae", "Avengers: Endgame", 2019, ()), ("ib", "Inglourious Basterds", 2009, ()),
        ("kb1", "Kill Bill: Vol. 1", 2003, ()), ("kb2", "Kill Bill: Vol. 2", 2004, ()),
        ("hg", "Monty Python and the Holy Grail", 1975, ()), ("lb", "Monty Python's Life of Brian", 1979, ()),
        ("ra", "Raiders of the Lost Ark", 1981, ()), ("td", "Indiana Jones and the Temple of Doom", 1984, ()),
        ("lc", "Indiana Jones and the Last Crusade", 1989, ()),
        ("fe", "The Lord of the Rings: The Fellowship of the Ring", 2001, ()),
        ("rk", "The Lord of the Rings: The Return of the King", 2003, ()),
        ("to", "My Neighbor Totoro", 1988, ()), ("ki", "Kiki's Delivery Service", 1989, ()),
        ("he", "Heat", 1995, ()), ("dr", "Drive", 2011, ()),
        ("hp7", "Harry Potter and the Deathly Hallows: Part 2", 2011, ()), ("jw2", "John Wick: Chapter 2", 2017, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("gone girl wrecked me and prisoners too", ["gg", "pr"]),
    ("psycho and the birds scared me as a kid", ["ps", "bi"]),
    ("donnie darko and primer messed with my head", ["dd", "pm"]),
    ("heat and drive when i was sick", ["he", "dr"]),
    ("drive ruined me", []),  # one word opening the message is rather its subject
])
def test_a_lowercase_title_ends_where_its_predicate_begins(films, text, expected):
    assert found(films, text) == expected


def test_a_whole_title_with_its_own_article_after_a_preposition_is_named(films):
    assert found(films, "we grew up on the jungle book and the lion king") == ["jb", "lk"]


def test_what_two_titles_share_left_out_keeps_the_first(films):
    assert found(films, "i watched the avengers and endgame") == ["av", "ae"]


@pytest.mark.parametrize(("text", "expected"), [
    ("harry potter 2 and heat", ["he"]),  # the "2" of "Part 2" follows other words
    ("john wick 2 and heat", ["jw2", "he"]),  # a control: "Chapter 2" follows "John Wick"
    ("the first two harry potter movies and heat", ["he"]),  # a number typed first begins no "Part 2"
])
def test_a_number_typed_after_a_name_stands_after_it_in_the_title(films, text, expected):
    assert found(films, text) == expected


def test_a_name_of_numbered_parts_is_the_first_part(films):
    assert found(films, "inglorious bastards and kill bill") == ["ib", "kb1"]
    assert found(films, "kill bill 2 and heat") == ["kb2", "he"]


@pytest.mark.parametrize(("text", "expected"), [
    ("monty python holy grail and life of brian", ["hg", "lb"]),
    ("indiana jones temple of doom & last crusade", ["td", "lc"]),
    ("raiders of the lost ark and the last crusade", ["ra", "lc"]),
])
def test_a_title_typed_without_its_small_words_is_named(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("i rewatched fellowship and return of the king this weekend", ["fe", "rk"]),
    ("fellowship + return of the king", ["fe", "rk"]),
    ("we watch totoro and kikis delivery service all the time", ["to", "ki"]),
    ("a fellowship of friends and heat", ["he"]),  # not before the title: a word of the sentence
])
def test_a_rare_word_of_one_title_before_another_title_names_it(films, text, expected):
    assert found(films, text) == expected


@pytest.fixture(scope="module")
def books() -> TitleMatcher:
    return matcher_of(
        ("hp3", "Harry Potter and the Prisoner of Azkaban (Harry Potter, #3)", 1999, ("J.K. Rowling",)),
        ("hp6", "Harry Potter and the Half-Blood Prince (Harry Potter, #6)", 2005, ("J.K. Rowling",)),
        ("vv", "V for Vendetta", 1990, ("Alan Moore",)), ("wm", "Watchmen", 1987, ("Alan Moore",)),
        ("gf", "The Goldfinch", 2013, ("Donna Tartt",)), ("ch", "Chemistry", 2017, ("Weike Wang",)),
        ("er", "Eragon (The Inheritance Cycle, #1)", 2002, ("Christopher Paolini",)),
        ("el", "Eldest (The Inheritance Cycle, #2)", 2005, ("Christopher Paolini",)),
        ("mm", "Make Me (Jack Reacher, #20)", 2015, ("Lee Child",)), ("th", "The Help", 2009, ("Kathryn Stockett",)),
        ("up", "Up", 2009, ("Pete Docter",)), ("nm", "Finding Nemo", 2003, ("Andrew Stanton",)),
        ("se", "The Sea", 2005, ("John Banville",)), ("sb", "The Secret Life of Bees", 2001, ("Sue Monk Kidd",)),
        ("wz", "The Last of the Wizards", 2017, ("Cressida Cowell",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("i just finished the prisoner of azkaban & the half blood prince", ["hp3", "hp6"]),
    ("v for vendetta and watchmen, alan moore", ["vv", "wm"]),
    ("lessons in chemistry and the goldfinch", ["gf"]),
    ("eragon and eldest when i was 12", ["er", "el"]),
])
def test_titles_among_words_of_the_sentence_are_named(books, text, expected):
    assert found(books, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("the help, loved it. also the secret life of bees", ["th", "sb"]),
    ("up, liked it a lot", ["up"]),
    ("hello, loved it", []),  # a control: no title
])
def test_a_title_opening_a_sentence_before_a_comment_on_it_is_named(books, text, expected):
    assert found(books, text) == expected


@pytest.mark.parametrize("text", [
    "i want a book that will make me cry",
    "i'm in a reading slump, help",
])
def test_words_of_the_sentence_are_no_titles(books, text):
    assert found(books, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("finding nemo, up", ["nm", "up"]),  # a list
    ("dragons, wizards and the sea", []),  # ordinary words, as before
])
def test_a_title_of_chat_words_counts_in_a_list(books, text, expected):
    assert found(books, text) == expected


def test_of_same_titled_items_the_most_rated_is_meant():
    items = (Item("w1", "Wicked: The Life and Times of the Wicked Witch of the West", "A novel.", ("Gregory Maguire",),
                  year=1995, attributes={"ratings_count": 450000}),
             Item("w2", "Wicked", "A novel.", ("Jennifer L. Armentrout",), year=2014, attributes={"ratings_count": 30000}),
             Item("w3", "Wicked", "A novel.", ("Someone Else",), year=2016, attributes={"ratings_count": 900}),
             Item("ee", "Ella Enchanted", "A novel.", ("Gail Carson Levine",), year=1997))
    catalog = Catalog(path=None, items=items)
    assert found(TitleMatcher(catalog, NoMeaning(), NoMeaning()), "wicked and ella enchanted") == ["w2", "ee"]


def test_the_rating_count_is_read_from_whichever_attribute_the_catalog_has():
    items = (Item("w2", "Wicked", "A novel.", ("Jennifer L. Armentrout",), year=2014, attributes={"votes": 30000}),
             Item("w3", "Wicked", "A novel.", ("Someone Else",), year=2016, attributes={"votes": 900}),
             Item("ee", "Ella Enchanted", "A novel.", ("Gail Carson Levine",), year=1997))
    catalog = Catalog(path=None, items=items)
    assert found(TitleMatcher(catalog, NoMeaning(), NoMeaning()), "wicked and ella enchanted") == ["w2", "ee"]

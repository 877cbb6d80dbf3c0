"""Titles as seekers compare, hedge and number them in recommendation dialogues: the failure classes
the seventh blind development sets of issue 19 found (data/nlu-dev/requests_blind7_*.yml), each on
a small catalog of its own, so that they hold for any catalog; and ordinary sentences whose words
are titles, which must name nothing."""

from __future__ import annotations

import pytest
from title_matchers import found, matcher_of

from bot.matching import TitleMatcher


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("ts3", "Toy Story 3", 2010, ()), ("up", "Up", 2009, ()), ("co", "Coco", 2017, ()),
        ("rt", "The Royal Tenenbaums", 2001, ()), ("ru", "Rushmore", 1998, ()),
        ("kk33", "King Kong", 1933, ()), ("kk05", "King Kong", 2005, ()),
        ("us", "Us", 2019, ()), ("go", "Get Out", 2017, ()), ("no", "Nope", 2022, ()),
        ("1917", "1917", 2019, ()), ("dk", "Dunkirk", 2017, ()),
        ("bf1", "Back to the Future", 1985, ()), ("bf2", "Back to the Future Part II", 1989, ()),
        ("bf3", "Back to the Future Part III", 1990, ()),
        ("kb1", "Kill Bill: Vol. 1", 2003, ()), ("kb2", "Kill Bill: Vol. 2", 2004, ()),
        ("ar", "Arrival", 2016, ()), ("bt", "Better", 2010, ()), ("hs", "Harry Potter and the Chamber of Secrets", 2002, ()),
        ("hz", "Harry Potter and the Prisoner of Azkaban", 2004, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("toy story 3 was great, coco less so", ["ts3", "co"]),
    ("coco was fun, arrival best of all", ["co", "ar"]),
    ("coco was fine, toy story 3 slightly less so", ["co", "ts3"]),
])
def test_a_comparison_after_a_lowercase_title_is_a_comment_on_it(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("arrival was better", ["ar"]),
    ("coco is better imo", ["co"]),
    ("arrival and better", ["ar", "bt"]),  # a control: listed, the word is a title
])
def test_one_word_after_was_that_follows_a_name_is_said_of_it(films, text, expected):
    assert found(films, text) == expected


def test_a_modal_after_a_lowercase_title_begins_its_predicate(films):
    assert found(films, "toy story 3 might be the saddest of them") == ["ts3"]


def test_a_word_of_one_title_alone_before_a_one_word_title_names_it(films):
    assert found(films, "tenenbaums and rushmore are my wes anderson picks") == ["rt", "ru"]


@pytest.mark.parametrize(("text", "expected"), [
    ("the 1933 king kong please", ["kk33"]),
    ("the 2005 king kong please", ["kk05"]),
])
def test_a_year_between_an_article_and_a_title_picks_among_same_titled_items(films, text, expected):
    assert found(films, text) == expected


def test_a_titles_year_does_not_hide_the_list_mark_after_it(films):
    assert found(films, "chamber of secrets (2002) and prisoner of azkaban (2004)") == ["hs", "hz"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Nope was scary. Us was ok", ["no", "us"]),
    ("Get Out was smart. Us is weirder", ["go", "us"]),
    ("a film for both of us", []),  # a control: an object pronoun as one
])
def test_an_object_pronoun_before_was_is_a_title(films, text, expected):
    assert found(films, text) == expected


def test_a_number_opening_a_message_before_and_and_a_title_names_its_title(films):
    assert found(films, "1917 and dunkirk, war films") == ["1917", "dk"]
    assert found(films, "2019 and later please") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("kill bill vol. 2 is better than vol. 1", ["kb2", "kb1"]),
    ("back to the future part ii, and part 3 too", ["bf2", "bf3"]),
    ("back to the future part iii was fun but part 1 is the classic", ["bf3", "bf1"]),
])
def test_a_part_named_by_its_number_alone_is_of_the_title_before(films, text, expected):
    assert found(films, text) == expected


@pytest.fixture(scope="module")
def books() -> TitleMatcher:
    return matcher_of(
        ("gs", "The Gunslinger (The Dark Tower, #1)", 1982, ("Stephen King",)),
        ("dt2", "The Drawing of the Three (The Dark Tower, #2)", 1987, ("Stephen King",)),
        ("dt7", "The Dark Tower (The Dark Tower, #7)", 2004, ("Stephen King",)),
        ("mi", "Misery", 1987, ("Stephen King",)), ("ca", "Carrie", 1974, ("Stephen King",)),
        ("ki", "King (King, #1)", 2013, ("T.M. Frazier",)),
        ("or", "On the Road", 1957, ("Jack Kerouac",)), ("iw", "In the Woods", 2007, ("Tana French",)),
        ("ls", "The Last Summer (of You and Me)", 2007, ("Ann Brashares",)), ("sd", "Siddhartha", 1922, ("Hermann Hesse",)),
        ("gf", "The Goldfinch", 2013, ("Donna Tartt",)), ("sh", "The Secret History", 1992, ("Donna Tartt",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("Misery and Carrie are the King books I like", ["mi", "ca"]),
    ("the gunslinger and the drawing of the three, the best dark tower books", ["gs", "dt2"]),
    ("the gunslinger and the dark tower", ["gs", "dt7"]),  # a control: no noun of the items after it
])
def test_a_series_or_an_author_before_a_plural_noun_of_the_items_names_none(books, text, expected):
    assert found(books, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a thriller for one more night on the road", []),
    ("the story of a boy who grows up in the woods", []),
    ("i read on the road and in the woods", ["or", "iw"]),  # a control: after a verb of taste
])
def test_a_lowercase_title_opening_with_a_preposition_after_a_word_of_the_sentence_names_none(books, text, expected):
    assert found(books, text) == expected


def test_last_summer_is_a_time_not_a_title(books):
    assert found(books, "Siddhartha (1922), read it last summer") == ["sd"]
    assert found(books, "the last summer and siddhartha") == ["ls", "sd"]  # a control: with its article


def test_imo_is_chat(books):
    assert found(books, "i liked the secret history more than the goldfinch imo") == ["sh", "gf"]


@pytest.fixture(scope="module")
def series() -> TitleMatcher:
    return matcher_of(
        ("mz1", "The Maze Runner (Maze Runner, #1)", 2009, ("James Dashner",)),
        ("mz2", "The Scorch Trials (Maze Runner, #2)", 2010, ("James Dashner",)),
        ("mz3", "The Death Cure (Maze Runner, #3)", 2011, ("James Dashner",)),
        ("kf", "The First Kiss", 2010, ("Someone Else",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("the third maze runner book was the darkest", ["mz3"]),
    ("the second maze runner book and the maze runner", ["mz2", "mz1"]),
    ("my first kiss story", []),  # a control: no series named
])
def test_an_ordinal_before_a_series_names_that_member(series, text, expected):
    assert found(series, text) == expected


@pytest.fixture(scope="module")
def shelves() -> TitleMatcher:
    return matcher_of(
        ("cf", "Crank (Crank, #1)", 2004, ("Ellen Hopkins",)), ("gl", "Glass (Crank, #2)", 2007, ("Ellen Hopkins",)),
        ("gp", "Secret Pleasures (Secret, #1)", 2012, ("Somebody Else",)),
        ("lf", "No Regrets At All: A Memoir", 2015, ("Another Writer",)),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("crank and glass, secret pleasure", ["cf", "gl"]),  # a typo of another author's title
    ("crank and glass, no regrets", ["cf", "gl"]),  # part of another author's title
    ("crank and glass, secret pleasures", ["cf", "gl", "gp"]),  # a control: the whole title
])
def test_a_loose_lookalike_in_a_comment_after_the_titles_names_none(shelves, text, expected):
    assert found(shelves, text) == expected


def test_then_lists_the_next_title(films):
    assert found(films, "coco is my favourite, then prisoner of azkaban") == ["co", "hz"]


@pytest.fixture(scope="module")
def trilogy() -> TitleMatcher:
    return matcher_of(
        ("fe", "The Lord of the Rings: The Fellowship of the Ring", 2001, ()),
        ("tt", "The Lord of the Rings: The Two Towers", 2002, ()), ("he", "Heat", 1995, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("we rewatched the fellowship, the two towers after it", ["fe", "tt"]),
    ("a fellowship of friends and heat", ["he"]),  # a control: not before the title
])
def test_a_word_of_one_title_with_its_article_before_another_title_names_it(trilogy, text, expected):
    assert found(trilogy, text) == expected

"""Other names people type for titles (issue 19): numbers written in a word ("Se7en" typed "seven")
or in two ("twenty one"), acronyms ("LOTR", "ACOTAR", "T2"), a catalog's alternative titles, leading
articles dropped or moved; and the ordinary sentences none of them may read as titles."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher, _tokenize, normalize_title


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("se7en", "Se7en", 1995, ()), ("zodiac", "Zodiac", 2007, ()), ("fc", "Fight Club", 1999, ()),
        ("sn", "The Social Network", 2010, ()), ("eight", "Eight", 1998, ()), ("tangled", "Tangled", 2010, ()),
        ("t1", "The Terminator", 1984, ()), ("t2", "Terminator 2: Judgment Day", 1991, ()),
        ("lotr1", "The Lord of the Rings: The Fellowship of the Ring", 2001, ()),
        ("lotr2", "The Lord of the Rings: The Two Towers", 2002, ()),
        ("lotr3", "The Lord of the Rings: The Return of the King", 2003, ()),
        ("bttf", "Back to the Future", 1985, ()), ("alien", "Alien", 1979, ()),
        ("hp1", "Harry Potter and the Sorcerer's Stone", 2001, ()), ("hocus", "Hocus Pocus", 1993, ()),
        ("planet", "Hidden Planet", 2000, ()),
        ("jump", "21 Jump Street", 2012, ()), ("oceans", "Ocean's Eleven", 2001, ()),
        ("space", "2001: A Space Odyssey", 1968, ()), ("matrix", "The Matrix", 1999, ()),
        ("godfather", "The Godfather", 1972, ()), ("hobbit", "The Hobbit", 2012, ()),
        # titles whose acronyms are words of everyday sentences
        ("it", "It", 2017, ()), ("good", "Gone Out of Darkness", 2015, ()), ("wife", "Wild Innocent Fierce Eagles", 2011, ()),
        ("usa", "Under Siege Again", 1999, ()), ("am", "After Midnight", 2020, ()), ("ago", "All Good Ones", 2016, ()),
        ("that", "Take Her All Together", 2001, ()), ("film", "Four Interesting Little Murders", 1990, ()),
    )


def test_a_number_written_in_a_word_reads_as_the_number():
    assert normalize_title("Se7en") == normalize_title("Seven") == normalize_title("se7en")
    assert normalize_title("Thr3e") == normalize_title("three")
    for word in ("2nd", "4th", "mp3", "4ever", "b2", "80s"):  # no number word around the digits
        assert normalize_title(word) == word


def test_numbers_of_two_words_read_as_digits():
    assert normalize_title("twenty one jump street") == normalize_title("21 Jump Street")
    assert normalize_title("Fifty Shades of Grey") == normalize_title("50 shades of grey")
    assert normalize_title("Ready Player One") == "ready player one"  # "one" alone stays a word


@pytest.mark.parametrize(("text", "expected"), [
    ("Seven and Zodiac, anything that dark?", ["se7en", "zodiac"]),
    ("se7en and zodiac", ["se7en", "zodiac"]),
    ("Fight Club, Se7en and The Social Network — Fincher marathon", ["fc", "se7en", "sn"]),
    ("twenty one jump street and alien", ["jump", "alien"]),
    ("Ocean's 11 and Zodiac", ["oceans", "zodiac"]),
    ("2001 a space odyssey and alien", ["space", "alien"]),
])
def test_titles_with_numbers_are_found_however_the_number_is_written(films, text, expected):
    assert found(films, text) == expected


def test_a_number_word_alone_names_a_title_only_typed_as_one(films):
    assert found(films, "I loved Eight and Tangled") == ["eight", "tangled"]
    assert found(films, "i have seven kids and eight dogs") == []
    assert found(films, "Hi, my daughter is 8 and she adores Tangled.") == ["tangled"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Terminator and T2", ["t1", "t2"]),
    ("BTTF and Alien", ["bttf", "alien"]),
    ("bttf and alien", ["bttf", "alien"]),  # lowercase, four letters, one item: in a list
    ("bttf", ["bttf"]),
])
def test_an_acronym_names_its_title(films, text, expected):
    assert found(films, text) == expected


def test_an_acronym_several_items_of_one_name_share_names_one_of_them_unsure(films):
    matches, _ = films.match_many("LOTR and Zodiac", limit=5, by_meaning=False)
    assert [m.item.id for m in matches][1:] == ["zodiac"]
    assert matches[0].item.id in {"lotr1", "lotr2", "lotr3"} and matches[0].named and not matches[0].sure


def test_an_acronym_of_several_names_or_typed_lowercase_in_a_sentence_names_nothing(films):
    assert found(films, "HP and Zodiac") == ["zodiac"]  # Hocus Pocus or Hidden Planet
    assert found(films, "i loved bttf so much") == []  # lowercase, not in a list
    assert found(films, "lotr and zodiac") == ["zodiac"]  # lowercase, three films


@pytest.mark.parametrize("text", [
    "I want something like it",
    "any good one from the 90s",
    "me and my wife",
    "it's 2 am",
    "it's 2 AM and I can't sleep",
    "ago, i watched a film",
    "OK so what about the USA",
    "am i wrong to like sad films?",
    "I LOVED THAT FILM",
    "that film was good",
    "my wife and i, any good film?",
    "GOOD, and you?",
    "seven of us are coming, pick something",
])
def test_ordinary_sentences_name_no_title(films, text):
    assert found(films, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Matrix and Godfather", ["matrix", "godfather"]),
    ("Hobbit, The; Matrix, The", ["hobbit", "matrix"]),
])
def test_leading_articles_may_be_dropped_or_moved(films, text, expected):
    assert found(films, text) == expected


def test_a_number_typed_in_a_word_stays_one_word_in_any_text():
    assert [t.word for t in _tokenize("Se7en — Fincher")] == ["se7en", "-", "fincher"]
    assert [t.word for t in _tokenize("Alien³ — again")] == ["alien", "3", "-", "again"]


def _books(*items: tuple[str, str, dict]) -> TitleMatcher:
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", ("Someone",), attributes=attributes)
                                             for i, title, attributes in items))
    return TitleMatcher(catalog, NoMeaning(), NoMeaning())


def test_a_catalogs_alternative_titles_name_their_item():
    books = _books(
        ("hp1", "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)",
         {"original_title": "Harry Potter and the Philosopher's Stone"}),
        ("hp6", "Harry Potter and the Half-Blood Prince (Harry Potter, #6)", {}),
        ("gc", "The Golden Compass (His Dark Materials, #1)", {"original_title": "Northern Lights"}),
        ("bt", "Pippi Longstocking", {"alternative_titles": "Pippi Långstrump | Pippi"}),
        ("nd", "Dracula", {"original_title": "The Golden Compass"}),  # another item's title stays its own
    )

    assert found(books, "Harry Potter and the Philosopher's Stone & the Half-Blood Prince") == ["hp1", "hp6"]
    assert found(books, "northern lights and pippi langstrump") == ["gc", "bt"]
    assert found(books, "the golden compass and dracula") == ["gc", "nd"]


def test_acronyms_of_a_series_and_of_its_books():
    books = _books(
        ("got", "A Game of Thrones (A Song of Ice and Fire, #1)", {}),
        ("cok", "A Clash of Kings (A Song of Ice and Fire, #2)", {}),
        ("sos", "A Storm of Swords (A Song of Ice and Fire, #3)", {}),
        ("acotar", "A Court of Thorns and Roses (A Court of Thorns and Roses, #1)", {}),
        ("acomaf", "A Court of Mist and Fury (A Court of Thorns and Roses, #2)", {}),
        ("tog", "Throne of Glass (Throne of Glass, #1)", {}),
    )

    assert found(books, "Throne of Glass and ACOTAR") == ["tog", "acotar"]
    assert found(books, "acotar and acomaf") == ["acotar", "acomaf"]
    assert found(books, "loved asoiaf 1-3") == ["got", "cok", "sos"]

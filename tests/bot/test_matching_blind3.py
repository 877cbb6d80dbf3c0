"""Titles as people name them in recommendation dialogues: the failure classes the third blind
development sets of issue 19 found (data/nlu-dev/requests_blind3_*.yml), each on a small catalog
of its own, so that they hold for any catalog; and ordinary sentences that must name nothing."""

from __future__ import annotations

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.matching import TitleMatcher


def _books(*items: tuple[str, str, int | None, tuple[str, ...], dict]) -> TitleMatcher:
    """A matcher over (id, title, year, authors, attributes) books."""
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", authors or ("Someone",), year=year,
                                                  attributes=attributes)
                                             for i, title, year, authors, attributes in items))
    return TitleMatcher(catalog, NoMeaning(), NoMeaning())


@pytest.fixture(scope="module")
def films() -> TitleMatcher:
    return matcher_of(
        ("a", "Alien", 1979, ()), ("as", "Aliens", 1986, ()), ("a3", "Alien 3", 1992, ()),
        ("tb", "Train to Busan", 2016, ()), ("th", "The Host", 2006, ()), ("pa", "Parasite", 2019, ()),
        ("d84", "Dune", 1984, ()), ("d21", "Dune", 2021, ()), ("ar", "Arrival", 2016, ()),
        ("bb46", "Beauty and the Beast", 1946, ()), ("bb91", "Beauty and the Beast", 1991, ()),
        ("aq30", "All Quiet on the Western Front", 1930, ()), ("aq22", "All Quiet on the Western Front", 2022, ()),
        ("gi", "Grand Illusion", 1937, ()), ("fvf", "Ford v Ferrari", 2019, ()), ("mb", "Moneyball", 2011, ()),
        ("me", "Memento", 2000, ()), ("pr", "The Prestige", 2006, ()), ("gf", "Goodfellas", 1990, ()),
        ("ca", "Casino", 1995, ()), ("td", "Taxi Driver", 1976, ()), ("mx", "The Matrix", 1999, ()),
        ("sh", "Shooter", 2007, ()), ("jb", "Jackie Brown", 1997, ()), ("rd", "Reservoir Dogs", 1992, ()),
        ("aw", "An American Werewolf in London", 1981, ()), ("si", "Singin' in the Rain", 1952, ()),
        ("hp3", "Harry Potter and the Prisoner of Azkaban", 2004, ()),
        ("hp4", "Harry Potter and the Goblet of Fire", 2005, ()),
        ("kb1", "Kill Bill: Vol. 1", 2003, ()), ("kb2", "Kill Bill: Vol. 2", 2004, ()),
        ("ts", "Toy Story", 1995, ()), ("ts2", "Toy Story 2", 1999, ()),
        ("bf", "Back to the Future", 1985, ()), ("bf3", "Back to the Future Part III", 1990, ()),
        ("lb", "Monty Python's Life of Brian", 1979, ()), ("hg", "Monty Python and the Holy Grail", 1975, ()),
        ("ra", "Raiders of the Lost Ark", 1981, ()), ("tod", "Indiana Jones and the Temple of Doom", 1984, ()),
        ("gny", "Gangs of New York", 2002, ()), ("up", "Up", 2009, ()), ("co", "Coco", 2017, ()),
        ("ma", "The Martian", 2015, ()), ("ap", "Apollo 13", 1995, ()), ("su", "Sunshine", 2007, ()),
        ("es", "Eternal Sunshine of the Spotless Mind", 2004, ()), ("lt", "Lost in Translation", 2003, ()),
        ("ha", "Home Alone", 1990, ()), ("go", "Get Out", 2017, ()), ("ee", "Everything Everywhere All at Once", 2022, ()),
        ("pm", "Primer", 2004, ()), ("fg", "Forrest Gump", 1994, ()), ("sr", "The Shawshank Redemption", 1994, ()),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("Alien -> Aliens -> Alien 3, in that order", ["a", "as", "a3"]),
    ("Train to Busan → The Host → Parasite", ["tb", "th", "pa"]),
])
def test_an_arrow_separates_titles(films, text, expected):
    assert found(films, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Dune ('21) and Arrival ('16)", ["d21", "ar"]),
    ("Dune ’84", ["d84"]),
    ("Beauty and the Beast (Cocteau, 1946)", ["bb46"]),
    ("All Quiet on the Western Front from 1930 and Grand Illusion", ["aq30", "gi"]),
])
def test_a_year_typed_in_other_styles_picks_the_item(films, text, expected):
    assert found(films, text) == expected


def test_versus_reads_as_the_v_of_a_title_and_between_titles(films):
    assert found(films, "Moneyball & Ford vs Ferrari") == ["mb", "fvf"]
    assert found(films, "Moneyball vs Memento") == ["mb", "me"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Momento and The Prestiege", ["me", "pr"]),
    ("Goodfelas, Casnio and Taxi Driver", ["gf", "ca", "td"]),
    ("interstelar and the matix", ["mx"]),  # a short word typed wrong counts with the title's article
])
def test_a_title_of_one_word_typed_with_one_letter_wrong_in_a_list(films, text, expected):
    assert found(films, text) == expected


def test_one_letter_wrong_in_a_sentence_is_another_word(films):
    assert found(films, "something like that but shorter") == []
    assert found(films, "something like that but (maybe) shorter") == []


def test_a_name_spelled_another_way_is_the_title(films):
    assert found(films, "Pulp fiction & Reservoir dogs & Jacky Brown") == ["rd", "jb"]


def test_part_of_a_title_that_goes_on_as_another_name_names_none(films):
    assert found(films, "Singin in the Rain and An American in Paris") == ["si"]
    assert found(films, "Harry Potter and the Philosophers Stone and Prisoner of Azkaban") == ["hp3"]
    assert found(films, "ive seen harry potter and the philosophers stone and goblet of fire") == ["hp4"]


def test_a_title_of_one_long_real_word_and_chat_words_is_part_of_it(films):
    assert found(films, "Everything Everywhere and Primer") == ["ee", "pm"]


def test_the_first_of_same_named_items_is_the_one_numbered_1(films):
    assert found(films, "kill bill 1 & 2") == ["kb1", "kb2"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Toy Story and the second one are the only films my son will watch", ["ts", "ts2"]),
    ("Back to the Future and the third one (the western one)", ["bf", "bf3"]),
])
def test_a_sequel_named_by_its_ordinal_after_the_title(films, text, expected):
    assert found(films, text) == expected


def test_the_second_one_after_a_title_without_sequels_names_nothing_more(films):
    assert found(films, "Memento and the second one") == ["me"]
    assert found(films, "the second one was boring") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Life of Brian and Holy Grail", ["lb", "hg"]),
    ("Raiders of the Lost Ark and Temple of Doom", ["ra", "tod"]),
])
def test_the_end_of_a_title_typed_in_a_list_names_it(films, text, expected):
    assert found(films, text) == expected


def test_the_end_of_a_title_in_a_sentence_names_nothing(films):
    assert found(films, "I live in New York and like films set here") == []
    assert found(films, "a quest for the holy grail") == []


def test_a_list_after_a_verb_of_taste_begins_with_a_title(films):
    assert found(films, "my kids love up and coco, and I secretly love them too") == ["up", "co"]
    assert found(films, "I've already downloaded the martian and apollo 13 but need more") == ["ma", "ap"]
    assert found(films, "eternal sunshine and lost in translation") == ["es", "lt"]


def test_a_title_after_a_possessive_typed_without_its_apostrophe(films):
    assert found(films, "Tarantinos Jackie Brown and Reservoir Dogs") == ["jb", "rd"]


@pytest.mark.parametrize("text", [
    "what's good on a rainy sunday when you're home alone?",
    "we just want something to get out of our heads after a long week",
    "I'm home alone tonight and bored",
    "the second one was boring",
    "vs the book, which is better?",
])
def test_ordinary_sentences_name_no_title(films, text):
    assert found(films, text) == []


def test_a_title_after_a_plural_and_are_is_still_a_title(films):
    assert found(films, "my favs are forest gump and the shawshank redemption") == ["fg", "sr"]


@pytest.fixture(scope="module")
def books() -> TitleMatcher:
    return _books(
        ("tw", "Twilight (Twilight, #1)", 2005, ("Stephenie Meyer",), {}),
        ("nm", "New Moon (Twilight, #2)", 2006, ("Stephenie Meyer",), {}),
        ("tww", "Twilight (Warriors: The New Prophecy, #5)", 2006, ("Erin Hunter",), {}),
        ("dv", "Divergent (Divergent, #1)", 2011, ("Veronica Roth",), {}),
        ("in", "Insurgent (Divergent, #2)", 2012, ("Veronica Roth",), {}),
        ("al", "Allegiant (Divergent, #3)", 2013, ("Veronica Roth",), {}),
        ("eg", "Ender's Game (Ender's Saga, #1)", 1985, ("Orson Scott Card",), {}),
        ("sd", "Speaker for the Dead (Ender's Saga, #2)", 1986, ("Orson Scott Card",), {}),
        ("it", "It", 1986, ("Stephen King",), {}), ("ps", "Pet Sematary", 1983, ("Stephen King",), {}),
        ("skn", "Stephen King's N.", 2010, ("Marc Guggenheim",), {}),
        ("ni", "Night (The Night Trilogy #1)", 1958, ("Elie Wiesel",), {}),
        ("nio", "Night", 2012, ("Someone Else",), {}),
        ("ms", "Man's Search for Meaning", 1946, ("Viktor E. Frankl",), {}),
        ("dg", "The Picture of Dorian Gray", 1891, ("Oscar Wilde",), {}),
        ("dgg", "The Picture of Dorian Gray: A Graphic Novel", 2008, ("Oscar Wilde",), {}),
        ("fr", "Frankenstein", 1818, ("Mary Shelley",), {}),
        ("gc", "The Golden Compass (His Dark Materials, #1)", 1995, ("Philip Pullman",),
         {"original_title": "Northern Lights"}),
        ("nl", "Northern Lights", 2001, ("Nora Roberts",), {}),
        ("sk", "The Subtle Knife (His Dark Materials, #2)", 1997, ("Philip Pullman",), {}),
        ("pf", "Perfume: The Story of a Murderer", 1985, ("Patrick Süskind",),
         {"original_title": "Das Parfum. Die Geschichte eines Mörders"}),
        ("tr", "The Trial", 1925, ("Franz Kafka",), {"original_title": "Der Prozeß"}),
        ("st", "The Stranger", 1942, ("Albert Camus",), {"original_title": "L’Étranger"}),
        ("er", "Eragon (The Inheritance Cycle, #1)", 2002, ("Christopher Paolini",), {}),
        ("el", "Eldest (The Inheritance Cycle, #2)", 2005, ("Christopher Paolini",), {}),
        ("ee", "Eragon & Eldest (Inheritance, #1-2)", 2005, ("Christopher Paolini",), {}),
        ("tl", "Twenty Thousand Leagues Under the Sea", 1869, ("Jules Verne",), {}),
        ("ts", "The Sea", 2005, ("John Banville",), {}),
        ("tm", "The Time Machine", 1895, ("H.G. Wells",), {}),
        ("ci", "The Circle", 2013, ("Dave Eggers",), {}), ("sa", "The Song of Achilles", 2011, ("Madeline Miller",), {}),
        ("hs", "The Adventures of Sherlock Holmes", 1892, ("Arthur Conan Doyle",), {}),
        ("ss", "The Short Stories", 1999, ("Ernest Hemingway",), {}),
        ("hb", "The Hound of the Baskervilles", 1902, ("Arthur Conan Doyle",), {}),
        ("ti", "Time and Again (Time, #1)", 1970, ("Jack Finney",), {}), ("pe", "Perfect", 2014, ("Someone",), {}),
        ("two", "2 ضباط", 2010, ("Someone",), {}),  # a number and letters of another script
    )


def test_a_sequel_after_a_title_of_a_series_picks_the_series(books):
    assert found(books, "Twilight and the second one were my whole personality at 14") == ["tw", "nm"]
    assert found(books, "Divergent and the sequel, anything like them?") == ["dv", "in"]
    assert found(books, "Ender’s Game (1985) and its sequel") == ["eg", "sd"]


def test_one_long_title_after_another_with_nothing_between(books):
    assert found(books, "divergent insurgent allegiant") == ["dv", "in", "al"]


def test_the_possessive_of_an_author_is_no_title(books):
    assert found(books, "Stephen King's It and Pet Semetary") == ["it", "ps"]


def test_a_title_followed_by_its_author(books):
    assert found(books, "Night by Elie Wiesel and Man's Search for Meaning") == ["ni", "ms"]


def test_the_end_of_a_title_names_the_title_without_a_subtitle(books):
    assert found(books, "Dorian Gray and Frankenstein") == ["dg", "fr"]


def test_another_title_shared_with_another_item_is_chosen_by_the_other_titles(books):
    assert found(books, "Northern Lights and The Subtle Knife (Pullman)") == ["gc", "sk"]
    assert found(books, "Northern Lights") == ["nl"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Das Parfum and The Trial", ["pf", "tr"]),  # another title without what follows its full stop
    ("Der Prozess and L'Étranger", ["tr", "st"]),  # a letter NFKD keeps whole, a curly apostrophe
])
def test_original_titles_as_people_type_them(books, text, expected):
    assert found(books, text) == expected


def test_a_box_set_of_the_titles_named_is_those_titles(books):
    assert found(books, "Eragon and Eldest") == ["er", "el"]


def test_a_number_with_a_thousands_separator(books):
    assert found(books, "20,000 Leagues Under the Sea and The Time Machine") == ["tl", "tm"]


def test_a_short_word_alone_is_no_typo_of_a_title(books):
    assert found(books, "Circe and The Song of Achilles by Madeline Miller") == ["sa"]


def test_lowercase_comments_in_brackets_name_nothing(books):
    text = "The Adventures of Sherlock Holmes (the short stories) and The Hound of the Baskervilles"
    assert found(books, text) == ["hs", "hb"]


@pytest.mark.parametrize("text", [
    "last time i took something long and they were perfect",
    "I've seen the first two and want more",
    "next time pick something shorter",
])
def test_sentences_with_words_of_titles_name_nothing(books, text):
    assert found(books, text) == []

"""Finding catalog items from what a user typed: fuzzy titles first, then meaning."""

from __future__ import annotations

import time

import pytest
from title_matchers import NoMeaning, found, matcher_of

from bot.catalog import Catalog, Item
from bot.indexing import build_index
from bot.matching import TitleMatcher, normalize_title


@pytest.fixture(scope="module")
def matcher(catalog, index, encoder) -> TitleMatcher:
    return TitleMatcher(catalog, index, encoder)


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("the matix", "the-matrix-1999"),
        ("jurasic park", "jurassic-park-1993"),
        ("The Godfather", "the-godfather-1972"),
        ("i really loved toy story", "toy-story-1995"),
    ],
)
def test_typos_and_exact_titles_are_sure_matches(matcher, text, item_id):
    match = matcher.match_one(text)

    assert match.item.id == item_id
    assert match.sure


def test_two_titles_in_one_message(matcher):
    matches, unmatched = matcher.match_many("godfather and toy story")

    assert [m.item.id for m in matches] == ["the-godfather-1972", "toy-story-1995"]
    assert unmatched == []


def test_a_title_that_contains_and_is_one_match(matcher, catalog):
    title = next(i.title for i in catalog.items if " and " in i.title and "Harry Potter" not in i.title)

    matches, unmatched = matcher.match_many(title)

    assert [m.item.title for m in matches] == [title]
    assert matches[0].sure


@pytest.mark.parametrize("text", ["xyzzy qwerty", "   ", "!!!"])
def test_gibberish_matches_nothing(matcher, text):
    assert matcher.match_one(text) is None


def test_gibberish_is_reported_as_unmatched(matcher):
    assert matcher.match_many("xyzzy qwerty") == ([], ["xyzzy qwerty"])


def test_ambiguous_franchise_name_needs_confirmation(matcher):
    match = matcher.match_one("harry potter")

    assert match.item.title.startswith("Harry Potter")
    assert not match.sure


def test_description_is_matched_by_meaning_but_not_sure(matcher):
    match = matcher.match_one("the movie about a shark")

    assert match.item.id == "jaws-1975"
    assert not match.sure


def test_match_many_respects_the_limit(matcher):
    matches, _ = matcher.match_many("alien, jaws, heat", limit=2)

    assert len(matches) == 2


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("The Matrix", "matrix"),
        ("Amélie", "amelie"),
        ("  WALL·E!  ", "walle"),
        ("A Beautiful Mind", "beautiful mind"),
    ],
)
def test_normalize_title(raw, normalized):
    assert normalize_title(raw) == normalized


# --- several titles in one message ------------------------------------------------------------


def ids(matches) -> list[str]:
    return [m.item.id for m in matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Memento and The Good, the Bad and the Ugly", ["memento-2000", "the-good-the-bad-and-the-ugly-1966"]),
        ("Heat (1995) and Alien (1979)", ["heat-1995", "alien-1979"]),
        ("heat 1995, alien 1979 and jaws", ["heat-1995", "alien-1979", "jaws-1975"]),
        ("Crouching Tiger, Hidden Dragon or Monsters, Inc.", ["crouching-tiger-hidden-dragon-2000", "monsters-inc-2001"]),
        ("Thelma and Louise & Pride and Prejudice", ["thelma-and-louise-1991", "pride-and-prejudice-2005"]),
        ("Four Weddings and a Funeral and Dumb and Dumber", ["four-weddings-and-a-funeral-1994", "dumb-and-dumber-1994"]),
        ("Avengers: Endgame / Mission: Impossible - Fallout", ["avengers-endgame-2019", "mission-impossible-fallout-2018"]),
        ("Lock, Stock and Two Smoking Barrels\nTerminator 2: Judgment Day",
         ["lock-stock-and-two-smoking-barrels-1998", "terminator-2-judgment-day-1991"]),
        ("jaws plus the lion king; up", ["jaws-1975", "the-lion-king-1994", "up-2009"]),
    ],
)
def test_every_title_of_a_message_is_a_sure_match_in_the_order_of_the_text(matcher, text, expected):
    matches, unmatched = matcher.match_many(text, limit=5)

    assert ids(matches) == expected
    assert all(m.sure for m in matches)
    assert unmatched == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i loved the matrix, also jaws and maybe heat please!", ["the-matrix-1999", "jaws-1975", "heat-1995"]),
        ("Like Avengers: Endgame", ["avengers-endgame-2019"]),
        ("something like memento?", ["memento-2000"]),
        ("movies like dumb and dumber", ["dumb-and-dumber-1994"]),
        ("similar to The Godfather", ["the-godfather-1972"]),
        ("what about Toy Story?", ["toy-story-1995"]),
        ("i really loved both toy story and the lion king", ["toy-story-1995", "the-lion-king-1994"]),
        ("anything like Up or Her", ["up-2009", "her-2013"]),
    ],
)
def test_the_words_around_titles_are_dropped(matcher, text, expected):
    matches, unmatched = matcher.match_many(text, limit=5)

    assert ids(matches) == expected
    assert all(m.sure for m in matches)
    assert unmatched == []


def test_filler_words_are_no_title_unless_typed_as_one(matcher):
    assert matcher.match_many("i loved it") == ([], [])
    assert ids(matcher.match_many("I loved Up")[0]) == ["up-2009"]
    assert ids(matcher.match_many("up")[0]) == ["up-2009"]


def test_titles_with_typos_in_one_message_are_sure(matcher):
    matches, unmatched = matcher.match_many("jurasic park and the matix and back to the futur", limit=5)

    assert ids(matches) == ["jurassic-park-1993", "the-matrix-1999", "back-to-the-future-1985"]
    assert all(m.sure for m in matches)


def test_a_different_number_is_no_typo(matcher):
    assert matcher.match_one("the godfather part 2").item.id == "the-godfather-part-ii-1974"
    assert matcher.match_one("toy story 5").sure is False


def test_part_of_a_title_needs_confirmation(matcher):
    match = matcher.match_one("kill bill")

    assert match.item.id.startswith("kill-bill")
    assert not match.sure


def test_a_lookalike_of_a_title_the_catalog_lacks_is_never_sure(matcher):
    matches, unmatched = matcher.match_many("Memento and The Good, the Bad and the Ugly and The Wedding Singer", limit=5)

    assert ids(matches)[:2] == ["memento-2000", "the-good-the-bad-and-the-ugly-1966"]
    assert "good-will-hunting-1997" not in ids(matches)
    assert all(not m.sure for m in matches[2:])


def test_a_year_that_is_no_title_of_its_own_is_read_with_the_title(matcher):
    matches, unmatched = matcher.match_many("Beauty and the Beast (1946) and beauty and the beast 1991", limit=5)

    assert ids(matches) == ["beauty-and-the-beast-1946", "beauty-and-the-beast-1991"]
    assert unmatched == []


def test_each_match_tells_the_words_it_was_read_from(matcher):
    matches, _ = matcher.match_many("i loved Heat (1995), also the matix and The Good, the Bad and the Ugly!", limit=5)

    assert [m.phrase for m in matches] == ["Heat (1995)", "the matix", "The Good, the Bad and the Ugly"]


def test_unmatched_phrases_are_reported_beside_the_matches(matcher):
    matches, unmatched = matcher.match_many("Memento and xyzzy qwerty")

    assert ids(matches) == ["memento-2000"]
    assert unmatched == ["xyzzy qwerty"]


# --- small catalogs ---------------------------------------------------------------------------


def small_matcher(encoder, *movies: tuple[str, str, int | None, str]) -> TitleMatcher:
    """A matcher over a handful of (id, title, year, description) items, with their own index."""
    catalog = Catalog(path=None, items=tuple(Item(i, title, text, ("Drama",), year=year) for i, title, year, text in movies))
    return TitleMatcher(catalog, build_index(catalog, encoder), encoder)


LOOKALIKES = (
    ("shallow-grave", "Shallow Grave", 1994, "Three flatmates find their new lodger dead beside a suitcase of cash."),
    ("a-wedding", "A Wedding", 1978, "A society wedding day unravels as two families' secrets spill out."),
    ("heat-1995", "Heat", 1995, "A master thief and an obsessive detective circle each other across Los Angeles."),
    ("heat-1986", "Heat", 1986, "A Las Vegas bodyguard with a gambling habit takes on the mob."),
    ("the-heat", "The Heat", 2013, "A by-the-book FBI agent is paired with a foul-mouthed Boston cop."),
    ("memento", "Memento", 2000, "A man without short-term memory hunts his wife's killer with notes and tattoos."),
)


@pytest.fixture(scope="module")
def lookalikes(encoder) -> TitleMatcher:
    return small_matcher(encoder, *LOOKALIKES)


@pytest.mark.parametrize("text", ["Shallow Hal", "The Wedding Singer", "i loved Shallow Hal and The Wedding Singer"])
def test_a_title_that_only_looks_like_one_in_the_catalog_is_unsure(lookalikes, text):
    matches, _ = lookalikes.match_many(text, limit=5)

    assert not any(m.sure for m in matches)


def test_a_lookalike_is_offered_to_confirm(lookalikes):
    match = lookalikes.match_one("Shallow Hal")

    assert match.item.id == "shallow-grave"
    assert not match.sure


def test_the_same_titles_with_their_own_names_are_sure(encoder):
    matcher = small_matcher(encoder, *LOOKALIKES, ("shallow-hal", "Shallow Hal", 2001, "A shallow man is hypnotized."),
                            ("the-wedding-singer", "The Wedding Singer", 1998, "A wedding singer falls for a waitress."))

    matches, unmatched = matcher.match_many("i loved Shallow Hal and The Wedding Singer")

    assert ids(matches) == ["shallow-hal", "the-wedding-singer"]
    assert all(m.sure for m in matches)


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("heat (1986)", "heat-1986"),
        ("Heat 1995", "heat-1995"),
        ("heat", "heat-1995"),  # the most recent of those typed without an article
        ("the heat", "the-heat"),
    ],
)
def test_a_year_picks_the_item_among_same_titled_ones(lookalikes, text, item_id):
    matches, unmatched = lookalikes.match_many(text)

    assert ids(matches) == [item_id]
    assert matches[0].sure
    assert unmatched == []


def test_a_year_no_item_of_that_title_has_needs_confirmation(lookalikes):
    match = lookalikes.match_one("heat 2001")

    assert match.item.title == "Heat"
    assert not match.sure


def test_a_title_that_is_a_year_is_a_title(encoder):
    matcher = small_matcher(encoder, ("1984", "1984", 1949, "A clerk rebels against a surveillance state."),
                            ("animal-farm", "Animal Farm", 1945, "Farm animals overthrow their farmer."))

    assert ids(matcher.match_many("Animal Farm 1984")[0]) == ["animal-farm", "1984"]
    assert ids(matcher.match_many("1984 and animal farm (1945)")[0]) == ["1984", "animal-farm"]


def test_a_note_in_parentheses_is_no_part_of_the_title_people_type(encoder):
    matcher = small_matcher(
        encoder,
        ("hg", "The Hunger Games (The Hunger Games, #1)", 2008, "A girl volunteers for a deadly televised game."),
        ("cf", "Catching Fire (The Hunger Games, #2)", 2009, "The victors are sent back into the arena."),
    )

    matches, _ = matcher.match_many("the hunger games and catching fire")

    assert ids(matches) == ["hg", "cf"]
    assert all(m.sure for m in matches)


# --- speed on a large catalog -----------------------------------------------------------------


@pytest.fixture(scope="module")
def books(goodbooks) -> TitleMatcher:
    return TitleMatcher(goodbooks, NoMeaning(), NoMeaning())


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("The Hunger Games and Catching Fire",
         ["The Hunger Games (The Hunger Games, #1)", "Catching Fire (The Hunger Games, #2)"]),
        ("i loved pride and prejudice, sense and sensibility and emma",
         ["Pride and Prejudice", "Sense and Sensibility", "Emma"]),
        ("books like Of Mice and Men or The Grapes of Wrath?", ["Of Mice and Men", "The Grapes of Wrath"]),
        ("the catcher in the rye, lord of the flies, brave new world, fahrenheit 451, the great gatsby, of mice and men, "
         "jane eyre, wuthering heights and little women", None),
    ],
)
def test_a_message_resolves_fast_on_ten_thousand_books(books, text, titles):
    fastest = min(timed(books.match_many, text, limit=10) for _ in range(3))
    matches, unmatched = books.match_many(text, limit=10)

    assert fastest < 0.1
    assert all(m.sure for m in matches)
    assert unmatched == []
    if titles:
        assert [m.item.title for m in matches] == titles


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


# --- any catalog: shorter names, separators, the words around titles ----------------------------


def plain_matcher(*items: tuple[str, str, tuple[str, ...]]) -> TitleMatcher:
    """A matcher over (id, title, categories) items, by titles alone (nothing found by meaning)."""
    catalog = Catalog(path=None, items=tuple(Item(i, title, f"{title}.", categories) for i, title, categories in items))
    return TitleMatcher(catalog, NoMeaning(), NoMeaning())


def test_the_name_before_a_subtitle_is_the_title():
    matcher = plain_matcher(("f", "Freakonomics: A Rogue Economist Explores the Hidden Side of Everything", ("Levitt",)),
                            ("o", "Outliers: The Story of Success", ("Gladwell",)))

    matches, unmatched = matcher.match_many("freakonomics and outliers", limit=5)

    assert ids(matches) == ["f", "o"] and all(m.sure for m in matches) and unmatched == []


def test_a_name_before_a_subtitle_that_several_items_share_is_unsure():
    matcher = plain_matcher(("l", "Lavender Candle: Large Jar", ("Candles",)), ("s", "Lavender Candle: Travel Tin", ("Candles",)))

    match = matcher.match_one("lavender candle")

    assert match.item.id in ("l", "s") and match.named and not match.sure


def test_a_title_typed_with_a_separator_it_lacks_is_two_titles():
    matcher = plain_matcher(("got", "A Game of Thrones", ()), ("cok", "A Clash of Kings", ()),
                            ("both", "A Game of Thrones / A Clash of Kings", ()))

    assert ids(matcher.match_many("a game of thrones, a clash of kings", limit=5)[0]) == ["got", "cok"]
    assert ids(matcher.match_many("a game of thrones and a clash of kings", limit=5)[0]) == ["got", "cok"]
    assert ids(matcher.match_many("A Game of Thrones / A Clash of Kings", limit=5)[0]) == ["both"]


@pytest.mark.parametrize("text", ["inside out made me cry, and coco last week", "inside out - pixar at its best, coco pls"])
def test_a_title_may_end_before_chat_words_or_a_dash(text):
    matcher = plain_matcher(("io", "Inside Out", ()), ("coco", "Coco", ()))

    assert ids(matcher.match_many(text, limit=5)[0]) == ["io", "coco"]


def test_a_category_name_is_no_part_of_a_title():
    matcher = plain_matcher(("n", "Stephen King's N.", ("Stephen King",)), ("it", "It", ("Stephen King",)))

    assert matcher.match_many("books by stephen king", limit=5, by_meaning=False)[0] == []


def test_a_category_the_message_names_picks_among_same_named_items():
    matcher = plain_matcher(("saga", "Wicked (A Wicked Saga, #1)", ("Jennifer L. Armentrout",)),
                            ("oz", "Wicked: The Life and Times of the Wicked Witch of the West", ("Gregory Maguire",)))

    assert ids(matcher.match_many("wicked by gregory maguire", limit=5)[0]) == ["oz"]
    assert ids(matcher.match_many("wicked by jennifer l. armentrout", limit=5)[0]) == ["saga"]


@pytest.mark.parametrize("text", ["my daughter loved wonder", "a book to read in school"])
def test_one_word_after_a_determiner_is_a_word_of_the_sentence(text):
    matcher = plain_matcher(("d", "Daughter", ()), ("w", "Wonder", ()), ("s", "School of Rock", ()))

    assert "d" not in ids(matcher.match_many(text, limit=5, by_meaning=False)[0])
    assert "s" not in ids(matcher.match_many(text, limit=5, by_meaning=False)[0])


def test_a_part_of_a_title_is_its_beginning_or_one_rare_long_word():
    matcher = plain_matcher(("dmmt", "Don't Make Me Think: A Common Sense Approach", ()),
                            ("sr", "The Shawshank Redemption", ()), ("gf", "The Godfather", ()))

    assert not any(m.sure or m.named for m in matcher.match_many("a book that will make me think", limit=5)[0])
    matches, _ = matcher.match_many("shawshank and godfather", limit=5)
    assert ids(matches) == ["sr", "gf"] and matches[0].named


# --- chatty messages on a large catalog: the general failure classes of issue 19 ----------------


@pytest.fixture(scope="module")
def chat_titles() -> TitleMatcher:
    return matcher_of(("e", "Evening", 2007, ()), ("h", "Help!", 1965, ()), ("id", "I.D.", 1995, ()),
                         ("up", "Up", 2009, ()), ("lol", "LOL", 2012, ()), ("n", "Nemo Returns", 2020, ()),
                         ("gmv", "Good Morning, Vietnam", 1987, ()))


@pytest.mark.parametrize("text", [
    "Good evening! I'd love something to watch tonight",
    "hey what's up, can you help me find a film? lol",
    "Good morning :) Help me pick a movie",
    "Hello, I'm looking for a film",
])
def test_greetings_chat_words_and_the_pronoun_i_are_no_titles(chat_titles, text):
    assert found(chat_titles, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Evening! I loved Nemo Returns", ["n"]),
    ("nemo returns, up and help!", ["n", "up", "h"]),
    ("I liked Up and Evening", ["up", "e"]),
    ("help and up", ["h", "up"]),
])
def test_a_title_of_chat_words_counts_typed_as_a_name_or_in_a_list(chat_titles, text, expected):
    assert found(chat_titles, text) == expected


def test_a_title_may_follow_any_word_typed_as_a_name_or_whole():
    matcher = matcher_of(("t", "Tangled", 2010, ()), ("bf", "Back to the Future", 1985, ()),
                            ("q", "Tarantino", 2005, ()), ("ls", "Love Story", 1970, ()))

    assert found(matcher, "my niece adores Tangled, what else?") == ["t"]
    assert found(matcher, "we have been rewatching back to the future all week") == ["bf"]
    assert found(matcher, "I'm a huge fan of Quentin Tarantino") == []  # the middle of a name
    assert found(matcher, "a sad love story please") == []  # one real word after another word


@pytest.fixture(scope="module")
def sequels() -> TitleMatcher:
    return matcher_of(("r", "Rocky", 1976, ()), ("r2", "Rocky II", 1979, ()), ("r3", "Rocky III", 1982, ()),
                         ("a", "Alien", 1979, ()), ("a3", "Alien³", 1992, ()), ("h", "Heat", 1995, ()),
                         ("k", "Kill Bill: Vol. 2", 2004, ()))


@pytest.mark.parametrize(("text", "expected"), [
    ("rocky, rocky 2 and rocky iii", ["r", "r2", "r3"]),
    ("Rocky II or Rocky 3?", ["r2", "r3"]),
    ("alien and alien 3", ["a", "a3"]),
    ("ALIEN³ please", ["a3"]),
    ("kill bill vol ii", ["k"]),
])
def test_sequel_numbers_are_read_in_digits_roman_numerals_or_superscripts(sequels, text, expected):
    assert found(sequels, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1. Rocky 2. Alien 3. Heat", ["r", "a", "h"]),
    ("my favourites:\n1) heat\n2) alien", ["h", "a"]),
    ("• Rocky • Heat", ["r", "h"]),
    ("movies i like: * heat * alien", ["h", "a"]),
    ("Heat + Alien + Rocky", ["h", "a", "r"]),
    ("heat | alien", ["h", "a"]),
    ("I liked Rocky 2. Also Heat", ["r2", "h"]),  # no list: the 2 is Rocky's
])
def test_bullets_numbered_lists_and_plus_signs_separate_titles(sequels, text, expected):
    assert found(sequels, text) == expected


@pytest.fixture(scope="module")
def word_titles() -> TitleMatcher:
    return matcher_of(("big", "Big", 1988, ()), ("kids", "Kids", 1995, ()), ("comedy", "The Comedy", 2012, ()),
                         ("heist", "Heist", 2001, ()), ("dn", "Date Night", 2010, ()), ("moon", "Moon", 2009, ()),
                         ("drive", "Drive", 2011, ()), ("war", "War", 2007, ("War",)), ("sm", "Scary Movie", 2000, ()),
                         ("gb", "Grandma's Boy", 2006, ()))


@pytest.mark.parametrize("text", [
    "I'm a big fan of heist movies",
    "something for the kids",
    "looking for a comedy for date night",
    "a film about space and the moon",
    "i want to drive my mind crazy",
    "war movies with lots of tanks",
    "can you recommend a scary movie",
    "a film for a movie night with grandma",
])
def test_ordinary_words_that_are_titles_are_words_of_the_sentence(word_titles, text):
    assert found(word_titles, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("something similar to drive", ["drive"]),
    ("big and kids", ["big", "kids"]),
    ("I loved War and Moon", ["war", "moon"]),
    ("the comedy, heist", ["comedy", "heist"]),
    ("Scary Movie or Date Night?", ["sm", "dn"]),
])
def test_the_same_words_named_as_titles_are_titles(word_titles, text, expected):
    assert found(word_titles, text) == expected


@pytest.fixture(scope="module")
def typo_titles() -> TitleMatcher:
    return matcher_of(("live", "I Want to Live!", 1958, ()), ("bound", "Bound", 1996, ()),
                         ("artist", "The Artist", 2011, ()), ("creep", "Creep", 2004, ()),
                         ("rat", "Ratatouille", 2007, ()), ("bh", "Braveheart", 1995, ()),
                         ("bhs", "Brave Hearts: Umizaru", 2012, ()), ("drive", "Drive", 2011, ()),
                         ("don", "Don Jon", 2013, ()), ("ido", "I Do", 2012, ()))


@pytest.mark.parametrize("text", [
    "i want to drive my friends home",  # "drive" is a word of the catalog, no typo of "live"
    "I'm hooked on bond films",
    "stories about artists",
    "something creepy but not gory",
    "I don't mind old films",
])
def test_a_typo_is_never_another_word_an_inflection_or_a_short_word(typo_titles, text):
    assert found(typo_titles, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("ratatouile and the artist", ["rat", "artist"]),
    ("brave heart", ["bh"]),
    ("braveheart or brave hearts umizaru", ["bh", "bhs"]),
])
def test_real_typos_and_words_run_apart_are_still_found(typo_titles, text, expected):
    assert found(typo_titles, text) == expected


def test_a_title_of_fillers_counts_with_its_year():
    matcher = matcher_of(("t1", "The Thing", 1982, ()), ("t2", "The Thing", 2011, ()), ("a", "Alien", 1979, ()))

    assert found(matcher, "the thing 1982 and alien") == ["t1", "a"]
    assert found(matcher, "the thing is, i liked alien") == ["a"]


def test_the_name_of_an_episode_after_a_colon_or_dash_is_a_name_of_its_title():
    matcher = matcher_of(("esb", "Star Wars: Episode V - The Empire Strikes Back", 1980, ()),
                            ("rotj", "Star Wars: Episode VI - Return of the Jedi", 1983, ()),
                            ("ret", "Return", 2011, ()), ("p1", "Deathly Hallows: Part 1", 2010, ()),
                            ("p2", "Deathly Hallows: Part 2", 2011, ()), ("x", "Heroes: The Journey", 2001, ()),
                            ("y", "Legends: The Journey", 2003, ()))

    assert found(matcher, "the empire strikes back and return of the jedi") == ["esb", "rotj"]
    assert found(matcher, "part 2") == []  # a number is no name
    assert found(matcher, "the journey") == []  # the part two items end with


def test_a_piece_of_a_longer_capitalized_name_is_no_title():
    matcher = matcher_of(("wolf", "Wolf", 1994, ()), ("ws", "Wall Street", 1987, ()), ("mc", "Margin Call", 2011, ()))

    assert found(matcher, "The Wolf of Wall Street and Margin Call") == ["mc"]
    assert found(matcher, "Wolf and Wall Street") == ["wolf", "ws"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Heat (Michael Mann) and Alien (Ridley Scott)", ["h", "a"]),
    ("i loved heat(the one with de niro), alien", ["h", "a"]),
    ("Heat (1995) and Alien (1979)", ["h", "a"]),
])
def test_an_aside_in_brackets_after_a_title_is_no_part_of_it(sequels, text, expected):
    assert found(sequels, text) == expected


def test_a_year_next_to_the_items_names_it_and_a_year_in_brackets_is_never_a_title():
    matcher = matcher_of(("h", "Heat", 1995, ()), ("tr90", "Total Recall", 1990, ()),
                            ("tr12", "Total Recall", 2012, ()), ("d", "Drive", 2011, ()), ("y", "2012", 2009, ()))

    assert found(matcher, "Heat (1996)") == ["h"]  # sources date films a year apart
    assert found(matcher, "total recall (1991)") == ["tr90"]
    assert found(matcher, "I loved Drive (2012)") == ["d"]
    assert found(matcher, "drive and 2012") == ["d", "y"]
    assert found(matcher, "heat 2001") == []  # too far: to be confirmed


def test_other_words_close_to_a_title_are_no_typo_of_it():
    matcher = matcher_of(("lis", "Lost in Space", 1998, ()), ("fg", "Forrest Gump", 1994, ()),
                            ("dk", "The Dark Knight", 2008, ()), ("heist", "Heist", 2001, ()))

    assert found(matcher, "a film set in space with aliens") == []
    assert found(matcher, "forest gump and the dark knigt") == ["fg", "dk"]
    assert found(matcher, "a movie about a big heist please") == []  # "a big" is still "a"


def test_a_title_typed_as_a_name_ends_where_its_capitals_end():
    matcher = matcher_of(("wwz", "World War Z", 2013, ()), ("c", "Contagion", 2011, ()), ("mm", "Mad Max", 1979, ()))

    assert found(matcher, "Watched Contagion and World War Z back to back") == ["c", "wwz"]
    assert found(matcher, "mad max fury road and contagion") == ["c"]
    assert found(matcher, "Mad Max Fury Road and Contagion") == ["c"]


@pytest.mark.parametrize("text", ["Alien meets Jaws", "alien meets jaws please", "something like Alien meets Jaws"])
def test_a_pitch_of_one_title_meeting_another_names_both(text):
    matcher = matcher_of(("alien", "Alien", 1979, ()), ("jaws", "Jaws", 1975, ()),
                         ("boy", "Boy Meets Girl", 1984, ("Romance",)))
    assert found(matcher, text) == ["alien", "jaws"]
    assert found(matcher, "I loved Boy Meets Girl") == ["boy"]  # a title with the word reads it alike

"""Finding catalog items from what a user typed: fuzzy titles first, then meaning."""

from __future__ import annotations

import time

import pytest

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


class NoMeaning:
    """An index and encoder that find nothing by meaning: the title lookups alone are timed."""

    def search(self, query, k):
        return []

    def encode_query(self, text):
        return None


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

"""Finding catalog items from what a user typed: fuzzy titles first, then meaning."""

from __future__ import annotations

import pytest

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

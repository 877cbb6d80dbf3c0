"""Constraints said in a request: parsing, description, and filtering recommendations."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog, Item
from bot.constraints import Constraints, parse_constraints, without_constraints
from bot.profiles import Profile
from bot.recommender import Recommender, Request


@pytest.mark.parametrize(
    ("text", "expected", "description"),
    [
        ("something from the 90s", Constraints(year_from=1990, year_to=1999), "from the 1990s"),
        ("any comedies from the 1980s?", Constraints(year_from=1980, year_to=1989), "from the 1980s"),
        ("70's horror", Constraints(year_from=1970, year_to=1979), "from the 1970s"),
        ("from the 00s", Constraints(year_from=2000, year_to=2009), "from the 2000s"),
        ("the nineties please", Constraints(year_from=1990, year_to=1999), "from the 1990s"),
        ("a thriller after 2010", Constraints(year_from=2011), "from 2011 on"),
        ("something before 1980", Constraints(year_to=1979), "up to 1979"),
        ("a film from 1994", Constraints(year_from=1994, year_to=1994), "from 1994"),
        ("books under 20 dollars", Constraints(max_price=20.0), "priced under 20"),
        ("under $12.50", Constraints(max_price=12.5), "priced under 12.5"),
        ("over 10 euros", Constraints(min_price=10.0), "priced over 10"),
        ("only available ones", Constraints(available_only=True), "available now"),
        ("something from the 80s or 90s", Constraints(year_from=1980, year_to=1999), "from 1980-1999"),
        ("films between 1990 and 2005", Constraints(year_from=1990, year_to=2005), "from 1990-2005"),
        ("a wine between 10 and 20 euros", Constraints(min_price=10.0, max_price=20.0), "priced 10-20"),
        ("from £15 to £25", Constraints(min_price=15.0, max_price=25.0), "priced 15-25"),
    ],
)
def test_parse_and_describe(text, expected, description):
    assert parse_constraints(text) == expected
    assert expected.describe() == description


@pytest.mark.parametrize(("text", "years"), [
    ("movies from this year", (2026, 2026)),
    ("anything good released last year?", (2025, 2025)),
    ("this year's best comedies", (2026, 2026)),
    ("a thriller from the last 5 years", (2021, 2026)),
    ("books of the past decade", (2016, 2026)),
    ("something made in the last few years", (2023, 2026)),
    ("sci-fi from the past two decades", (2006, 2026)),
])
def test_periods_count_back_from_this_year(text, years):
    found = parse_constraints(text, this_year=2026)
    assert (found.year_from, found.year_to) == years
    assert not {"year", "years", "decade", "last", "past", "this"} & set(without_constraints(text).split())


@pytest.mark.parametrize(("text", "years"), [
    ("late 90s thrillers", (1995, 1999)),
    ("early 2000s comedies", (2000, 2004)),
    ("mid-80s action", (1983, 1987)),
    ("something from the early nineties", (1990, 1994)),
    ("before the 2000s", (None, 1999)),  # not the 2000s
    ("anything after the 90s", (2000, None)),
    ("since the 90s", (1990, None)),
    ("since 2010", (2010, None)),  # 2010 included, unlike "after 2010"
    ("from 2010 onwards", (2010, None)),
    ("from 2010 on, please", (2010, None)),
    ("2015 or later", (2015, None)),
    ("2010+ only", (2010, None)),
    ("2005 or earlier", (None, 2005)),
    ("not older than 2010", (2010, None)),  # not "older than 2010"
    ("no newer than 1999", (None, 1999)),
    ("after 2010 and before 2015", (2011, 2014)),
    ("around 1995", (1993, 1997)),
    ("20th century classics", (1900, 1999)),
    ("released this century", (2000, None)),
])
def test_parts_of_decades_directions_and_centuries(text, years):
    found = parse_constraints(text, this_year=2026)
    assert (found.year_from, found.year_to) == years


def test_a_title_with_a_year_before_on_is_no_period():
    assert not parse_constraints("Blade Runner 2049 on Netflix")


@pytest.mark.parametrize("text", ["I saw Heat last year and loved it", "this year I got into horror",
                                  "my last movie was great", "the past is a foreign country"])
def test_a_year_in_passing_is_no_period(text):
    assert not parse_constraints(text, this_year=2026)


@pytest.mark.parametrize("text", ["recommend me something", "I like sci-fi", "2001: A Space Odyssey", "500 Days of Summer",
                                  "something short, under 90 minutes", "a book of less than 300 pages",
                                  "on a scale from 1 to 10, something scary"])
def test_ordinary_requests_have_no_constraints(text):
    assert not parse_constraints(text)


@pytest.mark.parametrize(("text", "left"), [
    ("Comedies under 20 dollars", "Comedies"),
    ("something   from the 90s,  please", "something from , please"),
    # a title per line stays a list: the lines are what the title reader splits on
    ("Groundhog Day\nPalm Springs from 2020\nEdge of Tomorrow", "Groundhog Day\nPalm Springs\nEdge of Tomorrow"),
    ("Alien\r\n  only available \r\nHeat under $5", "Alien\nHeat"),  # a line of constraints alone goes
    ("under\n20 dollars", "under\n20 dollars"),  # a constraint is said within one line
])
def test_without_constraints_keeps_the_lines(text, left):
    assert without_constraints(text) == left


def item(item_id, year=None, price=None, available=True):
    return Item(item_id, item_id, "d", ("X",), year=year, price=price, available=available)


@pytest.mark.parametrize(
    ("constraints", "allowed"),
    [
        (Constraints(year_from=1990, year_to=1999), {"cheap-90s", "dear-90s"}),
        (Constraints(max_price=10), {"cheap-90s", "cheap-old"}),
        (Constraints(min_price=10), {"dear-90s"}),
        (Constraints(available_only=True), {"cheap-90s", "dear-90s", "no-data"}),
    ],
)
def test_constraints_filter_items_missing_the_field_too(constraints, allowed):
    items = [item("cheap-90s", 1995, 5), item("dear-90s", 1999, 30), item("cheap-old", 1950, 8, available=False),
             item("no-data")]
    assert {i.id for i in items if constraints.allows(i.year, i.price, i.available)} == allowed


def test_out_of_stock_items_are_never_recommended(encoder):
    from bot.indexing import build_index

    items = tuple(item(f"i{n}", 2000 + n, available=n % 2 == 0) for n in range(8))
    catalog = Catalog(path=None, items=items)
    recommender = Recommender(catalog, build_index(catalog, encoder))
    picks = recommender.recommend(Profile("u", known=False, onboarded=False), Request(n=8))
    assert {p.item.id for p in picks} == {"i0", "i2", "i4", "i6"}


@pytest.mark.parametrize(("has_prices", "has_years", "kept", "dropped"), [
    (True, True, Constraints(max_price=20, year_from=1990, year_to=1999), ()),
    (False, True, Constraints(year_from=1990, year_to=1999), ("price",)),
    (True, False, Constraints(max_price=20), ("period",)),
    (False, False, Constraints(), ("price", "period")),
])
def test_a_catalog_applies_the_constraints_it_has_data_for_and_names_the_others(has_prices, has_years, kept, dropped):
    asked = Constraints(max_price=20, year_from=1990, year_to=1999)

    assert asked.applicable(has_prices, has_years) == (kept, dropped)
